"""Delivery of messages that are not a direct answer to an inbound request (a worker's reply).

The web page receives them through its WebSocket (the event bus); SMS needs a sender that calls
Twilio's REST API, registered by the SMS channel. The core calls ``deliver`` only inside an open
conversation that has not opted out: never an unsolicited message.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

# channel -> callable(conversation_id, message_id); returns an external id (e.g. Twilio's SID)
Sender = Callable[[str, int], str | None]
_senders: dict[str, Sender] = {}


def register(channel: str, sender: Sender) -> None:
    _senders[channel] = sender


def deliver(channel: str, conversation_id: str, message_id: int) -> str | None:
    sender = _senders.get(channel)
    if sender is None:
        return None  # web: the page is told through the event bus
    try:
        return sender(conversation_id, message_id)
    except Exception:  # noqa: BLE001 - delivery failure is recorded on the message, never raised to staff UI
        log.exception("outbound delivery failed on %s for conversation %s", channel, conversation_id[:6])
        return None
