"""The FastAPI application: web chat, Twilio webhooks, staff console, health.

Routers are included only if their module exists so that a part under construction cannot stop
the service from starting; every router is required in a release (tests check them all).
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from hotline.assistant.client import AssistantClient
from hotline.assistant.tracker import erase_tracker
from hotline.conversation.core import ConversationCore
from hotline.events import bus
from hotline.settings import get_settings
from hotline.storage import db
from hotline.web.security import SecurityHeadersMiddleware
from hotline.web.templating import STATIC_DIR

log = logging.getLogger(__name__)

ROUTERS = [
    "hotline.channels.web:router",
    "hotline.channels.sms:router",
    "hotline.channels.voice:router",
    "hotline.staff.routes:router",
]


def _translator():  # type: ignore[no-untyped-def]
    """The machine translator, imported lazily (argostranslate costs ~2 s and 330 MB to import)."""
    try:
        from hotline.translation.service import get_translator
    except ImportError:
        return None
    return lambda text, src, tgt: get_translator().translate(text, src, tgt)


def erase_copies(conversation_id: str) -> None:
    """Erase what other components hold of a conversation: Rasa's tracker rows and cached
    translations (cached text must not outlive its conversation)."""
    erase_tracker(conversation_id)
    try:
        from hotline.translation.service import get_translator
    except ImportError:
        return
    get_translator().forget()


def create_app() -> FastAPI:
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(db.migrate)
        # Load triage and language models before accepting requests: the first person to write
        # must get a P0 reply within 2 s, not wait for a model to load.
        await run_in_threadpool(app.state.core.warm_up)
        await bus.start(settings.redis_url)
        background = []
        for starter in app.state.background_starters:
            background.append(await starter(app))
        try:
            yield
        finally:
            for task in background:
                if task is not None:
                    task.cancel()
            await bus.stop()
            app.state.core.assistant.close()

    app = FastAPI(title="Hotline", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.core = ConversationCore(AssistantClient(), translate=_translator(), erase_tracker=erase_copies)
    from hotline import retention
    from hotline.handover import escalation

    app.state.background_starters = [escalation.start, retention.start]
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for target in ROUTERS:
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if not exc.name or not module_name.startswith(exc.name):
                raise
            log.warning("router %s not present", module_name)
            continue
        app.include_router(getattr(module, attr))
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(app)

    @app.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        report = await health_report()
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    return app


async def health_report() -> dict[str, Any]:
    """Each part's state. The hotline 'can answer' when its database works: triage and the safety
    reply do not need Rasa, so Rasa or the action server being down is reported but not fatal."""
    settings = get_settings()
    parts: dict[str, Any] = {}
    try:
        await run_in_threadpool(db.ping)
        parts["database"] = {"ok": True, "engine": db.get_engine().dialect.name}
    except Exception as exc:  # noqa: BLE001
        parts["database"] = {"ok": False, "error": type(exc).__name__}
    async with httpx.AsyncClient(trust_env=False, timeout=1.5) as client:
        for name, url in (("rasa", settings.rasa_url + "/status"), ("action_server", settings.action_server_url + "/health")):
            try:
                resp = await client.get(url)
                ok = resp.status_code == 200
                entry: dict[str, Any] = {"ok": ok}
                if name == "rasa" and ok:
                    entry["model"] = (resp.json().get("model_file") or "").rsplit("/", 1)[-1]
                parts[name] = entry
            except httpx.HTTPError as exc:
                parts[name] = {"ok": False, "error": type(exc).__name__}
    parts["triage"] = {"ok": True, "needs_rasa": False}
    return {"ok": parts["database"]["ok"], "degraded": not all(p["ok"] for p in parts.values()), "parts": parts}


app = None  # created by `hotline serve` / tests through create_app()
