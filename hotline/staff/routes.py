"""The staff console's HTTP routes under /staff (server-rendered pages, small JSON and SSE feeds).

Every page needs a valid session (auth.read_session); every POST needs the session's CSRF token
(form field ``csrf_token`` or header ``X-CSRF-Token``); every action is audited (audit.py) without
content. Pages work without JavaScript (forms post and redirect); /staff/static/staff.js adds the
live queue and chat. Database work runs in FastAPI's thread pool (sync route functions).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select, update

from hotline.events import QUEUE_TOPIC, bus, conversation_topic
from hotline.handover import queue as handover_queue
from hotline.handover import service as handover_service
from hotline.staff import audit, live, views
from hotline.staff.auth import (
    COOKIE_PATH,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    StaffSession,
    authenticate,
    check_csrf,
    check_login_csrf,
    end_session,
    login_csrf_token,
    new_login_nonce,
    read_session,
)
from hotline.storage.db import session_scope
from hotline.storage.models import Alert, AuditEntry, ContactRequest, Conversation, Handover, StaffUser, utcnow

log = logging.getLogger(__name__)
STAFF_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=str(STAFF_DIR / "templates"))
router = APIRouter(prefix="/staff")
MAX_NOTE = 4000


def _duration(seconds: float | int) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


templates.env.filters["duration"] = _duration
templates.env.globals.update(OUTCOMES=views.OUTCOMES, SERVICES=views.SERVICES, language_name=views.language_name)


def setup(app: FastAPI) -> None:
    """Serve the console's own script and style (no CDN; CSP script-src 'self')."""
    app.mount("/staff/static", StaticFiles(directory=str(STAFF_DIR / "static")), name="staff-static")


# ----------------------------------------------------------------------------- helpers
def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _staff(request: Request) -> StaffSession | None:
    with session_scope() as s:
        return read_session(s, request.cookies.get(SESSION_COOKIE))


def _to_login() -> RedirectResponse:
    return RedirectResponse("/staff/login", status_code=303)


def _page(request: Request, name: str, staff: StaffSession | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"staff": staff, **context}, status_code=status_code)


def _forbidden(request: Request, staff: StaffSession, message: str, status_code: int = 403) -> HTMLResponse:
    return _page(request, "message.html", staff, status_code=status_code, title="Not available", message=message)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _csrf_ok(request: Request, staff: StaffSession, form_token: str | None) -> bool:
    return check_csrf(staff, form_token or request.headers.get("x-csrf-token"))


def _csrf_refused(request: Request, staff: StaffSession | None) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": "csrf"}, status_code=403)
    return _page(request, "message.html", staff, status_code=403, title="Form expired",
                 message="This form had expired or did not come from the console. Go back, reload the page and try again.")


def _translate(request: Request):  # type: ignore[no-untyped-def]
    # The conversation core's translator (hotline.app._translator): the same offline models and cache.
    return request.app.state.core.translate


def _after_commit(conversation_id: str) -> None:
    """Wake the live pages again once the core's transaction has committed. The core publishes its
    events inside the transaction, so a page that reads at once can miss the new row and would
    then wait for the next event (the person's page pings only every 25 s). Ids only, as always."""
    bus.publish(conversation_topic(conversation_id), {"event": "committed"})
    bus.publish(QUEUE_TOPIC, {"event": "committed"})


def _handover(s, handover_id: int) -> Handover | None:  # type: ignore[no-untyped-def]
    return s.get(Handover, handover_id)


# ----------------------------------------------------------------------------- login / logout
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    if _staff(request) is not None:
        return RedirectResponse("/staff", status_code=303)
    return _login_form(request)


