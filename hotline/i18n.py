"""The product's words: locale files, the renderer and the whole-message keywords.

Why one module: every channel (web, SMS, voice) and the staff console must say the same thing
in the same way, chosen by the same rules (docs/CONTRACTS.md "Locale files"). Wording lives in
``locales/<code>.yml`` only; code names message keys, never sentences. A thirteenth language is a
new file, no code change.

Rendering order (CONTRACTS.md): web adult ``text``; web child ``child``->``text``; SMS adult
``sms``->``text``; SMS child ``child`` (only if it fits 3 segments) ->``sms``->``text``; voice
``voice``->(``child`` for children)->``text``. A key missing in the language falls back to
English; an empty reply is never returned.
"""
from __future__ import annotations

import logging
import os
import re
import string
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from hotline import jurisdiction
from hotline.sms_segments import fits

log = logging.getLogger(__name__)

ENV_VAR = "HOTLINE_LOCALES_DIR"
SOURCE_LANG = "en"
SMS_MAX_SEGMENTS = 3
AUDIENCES = ("adult", "child")
CHANNELS = ("web", "sms", "voice")
VARIANTS = ("text", "child", "sms", "voice")
KEYWORD_KINDS = ("stop", "start", "help", "exit", "person", "yes", "no", "skip", "language")
# The order languages are listed in menus and win ties in keyword look-ups (CONTRACTS.md).
CONTRACT_ORDER = ("en", "ro", "uk", "ru", "bg", "sq", "es", "fr", "de", "it", "pl", "ar")

PLACEHOLDERS = frozenset({
    "emergency_number", "hotline_number", "child_helpline", "reflection_days", "worker_name",
    "wait_minutes", "exit_word", "stop_word", "language_name", "languages_menu", "digit",
})
# Staff-facing whisper only: never in text a caller or texter sees.
KEY_ONLY_PLACEHOLDERS = {"voice.whisper": frozenset({"tier", "child_text", "reasons"})}
PHONE_PLACEHOLDERS = ("emergency_number", "hotline_number", "child_helpline")
# Values used when a caller forgot a parameter: a clumsy sentence beats a crash or a raw "{...}"
# in front of someone in danger. Each use is logged (key and placeholder name only).
MISSING_DEFAULTS = {"worker_name": "", "wait_minutes": "15", "digit": "0", "tier": "", "child_text": "",
                    "reasons": ""}


class UnknownMessageKey(KeyError):
    """The key is in no locale, not even English: a programming error, caught in tests."""


@dataclass(frozen=True)
class Locale:
    """One parsed ``locales/<code>.yml``."""

    code: str
    path: Path
    meta: dict[str, Any]
    voice: dict[str, Any]
    keywords: dict[str, list[str]]
    banned: list[dict[str, Any]]
    messages: dict[str, dict[str, str]]


@dataclass(frozen=True)
class Rendered:
    """A rendered reply and how it was chosen (for tests, the check and audit of fallbacks)."""

    text: str
    key: str
    lang: str  # the language the text is in (English when the key fell back)
    variant: str
    fell_back: bool = False


@dataclass
class _Catalog:
    directory: Path
    locales: dict[str, Locale] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------ locating and loading
class _LocaleLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: 10x faster
    """YAML 1.1 reads ``yes``, ``no``, ``on`` and ``off`` as booleans; in a locale file they are
    words (the ``yes:``/``no:`` keyword kinds, "no" in a keyword list). Only true/false stay
    booleans."""


_LocaleLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LocaleLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_yaml(text: str) -> Any:
    """Parse locale YAML with :class:`_LocaleLoader`."""
    return yaml.load(text, Loader=_LocaleLoader)  # noqa: S506 - a SafeLoader subclass


_BESIDE_PACKAGE = Path(__file__).resolve().parent.parent / "locales"


