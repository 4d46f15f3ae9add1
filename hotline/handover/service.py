"""Creating handovers and alerting supervisors.

A handover is created only after the person consented (POLICY.md; seeds-000-002-notes.md §5.3-5.4,
bridged referral). It carries what the worker must read before joining so that nobody has to tell
their story twice: tier and reasons, child flag, language, topics, what the person chose to share.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.events import QUEUE_TOPIC, bus
from hotline.storage.models import Alert, Conversation, Handover, Message, StaffUser, as_utc, utcnow

ON_DUTY_FRESHNESS = timedelta(minutes=30)


def on_duty_workers(session: Session) -> list[StaffUser]:
    """Workers who said they are on duty and were seen recently (a closed laptop is not on duty)."""
    since = utcnow() - ON_DUTY_FRESHNESS
    rows = session.scalars(
        select(StaffUser).where(StaffUser.on_duty.is_(True), StaffUser.disabled.is_(False))
    ).all()
    return [w for w in rows if w.last_seen_at is not None and as_utc(w.last_seen_at) >= since]


def open_handover(session: Session, conversation: Conversation) -> Handover | None:
    return session.scalars(
        select(Handover).where(
            Handover.conversation_id == conversation.id, Handover.status.in_(("queued", "active"))
        )
    ).first()


def topics_of(session: Session, conversation: Conversation) -> list[str]:
    """Topics the person asked about, from the bot's message keys (rights.* and report.*)."""
    keys = session.scalars(
        select(Message.key).where(Message.conversation_id == conversation.id, Message.key.is_not(None))
    ).all()
    topics: list[str] = []
    for key in keys:
        if key.startswith("rights.") and key != "rights.overview":
            topic = key.split(".")[1]
        elif key.startswith("report."):
            topic = "report"
        else:
            continue
        if topic not in topics:
            topics.append(topic)
    return topics


def reasons_of(session: Session, conversation: Conversation) -> list[str]:
    reasons: list[str] = []
    rows = session.scalars(
        select(Message.triage_reasons).where(
            Message.conversation_id == conversation.id, Message.direction == "in"
        )
    ).all()
    for row in rows:
        for reason in row or []:
            if reason not in reasons:
                reasons.append(reason)
    return reasons


def request_handover(session: Session, conversation: Conversation,
                     shared: dict[str, Any] | None = None) -> Handover:
    """Queue a handover for this conversation (one open handover at most)."""
    existing = open_handover(session, conversation)
    if existing is not None:
        return existing
    handover = Handover(
        conversation_id=conversation.id, channel=conversation.channel, status="queued",
        tier=conversation.tier, child=conversation.child, language=conversation.language,
        indicators=list(conversation.indicators or []), reasons=reasons_of(session, conversation),
        topics=topics_of(session, conversation), shared=shared or {},
    )
    session.add(handover)
    session.flush()
    if conversation.tier in ("P0", "P1"):
        raise_alert(session, "handover_" + conversation.tier.lower(), conversation, handover)
    bus.publish(QUEUE_TOPIC, {"event": "queued", "handover_id": handover.id, "tier": handover.tier})
    return handover


def raise_alert(session: Session, kind: str, conversation: Conversation | None,
                handover: Handover | None = None) -> Alert:
    alert = Alert(kind=kind, conversation_id=conversation.id if conversation else None,
                  handover_id=handover.id if handover else None,
                  tier=conversation.tier if conversation else None)
    session.add(alert)
    session.flush()
    bus.publish(QUEUE_TOPIC, {"event": "alert", "alert_id": alert.id, "kind": kind})
    return alert


def finish_handover(session: Session, handover_id: int, status: str, from_statuses: tuple[str, ...] = ("active",),
                    outcome: str | None = None, private_note: str | None = None) -> bool:
    """Close (``closed``) or hand back (``returned``) a handover: one conditional UPDATE, so when two
    staff finish the same case at once exactly one succeeds and the person hears one goodbye.
    ``closed_at`` is set either way: retention counts from it (POLICY.md §4)."""
    from sqlalchemy import update

    if status not in ("closed", "returned"):
        raise ValueError(status)
    values: dict[str, Any] = {"status": status, "closed_at": utcnow(), "version": Handover.version + 1}
    if outcome is not None:
        values["outcome"] = outcome
    if private_note:
        values["private_note"] = private_note  # EncryptedText: encrypted on the way in
    result = session.execute(
        update(Handover).where(Handover.id == handover_id, Handover.status.in_(from_statuses))
        .values(**values).execution_options(synchronize_session=False)
    )
    done = result.rowcount == 1
    if done:
        bus.publish(QUEUE_TOPIC, {"event": status, "handover_id": handover_id})
    return done
