"""The custom actions, called through the running action server exactly as Rasa calls them.

Edge cases that a conversation cannot reach cheaply (an earlier session, a key with no deeper
level, skip words from every locale) are built here as tracker events.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import httpx
import pytest
import yaml

from rasa_servers import ActionServer, rasa_action_server  # noqa: F401

pytestmark = pytest.mark.rasa
ROOT = Path(__file__).resolve().parent.parent
DOMAIN = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))


def bot(key: str) -> Dict[str, Any]:
    return {"event": "bot", "text": None, "data": {"custom": {"key": key}}}


def user(intent: str, text: str = "...") -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def call(srv: ActionServer, action: str, events: List[Dict[str, Any]],
         slots: Optional[Dict[str, Any]] = None, active_loop: Optional[str] = None) -> Dict[str, Any]:
    latest = next((e for e in reversed(events) if e["event"] == "user"), {"parse_data": {}})
    body = {
        "next_action": action,
        "sender_id": "action-test",
        "version": "3.6.2",
        "domain": DOMAIN,
        "tracker": {
            "sender_id": "action-test",
            "slots": slots or {},
            "latest_message": {**latest.get("parse_data", {}), "text": latest.get("text")},
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        },
    }
    response = httpx.post(f"{srv.url}/webhook", json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def keys(result: Dict[str, Any]) -> List[str]:
    return [r["custom"]["key"] for r in result["responses"]]


@pytest.mark.parametrize("events, expected", [
    ([], "more.none"),
    ([bot("rights.health"), user("tell_more")], "rights.health.more"),
    ([bot("rights.health"), bot("safety_check"), user("thank"), bot("thanks.reply"), user("tell_more")],
     "rights.health.more"),
    ([bot("rights.police"), bot("rights.police.more"), user("tell_more")], "more.none"),
    ([bot("rights.overview"), user("tell_more")], "more.none"),
    ([bot("rights.child_after_18"), user("tell_more")], "rights.child_after_18.more"),
    ([bot("rights.made_up_topic"), user("tell_more")], "more.none"),
    # A new session (maybe someone else holding the phone) does not continue the old topic.
    ([bot("rights.residence"), {"event": "session_started"}, user("tell_more")], "more.none"),
])
def test_tell_more(rasa_action_server: ActionServer, events: List[Dict[str, Any]], expected: str) -> None:
    assert keys(call(rasa_action_server, "action_tell_more", events)) == [expected]


def test_fallback_only_reports_not_understood(rasa_action_server: ActionServer) -> None:
    """The hotline counts consecutive fallbacks and offers a person (POLICY.md 9); the bot must not
    add a second offer of its own."""
    for events in ([user("nlu_fallback")], [user("nlu_fallback"), bot("fallback"), user("nlu_fallback")]):
        result = call(rasa_action_server, "action_fallback", events)
        assert keys(result) == ["fallback"]
        assert "directive" not in result["responses"][0]["custom"]


def validate(srv: ActionServer, slot: str, value: str) -> Any:
    events = [user("inform", value), {"event": "slot", "name": slot, "value": value}]
    result = call(srv, "validate_report_form", events, slots={slot: value, "requested_slot": slot},
                  active_loop="report_form")
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}[slot]


@pytest.mark.parametrize("value", ["skip", "  Pass. ", "I don't want to say", "dunno", "N/A", "no"])
def test_skip_like_answers_become_skipped(rasa_action_server: ActionServer, value: str) -> None:
    assert validate(rasa_action_server, "report_where", value) == "skipped"


def test_real_answers_are_kept_trimmed_and_capped(rasa_action_server: ActionServer) -> None:
    assert validate(rasa_action_server, "report_what", "  a man   takes their passports ") == "a man takes their passports"
    assert validate(rasa_action_server, "report_when", "no idea when it started but last night too") == \
        "no idea when it started but last night too"
    assert len(validate(rasa_action_server, "report_else", "x" * 5000)) == 2000


def test_skip_words_of_every_locale_are_recognised(rasa_action_server: ActionServer) -> None:
    words = []
    for path in sorted((ROOT / "locales").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        words += [(path.stem, w) for w in ((data.get("keywords") or {}).get("skip") or [])[:2]]
    if not words:
        pytest.skip("no locale defines keywords.skip yet")
    for lang, word in words:
        assert validate(rasa_action_server, "report_else", str(word)) == "skipped", (lang, word)


def test_submit_sends_the_four_answers_and_clears_them(rasa_action_server: ActionServer) -> None:
    slots = {"report_what": "forced work", "report_where": "skipped", "report_when": "today",
             "report_else": None}
    result = call(rasa_action_server, "action_submit_report", [user("skip")], slots=slots)
    assert result["responses"][0]["custom"] == {
        "key": "report.done", "directive": "report_submitted",
        "params": {"what": "forced work", "where": "skipped", "when": "today", "else": "skipped"}}
    cleared = {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}
    assert cleared == {"report_what": None, "report_where": None, "report_when": None,
                       "report_else": None, "requested_slot": None}


def test_cancel_closes_the_form(rasa_action_server: ActionServer) -> None:
    result = call(rasa_action_server, "action_cancel_report", [user("ask_human")],
                  slots={"report_what": "x"}, active_loop="report_form")
    assert {"event": "active_loop", "name": None} in [
        {k: e[k] for k in ("event", "name")} for e in result["events"] if e["event"] == "active_loop"]
    assert result["responses"] == []


def test_action_server_refuses_a_public_address() -> None:
    import subprocess
    proc = subprocess.run([str(ROOT / ".venv-rasa" / "bin" / "python"), "-m", "actions", "--host", "0.0.0.0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "not a loopback address" in proc.stderr
