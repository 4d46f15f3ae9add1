"""End-to-end: the real Rasa server and action server, the trained model, the REST webhook.

Conversations are walked exactly as the hotline sends them (POST /webhooks/rest/webhook), and the
replies are checked by message key and directive, never by wording (the hotline renders words).
"""
from __future__ import annotations

import sqlite3
import uuid
from typing import Any, Dict, List

import httpx
import pytest

from rasa_servers import RasaServers, rasa_action_server, rasa_servers, start_rasa, stop_process  # noqa: F401

pytestmark = pytest.mark.rasa


def sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def customs(replies: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    assert all("custom" in r and "text" not in r for r in replies), replies
    return [r["custom"] for r in replies]


def test_survivor_walk_greeting_safety_rights_more_report_with_skip_then_a_person(
        rasa_servers: RasaServers) -> None:
    srv, conv = rasa_servers, sender()
    assert srv.keys(conv, "hello") == ["greet", "safety_check"]
    assert srv.keys(conv, "yes im alone now") == ["safety_ok"]
    assert srv.keys(conv, "do i have to go to the police") == ["rights.police"]
    assert srv.keys(conv, "tell me more") == ["rights.police.more"]
    assert srv.keys(conv, "more") == ["more.none"]  # the longer card was the last level

    assert srv.keys(conv, "i want to report something i saw") == ["report.intro", "report.ask_what"]
    assert srv.keys(conv, "two young girls at the nail bar never leave, a man drives them") == ["report.ask_where"]
    assert srv.keys(conv, "skip") == ["report.ask_when"]
    assert srv.keys(conv, "every night this week, around 11") == ["report.ask_else"]
    done = customs(srv.send(conv, "i'd rather not say"))
    assert done == [{
        "key": "report.done",
        "directive": "report_submitted",
        "params": {
            "what": "two young girls at the nail bar never leave, a man drives them",
            "where": "skipped",
            "when": "every night this week, around 11",
            "else": "skipped",
        },
    }]
    assert customs(srv.send(conv, "can i talk to a real person")) == [
        {"key": "handover.offer", "directive": "offer_handover"}]


def test_a_first_message_that_is_a_question_is_answered_directly(rasa_servers: RasaServers) -> None:
    assert rasa_servers.keys(sender(), "can i get a free lawyer") == ["rights.legal_advice"]
    assert rasa_servers.keys(sender(), "i need a doctor") == ["rights.health"]


def test_not_safe_takes_the_discreet_path(rasa_servers: RasaServers) -> None:
    conv = sender()
    assert rasa_servers.keys(conv, "hi") == ["greet", "safety_check"]
    assert rasa_servers.keys(conv, "no") == ["safety_unsafe"]
    conv = sender()
    assert rasa_servers.keys(conv, "hi") == ["greet", "safety_check"]
    assert rasa_servers.keys(conv, "someone is watching") == ["safety_unsafe"]
    assert rasa_servers.keys(sender(), "he is here cant talk") == ["unsafe_now"]


def test_more_without_a_rights_topic_says_there_is_nothing_more(rasa_servers: RasaServers) -> None:
    conv = sender()
    assert rasa_servers.keys(conv, "more") == ["more.none"]
    assert rasa_servers.keys(conv, "what are my rights") == ["rights.overview"]
    assert rasa_servers.keys(conv, "more") == ["more.none"]
    assert rasa_servers.keys(conv, "guardian") == ["rights.child_guardian"]
    assert rasa_servers.keys(conv, "more") == ["rights.child_guardian.more"]


def test_asking_for_a_person_interrupts_the_report_and_ends_it(rasa_servers: RasaServers) -> None:
    conv = sender()
    assert rasa_servers.keys(conv, "i want to make a report") == ["report.intro", "report.ask_what"]
    assert customs(rasa_servers.send(conv, "talk to a human")) == [
        {"key": "handover.offer", "directive": "offer_handover"}]
    # The form is over: a question is answered, not stored as the report's "what".
    assert rasa_servers.keys(conv, "what are my rights") == ["rights.overview"]
    # A new report starts empty.
    assert rasa_servers.keys(conv, "report") == ["report.intro", "report.ask_what"]
    for answer in ("skip", "skip", "skip"):
        rasa_servers.send(conv, answer)
    done = customs(rasa_servers.send(conv, "skip"))
    assert done[0]["params"] == {"what": "skipped", "where": "skipped", "when": "skipped", "else": "skipped"}


def test_stop_during_the_report_ends_the_conversation(rasa_servers: RasaServers) -> None:
    conv = sender()
    rasa_servers.send(conv, "i want to report a concern")
    assert customs(rasa_servers.send(conv, "stop")) == [
        {"key": "stop.confirm", "directive": "end_conversation"}]
    assert rasa_servers.keys(conv, "is this confidential") == ["rights.confidentiality"]


@pytest.mark.parametrize("text, expected", [
    ("im 15", {"key": "child.ack", "directive": "audience_child"}),
    ("do you speak romanian", {"key": "language.menu", "directive": "language_menu"}),
    ("end the chat", {"key": "stop.confirm", "directive": "end_conversation"}),
    ("i need help", {"key": "need_help"}),
    ("are you a robot", {"key": "bot_challenge"}),
    ("thanks", {"key": "thanks.reply"}),
    ("bye", {"key": "goodbye"}),
    ("tell me a joke", {"key": "out_of_scope"}),
])
def test_one_turn_replies_and_directives(rasa_servers: RasaServers, text: str, expected: Dict[str, Any]) -> None:
    assert customs(rasa_servers.send(sender(), text))[0] == expected


def test_need_help_offers_a_person(rasa_servers: RasaServers) -> None:
    assert customs(rasa_servers.send(sender(), "please help me")) == [
        {"key": "need_help"}, {"key": "handover.offer", "directive": "offer_handover"}]


def test_misunderstood_messages_get_the_fallback_key(rasa_servers: RasaServers) -> None:
    """Gibberish is "not understood", every time; the hotline turns the second in a row into an
    offer of a person (hotline/conversation/core.py)."""
    conv = sender()
    first = rasa_servers.parse("zzxq vvbt kkqp")
    assert first["intent"]["name"] == "nlu_fallback", first["intent"]
    assert rasa_servers.keys(conv, "zzxq vvbt kkqp") == ["fallback"]
    assert rasa_servers.keys(conv, "qqpl wxxz brrm") == ["fallback"]
    assert rasa_servers.keys(conv, "shelter") == ["rights.accommodation"]


def test_parse_gives_the_intent_ranking_the_triage_uses(rasa_servers: RasaServers) -> None:
    parsed = rasa_servers.parse("they took my passport and i have no papers")
    assert parsed["intent"]["name"] == "rights_residence"
    ranking = parsed["intent_ranking"]
    assert len(ranking) >= 5
    assert ranking == sorted(ranking, key=lambda r: -r["confidence"])


def test_conversations_are_stored_in_the_sql_tracker(rasa_servers: RasaServers) -> None:
    conv = sender()
    rasa_servers.send(conv, "hello")
    with sqlite3.connect(rasa_servers.tracker_db) as db:
        count = db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (conv,)).fetchone()[0]
    assert count > 0


@pytest.mark.slow
def test_a_restart_loses_no_conversation(rasa_servers: RasaServers) -> None:
    """The report form survives a Rasa restart half-way (SQL tracker store)."""
    conv = sender()
    assert rasa_servers.keys(conv, "i want to report something") == ["report.intro", "report.ask_what"]
    assert rasa_servers.keys(conv, "a boy selling flowers late at night") == ["report.ask_where"]
    stop_process(rasa_servers, "rasa")
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{rasa_servers.url}/status", timeout=2)
    start_rasa(rasa_servers)
    assert rasa_servers.keys(conv, "outside the station") == ["report.ask_when"]
    assert rasa_servers.keys(conv, "skip") == ["report.ask_else"]
    done = customs(rasa_servers.send(conv, "no"))[0]
    assert done["params"]["what"] == "a boy selling flowers late at night"
    assert done["params"]["where"] == "outside the station"
