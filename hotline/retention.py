"""Retention: what is kept, for how long, and the purge that enforces it (POLICY.md §4).

- conversations with no handover: erased ``retention_conversation_days`` after the last message;
- handover records and transcripts: ``retention_handover_days`` after the case was closed;
- the audit log (who did what, never content): ``retention_audit_days``.
An open handover is never purged. Anonymous counters (channel, language, tier, day) are kept.
The service runs the purge every ``retention_interval_seconds``; ``hotline retention due`` shows
what is due and ``hotline retention purge`` runs it now.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from sqlalchemy import Select, delete, exists, select
from sqlalchemy.orm import Session

from hotline.assistant.tracker import erase_tracker
from hotline.settings import get_settings
from hotline.storage.db import session_scope
from hotline.storage.models import AuditEntry, Conversation, Handover, count_conversation, utcnow

log = logging.getLogger(__name__)


@dataclass
class Due:
    conversations: list[str]
    closed_handover_conversations: list[str]
    audit_entries: int


def _no_open_handover() -> object:
    return ~exists().where(Handover.conversation_id == Conversation.id,
                           Handover.status.in_(("queued", "active")))


def _stale_conversations(now: datetime) -> Select[tuple[str]]:
    cutoff = now - timedelta(days=get_settings().retention_conversation_days)
    return select(Conversation.id).where(
        Conversation.last_message_at < cutoff,
        ~exists().where(Handover.conversation_id == Conversation.id, Handover.status != "cancelled"))


def _closed_handovers(now: datetime) -> Select[tuple[str]]:
    cutoff = now - timedelta(days=get_settings().retention_handover_days)
    return select(Conversation.id).where(
        exists().where(Handover.conversation_id == Conversation.id, Handover.status.in_(("closed", "returned")),
                       Handover.closed_at < cutoff), _no_open_handover())


def due(session: Session, now: datetime | None = None) -> Due:
    now = now or utcnow()
    audit_cutoff = now - timedelta(days=get_settings().retention_audit_days)
    conversations = list(session.scalars(_stale_conversations(now)))
    handovers = [c for c in session.scalars(_closed_handovers(now)) if c not in conversations]
    audits = len(session.scalars(select(AuditEntry.id).where(AuditEntry.at < audit_cutoff)).all())
    return Due(conversations, handovers, audits)


def purge(now: datetime | None = None) -> Due:
    """Delete everything past its retention period; returns what was deleted."""
    now = now or utcnow()
    with session_scope() as s:
        found = due(s, now)
        for conv_id in found.conversations + found.closed_handover_conversations:
            conv = s.get(Conversation, conv_id)
            if conv is None:
                continue
            if conv.ended_reason is None:  # erased conversations were already counted at exit
                count_conversation(s, conv, "expired", day=conv.created_at.date().isoformat())
            s.delete(conv)  # messages, handovers, contact requests cascade
        audit_cutoff = now - timedelta(days=get_settings().retention_audit_days)
        s.execute(delete(AuditEntry).where(AuditEntry.at < audit_cutoff))
    for conv_id in found.conversations + found.closed_handover_conversations:
        try:
            erase_tracker(conv_id)
        except Exception:  # noqa: BLE001 - next pass tries again through the tracker's own age
            log.warning("could not erase the assistant's tracker for %s", conv_id[:6])
    return found


async def start(app) -> asyncio.Task[None]:  # type: ignore[no-untyped-def]
    """Background task of the service: purge on a schedule."""
    from fastapi.concurrency import run_in_threadpool

    async def _loop() -> None:
        while True:
            try:
                found = await run_in_threadpool(purge)
                total = len(found.conversations) + len(found.closed_handover_conversations)
                if total or found.audit_entries:
                    log.info("retention purge: %d conversations, %d audit entries", total, found.audit_entries)
            except Exception:  # noqa: BLE001
                log.exception("retention purge failed")
            await asyncio.sleep(get_settings().retention_interval_seconds)

    return asyncio.create_task(_loop())


@click.group("retention")
def retention_group() -> None:
    """Retention periods and the purge (POLICY.md §4)."""


@retention_group.command("due")
def due_command() -> None:
    """Show what the next purge would delete (counts only)."""
    settings = get_settings()
    with session_scope() as s:
        found = due(s)
    click.echo(f"conversations without handover older than {settings.retention_conversation_days} days: {len(found.conversations)}")
    click.echo(f"closed handovers older than {settings.retention_handover_days} days: {len(found.closed_handover_conversations)}")
    click.echo(f"audit entries older than {settings.retention_audit_days} days: {found.audit_entries}")


@retention_group.command("purge")
def purge_command() -> None:
    """Delete what is past its retention period now."""
    from hotline.storage.db import migrate

    migrate()
    found = purge()
    click.echo(f"purged {len(found.conversations) + len(found.closed_handover_conversations)} conversations, "
               f"{found.audit_entries} audit entries")
