"""`hotline locales check`: it passes on the real locales and fails on each kind of breakage.

The first test is the CI guard: it runs over every locales/*.yml in the repository, so a
translation that drops a placeholder, a key or a variant, or sends a reply longer than three SMS
segments, fails the build.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from hotline import i18n, jurisdiction
from hotline.i18n_cli import locales_group, run_check

REPO = Path(__file__).resolve().parent.parent
EN_FILE = REPO / "locales" / "en.yml"


@pytest.fixture()
def real(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    monkeypatch.delenv(jurisdiction.ENV_VAR, raising=False)
    i18n.reload()
    yield
    i18n.reload()


def test_every_locale_in_the_repository_passes(real: None) -> None:
    report = run_check()
    assert set(report.languages) == {p.stem for p in (REPO / "locales").glob("*.yml")}
    assert report.problems == [], "\n".join(report.problems)


def test_cli_check_exit_code_and_table(real: None) -> None:
    result = CliRunner().invoke(locales_group, ["check", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Readability of child variants" in result.output
    assert re.search(r"^en\s+\d+\s+\d+\.\d", result.output, re.M)


def test_cli_show(real: None) -> None:
    result = CliRunner().invoke(locales_group, ["show", "handover.no_staff", "--lang", "en"])
    assert result.exit_code == 0
    for part in ("  text:", "  child:", "  sms:", "  voice:", "sms/adult <- sms [", "voice/adult <- voice:"):
        assert part in result.output
    assert "1 1 2" in result.output  # voice renders numbers digit by digit
    missing = CliRunner().invoke(locales_group, ["show", "no.such.key"])
    assert missing.exit_code == 1


# ------------------------------------------------------------------ a translation, broken on purpose
def _translation() -> dict:
    """A valid 'ro' locale made from English (text unchanged: the check tests structure)."""
    data = i18n.load_yaml(EN_FILE.read_text(encoding="utf-8"))
    data["meta"].update(code="ro", name="Romanian", native_name="Română")
    data["voice"].update(say_language="ro-RO", say_voice="Polly.Carmen", gather_language="ro-RO", dtmf_digit=2)
    data["keywords"] = {"stop": ["OPREȘTE"], "start": ["PORNEȘTE"], "help": ["AJUTOR"], "exit": ["GATA"],
                        "person": ["persoană", "om"], "yes": ["da"], "no": ["nu"], "skip": ["sari"],
                        "language": ["limba"]}
    data["banned"] = [{"phrase": "de ce nu ai", "why": "blames"}]
    return data


def _check_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: dict) -> list[str]:
    shutil.copy(EN_FILE, tmp_path / "en.yml")
    (tmp_path / "ro.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv(i18n.ENV_VAR, str(tmp_path))
    monkeypatch.delenv(jurisdiction.ENV_VAR, raising=False)
    try:
        return run_check().problems
    finally:
        i18n.reload()


def test_a_correct_translation_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _check_with(tmp_path, monkeypatch, _translation()) == []


def test_untranslated_text_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(EN_FILE, tmp_path / "en.yml")
    (tmp_path / "ro.yml").write_text(yaml.safe_dump(_translation(), allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv(i18n.ENV_VAR, str(tmp_path))
    try:
        report = run_check()
    finally:
        i18n.reload()
    assert report.ok
    assert any(w.startswith("ro: ") and "identical to English" in w for w in report.warnings)


def _only(problems: list[str], needle: str) -> None:
    assert problems, "the check found nothing"
    assert all(p.startswith("ro: ") for p in problems), problems
    assert any(needle in p for p in problems), problems


def test_missing_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _translation()
    del data["messages"]["handover.no_staff"]
    _only(_check_with(tmp_path, monkeypatch, data), "ro: handover.no_staff: missing")


def test_missing_variant_and_unknown_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _translation()
    del data["messages"]["greet"]["voice"]
    data["messages"]["greeet"] = {"text": "typo"}
    problems = _check_with(tmp_path, monkeypatch, data)
    _only(problems, "greet.voice: variant missing")
    _only(problems, "greeet: not a key in en.yml")


def test_placeholder_dropped_or_invented(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _translation()
    data["messages"]["emergency.lead"]["text"] = "Sună la 112 acum."  # number hard-coded, placeholder gone
    data["messages"]["goodbye"]["text"] = "Pa, {name}."
    problems = _check_with(tmp_path, monkeypatch, data)
    _only(problems, "emergency.lead.text: placeholders [] differ from English ['emergency_number']")
    _only(problems, "hard-coded number '112'")
    _only(problems, "goodbye.text: unknown placeholder(s) ['name']")


def test_whisper_placeholders_only_in_whisper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _translation()
    data["messages"]["goodbye"]["text"] = "{tier} Pa."
    _only(_check_with(tmp_path, monkeypatch, data), "goodbye.text: unknown placeholder(s) ['tier']")


def test_sms_over_three_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _translation()
    # Romanian diacritics force UCS-2: 67 units a segment, so this is 4+ segments.
    data["messages"]["goodbye"]["text"] = "Îngrijește-te. " * 15
    _only(_check_with(tmp_path, monkeypatch, data), "SMS segments (UCS-2")


def test_child_variant_too_long_is_not_a_problem_when_sms_fits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _translation()
    data["messages"]["rights.police"]["child"] = "Poți primi ajutor. " * 30  # web only; SMS uses sms
    assert _check_with(tmp_path, monkeypatch, data) == []


def test_banned_phrases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _translation()
    data["messages"]["goodbye"]["text"] = "De ce nu ai plecat? Pa."  # the locale's own list
    data["messages"]["thanks.reply"]["text"] = "Cu plăcere!!"  # the shared list
    data["messages"]["rights.police"]["sms"] = "Despre trafficking: poți primi ajutor."  # en's SMS-only list does not apply
    data["banned"].append({"phrase": "trafic", "why": "reveals the subject", "channels": ["sms"]})
    data["messages"]["rights.police.more"]["sms"] = "Traficul de persoane: poți primi ajutor."
    problems = _check_with(tmp_path, monkeypatch, data)
    _only(problems, "goodbye.text: banned phrase 'de ce nu ai'")
    _only(problems, "thanks.reply.text: banned phrase '!!'")
    _only(problems, "banned on sms: 'trafic'")
    assert not any("rights.police.sms" in p for p in problems)


def test_shouting_and_emoji(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _translation()
    data["messages"]["goodbye"]["text"] = "Ai grijă de tine. URGENT."
    data["messages"]["thanks.reply"]["text"] = "Cu plăcere 🙂"
    problems = _check_with(tmp_path, monkeypatch, data)
    _only(problems, "all-capitals word 'URGENT'")
    _only(problems, "emoji or symbol")


def test_unspeakable_voice_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _translation()
    data["messages"]["voice.goodbye"]["text"] = "Vezi https://example.org"
    _only(_check_with(tmp_path, monkeypatch, data), "not speakable on a call")


def test_invalid_meta_voice_and_keywords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _translation()
    data["meta"]["code"] = "rom"
    data["meta"]["direction"] = "rtl"
    data["meta"]["review"] = {"status": "reviewed", "reviewer": None, "date": "yesterday"}
    data["voice"]["dtmf_digit"] = 1  # English's digit
    data["voice"]["say_language"] = "romanian"
    data["keywords"]["skip"] = []
    data["keywords"]["no"] = ["nu", "STOP"]  # STOP is English's stop word
    problems = _check_with(tmp_path, monkeypatch, data)
    for needle in ("meta.code", "meta.direction", "meta.review.reviewer", "meta.review.date",
                   "voice.dtmf_digit: 1 is already en's", "voice.say_language", "keywords.skip: missing",
                   "keywords.no: 'STOP' collides with stop in en"):
        _only(problems, needle)


def test_unparseable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(EN_FILE, tmp_path / "en.yml")
    (tmp_path / "ro.yml").write_text("meta: [unclosed", encoding="utf-8")
    monkeypatch.setenv(i18n.ENV_VAR, str(tmp_path))
    try:
        result = CliRunner().invoke(locales_group, ["check"])
    finally:
        i18n.reload()
    assert result.exit_code == 1
    assert "ro: file: ro.yml: not valid YAML" in result.output
