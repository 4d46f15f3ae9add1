"""Reading the conversation's past from the tracker's event list.

Only the current session counts: after a session restart the person may be someone else holding
the same phone, so "more" must not continue a topic from an earlier session.
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional


def current_session(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Events since the last `session_started` (all events if there is none)."""
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "session_started":
            return events[index + 1:]
    return list(events)


def bot_keys_newest_first(events: List[Dict[str, Any]]) -> Iterator[str]:
    """Message keys of the bot's messages in this session, newest first."""
    for event in reversed(current_session(events)):
        if event.get("event") != "bot":
            continue
        custom = (event.get("data") or {}).get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("key"), str):
            yield custom["key"]


def last_rights_key(events: List[Dict[str, Any]]) -> Optional[str]:
    """The most recent `rights.*` key the bot sent in this session, or None."""
    for key in bot_keys_newest_first(events):
        if key.startswith("rights."):
            return key
    return None


def user_intents_newest_first(events: List[Dict[str, Any]]) -> Iterator[Optional[str]]:
    """Intent names of the person's messages in this session, newest first."""
    for event in reversed(current_session(events)):
        if event.get("event") == "user":
            yield ((event.get("parse_data") or {}).get("intent") or {}).get("name")
