"""The same service on PostgreSQL: migrations, a conversation, erasure, idempotence."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.postgres


def test_conversation_on_postgres(postgres_url: str) -> None:
    from hotline.app import create_app
    from hotline.storage.db import get_engine

    with TestClient(create_app()) as client:
        assert get_engine().dialect.name == "postgresql"
        health = client.get("/healthz").json()
        assert health["parts"]["database"] == {"ok": True, "engine": "postgresql"}
        data = client.post("/api/conversations", json={}).json()
        auth = {"Authorization": "Bearer " + data["token"]}
        resp = client.post(f"/api/conversations/{data['id']}/messages",
                           json={"text": "they lock us in at night and beat us"}, headers=auth)
        assert resp.json()["replies"][0] == "emergency.lead"
        assert client.post(f"/api/conversations/{data['id']}/exit", json={"token": data["token"]}).status_code == 204


def test_sms_retry_is_stored_once_on_postgres(postgres_url: str) -> None:
    from sqlalchemy import func, select

    from hotline.conversation.core import ConversationCore
    from hotline.conversation.types import InboundTurn
    from hotline.storage.db import migrate, session_scope
    from hotline.storage.models import Message

    migrate()
    core = ConversationCore()
    turn = InboundTurn(channel="sms", text="hello, what are my rights", sender="+40712000111", external_id="SM" + "1" * 32)
    first = core.handle_turn(turn)
    again = core.handle_turn(turn)
    assert again.duplicate and [r.text for r in again.replies] == [r.text for r in first.replies]
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Message).where(Message.direction == "in")) == 1
