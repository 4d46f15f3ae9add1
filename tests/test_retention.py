"""Retention purge: what is due goes, open handovers and recent conversations stay."""
from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner

from hotline.cli import main
from hotline.storage.db import migrate, session_scope
from hotline.storage.models import AuditEntry, Conversation, ConversationStat, Handover, Message, utcnow


def _conversation(s, days_ago: int, handover: str | None = None, closed_days_ago: int | None = None) -> str:  # type: ignore[no-untyped-def]
    conv = Conversation(channel="web", language="ro", tier="P2", last_message_at=utcnow() - timedelta(days=days_ago),
                        created_at=utcnow() - timedelta(days=days_ago))
    s.add(conv)
    s.flush()
    s.add(Message(conversation_id=conv.id, direction="in", author="person", body="ceva privat"))
    if handover:
        s.add(Handover(conversation_id=conv.id, channel="web", status=handover, tier="P2",
                       closed_at=utcnow() - timedelta(days=closed_days_ago) if closed_days_ago is not None else None))
    return conv.id


def test_purge_respects_each_period(hotline_env) -> None:  # type: ignore[no-untyped-def]
    migrate()
    with session_scope() as s:
        old = _conversation(s, 31)
        recent = _conversation(s, 5)
        open_case = _conversation(s, 200, handover="active")
        closed_old = _conversation(s, 200, handover="closed", closed_days_ago=91)
        closed_recent = _conversation(s, 200, handover="closed", closed_days_ago=10)
        s.add(AuditEntry(action="login", at=utcnow() - timedelta(days=400)))
        s.add(AuditEntry(action="login", at=utcnow() - timedelta(days=10)))
    result = CliRunner().invoke(main, ["retention", "due"])
    assert "without handover older than 30 days: 1" in result.output
    assert "closed handovers older than 90 days: 1" in result.output
    result = CliRunner().invoke(main, ["retention", "purge"])
    assert result.exit_code == 0, result.output
    with session_scope() as s:
        assert s.get(Conversation, old) is None and s.get(Conversation, closed_old) is None
        for kept in (recent, open_case, closed_recent):
            assert s.get(Conversation, kept) is not None
        assert len(s.query(AuditEntry).all()) == 1
        assert sum(x.count for x in s.query(ConversationStat).all()) == 2  # anonymous counters stay
