"""Which languages the service supports, and the data the detector knows about each.

Everything here is data, so a thirteenth language is a data change (docs/CONTRACTS.md): add
``locales/<code>.yml`` (which makes it supported), ``hotline/language/data/words/<code>.txt`` and a
``profiles.yml`` entry. lingua and langdetect are asked for the language by its ISO 639-1 code;
a language either library lacks simply gets no vote from it.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from hotline.language.text import fold

# The canonical order: the language menu's digits 1..12 follow it (hotline.language.choice).
DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "ro", "uk", "ru", "bg", "sq", "es", "fr", "de", "it", "pl", "ar")

DATA_DIR = Path(__file__).resolve().parent / "data"


def locales_dir() -> Path:
    """Where ``locales/<code>.yml`` live (``HOTLINE_LOCALES_DIR`` overrides, for tests)."""
    override = os.environ.get("HOTLINE_LOCALES_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "locales"


def _locale_codes() -> list[str]:
    directory = locales_dir()
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.yml") if p.stem.isalpha() and 2 <= len(p.stem) <= 3)


@functools.lru_cache(maxsize=1)
def supported_languages() -> tuple[str, ...]:
    """The supported language codes, in menu order.

    The twelve of the contract first, then any further ``locales/<code>.yml`` in file-name order.
    A locale file adds a language; a *missing* locale file does not remove one of the twelve,
    because locales are written one by one and a helpline must not stop recognising Arabic
    because ``ar.yml`` is still in review (the reply then falls back to English, per the
    contract's rendering rule). Cached: call :func:`reset_caches` after changing locales.
    """
    extra = [code for code in _locale_codes() if code not in DEFAULT_LANGUAGES]
    return DEFAULT_LANGUAGES + tuple(extra)


@dataclass(frozen=True)
class Profile:
    """What the detector knows about one language (from ``data/profiles.yml``)."""

    code: str
    script: str
    markers: str


@functools.lru_cache(maxsize=1)
def profiles() -> dict[str, Profile]:
    """Profiles of the supported languages; a language without an entry is assumed Latin-script."""
    raw = load_yaml(DATA_DIR / "profiles.yml")
    result: dict[str, Profile] = {}
    for code in supported_languages():
        entry = raw.get(code) or {}
        result[code] = Profile(code=code, script=str(entry.get("script", "LATIN")).upper(),
                               markers=str(entry.get("markers", "")))
    return result


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster on big locales


def load_yaml(path: Path) -> dict:
    """Parse a YAML mapping with libyaml when available; {} for an empty file."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - safe loader
    return data if isinstance(data, dict) else {}


def _read_list(path: Path) -> list[str]:
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@functools.lru_cache(maxsize=1)
def word_index() -> dict[str, frozenset[str]]:
    """Folded word -> the supported languages whose frequent-word list holds it."""
    index: dict[str, set[str]] = {}
    for code in supported_languages():
        for word in _read_list(DATA_DIR / "words" / f"{code}.txt"):
            index.setdefault(fold(word), set()).add(code)
    return {word: frozenset(langs) for word, langs in index.items()}


@functools.lru_cache(maxsize=1)
def marker_index() -> dict[str, frozenset[str]]:
    """Marker letter (lower case, with its diacritic) -> languages it points to."""
    index: dict[str, set[str]] = {}
    for profile in profiles().values():
        for letter in profile.markers:
            index.setdefault(letter, set()).add(profile.code)
    return {letter: frozenset(langs) for letter, langs in index.items()}


@functools.lru_cache(maxsize=1)
def country_priors() -> dict[str, tuple[str, ...]]:
    """Calling code -> likely supported languages, most likely first (``data/country_codes.yml``)."""
    raw = load_yaml(DATA_DIR / "country_codes.yml")
    supported = set(supported_languages())
    return {str(code): tuple(l for l in langs if l in supported) for code, langs in raw.items()}


def _locale_keywords() -> dict[str, set[str]]:
    """Folded SMS control keyword -> locales that list it (kinds stop, start, help, exit)."""
    found: dict[str, set[str]] = {}
    for code in _locale_codes():
        try:
            data = load_yaml(locales_dir() / f"{code}.yml")
        except (OSError, yaml.YAMLError):
            continue  # a locale being edited must not take language detection down
        keywords = data.get("keywords") or {}
        for kind in ("stop", "start", "help", "exit"):
            for word in keywords.get(kind) or []:
                found.setdefault(fold(str(word)), set()).add("exit" if kind == "exit" else code)
    return found


@functools.lru_cache(maxsize=1)
def neutral_tokens() -> frozenset[str]:
    """Folded messages/tokens that carry no language.

    ``data/neutral.txt``, plus the SMS control keywords that are used across languages: every
    safe-exit word (chosen to be neutral, docs/WORDING.md), the English carrier keywords (STOP,
    HELP... which people type whatever their language) and any keyword two locales share. A
    keyword only one non-English locale lists ("AJUTOR") stays evidence for that language; it
    still cannot flip a conversation on its own, being one word.
    """
    tokens = {fold(t) for t in _read_list(DATA_DIR / "neutral.txt")}
    for word, owners in _locale_keywords().items():
        if "exit" in owners or "en" in owners or len(owners) >= 2:
            tokens.add(word)
    return frozenset(tokens)


@functools.lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Folded given names (``data/names.txt``): a message of names alone carries no language."""
    return frozenset(fold(n) for n in _read_list(DATA_DIR / "names.txt"))


def reset_caches() -> None:
    """Forget cached data (after a locale or data file changed, and between tests)."""
    for cached in (supported_languages, profiles, word_index, marker_index, country_priors,
                   neutral_tokens, given_names):
        cached.cache_clear()
    from hotline.language import choice  # local import: choice imports this module

    choice.reset_caches()
    # The lingua detector is cached per language set, so it needs no reset here (and rebuilding
    # it costs seconds).
