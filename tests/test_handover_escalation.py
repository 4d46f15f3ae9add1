"""Escalation timers: a queued P0 past its limit (P1 past its own) alerts the supervisor once and
tells the person plainly that a worker is still being found, with the emergency number; the
console shows the escalation. Runs hotline.handover.escalation.run_once on the real app's core."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline.handover.escalation import run_once
from hotline.settings import reset_settings
from hotline.storage.db import session_scope
from hotline.storage.models import Alert, Handover, utcnow
from test_staff_fixtures import login, make_staff, person_messages, person_say, person_start, queued_danger


def _alerts(kind: str) -> int:
    with session_scope() as s:
        return len(s.scalars(select(Alert).where(Alert.kind == kind)).all())


def test_p0_waiting_past_the_limit_escalates_once(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    make_staff("ana", "Ana", on_duty=True)
    make_staff("maria", "Maria", role="supervisor", on_duty=True)
    conv, _, handover_id = queued_danger(client)
    core = client.app.state.core
    assert run_once(core) == 0  # 60 s by default: not yet
    assert _alerts("escalation_p0") == 0
    monkeypatch.setenv("HOTLINE_ESCALATE_P0_SECONDS", "0")
    reset_settings()
    run_once(core)
    assert run_once(core) == 0  # once per handover
    assert _alerts("escalation_p0") == 1
    waiting = [m for m in person_messages(client, conv) if m["key"] == "handover.still_waiting"]
    assert len(waiting) == 1 and "112" in waiting[0]["text"]
    with session_scope() as s:
        assert s.get(Handover, handover_id).escalated_at is not None
    login(client, "maria")
    data = client.get("/staff/api/queue").json()
    assert [i for i in data["queue"] if i["id"] == handover_id][0]["escalated"] is True
    assert any(a["kind"] == "escalation_p0" and a["handover_id"] == handover_id for a in data["alerts"])


def test_p1_escalates_after_its_own_limit_and_p2_never(client: TestClient) -> None:
    make_staff("ana", "Ana", on_duty=True)
    p1, p1_auth = person_start(client)
    person_say(client, p1, p1_auth, "they took my passport and I cannot leave the farm")
    person_say(client, p1, p1_auth, "person")
    person_say(client, p1, p1_auth, "yes")
    p2, p2_auth = person_start(client)
    person_say(client, p2, p2_auth, "person")
    person_say(client, p2, p2_auth, "yes")
    with session_scope() as s:
        rows = {h.conversation_id: h for h in s.scalars(select(Handover))}
        assert rows[p1["id"]].tier in ("P0", "P1") and rows[p2["id"]].tier in ("P2", "P3")
        tier = rows[p1["id"]].tier
        for h in rows.values():  # both moved back past the P1 limit (300 s; P0's is 60 s)
            h.created_at = utcnow() - timedelta(seconds=301)
    assert run_once(client.app.state.core) == 1
    assert _alerts("escalation_" + tier.lower()) == 1
    with session_scope() as s:
        rows = {h.conversation_id: h for h in s.scalars(select(Handover))}
        assert rows[p1["id"]].escalated_at is not None and rows[p2["id"]].escalated_at is None
    assert any(m["key"] == "handover.still_waiting" for m in person_messages(client, p1))
    assert not any(m["key"] == "handover.still_waiting" for m in person_messages(client, p2))


def test_an_accepted_handover_is_not_escalated(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    make_staff("ana", "Ana", on_duty=True)
    csrf = login(client, "ana")
    conv, _, handover_id = queued_danger(client)
    client.post(f"/staff/handovers/{handover_id}/join", data={"csrf_token": csrf})
    monkeypatch.setenv("HOTLINE_ESCALATE_P0_SECONDS", "0")
    reset_settings()
    assert run_once(client.app.state.core) == 0
    assert not any(m["key"] == "handover.still_waiting" for m in person_messages(client, conv))