def _login_form(request: Request, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    nonce = new_login_nonce()
    response = _page(request, "login.html", None, status_code=status_code, error=error,
                     csrf_token=login_csrf_token(nonce))
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=_secure(request))
    return response


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, username: str = Form("", max_length=64), password: str = Form("", max_length=1024),
          csrf_token: str = Form("")) -> Response:
    if not check_login_csrf(request.cookies.get(LOGIN_COOKIE), csrf_token):
        return _login_form(request, "The login form had expired. Please try again.", status_code=403)
    with session_scope() as s:
        result = authenticate(s, username, password)
    if result.reason == "locked":
        return _login_form(request, "Too many failed attempts: this account is locked for 15 minutes. "
                           "Ask a supervisor if you need access now.", status_code=423)
    if not result.ok or result.cookie is None:
        return _login_form(request, "The username or password is not right.", status_code=401)
    response = RedirectResponse("/staff", status_code=303)
    response.set_cookie(SESSION_COOKIE, result.cookie, max_age=SESSION_MAX_AGE, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=_secure(request))
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    if not _csrf_ok(request, staff, csrf_token):
        return _csrf_refused(request, staff)
    with session_scope() as s:
        end_session(s, staff)
    response = _to_login()
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


# ----------------------------------------------------------------------------- queue and duty
@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def queue_page(request: Request, after: str | None = None) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    with session_scope() as s:
        s.execute(update(StaffUser).where(StaffUser.id == staff.staff_id).values(last_seen_at=utcnow()))
    data = live.queue_payload(staff)
    with session_scope() as s:
        open_contacts = len([c for c in views.contact_requests(s) if not c["handled"]])
    return _page(request, "queue.html", staff, queue=data["queue"], alerts=data.get("alerts"),
                 on_duty_count=data["on_duty"], open_contacts=open_contacts, after=after)


@router.get("/api/queue")
def queue_json(request: Request) -> Response:
    staff = _staff(request)
    if staff is None:
        return JSONResponse({"error": "login"}, status_code=401)
    return JSONResponse(live.queue_payload(staff))


@router.get("/events")
def queue_events(request: Request) -> Response:
    if _staff(request) is None:
        return JSONResponse({"error": "login"}, status_code=401)
    return StreamingResponse(live.queue_stream(request, request.cookies.get(SESSION_COOKIE)),
                             media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})


@router.post("/duty")
def set_duty(request: Request, on_duty: str = Form(""), csrf_token: str = Form("")) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    if not _csrf_ok(request, staff, csrf_token):
        return _csrf_refused(request, staff)
    value = on_duty in ("1", "true", "on", "yes")
    with session_scope() as s:
        s.execute(update(StaffUser).where(StaffUser.id == staff.staff_id).values(on_duty=value, last_seen_at=utcnow()))
        audit.record(s, "on_duty" if value else "off_duty", staff_id=staff.staff_id)
    if _wants_json(request):
        return JSONResponse({"on_duty": value})
    return RedirectResponse("/staff", status_code=303)


# ----------------------------------------------------------------------------- summary and join
@router.get("/handovers/{handover_id}", response_class=HTMLResponse)
def summary_page(request: Request, handover_id: int) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    with session_scope() as s:
        handover = _handover(s, handover_id)
        if handover is None or not views.can_view(staff, handover):
            return _forbidden(request, staff, "This conversation is not in the queue, or it is held by another worker.",
                              status_code=404)
        data = views.summary(s, handover, staff.language, _translate(request))
        audit.record(s, "view_summary", staff_id=staff.staff_id, target=f"handover:{handover_id}", tier=handover.tier)
    return _page(request, "summary.html", staff, h=data, taken_by=None)


