"""The escalation timer: a background task of the service that checks the queue every few
seconds, alerts the supervisor and tells the person plainly that a worker is still being found
(with the emergency number), once per handover."""
from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from hotline.handover.queue import escalate_due
from hotline.storage.db import session_scope

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 5.0


def run_once(core) -> int:  # type: ignore[no-untyped-def]
    """One pass; returns how many handovers were escalated (also used by tests and the CLI)."""
    with session_scope() as s:
        due = [(h.id, h.conversation_id) for h in escalate_due(s)]
    for _handover_id, conversation_id in due:
        core.notify_person(conversation_id, "handover.still_waiting")
    return len(due)


async def _loop(app: FastAPI) -> None:
    while True:
        await asyncio.sleep(INTERVAL_SECONDS)
        try:
            count = await run_in_threadpool(run_once, app.state.core)
            if count:
                log.warning("escalated %d waiting handover(s)", count)
        except Exception:  # noqa: BLE001 - the timer must survive a bad pass
            log.exception("escalation pass failed")


async def start(app: FastAPI) -> asyncio.Task[None]:
    return asyncio.create_task(_loop(app))
