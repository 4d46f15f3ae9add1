"""Text normalisation shared by detection, choice parsing and evaluation.

One definition of "word" for everything: the labelled set's ``words`` field, the length buckets of
the evaluation and the detector's evidence thresholds all call :func:`count_words`, so a change
here moves them together.
"""
from __future__ import annotations

import re
import unicodedata

# A word is a run of letters, optionally joined by an apostrophe or hyphen ("mi-e", "j'ai",
# "б'ють"). Digits, emoji and punctuation are never part of a word.
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’ʼ\-][^\W\d_]+)*", re.UNICODE)

# Letters that are not decomposed by NFKD but have an obvious base letter for matching
# diacritic-less SMS spelling against word lists.
_EXTRA_FOLD = str.maketrans({
    "ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ı": "i",
    "’": "'", "ʼ": "'",
})

# Arabic diacritics (harakat), tatweel and alef/hamza variants are folded so that "أنا" and
# "انا" match: SMS Arabic is usually written without hamza and vowel marks.
_ARABIC_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي", "ـ": "",
})


def fold(text: str) -> str:
    """Lower-case and strip diacritics (``"Română"`` -> ``"romana"``, ``"ї"`` -> ``"і"``).

    Used for matching only, never for display. Cyrillic ``й``/``ї``/``ё`` lose their marks too,
    which is what people typing on a Latin-first keyboard do; the detector looks at marker
    letters *before* folding.
    """
    text = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLD))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.translate(_ARABIC_FOLD).casefold()


def words(text: str) -> list[str]:
    """The words of ``text`` in their original spelling (case and diacritics kept).

    A token must hold a real letter: ``\\w`` also matches vulgar fractions and other numeric
    symbols ("¼"), which are not words.
    """
    found = _WORD_RE.findall(unicodedata.normalize("NFC", text))
    return [w for w in found if any(ch.isalpha() for ch in w)]


def count_words(text: str) -> int:
    """Number of words, the unit of the length buckets (1-2 words, 3+ words)."""
    return len(words(text))


def script_of(char: str) -> str | None:
    """The Unicode script of a letter as a word (``"LATIN"``, ``"CYRILLIC"``, ``"ARABIC"``...).

    Taken from the first word of the character's Unicode name, which is the script for every
    alphabet this service is likely to meet; ``None`` for non-letters.
    """
    if not char.isalpha():
        return None
    try:
        name = unicodedata.name(char)
    except ValueError:
        return None
    return name.split(" ", 1)[0]


def script_counts(text: str) -> dict[str, int]:
    """How many letters of each script ``text`` holds."""
    counts: dict[str, int] = {}
    for ch in text:
        script = script_of(ch)
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    return counts
