"""``hotline locales``: the locale check that guards every translation, and a viewer.

Why a check and not just review: twelve languages are translated in parallel, and one dropped
placeholder, a reply that costs nine SMS segments on a watched phone, or a blaming phrase can
hurt someone. ``hotline locales check`` fails (exit 1) on each of these so CI stops the change;
tests/test_locales_check.py runs it over every ``locales/*.yml``. What it checks and why:
docs/WORDING.md.
"""
from __future__ import annotations

import re
import statistics
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

import click

from hotline import i18n, jurisdiction
from hotline.sms_segments import segment_info

RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ku"})
REVIEW_STATUSES = ("drafted", "reviewed")

# Banned in every language, whatever the locale's own list says (docs/WORDING.md).
SHARED_BANNED: tuple[dict[str, Any], ...] = (
    {"phrase": "ptsd", "why": "a diagnosis; only a clinician can say that (S000 L158)"},
    {"phrase": "!!", "why": "alarmist punctuation; calm tone (S000 L473-474)", "raw": True},
    {"phrase": "?!", "why": "alarmist or incredulous punctuation (S002 L93)", "raw": True},
)
# Sample values for the parameters callers pass, long enough to be a fair test of SMS length.
SAMPLE_PARAMS = {"worker_name": "Alexandra-Maria", "wait_minutes": "15", "digit": "9",
                 "tier": "P1", "child_text": "child, ", "reasons": "threats, documents taken"}
