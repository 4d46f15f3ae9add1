"""What a channel hands to the core, and what it gets back."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class InboundTurn:
    channel: str  # web | sms | voice
    text: str
    conversation_id: str | None = None  # web and voice: known id; sms: found by sender
    sender: str | None = None  # raw phone number: hashed at once, stored only encrypted
    external_id: str | None = None  # Twilio MessageSid / CallSid+seq: idempotence key
    country_code: str | None = None  # E.164 calling code of the sender, a language prior
    language_hint: str | None = None  # an explicit choice made outside the text (menu, keypad)


@dataclass
class Reply:
    text: str
    key: str | None = None
    author: str = "bot"  # bot | system | worker
    lang: str | None = None
    machine_translated: bool = False


@dataclass
class TurnResult:
    conversation_id: str
    replies: list[Reply] = field(default_factory=list)
    language: str = "en"
    tier: str = "P3"
    state: str = "bot"
    duplicate: bool = False
    ended: bool = False