def _locales_dir_name() -> str:
    """The directory as a string, cheaply (called on every render)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    if _BESIDE_PACKAGE.is_dir():
        return str(_BESIDE_PACKAGE)
    return str(Path.cwd() / "locales")


def locales_dir() -> Path:
    """``$HOTLINE_LOCALES_DIR``, else ``<repo>/locales`` next to the package (editable install),
    else ``./locales``."""
    return Path(_locales_dir_name())


def parse_locale_file(path: Path) -> Locale:
    """Read one locale file; raises ``ValueError`` with the reason when it cannot be used at all."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: the file must be a mapping")
    messages_raw = data.get("messages")
    if not isinstance(messages_raw, dict):
        raise ValueError(f"{path.name}: 'messages' missing or not a mapping")
    messages: dict[str, dict[str, str]] = {}
    for key, entry in messages_raw.items():
        if isinstance(entry, str):  # tolerate the short form key: "text"
            entry = {"text": entry}
        if not isinstance(entry, dict):
            raise ValueError(f"{path.name}: message '{key}' must be a mapping of variants")
        messages[str(key)] = {str(v): str(t) for v, t in entry.items() if t is not None}
    keywords_raw = data.get("keywords") or {}
    keywords = {
        str(kind): [str(w) for w in (words or [])]
        for kind, words in (keywords_raw.items() if isinstance(keywords_raw, dict) else [])
    }
    return Locale(
        code=path.stem,
        path=path,
        meta=data.get("meta") if isinstance(data.get("meta"), dict) else {},
        voice=data.get("voice") if isinstance(data.get("voice"), dict) else {},
        keywords=keywords,
        banned=[b for b in (data.get("banned") or []) if isinstance(b, dict)],
        messages=messages,
    )


@lru_cache(maxsize=4)
def _catalog(directory: str) -> _Catalog:
    cat = _Catalog(directory=Path(directory))
    for path in sorted(Path(directory).glob("*.yml")):
        try:
            cat.locales[path.stem] = parse_locale_file(path)
        except (OSError, ValueError) as exc:
            # A broken translation must not take English down; the check reports it.
            cat.errors[path.stem] = str(exc)
            log.error("locale file unusable: %s", path.name)
    if SOURCE_LANG not in cat.locales:
        raise RuntimeError(f"no usable {SOURCE_LANG}.yml in {directory}: {cat.errors.get(SOURCE_LANG, 'missing')}")
    return cat


def catalog() -> _Catalog:
    """All loaded locales, read once per directory."""
    return _catalog(_locales_dir_name())


def reload() -> None:
    """Forget loaded locales and the jurisdiction profile (tests; operators after an edit)."""
    _catalog.cache_clear()
    _keyword_index.cache_clear()
    _languages_menu.cache_clear()
    _static_params.cache_clear()
    jurisdiction.reload()


def _ordered(codes: Iterable[str]) -> list[str]:
    codes = set(codes)
    first = [c for c in CONTRACT_ORDER if c in codes]
    return first + sorted(codes - set(first))


def supported_languages() -> list[str]:
    """Codes of the usable ``locales/*.yml`` files, English first then the contract order."""
    return _ordered(catalog().locales)


def get_locale(lang: str | None) -> Locale:
    """The locale for ``lang`` (``"ro-RO"`` and ``"RO"`` work), English when unknown."""
    locales = catalog().locales
    return locales.get(_base_code(lang)) or locales[SOURCE_LANG]


def _base_code(lang: str | None) -> str:
    return (lang or SOURCE_LANG).replace("_", "-").split("-")[0].strip().lower()


def language_meta(lang: str | None) -> dict[str, Any]:
    """The ``meta`` block (code, name, native_name, direction, review) with safe defaults."""
    loc = get_locale(lang)
    meta = dict(loc.meta)
    meta.setdefault("code", loc.code)
    meta.setdefault("name", loc.code)
    meta.setdefault("native_name", meta["name"])
    meta.setdefault("direction", "ltr")
    return meta


def voice_settings(lang: str | None) -> dict[str, Any]:
    """Twilio ``<Say>``/``<Gather>`` settings, English's where the language has none."""
    merged = dict(catalog().locales[SOURCE_LANG].voice)
    merged.update(get_locale(lang).voice)
    return merged


def direction(lang: str | None) -> str:
    """``"rtl"`` or ``"ltr"``, for the web page and the console."""
    return "rtl" if language_meta(lang).get("direction") == "rtl" else "ltr"


