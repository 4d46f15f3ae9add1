"""Live updates for the console: server-sent events driven by the event bus.

Why SSE: the console only listens (it sends with ordinary POSTs carrying a CSRF token), EventSource
reconnects by itself, sends the session cookie like any same-origin request and needs no extra
protocol. Events on the bus carry ids only; each stream reads what *this* staff member may see from
the database (views.can_view), so nothing is broadcast to people who should not see it.

The queue stream is also the console's heartbeat: every pass refreshes ``StaffUser.last_seen_at``,
which the conversation core uses (with ``on_duty``) to decide whether anyone is there to take a
handover (hotline.handover.service.on_duty_workers). A closed laptop stops the heartbeat and the
worker stops counting as on duty after ON_DUTY_FRESHNESS.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import Request
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from fastapi.concurrency import run_in_threadpool

from hotline.events import QUEUE_TOPIC, bus, conversation_topic
from hotline.staff import views
from hotline.staff.auth import StaffSession, read_session
from hotline.storage.db import session_scope
from hotline.storage.models import Handover, StaffUser, utcnow

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 15.0
BURST_SECONDS = 0.05  # events arriving together (message + alert + tier) make one update
# The conversation core publishes some events before its transaction commits, so a read right after
# an event can miss the change: the streams read again shortly after every event.
RECHECKS = (0.1, 0.3, 1.0)


def sse(event: str, data: Any, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def still_valid(cookie: str | None, touch: bool) -> StaffSession | None:
    """Re-read the session (a disabled account or a logout ends the stream) and refresh last_seen.

    The refresh is one UPDATE in its own short transaction (no read-then-write upgrade, which
    SQLite refuses at once when another writer committed meanwhile), and a busy database only
    skips this heartbeat: the next one comes within HEARTBEAT_SECONDS."""
    with session_scope() as s:
        staff = read_session(s, cookie)
    if staff is not None and touch:
        try:
            with session_scope() as s:
                s.execute(update(StaffUser).where(StaffUser.id == staff.staff_id).values(last_seen_at=utcnow()))
        except OperationalError:
            log.warning("could not refresh a staff heartbeat (database busy); retrying next pass")
    return staff


def queue_payload(staff: StaffSession) -> dict[str, Any]:
    with session_scope() as s:
        data: dict[str, Any] = {"queue": views.queue_items(s, staff), "on_duty": views.on_duty_count(s),
                                "me_on_duty": staff.on_duty}
        if staff.supervisor:
            data["alerts"] = views.open_alerts(s)
        return data


async def _wait(events: asyncio.Queue[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
    try:
        first = await asyncio.wait_for(events.get(), timeout=timeout)
    except asyncio.TimeoutError:
        return []
    await asyncio.sleep(BURST_SECONDS)
    got = [first]
    while not events.empty():
        got.append(events.get_nowait())
    return got


async def queue_stream(request: Request, cookie: str | None) -> AsyncIterator[str]:
    async with bus.subscribe(QUEUE_TOPIC) as events:
        yield "retry: 1000\n\n"
        touch, rechecks, last = True, [], None
        while True:
            staff = await run_in_threadpool(still_valid, cookie, touch)
            if staff is None:
                yield sse("logout", {})
                return
            payload = await run_in_threadpool(queue_payload, staff)
            if payload != last:
                yield sse("queue", payload)
                last = payload
            got = await _wait(events, rechecks.pop(0) if rechecks else HEARTBEAT_SECONDS)
            if got:
                rechecks = list(RECHECKS)
            touch = not got and not rechecks  # a quiet pass is a heartbeat
            if await request.is_disconnected():
                return


def conversation_payload(staff: StaffSession, handover_id: int, since: int, only: set[int],
                         translate: Callable[[str, str, str], Any] | None) -> dict[str, Any] | None:
    with session_scope() as s:
        handover = s.get(Handover, handover_id)
        if handover is None or not views.can_view(staff, handover):
            return None
        lines = views.transcript(s, handover.conversation_id, staff.language, translate, since=since, only=only)
        return {"lines": [line.as_dict() for line in lines], "status": handover.status,
                "person_left": handover.person_left_at is not None,
                "can_write": views.can_write(staff, handover)}


async def conversation_stream(request: Request, cookie: str | None, handover_id: int, conversation_id: str,
                              since: int, translate: Callable[[str, str, str], Any] | None) -> AsyncIterator[str]:
    async with bus.subscribe(conversation_topic(conversation_id), QUEUE_TOPIC) as events:
        yield "retry: 1000\n\n"
        last, only, rechecks, state = since, set(), [], None
        while True:
            staff = await run_in_threadpool(still_valid, cookie, False)
            if staff is None:
                yield sse("logout", {})
                return
            payload = await run_in_threadpool(conversation_payload, staff, handover_id, last, only, translate)
            if payload is None:
                yield sse("gone", {})
                return
            now = (payload["status"], payload["person_left"], payload["can_write"])
            if payload["lines"] or now != state:
                if payload["lines"]:
                    last = max(last, *(line["id"] for line in payload["lines"]))
                yield sse("conversation", payload, event_id=last)
                state = now
            got = await _wait(events, rechecks.pop(0) if rechecks else HEARTBEAT_SECONDS)
            if got:
                rechecks = list(RECHECKS)
            only = {e["message_id"] for e in got if e.get("event") == "translation" and e.get("message_id")}
            if await request.is_disconnected():
                return