_URL = re.compile(r"https?://|www\.", re.I)
_LIST_LINE = re.compile(r"(^|\n)\s*([-*•·]|\d+[.)])\s")
_UNSPEAKABLE = re.compile(r"[*#@<>|_~/\\{}\[\]•]")
_CAPS_WORD = re.compile(r"\b[^\W\d_]{4,}\b")
_EMOJI_CATEGORIES = ("So", "Cs", "Co")
_LANG_TAG = re.compile(r"^[a-z]{2,3}(-[A-Z]{2}|-[A-Za-z]{4})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# textstat has its own Flesch constants for these; elsewhere its score would be meaningless.
READABILITY_LANGS = ("en", "de", "es", "fr", "it", "nl", "pl", "ru", "hu")


@dataclass
class CheckReport:
    """What ``check`` found: problems fail the run, warnings inform, rows feed the table."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    readability: list[dict[str, Any]] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)

    def problem(self, lang: str, where: str, what: str) -> None:
        self.problems.append(f"{lang}: {where}: {what}")

    @property
    def ok(self) -> bool:
        return not self.problems


def _channels_for(key: str) -> tuple[str, ...]:
    """Which channels can send this key: web.* only on the web, sms.* only by SMS, voice.* only
    on calls; the rest anywhere."""
    if key.startswith("web."):
        return ("web",)
    if key.startswith("sms."):
        return ("sms",)
    if key.startswith("voice."):
        return ("voice",)
    return i18n.CHANNELS


def _reference_variant(en_entry: dict[str, str], variant: str) -> str:
    """English's variant that a translation's variant is compared with (fallback: ``text``)."""
    return en_entry.get(variant) or en_entry["text"]


def _rendered(loc: i18n.Locale, key: str, audience: str, channel: str) -> tuple[str, str]:
    """(variant, text) this locale would send, with the jurisdiction and sample values."""
    values = i18n.default_params(key, loc.code, channel)
    values.update(SAMPLE_PARAMS)
    if key == "voice.language_prompt":
        values["digit"] = str(loc.voice.get("dtmf_digit", ""))
    if channel == "voice":
        for name in i18n.PHONE_PLACEHOLDERS:
            values[name] = i18n.speakable_number(values[name])
    entry = loc.messages[key]
    variant = i18n.select_variant(entry, audience, channel, values)
    return variant, i18n._fill(entry[variant], values, None)


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    """A banned phrase matches folded text at the start of a word (so stems work)."""
    norm_phrase = i18n.normalise(phrase)
    return re.compile(r"(?<!\w)" + re.escape(norm_phrase)) if norm_phrase else None


def _matches(phrase: str, text: str, raw: bool) -> bool:
    if raw:
        return phrase.casefold() in text.casefold()
    pattern = _phrase_pattern(phrase)
    return pattern is not None and pattern.search(i18n.normalise(text)) is not None


def _check_meta(report: CheckReport, loc: i18n.Locale) -> None:
    meta = loc.meta
    if not meta:
        report.problem(loc.code, "meta", "missing")
        return
    if meta.get("code") != loc.code:
        report.problem(loc.code, "meta.code", f"is {meta.get('code')!r}, the file name says {loc.code!r}")
    for name in ("name", "native_name"):
        if not str(meta.get(name) or "").strip():
            report.problem(loc.code, f"meta.{name}", "missing")
    want = "rtl" if loc.code in RTL_LANGUAGES else "ltr"
    if meta.get("direction") not in ("ltr", "rtl"):
        report.problem(loc.code, "meta.direction", "must be ltr or rtl")
    elif meta.get("direction") != want:
        report.problem(loc.code, "meta.direction", f"is {meta.get('direction')}, {loc.code} is written {want}")
    review = meta.get("review")
    if not isinstance(review, dict):
        report.problem(loc.code, "meta.review", "missing (status: drafted or reviewed)")
        return
    status = review.get("status")
    if status not in REVIEW_STATUSES:
        report.problem(loc.code, "meta.review.status", f"must be one of {', '.join(REVIEW_STATUSES)}")
    elif status == "reviewed":
        if not str(review.get("reviewer") or "").strip():
            report.problem(loc.code, "meta.review.reviewer", "a reviewed locale names its reviewer")
        if not _DATE.match(str(review.get("date") or "")):
            report.problem(loc.code, "meta.review.date", "a reviewed locale has a YYYY-MM-DD date")
    else:
        report.warnings.append(f"{loc.code}: review status is {status}: not yet reviewed for go-live")


def _check_voice(report: CheckReport, loc: i18n.Locale, digits: dict[str, str]) -> None:
    voice = loc.voice
    if not voice:
        report.problem(loc.code, "voice", "missing")
        return
    for name in ("say_language", "gather_language"):
        if not _LANG_TAG.match(str(voice.get(name) or "")):
            report.problem(loc.code, f"voice.{name}", "must be a language tag like en-GB")
    if not re.match(r"^[A-Za-z]+(\.[A-Za-z0-9-]+)+$|^(man|woman|alice)$", str(voice.get("say_voice") or "")):
        report.problem(loc.code, "voice.say_voice", "must name a Twilio voice, e.g. Polly.Amy")
    digit = voice.get("dtmf_digit")
    # Digits follow the menu order (1..12 for the contract's languages), so 10-12 are two keys.
    if isinstance(digit, bool) or not isinstance(digit, int) or not 0 <= digit <= 99:
        report.problem(loc.code, "voice.dtmf_digit", "must be a whole number 0-99 (the keypad entry)")
    elif str(digit) in digits:
        report.problem(loc.code, "voice.dtmf_digit", f"{digit} is already {digits[str(digit)]}'s")
    else:
        digits[str(digit)] = loc.code


def _check_keywords(report: CheckReport, locales: dict[str, i18n.Locale], selected: list[str]) -> None:
    """Every kind present in each selected locale; no word in two kinds across all locales."""
    owner: dict[str, tuple[str, str]] = {}  # normalised word -> (kind, lang)
    for code in i18n._ordered(locales):
        loc = locales[code]
        if code not in selected:  # still claims its words, so collisions with it are found
            for kind, words in loc.keywords.items():
                for word in words:
                    if i18n.normalise(word):
                        owner.setdefault(i18n.normalise(word), (kind, code))
            continue
        for kind in i18n.KEYWORD_KINDS:
            words = loc.keywords.get(kind)
            if not words:
                report.problem(code, f"keywords.{kind}", "missing or empty")
                continue
            for word in words:
                norm = i18n.normalise(word)
                if not norm:
                    report.problem(code, f"keywords.{kind}", f"{word!r} is empty once normalised")
                    continue
                seen = owner.get(norm)
                if seen and seen[0] != kind:
                    report.problem(code, f"keywords.{kind}",
                                   f"{word!r} collides with {seen[0]} in {seen[1]}")
                else:
                    owner.setdefault(norm, (kind, code))
        for kind in loc.keywords:
            if kind not in i18n.KEYWORD_KINDS:
                report.problem(code, f"keywords.{kind}", "unknown keyword kind")


def _check_banned_list(report: CheckReport, loc: i18n.Locale, en_keys: set[str]) -> None:
    for i, item in enumerate(loc.banned):
        where = f"banned[{i}]"
        if not str(item.get("phrase") or "").strip():
            report.problem(loc.code, where, "needs a phrase")
        if not str(item.get("why") or "").strip():
            report.problem(loc.code, where, "needs a why (docs/WORDING.md)")
        for ch in item.get("channels") or []:
            if ch not in i18n.CHANNELS:
                report.problem(loc.code, where, f"unknown channel {ch!r}")
        for key in item.get("keys") or []:
            if key not in en_keys:
                report.problem(loc.code, where, f"unknown message key {key!r}")


def _banned_hits(entries: Iterable[dict[str, Any]], key: str, channel: str | None, text: str) -> list[str]:
    hits = []
    for item in entries:
        if item.get("keys") and key not in item["keys"]:
            continue
        channels = item.get("channels")
        if channels and channel not in channels:
            continue
        if not channels and channel is not None:
            continue  # channel-free phrases are checked once per variant, below
        if _matches(str(item.get("phrase", "")), text, bool(item.get("raw"))):
            hits.append(str(item["phrase"]))
    return hits


def _check_text_style(report: CheckReport, loc: i18n.Locale, key: str, variant: str, text: str,
                      keyword_words: set[str], numbers: set[str]) -> None:
    for ch in text:
        if unicodedata.category(ch) in _EMOJI_CATEGORIES:
            report.problem(loc.code, f"{key}.{variant}", f"emoji or symbol {ch!r}: calm plain text only")
            break
    for word in _CAPS_WORD.findall(text):
        if word.isupper() and i18n.normalise(word) not in keyword_words:
            report.problem(loc.code, f"{key}.{variant}", f"all-capitals word {word!r} reads as shouting")
    for number in numbers:
        if re.search(r"(?<!\d)" + re.escape(number) + r"(?!\d)", text):
            report.problem(loc.code, f"{key}.{variant}",
                           f"hard-coded number {number!r}: use the jurisdiction placeholder")


def _readability(report: CheckReport, loc: i18n.Locale) -> None:
    children = {k: v["child"] for k, v in loc.messages.items() if v.get("child", "").strip()}
    row: dict[str, Any] = {"lang": loc.code, "child_variants": len(children), "mean": None,
                           "min": None, "min_key": None, "metric": "n/a"}
    if loc.code in READABILITY_LANGS and children:
        scorer = _flesch(loc.code)
        if scorer is not None:
            values = i18n.default_params("", loc.code, "web")
            values.update(SAMPLE_PARAMS)
            scores = {k: scorer(i18n._fill(t, values, None)) for k, t in children.items()}
            low = min(scores, key=scores.get)
            row.update(mean=round(statistics.fmean(scores.values()), 1), min=round(scores[low], 1),
                       min_key=low, metric="Flesch reading ease (textstat)")
    report.readability.append(row)


def _flesch(lang: str):  # -> Callable[[str], float] | None
    """textstat's Flesch reading ease for ``lang``, counting syllables with Pyphen's bundled
    dictionaries. textstat would fetch the CMU dictionary over the network for English; nothing
    here may download at run time, so that look-up is switched off for this process."""
    try:
        import textstat
        from textstat.backend.counts import _count_syllables
    except ImportError:
        return None
    if hasattr(_count_syllables, "get_cmudict"):
        _count_syllables.get_cmudict = lambda _lang: None  # Pyphen only; no download
    else:  # a textstat layout we have not checked: do not risk a network call
        return None

    def score(text: str) -> float:
        textstat.set_lang(lang)
        return float(textstat.flesch_reading_ease(text))

    return score


def run_check(only: Iterable[str] | None = None) -> CheckReport:
    """Check every locale (or ``only`` these codes) against English and the rules."""
    i18n.reload()
    report = CheckReport()
    cat = i18n.catalog()
    for code, error in sorted(cat.errors.items()):
        report.problem(code, "file", error)
    locales = cat.locales
    en = locales[i18n.SOURCE_LANG]
    en_keys = set(en.messages)
    selected = [c for c in i18n._ordered(locales) if not only or c in set(only)]
    report.languages = selected
    prof = jurisdiction.current()
    if not prof.verified:
        report.warnings.append(f"jurisdiction profile {prof.code!r} ({prof.path}) is not verified "
                               "for a real deployment: set HOTLINE_JURISDICTION_FILE")
    numbers = {n for n in (prof.emergency_number, prof.hotline_number, prof.child_helpline) if len(n) >= 3}
    digits: dict[str, str] = {}
    _check_keywords(report, locales, selected)
    for code in selected:
        loc = locales[code]
        _check_meta(report, loc)
        _check_voice(report, loc, digits)
        _check_banned_list(report, loc, en_keys)
        keyword_words = {i18n.normalise(w) for ws in loc.keywords.values() for w in ws}
        keyword_words |= {i18n.normalise(w) for ws in en.keywords.values() for w in ws}
        banned = list(loc.banned) + list(SHARED_BANNED)
        for key in sorted(en_keys - set(loc.messages)):
            report.problem(code, key, "missing (English is shown instead)")
        for key in sorted(set(loc.messages) - en_keys):
            report.problem(code, key, "not a key in en.yml (typo?)")
        untranslated = sorted(
            k for k in en_keys & set(loc.messages)
            if code != i18n.SOURCE_LANG and len(en.messages[k]["text"]) > 12
            and loc.messages[k].get("text", "").strip() == en.messages[k]["text"].strip())
        if untranslated:
            shown = ", ".join(untranslated[:8]) + (" ..." if len(untranslated) > 8 else "")
            report.warnings.append(f"{code}: {len(untranslated)} message(s) identical to English: {shown}")
        for key in sorted(en_keys & set(loc.messages)):
            entry, en_entry = loc.messages[key], en.messages[key]
            allowed = i18n.PLACEHOLDERS | i18n.KEY_ONLY_PLACEHOLDERS.get(key, frozenset())
            if not entry.get("text", "").strip():
                report.problem(code, key, "empty text")
                continue
            for variant in en_entry:
                if variant not in entry:
                    report.problem(code, f"{key}.{variant}", "variant missing (English has it)")
            for variant, text in entry.items():
                where = f"{key}.{variant}"
                if variant not in i18n.VARIANTS:
                    report.problem(code, where, f"unknown variant (use {', '.join(i18n.VARIANTS)})")
                    continue
                used = i18n.placeholders_in(text)
                unknown = used - allowed
                if unknown:
                    report.problem(code, where, f"unknown placeholder(s) {sorted(unknown)}")
                if code != i18n.SOURCE_LANG:
                    want = i18n.placeholders_in(_reference_variant(en_entry, variant))
                    if used != want:
                        report.problem(code, where, f"placeholders {sorted(used)} differ from "
                                                    f"English {sorted(want)}")
                for hit in _banned_hits(banned, key, None, text):
                    report.problem(code, where, f"banned phrase {hit!r}")
                _check_text_style(report, loc, key, variant, text, keyword_words, numbers)
            for channel in _channels_for(key):
                for audience in i18n.AUDIENCES:
                    variant, text = _rendered(loc, key, audience, channel)
                    where = f"{key}.{variant} ({channel}, {audience})"
                    for hit in _banned_hits(banned, key, channel, text):
                        report.problem(code, where, f"banned on {channel}: {hit!r}")
                    if channel == "sms":
                        info = segment_info(text)
                        if info.segments > i18n.SMS_MAX_SEGMENTS:
                            hint = ("shorten the sms variant" if variant == "sms" else
                                    "add a shorter sms variant (allowed where English has none)")
                            report.problem(code, where, f"{info.segments} SMS segments ({info.encoding}, "
                                                        f"{info.units} units): at most {i18n.SMS_MAX_SEGMENTS}; {hint}")
                    if channel == "voice" and key != "voice.whisper":
                        bad = _URL.search(text) or _LIST_LINE.search(text) or _UNSPEAKABLE.search(text)
                        if bad:
                            report.problem(code, where, f"not speakable on a call ({bad.group(0).strip()!r}): "
                                                        "add or fix the voice variant")
        _readability(report, loc)
    return report


# ------------------------------------------------------------------ click commands
@click.group("locales")
def locales_group() -> None:
    """Check and inspect the product's words (locales/*.yml)."""


@locales_group.command("check")
@click.option("--lang", "langs", multiple=True, help="Check only these language codes (repeatable).")
@click.option("--quiet", is_flag=True, help="Only problems, no readability table or warnings.")
def check_command(langs: tuple[str, ...], quiet: bool) -> None:
    """Fail (exit 1) on missing keys or variants, placeholder mismatches, SMS replies over three
    segments, banned phrases, invalid meta/voice/keywords or colliding keywords."""
    report = run_check(langs or None)
    if not quiet:
        for warning in report.warnings:
            click.echo(f"warning: {warning}")
        click.echo("")
        click.echo("Readability of child variants (higher is easier; each language has its own scale, "
                   "so compare keys within a language; English children: aim for 70+):")
        click.echo(f"{'lang':<6}{'child':>6}{'mean':>8}{'min':>8}  {'lowest key':<32}metric")
        for row in report.readability:
            mean = "n/a" if row["mean"] is None else f"{row['mean']:.1f}"
            low = "n/a" if row["min"] is None else f"{row['min']:.1f}"
            click.echo(f"{row['lang']:<6}{row['child_variants']:>6}{mean:>8}{low:>8}  "
                       f"{(row['min_key'] or '-'):<32}{row['metric']}")
        click.echo("")
    if report.problems:
        click.echo(f"{len(report.problems)} problem(s):", err=True)
        for problem in report.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    click.echo(f"OK: {len(report.languages)} locale(s) checked: {', '.join(report.languages)}")


@locales_group.command("show")
@click.argument("key")
@click.option("--lang", default="en", show_default=True, help="Language code.")
def show_command(key: str, lang: str) -> None:
    """Print every variant of KEY in LANG, raw and as each channel and audience would send it."""
    i18n.reload()
    loc = i18n.get_locale(lang)
    entry = loc.messages.get(key)
    if entry is None:
        click.echo(f"{key}: not in {loc.code}.yml", err=True)
        sys.exit(1)
    click.echo(f"{key} [{loc.code}, {i18n.direction(loc.code)}]")
    for variant, text in entry.items():
        click.echo(f"  {variant}: {text}")
    click.echo("rendered (sample values for caller-supplied placeholders):")
    for channel in _channels_for(key):
        for audience in i18n.AUDIENCES:
            variant, text = _rendered(loc, key, audience, channel)
            extra = ""
            if channel == "sms":
                info = segment_info(text)
                extra = f" [{info.segments} segment(s), {info.encoding}, {info.units} units]"
            click.echo(f"  {channel}/{audience} <- {variant}{extra}: {text}")


__all__ = ["locales_group", "run_check", "CheckReport", "SHARED_BANNED"]

if __name__ == "__main__":  # pragma: no cover
    locales_group()
