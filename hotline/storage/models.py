"""The database schema.

What a person wrote, anything that could identify them and staff's private notes are stored
encrypted (``EncryptedText``/``EncryptedJSON``); phone numbers are kept only as keyed hashes, plus an
encrypted copy where a reply must be sent later (POLICY.md §5). Plain columns hold only what the
service needs to route and count: channel, language, tier, indicator names, timestamps.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hotline.storage.types import EncryptedJSON, EncryptedText


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns: read them back as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def new_conversation_id() -> str:
    """128 bits from the OS's CSPRNG: unguessable, safe to put in a URL path."""
    return secrets.token_urlsafe(16)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSON, list[str]: JSON}


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_conversation_id)
    channel: Mapped[str] = mapped_column(String(8))  # web | sms | voice
    token_hash: Mapped[str | None] = mapped_column(String(64))  # web: sha256 of the bearer token
    sender_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # HMAC of the phone number
    contact_enc: Mapped[str | None] = mapped_column(EncryptedText)  # number to reply to, encrypted
    country_code: Mapped[str | None] = mapped_column(String(4))  # E.164 calling code, a language prior
    language: Mapped[str | None] = mapped_column(String(8))
    language_source: Mapped[str | None] = mapped_column(String(12))  # chosen | detected | default
    audience: Mapped[str] = mapped_column(String(8), default="adult")  # adult | child
    tier: Mapped[str] = mapped_column(String(2), default="P3")
    child: Mapped[bool] = mapped_column(Boolean, default=False)
    indicators: Mapped[list[str]] = mapped_column(JSON, default=list)
    # bot | awaiting_consent | awaiting_language | awaiting_contact | queued | with_worker | ended
    state: Mapped[str] = mapped_column(String(20), default="bot")
    handover_offered: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency_shown: Mapped[bool] = mapped_column(Boolean, default=False)
    fallback_streak: Mapped[int] = mapped_column(Integer, default=0)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(20))

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", order_by="Message.id"
    )
    handovers: Mapped[list[Handover]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", order_by="Handover.id"
    )


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    author: Mapped[str] = mapped_column(String(8))  # person | bot | worker | system
    body: Mapped[str] = mapped_column(EncryptedText)
    lang: Mapped[str | None] = mapped_column(String(8))
    key: Mapped[str | None] = mapped_column(String(64))  # message key for bot/system replies
    translation: Mapped[str | None] = mapped_column(EncryptedText)
    translation_lang: Mapped[str | None] = mapped_column(String(8))
    translation_machine: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # Twilio MessageSid
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    tier: Mapped[str | None] = mapped_column(String(2))
    indicators: Mapped[list[str] | None] = mapped_column(JSON)
    triage_reasons: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    intent: Mapped[str | None] = mapped_column(String(40))
    delivery_status: Mapped[str | None] = mapped_column(String(16))

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(12), default="worker")  # worker | supervisor
    language: Mapped[str] = mapped_column(String(8), default="en")
    phone_enc: Mapped[str | None] = mapped_column(EncryptedText)  # dialled for warm call transfers
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Handover(Base):
    """A warm transfer: what the worker reads before joining, and the case's outcome."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(8))
    # queued | active | closed | returned | cancelled
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    tier: Mapped[str] = mapped_column(String(2))
    child: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(8))
    indicators: Mapped[list[str]] = mapped_column(JSON, default=list)
    reasons: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    shared: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)  # what the person chose to share
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    person_left_at: Mapped[datetime | None]
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    outcome: Mapped[str | None] = mapped_column(String(40))
    private_note: Mapped[str | None] = mapped_column(EncryptedText)
    call_sid: Mapped[str | None] = mapped_column(String(64))
    conference_name: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by each accept/finish UPDATE

    conversation: Mapped[Conversation] = relationship(back_populates="handovers")
    worker: Mapped[StaffUser | None] = relationship()
    # No ORM version check on purpose: a worker accepting while the person writes must never make
    # the person's turn fail (StaleDataError). The accept race is one conditional UPDATE instead.


class Alert(Base):
    """A supervisor alert: P0 seen, a handover waiting too long, a person left during a handover."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(24))
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    handover_id: Mapped[int | None] = mapped_column(ForeignKey("handovers.id", ondelete="SET NULL"))
    tier: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class ContactRequest(Base):
    """A safe time and way to be contacted, left when no worker was on duty (encrypted)."""

    __tablename__ = "contact_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    details: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who did what and when; never message content (POLICY.md §1, §4: kept one year)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ConversationStat(Base):
    """Anonymous counters that survive erasure: channel, language, tier, day (POLICY.md §3)."""

    __tablename__ = "conversation_stats"
    __table_args__ = (UniqueConstraint("day", "channel", "language", "tier", "outcome"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(8))
    tier: Mapped[str] = mapped_column(String(2))
    outcome: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(Integer, default=0)


def count_conversation(session: Any, conv: Conversation, outcome: str, day: str | None = None) -> None:
    """Add one to the anonymous counter (day, channel, language, tier, outcome) that outlives a
    conversation's erasure (POLICY.md §3)."""
    from sqlalchemy import select

    key = dict(day=day or utcnow().date().isoformat(), channel=conv.channel, language=conv.language or "und",
               tier=conv.tier, outcome=outcome)
    stat = session.scalars(select(ConversationStat).filter_by(**key)).first()
    if stat is None:
        session.add(ConversationStat(count=1, **key))
    else:
        stat.count += 1