@router.post("/handovers/{handover_id}/join", response_class=HTMLResponse)
def join(request: Request, handover_id: int, csrf_token: str = Form("")) -> Response:
    """Join = queue.accept() (one conditional UPDATE: one of two workers wins), then the core tells
    the person the worker's first name and that they have read the conversation."""
    staff = _staff(request)
    if staff is None:
        return _to_login()
    if not _csrf_ok(request, staff, csrf_token):
        return _csrf_refused(request, staff)
    with session_scope() as s:
        handover = _handover(s, handover_id)
        if handover is not None and handover.status == "active" and handover.worker_id != staff.staff_id:
            # lost the race (or came late): say who has it, without showing the conversation
            winner = s.get(StaffUser, handover.worker_id) if handover.worker_id else None
            audit.record(s, "join_lost", staff_id=staff.staff_id, target=f"handover:{handover_id}")
            taken = f"Already taken by {winner.first_name}." if winner else "This conversation is no longer waiting."
            return _forbidden(request, staff, taken, status_code=409)
        if handover is None or not views.can_view(staff, handover):
            return _forbidden(request, staff, "This conversation is no longer in the queue.", status_code=404)
        if handover.person_left_at is not None:
            return _forbidden(request, staff, "The person has left with the exit word: do not write to them. "
                              "Close the case with an outcome instead.", status_code=409)
        user = s.get(StaffUser, staff.staff_id)
        assert user is not None
        won = handover_queue.accept(s, handover_id, user)
        conversation_id, channel = handover.conversation_id, handover.channel
        if won:
            audit.record(s, "join", staff_id=staff.staff_id, target=f"handover:{handover_id}", tier=handover.tier)
        else:
            s.refresh(handover)
            winner = s.get(StaffUser, handover.worker_id) if handover.worker_id else None
            audit.record(s, "join_lost", staff_id=staff.staff_id, target=f"handover:{handover_id}")
            taken_by = winner.first_name if winner is not None else None
            data = views.summary(s, handover, staff.language, _translate(request)) if views.can_view(staff, handover) else None
    if not won:
        message = (f"Already taken by {taken_by}." if taken_by else "This conversation is no longer waiting.")
        if data is None:
            return _forbidden(request, staff, message, status_code=409)
        return _page(request, "summary.html", staff, status_code=409, h=data, taken_by=message)
    request.app.state.core.worker_joined(conversation_id, staff.first_name)
    _after_commit(conversation_id)
    if channel == "voice":
        # a call: ring the worker's phone straight into the caller's conference (they have read the
        # summary on screen, so no whisper); hotline/channels/voice_transfer.py
        from hotline.channels.voice_transfer import connect_console_worker

        connect_console_worker(handover_id)
    return RedirectResponse(f"/staff/handovers/{handover_id}/chat", status_code=303)


# ----------------------------------------------------------------------------- chat
@router.get("/handovers/{handover_id}/chat", response_class=HTMLResponse)
def chat_page(request: Request, handover_id: int) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    with session_scope() as s:
        handover = _handover(s, handover_id)
        if handover is None or not views.can_view(staff, handover):
            return _forbidden(request, staff, "This conversation is held by another worker.", status_code=404)
        if handover.status != "active":
            return RedirectResponse(f"/staff/handovers/{handover_id}", status_code=303)
        data = views.summary(s, handover, staff.language, _translate(request))
        can_write, can_act = views.can_write(staff, handover), views.can_act(staff, handover)
    return _page(request, "chat.html", staff, h=data, can_write=can_write, can_act=can_act)


@router.get("/handovers/{handover_id}/events")
def chat_events(request: Request, handover_id: int, since: int = 0) -> Response:
    staff = _staff(request)
    if staff is None:
        return JSONResponse({"error": "login"}, status_code=401)
    with session_scope() as s:
        handover = _handover(s, handover_id)
        if handover is None or not views.can_view(staff, handover):
            return JSONResponse({"error": "not found"}, status_code=404)
        conversation_id = handover.conversation_id
    last = request.headers.get("last-event-id")
    since = int(last) if last and last.isdigit() else since
    return StreamingResponse(
        live.conversation_stream(request, request.cookies.get(SESSION_COOKIE), handover_id, conversation_id,
                                 since, _translate(request)),
        media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})


