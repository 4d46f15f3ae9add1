"""Text normalisation shared by the pattern matcher and the classifier.

Real messages arrive in SMS style: no diacritics, doubled letters, Cyrillic typed in Latin
letters ("pomogite"), Arabic with letter variants or in Arabizi. Both the message and every
pattern go through the same :func:`skeleton`, so a pattern written once in its proper spelling
matches all of those forms. The skeleton is only used for matching; it is never shown or logged.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# One Cyrillic -> Latin scheme for ru/uk/bg. Ukrainian "г" is usually typed "h" in Latin, so a
# pattern containing "г" is compiled in both spellings (see `cyrillic_variants`).
_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h",
    "ц": "c", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "a", "ы": "i", "ь": "", "э": "e", "ю": "iu",
    "я": "ia", "ў": "u",
}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

# Letters that NFD does not decompose.
_LATIN_EXTRA = {"ł": "l", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ı": "i", "ħ": "h", "þ": "th"}

# Arabic: letter variants people type interchangeably, and Arabic-Indic digits.
_ARABIC = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي", "ی": "ي",
    "ک": "ك", "ـ": "",
}
_ARABIC_DIGITS = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
_ARABIC_DIGITS.update({ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")})

# Latin folds that make transliteration variants and common typing habits meet:
# "kh"/"h", "zh"/"z", "sch"/"sh", "ts"/"c", "y"/"j"/"i", "w"/"v"; applied after lowercasing.
_LATIN_FOLDS = [("shch", "sh"), ("sch", "sh"), ("kh", "h"), ("zh", "z"), ("ts", "c"), ("tz", "c"),
                ("y", "i"), ("j", "i"), ("w", "v"), ("ph", "f"), ("q", "k"), ("ck", "k")]

_APOSTROPHES = re.compile(r"[’'`´ʼ‘]")
_NON_WORD = re.compile(r"[^\w]+")
_REPEATS = re.compile(r"(\D)\1+")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def translit_cyrillic(text: str, g_as: str = "g") -> str:
    """Cyrillic letters to the project's Latin scheme (``g_as="h"`` for the Ukrainian reading)."""
    if not _CYRILLIC.search(text):
        return text
    out = []
    for ch in text:
        if ch == "г" and g_as != "g":
            out.append(g_as)
        else:
            out.append(_CYR_TO_LAT.get(ch, ch))
    return "".join(out)


def _fold_latin(text: str) -> str:
    for src, dst in _LATIN_FOLDS:
        text = text.replace(src, dst)
    return text


@lru_cache(maxsize=4096)
def skeleton(text: str, g_as: str = "g") -> str:
    """Matching form: lowercase, no diacritics, Cyrillic in Latin, Arabic variants merged,
    apostrophes dropped ("can't" -> "cant"), repeated letters collapsed ("heeelp" -> "help"),
    punctuation turned into single spaces. Digits are kept (ages, Arabizi such as "sa3dni")."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.translate(_ARABIC_DIGITS)
    text = "".join(_ARABIC.get(ch, ch) for ch in text)
    text = translit_cyrillic(text, g_as)
    text = "".join(_LATIN_EXTRA.get(ch, ch) for ch in text)
    text = _strip_marks(text)  # also removes Arabic harakat (they are combining marks)
    text = _APOSTROPHES.sub("", text)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    text = _fold_latin(text)
    text = _REPEATS.sub(r"\1", text)
    return " ".join(text.split())


def has_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(text))


def cyrillic_variants(text: str) -> list[str]:
    """Skeletons of a pattern written in Cyrillic, with "г" read as g (ru/bg) and h (uk)."""
    base = skeleton(text)
    if "г" in text.casefold():
        alt = skeleton(text, g_as="h")
        if alt != base:
            return [base, alt]
    return [base]


def clauses(text: str) -> list[str]:
    """Split a raw message into clauses so a 'film'/'essay' context only covers its own clause."""
    parts = re.split(r"[.!?;\n،؛]+|\b(?:but|however|and then|insa|но|але|ама|pero|mais|aber|però|lecz|por|لكن)\b",
                     text, flags=re.IGNORECASE)
    return [p for p in (s.strip() for s in parts) if p]
