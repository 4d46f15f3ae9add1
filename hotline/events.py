"""Live events for open pages: new messages for a conversation, queue changes for staff.

Events carry ids only (never message text): a listener that receives one reads what it may see
from the database. Subscribers are asyncio queues in this process; with ``HOTLINE_REDIS_URL`` set,
events also travel through Redis pub/sub so several service processes see each other's events.
Publishing works from worker threads (the conversation core runs in FastAPI's thread pool).
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

log = logging.getLogger(__name__)
CHANNEL = "hotline-events"


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._redis: Any = None
        self._redis_task: asyncio.Task[None] | None = None

    async def start(self, redis_url: str | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        if redis_url:
            import redis.asyncio as aioredis

            self._redis = aioredis.from_url(redis_url)
            self._redis_task = asyncio.create_task(self._relay())

    async def stop(self) -> None:
        if self._redis_task:
            self._redis_task.cancel()
        if self._redis is not None:
            await self._redis.aclose()
        self._redis = None
        self._loop = None

    async def _relay(self) -> None:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(CHANNEL)
        async for item in pubsub.listen():
            if item.get("type") == "message":
                event = json.loads(item["data"])
                self._deliver(event["topic"], event["payload"])

    def _deliver(self, topic: str, payload: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            queue.put_nowait(payload)

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """Publish from any thread; a no-op when the service loop is not running (CLI, tests).

        Inside a database transaction (``deferred()``, opened by ``session_scope``) the event waits
        until the transaction committed: a page that reads on the event must find the new row."""
        pending = _deferred.get()
        if pending is not None:
            pending.append((topic, payload))
            return
        self._publish_now(topic, payload)

    def _publish_now(self, topic: str, payload: dict[str, Any]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if self._redis is not None:
            data = json.dumps({"topic": topic, "payload": payload})
            asyncio.run_coroutine_threadsafe(self._redis.publish(CHANNEL, data), loop)
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(topic, payload)
        else:
            loop.call_soon_threadsafe(self._deliver, topic, payload)

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for topic in topics:
            self._subscribers[topic].add(queue)
        try:
            yield queue
        finally:
            for topic in topics:
                self._subscribers[topic].discard(queue)


bus = EventBus()
_deferred: ContextVar[list[Any] | None] = ContextVar("hotline_deferred_events", default=None)


def after_commit(action: Callable[[], Any]) -> None:
    """Run ``action`` once the current transaction has committed (at once outside one): sending an
    SMS for a message another connection cannot see yet would send nothing, or deadlock SQLite."""
    pending = _deferred.get()
    if pending is None:
        action()
    else:
        pending.append(action)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold events published inside the block; publish them when it ends without an error (after the
    commit). Nested blocks leave it to the outermost one; an error drops them with the rollback."""
    if _deferred.get() is not None:
        yield
        return
    token = _deferred.set([])
    try:
        yield
        events = _deferred.get() or []
    finally:
        _deferred.reset(token)
    for item in events:
        if callable(item):
            try:
                item()
            except Exception:  # noqa: BLE001 - one failed delivery must not hide the others
                log.exception("after-commit action failed")
        else:
            bus._publish_now(*item)


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


QUEUE_TOPIC = "staff:queue"
