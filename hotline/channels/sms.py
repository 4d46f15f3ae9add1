"""Twilio SMS channel: ``POST /twilio/sms`` and the delivery-status callback.

A turn normally finishes in well under two seconds and is answered inline with TwiML. When it takes
longer than ``INLINE_DEADLINE`` (Rasa slow, a database lock), the webhook acknowledges with an empty
response and the reply goes out through the REST API when the turn finishes, far inside Twilio's
15-second limit. A retry of the same ``MessageSid`` gets the stored answer (the core is idempotent
on it) and is never stored or answered twice. Replies are cut to three segments (GSM-7 or UCS-2
as the text needs) unless the person asked for more (anchors-notes.md §5.1-5.2).
"""
from __future__ import annotations

import asyncio
import logging
from functools import lru_cache

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from twilio.base.exceptions import TwilioException
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from hotline.channels import outbound
from hotline.channels.twilio_common import calling_code, verified_form
from hotline.conversation.types import InboundTurn, TurnResult
from hotline.settings import get_settings
from hotline.sms_segments import fits, trim_to_segments
from hotline.storage.db import session_scope
from hotline.storage.models import Conversation, Message

log = logging.getLogger(__name__)
router = APIRouter()

INLINE_DEADLINE = 8.0
MAX_SEGMENTS = 3
MAX_SEGMENTS_ASKED_FOR_MORE = 6


def reply_texts(result: TurnResult) -> list[str]:
    """The SMS bodies for a turn's replies, each within the segment budget.

    All replies go in one message when they fit three segments together. Otherwise each reply is
    its own message: dropping one could lose a question the conversation now waits for (the
    consent question) or the emergency number, which is why nothing is cut across replies. A
    single reply longer than its budget is cut at a sentence boundary (locales keep SMS variants
    within three segments, so this only happens to long free text)."""
    texts = [r.text for r in result.replies if r.text]
    asked_more = any((r.key or "").endswith(".more") for r in result.replies)
    budget = MAX_SEGMENTS_ASKED_FOR_MORE if asked_more else MAX_SEGMENTS
    combined = "\n\n".join(texts)
    if not texts or fits(combined, budget):
        return [combined] if texts else []
    return [trim_to_segments(t, budget) for t in texts]


def twiml(texts: list[str]) -> Response:
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return Response(content=str(response), media_type="application/xml")


@lru_cache(maxsize=1)
def twilio_client() -> Client:
    """twilio's REST client; ``TWILIO_API_BASE`` points it at another host (tests record requests)."""
    settings = get_settings()
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token)
    if settings.twilio_api_base:
        client.api.base_url = settings.twilio_api_base.rstrip("/")
    return client


def status_callback_url() -> str | None:
    base = get_settings().public_base_url
    return base.rstrip("/") + "/twilio/sms/status" if base else None




def send_sms(conversation_id: str, message_id: int) -> str | None:
    """Send a stored outbound message to the conversation's number (inside an open conversation).
    The core calls this after the message's transaction committed (events.after_commit), and the
    SID Twilio gives is recorded on the message for the delivery-status callbacks."""
    sid = _send_stored(conversation_id, message_id)
    if sid:
        with session_scope() as s:
            msg = s.get(Message, message_id)
            if msg is not None and not msg.external_id:
                msg.external_id = sid
    return sid


def _send_stored(conversation_id: str, message_id: int) -> str | None:
    settings = get_settings()
    with session_scope() as s:
        conv = s.get(Conversation, conversation_id)
        msg = s.get(Message, message_id)
        if conv is None or msg is None or not conv.contact_enc or conv.opted_out or conv.state == "ended":
            return None
        body = msg.translation if (msg.author == "worker" and msg.translation) else msg.body
        to = conv.contact_enc
    kwargs = {"to": to, "from_": settings.twilio_from_number, "body": trim_to_segments(body, MAX_SEGMENTS)}
    callback = status_callback_url()
    if callback:
        kwargs["status_callback"] = callback
    try:
        sent = twilio_client().messages.create(**kwargs)
    except TwilioException as exc:
        log.warning("twilio refused an outbound SMS: %s", type(exc).__name__)
        return None
    return sent.sid


def send_late_reply(conversation_id: str, texts: list[str]) -> None:
    """The turn outlived the inline deadline: send its reply through the REST API instead."""
    with session_scope() as s:
        conv = s.get(Conversation, conversation_id)
        to = conv.contact_enc if conv is not None and not conv.opted_out else None
    if not to:
        return
    for text in texts:
        try:
            twilio_client().messages.create(to=to, from_=get_settings().twilio_from_number, body=text)
        except TwilioException as exc:
            log.warning("twilio refused a late SMS reply: %s", type(exc).__name__)


def setup(app) -> None:  # type: ignore[no-untyped-def]
    outbound.register("sms", send_sms)


@router.post("/twilio/sms")
async def inbound_sms(request: Request) -> Response:
    params = await verified_form(request)
    sender = params.get("From", "")
    turn = InboundTurn(channel="sms", text=params.get("Body", ""), sender=sender,
                       external_id=params.get("MessageSid") or None, country_code=calling_code(sender))
    core = request.app.state.core
    work = asyncio.ensure_future(run_in_threadpool(core.handle_turn, turn))
    try:
        result = await asyncio.wait_for(asyncio.shield(work), timeout=INLINE_DEADLINE)
    except asyncio.TimeoutError:
        log.warning("sms turn slower than %ss: acknowledging, reply goes by REST", INLINE_DEADLINE)

        def _late(task: asyncio.Future) -> None:  # type: ignore[type-arg]
            if not task.cancelled() and task.exception() is None:
                res = task.result()
                if not res.duplicate:
                    asyncio.get_running_loop().run_in_executor(None, send_late_reply, res.conversation_id, reply_texts(res))

        work.add_done_callback(_late)
        return twiml([])
    return twiml(reply_texts(result))


@router.post("/twilio/sms/status")
async def sms_status(request: Request) -> Response:
    """Delivery status callbacks: recorded on the message (no content involved)."""
    params = await verified_form(request)
    sid, status = params.get("MessageSid"), params.get("MessageStatus")
    if sid and status:
        def _update() -> None:
            from sqlalchemy import select

            with session_scope() as s:
                msg = s.scalars(select(Message).where(Message.external_id == sid)).first()
                if msg is not None:
                    msg.delivery_status = status[:16]
        await run_in_threadpool(_update)
    return Response(status_code=204)
