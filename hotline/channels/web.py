"""Web chat channel: the page at ``/``, REST to send, WebSocket to receive, quick exit.

The conversation id is unguessable and every call needs its bearer token (only the token's hash is
stored). The token travels in a header or in the first WebSocket frame, never in a URL, so it is
not written to any proxy or access log. The page keeps the id and token in ``sessionStorage``
(gone when the tab closes); the quick exit erases the conversation and replaces the page and its
history entry.
"""
from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from hotline import i18n
from hotline.conversation.types import InboundTurn
from hotline.events import bus, conversation_topic
from hotline.settings import get_settings
from hotline.storage.db import session_scope
from hotline.storage.models import Conversation, Message
from hotline.web.templating import templates

router = APIRouter()

UI_KEYS = ["web.title", "web.quick_exit", "web.quick_exit_hint", "web.send", "web.placeholder",
           "web.language_label", "web.intro_notice", "web.worker_label", "web.assistant_label",
           "web.you_label", "web.machine_translated", "web.show_original", "web.connection_lost",
           "web.ended"]


class StartRequest(BaseModel):
    language: str | None = Field(default=None, max_length=8)
    chosen: bool = False  # picked from the menu (sticky) rather than the browser's preference


class SendRequest(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class LanguageRequest(BaseModel):
    language: str = Field(max_length=8)


class ExitRequest(BaseModel):
    token: str = Field(max_length=200)


def ui_strings(lang: str) -> dict[str, Any]:
    meta = i18n.language_meta(lang)
    return {"lang": lang, "dir": meta.get("direction", "ltr"),
            "strings": {k: i18n.render(k, lang, channel="web") for k in UI_KEYS}}


def pick_language(request: Request, explicit: str | None) -> str:
    supported = i18n.supported_languages()
    if explicit in supported:
        return explicit  # type: ignore[return-value]
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().split("-")[0].lower()
        if code in supported:
            return code
    return get_settings().default_language


def message_json(m: Message) -> dict[str, Any]:
    """What the person's page shows. Worker messages in another language show the translation,
    marked as machine translation, with the original kept for 'show original'."""
    text, original, machine = m.body, None, False
    if m.author == "worker" and m.translation:
        text, original, machine = m.translation, m.body, m.translation_machine
    return {"id": m.id, "author": m.author, "text": text, "original": original,
            "machine_translated": machine, "key": m.key, "lang": m.lang,
            "at": m.created_at.isoformat() if m.created_at else None}


def _visible(m: Message) -> bool:
    return not (m.direction == "in" and m.author == "system")  # notes meant for the worker only


def _authorise(request: Request, conversation_id: str, authorization: str | None) -> None:
    token = (authorization or "").removeprefix("Bearer ").strip()
    if not token or not request.app.state.core.check_token(conversation_id, token):
        raise HTTPException(status_code=404, detail="conversation not found")


@router.get("/", response_class=HTMLResponse)
async def chat_page(request: Request, lang: str | None = None) -> HTMLResponse:
    language = pick_language(request, lang)
    menu = [(code, i18n.language_meta(code)["native_name"]) for code in i18n.supported_languages()]
    return templates.TemplateResponse(request, "chat.html", {
        "ui": ui_strings(language), "languages": menu,
        "quick_exit_url": get_settings().quick_exit_url,
    })


@router.get("/api/ui/{lang}")
async def ui(lang: str) -> dict[str, Any]:
    if lang not in i18n.supported_languages():
        raise HTTPException(status_code=404, detail="unknown language")
    return ui_strings(lang)


@router.post("/api/conversations", status_code=201)
async def start(request: Request, body: StartRequest) -> dict[str, Any]:
    core = request.app.state.core
    conv_id, token, result = await run_in_threadpool(core.start_web, body.language, body.chosen)
    with session_scope() as s:
        messages = [message_json(m) for m in s.scalars(
            select(Message).where(Message.conversation_id == conv_id).order_by(Message.id))]
    return {"id": conv_id, "token": token, "language": result.language,
            "dir": i18n.language_meta(result.language).get("direction", "ltr"), "messages": messages}


@router.post("/api/conversations/{conversation_id}/messages", status_code=202)
async def send(request: Request, conversation_id: str, body: SendRequest,
               authorization: str | None = Header(default=None)) -> dict[str, Any]:
    _authorise(request, conversation_id, authorization)
    core = request.app.state.core
    result = await run_in_threadpool(
        core.handle_turn, InboundTurn(channel="web", text=body.text, conversation_id=conversation_id))
    return {"language": result.language, "dir": i18n.language_meta(result.language).get("direction", "ltr"),
            "ended": result.ended, "replies": [r.key for r in result.replies]}


@router.post("/api/conversations/{conversation_id}/language")
async def choose_language(request: Request, conversation_id: str, body: LanguageRequest,
                          authorization: str | None = Header(default=None)) -> dict[str, Any]:
    _authorise(request, conversation_id, authorization)
    if body.language not in i18n.supported_languages():
        raise HTTPException(status_code=422, detail="unsupported language")
    await run_in_threadpool(request.app.state.core.set_language, conversation_id, body.language)
    return ui_strings(body.language)


@router.post("/api/conversations/{conversation_id}/exit", status_code=204)
async def quick_exit(request: Request, conversation_id: str) -> None:
    """Called with navigator.sendBeacon (no custom headers possible): the token is in the body."""
    try:
        body = ExitRequest.model_validate_json(await request.body())
    except ValueError:
        raise HTTPException(status_code=404, detail="conversation not found") from None
    core = request.app.state.core
    if not core.check_token(conversation_id, body.token):
        raise HTTPException(status_code=404, detail="conversation not found")
    await run_in_threadpool(core.erase, conversation_id, "quick_exit")


def _history(conversation_id: str, since: int) -> tuple[list[dict[str, Any]], str, bool]:
    with session_scope() as s:
        conv = s.get(Conversation, conversation_id)
        rows = s.scalars(select(Message).where(Message.conversation_id == conversation_id,
                                               Message.id > since).order_by(Message.id)).all()
        return ([message_json(m) for m in rows if _visible(m)], (conv.language if conv else "en") or "en",
                bool(conv and conv.state == "ended"))


@router.websocket("/api/conversations/{conversation_id}/ws")
async def stream(websocket: WebSocket, conversation_id: str) -> None:
    await websocket.accept()
    core = websocket.app.state.core
    try:
        hello = await asyncio.wait_for(websocket.receive_json(), timeout=10)
    except (asyncio.TimeoutError, WebSocketDisconnect, ValueError):
        await websocket.close(code=4401)
        return
    token = str(hello.get("token", ""))
    if not await run_in_threadpool(core.check_token, conversation_id, token):
        await websocket.close(code=4404)
        return
    last = int(hello.get("since") or 0)
    async with bus.subscribe(conversation_topic(conversation_id)) as events:
        try:
            while True:
                messages, lang, ended = await run_in_threadpool(_history, conversation_id, last)
                if messages:
                    last = max(m["id"] for m in messages)
                    meta = i18n.language_meta(lang)
                    await websocket.send_json({"type": "messages", "messages": messages, "language": lang,
                                               "dir": meta.get("direction", "ltr"), "ended": ended})
                try:
                    await asyncio.wait_for(events.get(), timeout=25)
                except asyncio.TimeoutError:
                    await websocket.send_json({"type": "ping"})
        except (WebSocketDisconnect, RuntimeError):
            return
