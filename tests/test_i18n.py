"""The renderer, keywords and jurisdiction profile, run against real files and small fixtures."""
from __future__ import annotations

import shutil
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from hotline import i18n, jurisdiction
from hotline.sms_segments import segment_count

REPO = Path(__file__).resolve().parent.parent
EN_FILE = REPO / "locales" / "en.yml"

# A second language with just enough to exercise every branch of the variant order.
XX_LOCALE = textwrap.dedent("""\
    meta: {code: ro, name: Romanian, native_name: Română, direction: ltr,
           review: {status: drafted, reviewer: null, date: null}}
    voice: {say_language: ro-RO, say_voice: Polly.Carmen, gather_language: ro-RO, dtmf_digit: 2}
    keywords:
      stop: [STOP, OPREȘTE]
      start: [START, PORNEȘTE]
      help: [AJUTOR]
      exit: [GATA]
      person: [persoană, om]
      yes: [da]
      no: [nu]
      skip: [sari]
      language: [limba]
    banned: []
    messages:
      greet:
        text: "RO text {emergency_number}"
        child: "RO child {emergency_number}"
        sms: "RO sms {emergency_number}"
        voice: "RO voice {emergency_number}"
      goodbye:
        text: "RO goodbye only text"
      rights.health:
        text: "RO health text {emergency_number}"
        child: "RO health child {emergency_number}"
      rights.police:
        text: "RO police text"
        child: "RO police child, far too long for SMS. {long}"
        sms: "RO police sms"
      handover.worker_joined:
        text: "{worker_name} s-a alăturat."
      sms.help:
        text: "RO {exit_word} {stop_word}"
      safety_unsafe:
        text: ""
    """)