# ------------------------------------------------------------------ keywords
_DROP_CATEGORIES = ("P", "S", "C")


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Fold a message for keyword matching: width and case folded, diacritics, punctuation,
    symbols and emoji removed, whitespace collapsed. "Stop!", "ＳＴＯＰ" and "stop 🛑" all give
    "stop"; "oprește" and "opreste" both give "opreste"."""
    text = unicodedata.normalize("NFKC", text).casefold()
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        cat = unicodedata.category(ch)
        if cat == "Mn":
            continue
        if ch.isspace():
            out.append(" ")
        elif cat[0] in _DROP_CATEGORIES:
            continue
        else:
            out.append(ch)
    return " ".join("".join(out).split())


@lru_cache(maxsize=4)
def _keyword_index(directory: str) -> dict[str, dict[str, list[str]]]:
    """kind -> normalised word -> languages that list it (contract order)."""
    cat = _catalog(directory)
    index: dict[str, dict[str, list[str]]] = {kind: {} for kind in KEYWORD_KINDS}
    for code in _ordered(cat.locales):
        for kind, words in cat.locales[code].keywords.items():
            bucket = index.setdefault(kind, {})
            for word in words:
                norm = normalise(word)
                if norm and code not in bucket.setdefault(norm, []):
                    bucket[norm].append(code)
    return index


def keywords(kind: str) -> dict[str, str]:
    """``{normalised word: language}`` for one keyword kind; a word several languages share maps
    to the first in contract order (English first)."""
    return {word: langs[0] for word, langs in _keyword_index(_locales_dir_name()).get(kind, {}).items()}


def match_keyword(text: str, lang: str | None = None) -> tuple[str, str] | None:
    """``(kind, language)`` when the whole message is a keyword, else None.

    ``lang`` (the conversation's language) wins when the word is in that language's list too, so
    a Romanian texter's "STOP" stays Romanian.
    """
    norm = normalise(text or "")
    if not norm:
        return None
    index = _keyword_index(_locales_dir_name())
    preferred = _base_code(lang) if lang else None
    for kind in KEYWORD_KINDS + tuple(k for k in index if k not in KEYWORD_KINDS):
        langs = index.get(kind, {}).get(norm)
        if langs:
            return kind, (preferred if preferred in langs else langs[0])
    return None


def first_keyword(kind: str, lang: str | None) -> str:
    """The word to show people for ``kind`` in ``lang`` (its first entry), English's otherwise."""
    for code in (_base_code(lang), SOURCE_LANG):
        words = catalog().locales.get(code, catalog().locales[SOURCE_LANG]).keywords.get(kind) or []
        if words:
            return words[0]
    return kind.upper()


# ------------------------------------------------------------------ rendering
def select_variant(entry: Mapping[str, str], audience: str, channel: str,
                   params: Mapping[str, str] | None = None) -> str:
    """Name of the variant the contract's order picks for this audience and channel.

    ``params`` (the full substitution values) decide whether a child variant fits 3 SMS segments.
    """
    def has(v: str) -> bool:
        return bool(entry.get(v, "").strip())

    child = audience == "child"
    if channel == "voice":
        order = ["voice", "child", "text"] if child else ["voice", "text"]
    elif channel == "sms":
        order = ["sms", "text"]
        if child and has("child"):
            if fits(_fill(entry["child"], params or {}, key=None), SMS_MAX_SEGMENTS):
                order = ["child", "sms", "text"]
    else:
        order = ["child", "text"] if child else ["text"]
    for variant in order:
        if has(variant):
            return variant
    return "text"


class _Values(dict):
    """Format values that log and fill a default for a forgotten placeholder."""

    def __init__(self, values: Mapping[str, Any], key: str | None) -> None:
        super().__init__(values)
        self.key = key

    def __missing__(self, name: str) -> str:
        if self.key is not None:
            log.warning("render %s: no value for placeholder {%s}", self.key, name)
        return MISSING_DEFAULTS.get(name, "")


def _fill(template: str, values: Mapping[str, Any], key: str | None) -> str:
    try:
        return string.Formatter().vformat(template, (), _Values(values, key))
    except (ValueError, IndexError, AttributeError):  # a translator's stray brace
        log.error("render %s: malformed template", key)
        return re.sub(r"\{[^{}]*\}", lambda m: str(values.get(m.group(0)[1:-1], "")), template)


def speakable_number(value: str) -> str:
    """"112" -> "1 1 2": text-to-speech reads a phone number digit by digit, not as "one hundred
    and twelve"."""
    digits = [ch for ch in str(value) if ch.isdigit() or ch == "+"]
    return " ".join(digits) if digits else str(value)


def languages_menu(channel: str = "web") -> str:
    """The native names of the supported languages, as one line (voice: sentences)."""
    return _languages_menu(_locales_dir_name(), channel)


@lru_cache(maxsize=16)
def _languages_menu(directory: str, channel: str) -> str:
    names = [str(language_meta(code).get("native_name")) for code in supported_languages()]
    return (". " if channel == "voice" else ", ").join(names)


@lru_cache(maxsize=256)
def _static_params(directory: str, profile: str, lang: str, channel: str) -> tuple[tuple[str, str], ...]:
    values = dict(jurisdiction.current().placeholders())
    values["exit_word"] = first_keyword("exit", lang)
    values["stop_word"] = first_keyword("stop", lang)
    values["language_name"] = str(language_meta(lang).get("native_name"))
    values["languages_menu"] = languages_menu(channel)
    # A worker who has no display name is introduced by role ("Hotline worker"), in the language.
    label = get_locale(lang).messages.get("web.worker_label") or catalog().locales[SOURCE_LANG].messages.get(
        "web.worker_label") or {}
    if label.get("text"):
        values["worker_name"] = label["text"]
    return tuple(values.items())


def default_params(key: str, lang: str, channel: str = "web") -> dict[str, str]:
    """Values filled automatically: the jurisdiction's numbers, the exit and stop words, the
    language name and menu, the role name as ``worker_name`` when none is given, and the
    language's menu digit for ``voice.language_prompt``."""
    values = dict(_static_params(_locales_dir_name(), os.environ.get(jurisdiction.ENV_VAR, ""), lang, channel))
    if key == "voice.language_prompt":
        values["digit"] = str(voice_settings(lang).get("dtmf_digit", ""))
    return values


def render_message(key: str, lang: str | None, audience: str = "adult", channel: str = "web",
                   *, strict: bool = False, **params: Any) -> Rendered:
    """Render ``key`` and say which language and variant were used (see :func:`render`)."""
    if audience not in AUDIENCES:
        audience = "adult"
    if channel not in CHANNELS:
        channel = "web"
    cat = catalog()
    code = _base_code(lang)
    loc = cat.locales.get(code) or cat.locales[SOURCE_LANG]
    entry = loc.messages.get(key)
    fell_back = False
    if not entry or not entry.get("text", "").strip():
        entry = cat.locales[SOURCE_LANG].messages.get(key)
        fell_back = loc.code != SOURCE_LANG
        if entry is None:
            if strict:
                raise UnknownMessageKey(key)
            log.error("render: unknown message key %s; sending the fallback reply", key)
            return render_message("fallback", lang, audience, channel, strict=True)
        if fell_back:
            log.warning("render %s: missing in %s, English used", key, loc.code)
        loc = cat.locales[SOURCE_LANG]
    # Words and names follow the person's language even when the sentence fell back to English.
    values: dict[str, Any] = default_params(key, code if code in cat.locales else loc.code, channel)
    values.update({k: v for k, v in params.items() if v is not None})
    if channel == "voice":
        for name in PHONE_PLACEHOLDERS:
            values[name] = speakable_number(values[name])
    variant = select_variant(entry, audience, channel, values)
    text = _fill(entry[variant], values, key).strip()
    if not text:  # never send an empty reply
        text = _fill(cat.locales[SOURCE_LANG].messages["fallback"]["text"], values, key)
    return Rendered(text=text, key=key, lang=loc.code, variant=variant, fell_back=fell_back)


def render(key: str, lang: str | None, audience: str = "adult", channel: str = "web", **params: Any) -> str:
    """The text to send for message ``key`` in ``lang``.

    Jurisdiction numbers, ``exit_word``, ``stop_word``, ``language_name`` and ``languages_menu``
    are filled automatically; pass ``worker_name``, ``wait_minutes`` and ``digit`` where the key
    uses them. Unknown keys send the ``fallback`` reply (logged); use ``render_message(...,
    strict=True)`` in tests.
    """
    return render_message(key, lang, audience, channel, **params).text


def placeholders_in(template: str) -> set[str]:
    """Placeholder names a template uses (``{name}``), ignoring escaped braces."""
    names = set()
    try:
        for _, name, _, _ in string.Formatter().parse(template):
            if name is not None and name != "":
                names.add(name.split(".")[0].split("[")[0])
    except ValueError:
        names.add("<malformed braces>")
    return names
