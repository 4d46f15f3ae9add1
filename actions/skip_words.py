"""Recognising "skip"-like answers in the report form, in every language the hotline has.

The NLU intent `skip` catches most of them; this list is the deterministic backstop for short
answers the classifier may not be sure of ("pass", "dunno", "-"). Words come from two places:
the English phrases below, and the `keywords.skip` list of every `locales/<code>.yml` (written by
the locale authors for the hotline's own keyword matching), so a new language brings its own.
"""
from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import FrozenSet, Iterable

import yaml

_REPO = Path(__file__).resolve().parent.parent

ENGLISH_SKIP = (
    "skip", "skip it", "skip this", "skip that", "skip question", "skip this question", "pass",
    "next", "next question", "no comment", "rather not say", "id rather not say",
    "i would rather not say", "i dont want to say", "dont want to say", "prefer not to say",
    "i dont know", "dont know", "dunno", "idk", "not sure", "no idea", "none", "nothing",
    "no", "nope", "n/a", "na", "-", "?", "x",
)


def normalise(text: str) -> str:
    """Lower case, no diacritics or apostrophes, single spaces, no trailing punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("'", "").replace("\u2019", "")
    stripped = re.sub(r"\s+", " ", stripped).strip()
    if len(stripped) > 1:
        stripped = stripped.strip(" .!,;:")
    return stripped


def _locale_skip_words(locales_dir: Path) -> Iterable[str]:
    if not locales_dir.is_dir():
        return []
    words = []
    for path in sorted(locales_dir.glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue  # a broken locale must not stop the report form; the i18n checks catch it
        keywords = data.get("keywords") if isinstance(data, dict) else None
        skip = keywords.get("skip") if isinstance(keywords, dict) else None
        if isinstance(skip, list):
            words.extend(str(word) for word in skip)
    return words


@lru_cache(maxsize=4)
def skip_words(locales_dir: str | None = None) -> FrozenSet[str]:
    """Normalised skip phrases: English built-ins plus every locale's `keywords.skip`."""
    directory = Path(locales_dir or os.environ.get("HOTLINE_LOCALES_DIR") or _REPO / "locales")
    return frozenset(normalise(w) for w in (*ENGLISH_SKIP, *_locale_skip_words(directory)) if w)


def is_skip(text: str, locales_dir: str | None = None) -> bool:
    """Whether the whole answer means "I won't answer this one"."""
    return normalise(text) in skip_words(locales_dir)