@pytest.fixture()
def locales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A locale directory with the real en.yml and the ro fixture above."""
    shutil.copy(EN_FILE, tmp_path / "en.yml")
    long_child = "Propoziție lungă pentru copii. " * 30
    (tmp_path / "ro.yml").write_text(XX_LOCALE.replace("{long}", long_child), encoding="utf-8")
    monkeypatch.setenv(i18n.ENV_VAR, str(tmp_path))
    monkeypatch.delenv(jurisdiction.ENV_VAR, raising=False)
    i18n.reload()
    yield tmp_path
    i18n.reload()


@pytest.fixture()
def real_locales(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    monkeypatch.delenv(jurisdiction.ENV_VAR, raising=False)
    i18n.reload()
    yield
    i18n.reload()


# ------------------------------------------------------------------ variant order
@pytest.mark.parametrize(
    ("audience", "channel", "expected"),
    [
        ("adult", "web", "RO text 112"),
        ("child", "web", "RO child 112"),
        ("adult", "sms", "RO sms 112"),
        ("child", "sms", "RO child 112"),  # the child variant fits 3 segments
        ("adult", "voice", "RO voice 1 1 2"),  # numbers spoken digit by digit
        ("child", "voice", "RO voice 1 1 2"),  # voice comes before child
    ],
)
def test_variant_order_with_every_variant(locales: Path, audience: str, channel: str, expected: str) -> None:
    assert i18n.render("greet", "ro", audience=audience, channel=channel) == expected


def test_variants_fall_back_to_text(locales: Path) -> None:
    for audience in i18n.AUDIENCES:
        for channel in i18n.CHANNELS:
            assert i18n.render("goodbye", "ro", audience=audience, channel=channel) == "RO goodbye only text"


def test_voice_child_uses_child_before_text(locales: Path) -> None:
    assert i18n.render("rights.health", "ro", audience="child", channel="voice") == "RO health child 1 1 2"
    assert i18n.render("rights.health", "ro", audience="adult", channel="voice") == "RO health text 1 1 2"


def test_sms_child_too_long_falls_back_to_sms(locales: Path) -> None:
    out = i18n.render_message("rights.police", "ro", audience="child", channel="sms")
    assert (out.text, out.variant) == ("RO police sms", "sms")
    # ...while on the web the long child variant is still used.
    assert i18n.render("rights.police", "ro", audience="child", channel="web").startswith("RO police child")


def test_missing_key_falls_back_to_english(locales: Path) -> None:
    out = i18n.render_message("report.done", "ro")
    assert out.fell_back and out.lang == "en"
    assert "call 112" in out.text


def test_empty_text_counts_as_missing(locales: Path) -> None:
    out = i18n.render_message("safety_unsafe", "ro", channel="web")
    assert out.fell_back and out.text.startswith("Your safety comes first")


def test_unknown_language_and_region_codes(locales: Path) -> None:
    assert i18n.render("goodbye", "ro-RO") == "RO goodbye only text"
    assert i18n.render("goodbye", "RO") == "RO goodbye only text"
    assert i18n.render("goodbye", "zz").startswith("Take care")
    assert i18n.render("goodbye", None).startswith("Take care")


def test_unknown_key(locales: Path) -> None:
    with pytest.raises(i18n.UnknownMessageKey):
        i18n.render_message("no.such.key", "en", strict=True)
    assert i18n.render_message("no.such.key", "ro").key == "fallback"


# ------------------------------------------------------------------ placeholders
def test_jurisdiction_placeholders_filled_automatically(locales: Path) -> None:
    text = i18n.render("handover.no_staff", "en")
    assert "112" in text and "116 006" in text and "116 111" in text
    assert "{" not in text


def test_jurisdiction_file_changes_the_numbers(locales: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = (REPO / "hotline" / "jurisdictions" / "default.yml").read_text(encoding="utf-8")
    profile = profile.replace('emergency_number: "112"', 'emergency_number: "999"').replace(
        "reflection_days: 30", "reflection_days: 45")
    path = tmp_path / "gb.yml"
    path.write_text(profile, encoding="utf-8")
    monkeypatch.setenv(jurisdiction.ENV_VAR, str(path))
    i18n.reload()
    assert "call 999" in i18n.render("emergency.lead", "en").lower()
    assert "45 days" in i18n.render("rights.reflection", "en")


def test_caller_params_and_missing_params(locales: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert i18n.render("handover.worker_joined", "ro", worker_name="Ana") == "Ana s-a alăturat."
    assert "about 7 minutes" in i18n.render("handover.accepted", "en", wait_minutes=7)
    # A worker without a display name is introduced by role, in the person's language.
    assert i18n.render("handover.worker_joined", "en").startswith("Hotline worker from the hotline team")
    # A forgotten parameter never crashes or shows braces; it is logged without message text.
    text = i18n.render("handover.accepted", "en", audience="adult")
    assert "{" not in text and text
    assert any("wait_minutes" in r.getMessage() for r in caplog.records)
    assert not any("hotline worker will join" in r.getMessage() for r in caplog.records)


def test_exit_and_stop_words_and_language_prompt(locales: Path) -> None:
    assert i18n.render("sms.help", "ro", channel="sms") == "RO GATA STOP"
    assert "CLEAR" in i18n.render("sms.help", "en", channel="sms")
    assert i18n.render("voice.language_prompt", "en", channel="voice") == "For English, press 1 or say English."
    # A key missing in Romanian is English text, but names the person's language and words.
    assert i18n.render("language.changed", "ro") == "OK, we'll continue in Română."
    assert "GATA" in i18n.render("unsafe_now", "ro", channel="sms")


def test_language_menu_lists_native_names(locales: Path) -> None:
    menu = i18n.render("language.menu", "en")
    assert "English" in menu and "Română" in menu


# ------------------------------------------------------------------ languages and meta
def test_supported_languages_come_from_file_names(locales: Path) -> None:
    assert i18n.supported_languages() == ["en", "ro"]
    (locales / "ar.yml").write_text(
        XX_LOCALE.replace("code: ro", "code: ar").replace("direction: ltr", "direction: rtl"), encoding="utf-8")
    i18n.reload()
    assert i18n.supported_languages() == ["en", "ro", "ar"]
    assert i18n.direction("ar") == "rtl" and i18n.direction("ro") == "ltr"


def test_broken_locale_file_does_not_take_english_down(locales: Path) -> None:
    (locales / "de.yml").write_text("messages: [oops", encoding="utf-8")
    i18n.reload()
    assert "de" not in i18n.supported_languages()
    assert i18n.render("goodbye", "de").startswith("Take care")


def test_meta_and_voice_settings(locales: Path) -> None:
    assert i18n.language_meta("ro")["native_name"] == "Română"
    assert i18n.voice_settings("ro")["say_voice"] == "Polly.Carmen"
    assert i18n.voice_settings("en") == {"say_language": "en-GB", "say_voice": "Polly.Amy",
                                         "gather_language": "en-GB", "dtmf_digit": 1}


# ------------------------------------------------------------------ keywords
@pytest.mark.parametrize("text", ["stop", "Stop!", "STOP", "ＳＴＯＰ", "  stop  ", "stop 🛑", "«Stop»"])
def test_stop_normalisation(locales: Path, text: str) -> None:
    assert i18n.match_keyword(text) == ("stop", "en")


@pytest.mark.parametrize("text", ["oprește", "opreste", "OPREŞTE", "Oprește!"])
def test_diacritics_are_ignored(locales: Path, text: str) -> None:
    # ș (comma below) and ş (cedilla) both fold to s.
    assert i18n.match_keyword(text) == ("stop", "ro")


def test_keywords_are_whole_message_only(locales: Path) -> None:
    assert i18n.match_keyword("please stop texting me") is None
    assert i18n.match_keyword("I need help now") is None
    assert i18n.match_keyword("") is None
    assert i18n.match_keyword("!!!") is None


def test_shared_word_prefers_the_conversation_language(locales: Path) -> None:
    assert i18n.match_keyword("STOP") == ("stop", "en")
    assert i18n.match_keyword("STOP", lang="ro") == ("stop", "ro")
    assert i18n.keywords("stop")["stop"] == "en"
    assert i18n.keywords("stop")["opreste"] == "ro"


def test_yes_and_no_are_words_not_booleans(locales: Path) -> None:
    assert i18n.match_keyword("Yes") == ("yes", "en")
    assert i18n.match_keyword("no") == ("no", "en")
    assert i18n.match_keyword("nu") == ("no", "ro")


def test_universal_exit_word(locales: Path) -> None:
    assert i18n.match_keyword("00") == ("exit", "en")
    assert i18n.match_keyword("clear") == ("exit", "en")
    assert i18n.match_keyword("person") == ("person", "en")


# ------------------------------------------------------------------ the real English file
def test_every_english_key_renders_on_every_channel(real_locales: None) -> None:
    en = i18n.catalog().locales["en"]
    for key in en.messages:
        for channel in i18n.CHANNELS:
            for audience in i18n.AUDIENCES:
                out = i18n.render_message(key, "en", audience=audience, channel=channel, strict=True,
                                          worker_name="Sam", wait_minutes=10, digit=0, tier="P1",
                                          child_text="", reasons="threats")
                assert out.text and "{" not in out.text and "}" not in out.text, (key, channel)


def test_english_sms_replies_fit_three_segments(real_locales: None) -> None:
    en = i18n.catalog().locales["en"]
    for key in en.messages:
        if key.startswith(("web.", "voice.")):
            continue
        for audience in i18n.AUDIENCES:
            text = i18n.render(key, "en", audience=audience, channel="sms", worker_name="Alexandra-Maria")
            assert segment_count(text) <= 3, key


def test_english_voice_says_person_instead_of_writing_it(real_locales: None) -> None:
    assert 'write "person"' in i18n.render("greet", "en").lower()
    assert "say person" in i18n.render("greet", "en", channel="voice").lower()
    assert "1 1 2" in i18n.render("need_help", "en", channel="voice")


def test_sms_exit_reply_reveals_nothing(real_locales: None) -> None:
    text = i18n.render("sms.exit_confirm", "en", channel="sms").lower()
    for word in ("help", "hotline", "erase", "delete", "traffick", "safe", "chat"):
        assert word not in text


# ------------------------------------------------------------------ jurisdiction profile
def test_default_profile(real_locales: None) -> None:
    prof = jurisdiction.current()
    assert prof.placeholders() == {"emergency_number": "112", "hotline_number": "116 006",
                                   "child_helpline": "116 111", "reflection_days": "30"}
    assert prof.mandatory_child_reporting is True
    assert "L6532" in prof.reflection_days_source
    assert not prof.verified
    assert any(p.number == "116 111" for p in prof.partners)


def test_staff_hours() -> None:
    prof = jurisdiction.load()
    # Tuesday 2026-11-24 09:00 UTC is 10:00 in Brussels: open. 23:30 UTC is 00:30: closed.
    assert prof.staffed_now(datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc))
    assert not prof.staffed_now(datetime(2026, 11, 24, 23, 30, tzinfo=timezone.utc))
    # Saturday 08:30 local is before the weekend shift.
    assert not prof.staffed_now(datetime(2026, 11, 28, 7, 30, tzinfo=timezone.utc))
    opening = jurisdiction.next_opening(prof.staff_hours, datetime(2026, 11, 24, 23, 30, tzinfo=timezone.utc))
    assert opening == datetime(2026, 11, 25, 7, 0, tzinfo=timezone.utc)


def test_overnight_and_round_the_clock_hours(tmp_path: Path) -> None:
    base = (REPO / "hotline" / "jurisdictions" / "default.yml").read_text(encoding="utf-8")
    night = base.split("\nstaff_hours:")[0] + "\n" + textwrap.dedent("""\
        staff_hours:
          timezone: UTC
          weekly:
            mon: ["22:00-06:00"]
        """)
    path = tmp_path / "night.yml"
    path.write_text(night, encoding="utf-8")
    hours = jurisdiction.load(path).staff_hours
    assert hours.is_open(datetime(2026, 11, 23, 23, 0, tzinfo=timezone.utc))  # Monday night
    assert hours.is_open(datetime(2026, 11, 24, 5, 59, tzinfo=timezone.utc))  # Tuesday early
    assert not hours.is_open(datetime(2026, 11, 24, 6, 0, tzinfo=timezone.utc))
    assert not hours.always_open()
    always = base.split("\nstaff_hours:")[0] + "\n" + "staff_hours:\n  timezone: UTC\n  weekly:\n" + "".join(
        f"    {d}: [\"00:00-24:00\"]\n" for d in jurisdiction.DAYS)
    path.write_text(always, encoding="utf-8")
    assert jurisdiction.load(path).staff_hours.always_open()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('emergency_number: "112"', 'emergency_number: "call us"', "emergency_number"),
        ("reflection_days: 30", "reflection_days: -1", "reflection_days"),
        ("mandatory_child_reporting: true", "mandatory_child_reporting: maybe", "mandatory_child_reporting"),
        ("timezone: Europe/Brussels", "timezone: Mars/Olympus", "timezone"),
        ('mon: ["08:00-22:00"]', 'mon: ["8-22"]', "HH:MM-HH:MM"),
        ('child_helpline: "116 111"', "child_helpline: null", "child_helpline"),
    ],
)
def test_invalid_profiles_are_rejected(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = (REPO / "hotline" / "jurisdictions" / "default.yml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.yml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(jurisdiction.JurisdictionError, match=message):
        jurisdiction.load(path)
