"""The English source locale: every key other parts rely on, seed citations, and the tone rules
that can be checked mechanically; keyword folding properties."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline import i18n

EN_FILE = Path(__file__).resolve().parent.parent / "locales" / "en.yml"

RIGHTS_TOPICS = ["trafficking", "police", "reflection", "non_punishment", "legal_advice", "interpreter",
                 "health", "accommodation", "compensation", "residence", "confidentiality", "return",
                 "child_age", "child_guardian", "child_heard", "child_after_18"]
REQUIRED_KEYS = (
    ["greet", "safety_check", "safety_ok", "safety_unsafe", "menu", "rights.overview", "more.none",
     "report.intro", "report.ask_what", "report.ask_where", "report.ask_when", "report.ask_else", "report.done",
     "skip.ack", "child.ack", "bot_challenge", "thanks.reply", "goodbye", "stop.confirm", "out_of_scope",
     "fallback", "fallback.offer_person", "need_help", "unsafe_now",
     "handover.offer", "handover.accepted", "handover.declined", "handover.worker_joined", "handover.returned",
     "handover.still_waiting", "handover.no_staff", "handover.contact_ask", "handover.contact_saved",
     "handover.worker_left", "handover.closed", "emergency.lead", "language.menu", "language.changed",
     "sms.stop_confirm", "sms.start_confirm", "sms.help", "sms.exit_confirm",
     "voice.greeting", "voice.emergency_option", "voice.language_prompt", "voice.ask_question", "voice.no_input",
     "voice.not_understood", "voice.hold", "voice.connecting", "voice.goodbye", "voice.whisper",
     "voice.callback_offer",
     "web.title", "web.quick_exit", "web.quick_exit_hint", "web.send", "web.placeholder", "web.language_label",
     "web.intro_notice", "web.worker_label", "web.assistant_label", "web.you_label", "web.machine_translated",
     "web.show_original", "web.connection_lost", "web.ended", "mt.notice"]
    + [f"rights.{t}" for t in RIGHTS_TOPICS] + [f"rights.{t}.more" for t in RIGHTS_TOPICS]
)


@pytest.fixture(scope="module")
def en() -> i18n.Locale:
    return i18n.parse_locale_file(EN_FILE)


def test_every_key_the_brief_names_exists(en: i18n.Locale) -> None:
    missing = [k for k in REQUIRED_KEYS if k not in en.messages]
    assert missing == []


def test_every_rights_topic_cites_seed_lines() -> None:
    lines = EN_FILE.read_text(encoding="utf-8").splitlines()
    for topic in RIGHTS_TOPICS + ["overview"]:
        index = lines.index(f"  rights.{topic}:")
        comments = []
        for line in reversed(lines[:index]):
            if not line.strip().startswith("#"):
                break
            comments.append(line)
        assert any(re.search(r"S00\d L\d+", c) for c in comments), f"rights.{topic} has no seed citation"


def test_placeholders_where_the_brief_requires_them(en: i18n.Locale) -> None:
    m = en.messages
    assert "{reflection_days}" in m["rights.reflection"]["text"]
    assert "{exit_word}" in m["safety_unsafe"]["sms"]
    assert m["emergency.lead"]["text"].startswith("Call {emergency_number}")
    for variant in m["handover.no_staff"].values():
        assert {"emergency_number", "hotline_number", "child_helpline"} <= i18n.placeholders_in(variant)
    assert {"wait_minutes", "emergency_number"} <= i18n.placeholders_in(m["handover.accepted"]["text"])
    assert "{worker_name}" in m["handover.worker_joined"]["text"]
    assert "{languages_menu}" in m["language.menu"]["text"]
    assert "{language_name}" in m["language.changed"]["text"]
    assert "{stop_word}" in m["sms.start_confirm"]["text"] and "START" in m["sms.stop_confirm"]["text"]
    assert {"emergency_number", "digit"} <= i18n.placeholders_in(m["voice.emergency_option"]["text"])
    assert i18n.placeholders_in(m["voice.whisper"]["text"]) == {"tier", "language_name", "child_text", "reasons"}


def test_legal_wording_never_promises(en: i18n.Locale) -> None:
    # Rights that vary by country are hedged: "usually", "may", "should", "many countries", or a lawyer.
    hedges = ("usually", "may ", "should", "many countries", "lawyer", "can ")
    for topic in ("reflection", "non_punishment", "residence", "compensation", "return", "legal_advice"):
        for variant, text in en.messages[f"rights.{topic}"].items():
            assert any(h in text for h in hedges), (topic, variant)
    everything = " ".join(t for entry in en.messages.values() for t in entry.values()).lower()
    for promise in ("you will be", "you will get", "you won't be", "guaranteed", "no one will ever"):
        assert promise not in everything


def test_help_never_conditional(en: i18n.Locale) -> None:
    m = en.messages
    assert "without going to the police" in m["rights.police"]["text"]
    assert "does not depend on your papers" in m["rights.overview"]["text"]
    assert "at 18" in m["rights.child_after_18"]["text"]
    assert "treated as a child" in m["rights.child_age"]["text"]
    assert "no force or lies are needed" in m["rights.trafficking"]["text"]
    assert "Nobody has to cross a border" in m["rights.trafficking"]["text"]


def test_every_question_says_it_can_be_skipped(en: i18n.Locale) -> None:
    for key in ("report.ask_what", "report.ask_where", "report.ask_when", "report.ask_else",
                "safety_check", "handover.contact_ask"):
        assert "skip" in en.messages[key]["text"].lower(), key


def test_english_text_is_gsm7_friendly(en: i18n.Locale) -> None:
    # Curly quotes or dashes would switch English SMS to UCS-2 (201 instead of 459 characters).
    for key, entry in en.messages.items():
        for variant, text in entry.items():
            assert not re.search(r"[‘’“”–—…]", text), (key, variant)


def test_greet_discloses_machine_and_human_route(en: i18n.Locale) -> None:
    for variant, text in en.messages["greet"].items():
        low = text.lower()
        assert "not a person" in low, variant
        assert '"person"' in low or "say person" in low or "text person" in low, variant
        assert "skip" in low or "don't have to answer" in low, variant


def test_meta_and_voice(en: i18n.Locale) -> None:
    assert en.meta["review"]["status"] == "drafted"
    assert en.voice == {"say_language": "en-GB", "say_voice": "Polly.Amy", "gather_language": "en-GB",
                        "dtmf_digit": 1}
    assert {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"} <= set(en.keywords["stop"])
    assert "YES" not in {w.upper() for w in en.keywords["start"]}
    assert en.keywords["exit"][:2] == ["CLEAR", "00"]


# ------------------------------------------------------------------ folding properties
# Letters whose upper case folds back to themselves (not Turkish dotless i and the like).
words = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd")), min_size=1, max_size=12).filter(
    lambda w: w.upper().casefold() == w.casefold())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_normalise_is_idempotent(text: str) -> None:
    once = i18n.normalise(text)
    assert i18n.normalise(once) == once
    assert once == once.strip() and "  " not in once


@settings(max_examples=200, deadline=None)
@given(words, st.sampled_from(["!", "?", ".", " 🛑", "...", " !!", "\u00a0"]), st.booleans())
def test_normalise_ignores_case_punctuation_and_emoji(word: str, tail: str, upper: bool) -> None:
    variant = (word.upper() if upper else word) + tail
    assert i18n.normalise(variant) == i18n.normalise(word)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10))
def test_fullwidth_and_accents_fold(word: str) -> None:
    fullwidth = "".join(chr(ord(c) - 0x61 + 0xFF41) for c in word)
    accented = unicodedata.normalize("NFC", "".join(c + "\u0301" for c in word))
    assert i18n.normalise(fullwidth) == word
    assert i18n.normalise(accented) == word
