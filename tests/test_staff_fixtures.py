"""Helpers shared by the staff console tests (no tests here): staff accounts, logging in through
the real login form, and a person's conversation through the real web chat endpoints."""
from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline.staff.accounts import add_staff
from hotline.storage.db import migrate, session_scope
from hotline.storage.models import Handover, StaffUser, utcnow

PASSWORD = "correct horse battery staple"
DANGER_RO = "m-a inchis in camera si ma bate, ajutor"


def make_staff(username: str, first_name: str, role: str = "worker", language: str = "en",
               on_duty: bool = False, password: str = PASSWORD) -> int:
    migrate()
    with session_scope() as s:
        user = add_staff(s, username, first_name, role, password, language=language)
        if on_duty:
            user.on_duty, user.last_seen_at = True, utcnow()
        s.flush()
        return user.id


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token (from the queue page)."""
    page = client.get("/staff/login")
    resp = client.post("/staff/login", data={"username": username, "password": password,
                                              "csrf_token": form_token(page.text)}, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    queue = client.get("/staff")
    assert queue.status_code == 200
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', queue.text)
    assert match
    return match.group(1)


def person_start(client: TestClient, language: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    resp = client.post("/api/conversations", json={"language": language} if language else {})
    assert resp.status_code == 201
    data = resp.json()
    return data, {"Authorization": "Bearer " + data["token"]}


def person_say(client: TestClient, conv: dict[str, Any], auth: dict[str, str], text: str) -> dict[str, Any]:
    resp = client.post(f"/api/conversations/{conv['id']}/messages", json={"text": text}, headers=auth)
    assert resp.status_code == 202, resp.text
    return resp.json()


def person_messages(client: TestClient, conv: dict[str, Any]) -> list[dict[str, Any]]:
    with client.websocket_connect(f"/api/conversations/{conv['id']}/ws") as ws:
        ws.send_json({"token": conv["token"], "since": 0})
        first = ws.receive_json()
        return first["messages"]


def queued_danger(client: TestClient, text: str = DANGER_RO, answer: str = "da") -> tuple[dict[str, Any], dict[str, str], int]:
    """A person writes a dangerous message and consents: returns the conversation and handover id."""
    conv, auth = person_start(client)
    first = person_say(client, conv, auth, text)
    assert first["replies"][0] == "emergency.lead"
    person_say(client, conv, auth, answer)
    with session_scope() as s:
        handover = s.scalars(select(Handover).where(Handover.conversation_id == conv["id"])).one()
        return conv, auth, handover.id


def staff_id(username: str) -> int:
    with session_scope() as s:
        return s.scalars(select(StaffUser.id).where(StaffUser.username == username)).one()
