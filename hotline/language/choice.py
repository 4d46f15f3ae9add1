"""Recognise a person choosing a language explicitly.

An explicit choice always beats detection (anchors-notes.md section 7.3 and the comparison table:
"explicit choice first, persisted per session"; S001 L4921-4925 and L11003: information in the
person's own language, interpreters offered whenever it is not their first language). Channels
use this for the web menu's free-text fallback, SMS keywords and numbers, and speech results on
calls; the DTMF keypad maps through :func:`menu_order` too.

Deliberately strict: a message is a choice only when it is nothing but a language name (or an
ISO code, or a menu digit while the menu is open) wrapped in filler words such as "please" or
"in". "I was in Romania", "no english" or "my friend speaks russian" are not choices.
"""
from __future__ import annotations

import functools
import re
import unicodedata

import yaml

from hotline.language.languages import DATA_DIR, _locale_codes, load_yaml, locales_dir, supported_languages
from hotline.language.text import fold

_TOKEN_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*", re.UNICODE)


def menu_order() -> list[str]:
    """Languages in menu order: digit ``n`` (1-based) on the web, SMS or keypad picks entry n-1.

    The contract's twelve first (en ro uk ru bg sq es fr de it pl ar => 1..12), then any language
    added by a locale file.
    """
    return list(supported_languages())


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(fold(unicodedata.normalize("NFC", text)))


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[tuple[str, ...], str], frozenset[str], int]:
    """(name phrase as folded tokens -> code, filler words, longest phrase length)."""
    raw = load_yaml(DATA_DIR / "language_names.yml")
    supported = set(supported_languages())
    phrases: dict[tuple[str, ...], str] = {}

    def add(name: str, code: str) -> None:
        key = tuple(_tokens(str(name)))
        if key and code in supported:
            phrases.setdefault(key, code)

    for code, names in (raw.get("names") or {}).items():
        for name in names or []:
            add(name, code)
    for code in _locale_codes():
        try:
            meta = load_yaml(locales_dir() / f"{code}.yml").get("meta") or {}
        except (OSError, yaml.YAMLError):
            continue
        for key in ("name", "native_name"):
            if meta.get(key):
                add(str(meta[key]), code)
    fillers = frozenset(t for word in raw.get("fillers") or [] for t in _tokens(str(word)))
    longest = max((len(k) for k in phrases), default=1)
    return phrases, fillers, longest


def name_table() -> dict[tuple[str, ...], str]:
    """The folded name phrases and their language codes (for tests and docs)."""
    return dict(_tables()[0])


def _menu_digit(text: str) -> int | None:
    """The number in a message that is only a number ("3", " 3.", "#3", "٣"), else None."""
    stripped = text.strip().strip("#*.)!").strip()
    if stripped and stripped.isdecimal() and len(stripped) <= 3:
        return int(stripped)
    return None


def parse_language_choice(text: str, *, menu_open: bool = False) -> str | None:
    """The language code the person explicitly asks for, or None if this is not a choice.

    ``menu_open``: the channel has just shown the numbered language menu, so a bare number picks
    from :func:`menu_order`. Otherwise digits mean something else (an answer, a keypad reply)
    and are ignored here.
    """
    if not text or not text.strip():
        return None
    order = menu_order()
    if menu_open:
        digit = _menu_digit(text)
        if digit is not None:
            return order[digit - 1] if 1 <= digit <= len(order) else None

    tokens = _tokens(text)
    if not tokens:
        return None
    # An ISO code on its own ("ro", "RU").
    if len(tokens) == 1 and tokens[0] in order:
        return tokens[0]

    phrases, fillers, longest = _tables()
    found: set[str] = set()
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 0, -1):
            code = phrases.get(tuple(tokens[i:i + size]))
            if code is not None:
                found.add(code)
                i += size
                break
        else:
            if tokens[i] not in fillers:
                return None  # a word that is neither a language name nor filler: not a choice
            i += 1
    return found.pop() if len(found) == 1 else None


def reset_caches() -> None:
    _tables.cache_clear()