@router.post("/handovers/{handover_id}/messages")
def send_message(request: Request, handover_id: int, text: str = Form(..., min_length=1, max_length=2000),
                 csrf_token: str = Form("")) -> Response:
    staff = _staff(request)
    if staff is None:
        return JSONResponse({"error": "login"}, status_code=401) if _wants_json(request) else _to_login()
    if not _csrf_ok(request, staff, csrf_token):
        return _csrf_refused(request, staff)
    with session_scope() as s:
        handover = _handover(s, handover_id)
        if handover is None or not views.can_write(staff, handover):
            allowed = False
            conversation_id = None
        else:
            allowed, conversation_id = True, handover.conversation_id
    message_id = None
    if allowed and text.strip():
        message_id = request.app.state.core.worker_message(conversation_id, staff.staff_id, text, staff.language)
        _after_commit(conversation_id)
    if message_id is None:
        reason = "The message was not sent: the conversation is not open for you (the person may have left)."
        if _wants_json(request):
            return JSONResponse({"error": "not_open", "message": reason}, status_code=409)
        return _forbidden(request, staff, reason, status_code=409)
    with session_scope() as s:
        audit.record(s, "message_sent", staff_id=staff.staff_id, target=f"handover:{handover_id}")
    if _wants_json(request):
        return JSONResponse({"id": message_id}, status_code=201)
    return RedirectResponse(f"/staff/handovers/{handover_id}/chat", status_code=303)


@router.post("/handovers/{handover_id}/hand-back")
def hand_back(request: Request, handover_id: int, csrf_token: str = Form("")) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    if not _csrf_ok(request, staff, csrf_token):
        return _csrf_refused(request, staff)
    with session_scope() as s:
        handover = _handover(s, handover_id)
        if handover is None or not views.can_act(staff, handover):
            return _forbidden(request, staff, "Only the worker in this conversation or a supervisor can hand it back.")
        conversation_id = handover.conversation_id
        done = handover_service.finish_handover(s, handover_id, "returned")
        if done:
            audit.record(s, "hand_back", staff_id=staff.staff_id, target=f"handover:{handover_id}")
    if not done:
        return _forbidden(request, staff, "This conversation was already handed back or closed.", status_code=409)
    request.app.state.core.hand_back(conversation_id)
    _after_commit(conversation_id)
    return RedirectResponse("/staff", status_code=303)


@router.post("/handovers/{handover_id}/close")
def close(request: Request, handover_id: int, outcome: str = Form(...), service: str = Form(""),
          note: str = Form("", max_length=MAX_NOTE), csrf_token: str = Form("")) -> Response:
    """Close with an outcome and a private note (encrypted; never in the audit log)."""
    staff = _staff(request)
    if staff is None:
        return _to_login()
    if not _csrf_ok(request, staff, csrf_token):
        return _csrf_refused(request, staff)
    if outcome not in views.OUTCOMES or (outcome == "referred" and service not in views.SERVICES):
        return _forbidden(request, staff, "Choose an outcome (and, for a referral, the service).", status_code=422)
    stored_outcome = f"referred:{service}" if outcome == "referred" else outcome
    with session_scope() as s:
        handover = _handover(s, handover_id)
        if handover is None:
            return _forbidden(request, staff, "No such conversation.", status_code=404)
        # A queued case can be closed by a supervisor, or by any worker once the person has left.
        queued_ok = handover.status == "queued" and (staff.supervisor or handover.person_left_at is not None)
        if not (views.can_act(staff, handover) or queued_ok):
            return _forbidden(request, staff, "Only the worker in this conversation or a supervisor can close it.")
        conversation_id = handover.conversation_id
        intense = handover.tier == "P0" or handover.child
        done = handover_service.finish_handover(s, handover_id, "closed", from_statuses=("active", "queued"),
                                                outcome=stored_outcome, private_note=note.strip() or None)
        if done:
            audit.record(s, "close", staff_id=staff.staff_id, target=f"handover:{handover_id}", outcome=stored_outcome)
    if not done:
        return _forbidden(request, staff, "This conversation was already closed.", status_code=409)
    request.app.state.core.hand_back(conversation_id, closed=True)
    _after_commit(conversation_id)
    # After a crisis or a child's case, offer a pause before the next one (seeds-003-004 §5.5
    # STAFF-2: vicarious trauma "can occur spontaneously after a simple interaction", 004 L495).
    return RedirectResponse("/staff?after=intense" if intense else "/staff?after=closed", status_code=303)


