"""The staff queue: order, the accept race, escalation.

Order (anchors-notes.md §3, Crisis Text Line's risk-ordered queue): by tier, then by waiting time,
with aging so lower tiers are not starved: every ``queue_aging_seconds_per_tier`` of waiting moves a
handover up one tier, but never above P1: a P0 is always first.

Accepting is a single conditional UPDATE (``... WHERE status = 'queued'``): when two workers press
accept at once, the database lets exactly one row change, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.events import QUEUE_TOPIC, bus
from hotline.handover.service import raise_alert
from hotline.settings import get_settings
from hotline.storage.models import Conversation, Handover, StaffUser, as_utc, utcnow

TIER_RANK = {"P0": 0, "P1": 1, "P2": 2, "P3": 3}


def waiting_seconds(handover: Handover, now: datetime | None = None) -> float:
    return ((now or utcnow()) - as_utc(handover.created_at)).total_seconds()


def effective_rank(handover: Handover, now: datetime | None = None) -> int:
    rank = TIER_RANK.get(handover.tier, 3)
    if rank == 0:
        return 0
    aged = int(waiting_seconds(handover, now) // get_settings().queue_aging_seconds_per_tier)
    return max(1, rank - aged)


@dataclass
class QueueItem:
    handover: Handover
    rank: int
    waiting: float


def queue_snapshot(session: Session, include_active: bool = True) -> list[QueueItem]:
    statuses = ("queued", "active") if include_active else ("queued",)
    rows = session.scalars(select(Handover).where(Handover.status.in_(statuses))).all()
    now = utcnow()
    items = [QueueItem(h, effective_rank(h, now), waiting_seconds(h, now)) for h in rows]
    # queued before active; then rank; then the longest wait first
    items.sort(key=lambda i: (i.handover.status != "queued", i.rank, -i.waiting))
    return items


def accept(session: Session, handover_id: int, worker: StaffUser) -> bool:
    """Claim a queued handover for ``worker``. True for exactly one of any concurrent callers."""
    result = session.execute(
        update(Handover)
        .where(Handover.id == handover_id, Handover.status == "queued")
        .values(status="active", worker_id=worker.id, accepted_at=utcnow(), version=Handover.version + 1)
        .execution_options(synchronize_session=False)
    )
    won = result.rowcount == 1
    if won:
        handover = session.get(Handover, handover_id)
        if handover is not None:
            session.refresh(handover)
            conv = session.get(Conversation, handover.conversation_id)
            if conv is not None:
                if conv.state != "ended":  # never put a person who left back with a worker
                    conv.state = "with_worker"
        bus.publish(QUEUE_TOPIC, {"event": "accepted", "handover_id": handover_id})
    return won


def escalate_due(session: Session, now: datetime | None = None) -> list[Handover]:
    """Queued handovers past their tier's limit (P0 60 s, P1 5 min by default): alert once each."""
    settings = get_settings()
    limits = {"P0": settings.escalate_p0_seconds, "P1": settings.escalate_p1_seconds}
    now = now or utcnow()
    due: list[Handover] = []
    rows = session.scalars(select(Handover).where(Handover.status == "queued",
                                                  Handover.escalated_at.is_(None))).all()
    for handover in rows:
        limit = limits.get(handover.tier)
        if limit is not None and waiting_seconds(handover, now) > limit:
            handover.escalated_at = now
            conv = session.get(Conversation, handover.conversation_id)
            raise_alert(session, "escalation_" + handover.tier.lower(), conv, handover)
            due.append(handover)
    return due


def phone_workers(session: Session, language: str | None = None, exclude: set[int] | frozenset[int] = frozenset()) -> list[StaffUser]:
    """On-duty workers who can take a call (a phone number on file), in the order to dial them:
    those who speak the caller's language first, then those not already holding a case, then the
    one seen most recently. ``exclude``: workers already dialled for this call."""
    from hotline.handover.service import on_duty_workers

    workers = [w for w in on_duty_workers(session) if w.phone_enc and w.id not in exclude]
    busy = set(session.scalars(select(Handover.worker_id).where(Handover.status == "active")).all())
    return sorted(workers, key=lambda w: (w.language != language, w.id in busy,
                                          -as_utc(w.last_seen_at).timestamp() if w.last_seen_at else 0, w.id))