# ----------------------------------------------------------------------------- contact requests
@router.get("/contacts", response_class=HTMLResponse)
def contacts_page(request: Request) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    with session_scope() as s:
        rows = views.contact_requests(s)
    return _page(request, "contacts.html", staff, contacts=rows)


@router.get("/contacts/{contact_id}", response_class=HTMLResponse)
def contact_page(request: Request, contact_id: int) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    with session_scope() as s:
        row = s.get(ContactRequest, contact_id)
        if row is None:
            return _forbidden(request, staff, "No such contact request (it may have been erased).", status_code=404)
        conv = s.get(Conversation, row.conversation_id)
        details = row.details  # decrypted here, on view, and only here
        audit.record(s, "view_contact", staff_id=staff.staff_id, target=f"contact:{contact_id}")
        info = {"id": row.id, "details": details, "handled": row.handled_at is not None,
                "created_at": row.created_at, "language": conv.language if conv else None,
                "channel": conv.channel if conv else None, "tier": conv.tier if conv else None,
                "child": bool(conv and conv.child)}
    return _page(request, "contact.html", staff, c=info)


@router.post("/contacts/{contact_id}/handled")
def contact_handled(request: Request, contact_id: int, csrf_token: str = Form("")) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    if not _csrf_ok(request, staff, csrf_token):
        return _csrf_refused(request, staff)
    with session_scope() as s:
        row = s.get(ContactRequest, contact_id)
        if row is not None and row.handled_at is None:
            row.handled_at = utcnow()
            audit.record(s, "contact_handled", staff_id=staff.staff_id, target=f"contact:{contact_id}")
    return RedirectResponse("/staff/contacts", status_code=303)


# ----------------------------------------------------------------------------- supervisors
@router.post("/alerts/{alert_id}/ack")
def acknowledge_alert(request: Request, alert_id: int, csrf_token: str = Form("")) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    if not staff.supervisor:
        return _forbidden(request, staff, "Only supervisors acknowledge alerts.")
    if not _csrf_ok(request, staff, csrf_token):
        return _csrf_refused(request, staff)
    with session_scope() as s:
        alert = s.get(Alert, alert_id)
        if alert is not None and alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by = utcnow(), staff.staff_id
            audit.record(s, "alert_acknowledged", staff_id=staff.staff_id, target=f"alert:{alert_id}", kind=alert.kind)
            bus.publish(QUEUE_TOPIC, {"event": "alert_acknowledged", "alert_id": alert_id})
    if _wants_json(request):
        return JSONResponse({"ok": True})
    return RedirectResponse("/staff", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, before: int | None = None) -> Response:
    staff = _staff(request)
    if staff is None:
        return _to_login()
    if not staff.supervisor:
        return _forbidden(request, staff, "The audit log is for supervisors.")
    with session_scope() as s:
        names = {u.id: u.username for u in s.scalars(select(StaffUser))}
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)
        if before:
            query = query.where(AuditEntry.id < before)
        rows = [{"id": e.id, "at": e.at, "who": names.get(e.staff_id, "?") if e.staff_id is not None
                 else ("command line" if (e.detail or {}).get("via") == "cli" else "(no account)"),
                 "action": e.action, "target": e.target if e.action != "logout" else None,
                 "detail": e.detail or {}} for e in s.scalars(query)]
    return _page(request, "audit.html", staff, entries=rows, older=rows[-1]["id"] if len(rows) == 200 else None)
