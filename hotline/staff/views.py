"""What staff see: the queue, the summary before joining, the transcript, alerts, contact requests.

Why a module of its own: the pages, the live streams and the tests all read the same shapes, and
the rule "a worker sees queued items' summaries and their own active conversations; supervisors see
everything" lives here once (``can_view``), not in each route.

Translation (POLICY.md §10): a person's words are shown in the staff member's language only as a
machine translation that says so, with the original always beside it. Bot and system messages are
shown in the staff member's language from the locale files (the hotline's own reviewed wording,
not machine translation). What the person chose to share (the report form) is shown as given.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import i18n
from hotline.handover.queue import queue_snapshot, waiting_seconds
from hotline.staff.auth import StaffSession
from hotline.storage.models import Alert, ContactRequest, Conversation, Handover, Message, StaffUser, as_utc

log = logging.getLogger(__name__)

Translate = Callable[[str, str, str], Any]

OUTCOMES: dict[str, str] = {
    "information_given": "Information given",
    "referred": "Referred to a service",
    "report_taken": "Report taken",
    "emergency_services_called": "Emergency services called",
    "no_contact": "No contact (the person did not answer or had left)",
}
# Referral destinations, from the routing taxonomy in seeds-000-002-notes.md §5.1
# (S002 L342-L392, S000 L222-L257). Codes only: the audit log stores the code.
SERVICES: dict[str, str] = {
    "police": "Police / law enforcement",
    "child_protection": "Child protection (statutory)",
    "ngo_support": "Specialist anti-trafficking NGO",
    "shelter": "Safe accommodation / shelter",
    "health": "Health care (urgent or general)",
    "mental_health": "Mental-health team",
    "legal": "Free legal advice",
    "labour_inspection": "Labour inspection",
    "national_focal_point": "National focal point (cross-border or missing child)",
    "other": "Other service",
}
ALERT_LABELS = {
    "p0_message": "P0 message (danger now)",
    "handover_p0": "P0 handover waiting",
    "handover_p1": "P1 handover waiting",
    "escalation_p0": "Escalation: P0 still waiting",
    "escalation_p1": "Escalation: P1 still waiting",
    "person_left": "Person left with the exit word during a handover",
}
SYSTEM_NOTES = {
    "person_left": "The person left with the exit word or quick exit. Someone may have taken the phone. "
                   "Send nothing more; close the case when you are ready.",
    "person_opted_out": "The person sent STOP: nothing more can be sent to them by SMS.",
}


def outcome_label(outcome: str | None) -> str:
    if not outcome:
        return ""
    kind, _, service = outcome.partition(":")
    if kind == "referred" and service:
        return "Referred to " + SERVICES.get(service, service)
    return OUTCOMES.get(kind, kind)


def language_name(code: str | None) -> str:
    if not code:
        return "unknown"
    try:
        return i18n.language_meta(code).get("name", code)
    except Exception:  # noqa: BLE001 - an unknown code is shown as it is
        return code


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value else None


# ----------------------------------------------------------------------------- access
def can_view(staff: StaffSession, handover: Handover) -> bool:
    """Workers: queued items and their own active conversation. Supervisors: everything."""
    if staff.supervisor:
        return True
    return handover.status == "queued" or (handover.status == "active" and handover.worker_id == staff.staff_id)


def can_act(staff: StaffSession, handover: Handover) -> bool:
    """Hand back or close: the worker holding the handover, or a supervisor (e.g. the worker's
    console died; STAFF-03, nobody handles a case alone)."""
    return handover.status == "active" and (handover.worker_id == staff.staff_id or staff.supervisor)


def can_write(staff: StaffSession, handover: Handover) -> bool:
    """Only the worker who joined writes: the person was told one first name (one point of contact,
    S002 L465)."""
    return handover.status == "active" and handover.worker_id == staff.staff_id


# ----------------------------------------------------------------------------- queue
def queue_items(session: Session, staff: StaffSession) -> list[dict[str, Any]]:
    """The risk-ordered queue (hotline.handover.queue) filtered for this staff member."""
    names = {u.id: u.first_name for u in session.scalars(select(StaffUser))}
    snapshot = [item for item in queue_snapshot(session, include_active=True) if can_view(staff, item.handover)]
    ids = [item.handover.conversation_id for item in snapshot]
    states = dict(session.execute(select(Conversation.id, Conversation.state).where(Conversation.id.in_(ids))).all()) if ids else {}
    items = []
    for item in snapshot:
        h = item.handover
        items.append({
            "id": h.id, "tier": h.tier, "rank": item.rank, "waiting_seconds": int(item.waiting),
            "language": h.language, "language_name": language_name(h.language), "child": bool(h.child),
            "channel": h.channel, "status": h.status, "mine": h.worker_id == staff.staff_id,
            "worker": names.get(h.worker_id) if h.worker_id else None,
            "escalated": h.escalated_at is not None, "person_left": h.person_left_at is not None,
            # queued while nobody was on duty: the person was told so and is not waiting live
            "waiting_live": h.status != "queued" or states.get(h.conversation_id) == "queued",
            "created_at": _iso(h.created_at),
        })
    return items


def open_alerts(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(Alert).where(Alert.acknowledged_at.is_(None))
                           .order_by(Alert.created_at.desc()).limit(200)).all()
    return [{"id": a.id, "kind": a.kind, "label": ALERT_LABELS.get(a.kind, a.kind), "tier": a.tier,
             "handover_id": a.handover_id, "created_at": _iso(a.created_at)} for a in rows]


def on_duty_count(session: Session) -> int:
    from hotline.handover.service import on_duty_workers

    return len(on_duty_workers(session))


# ----------------------------------------------------------------------------- transcript
@dataclass
class Line:
    """One transcript line for staff: the original and, where it differs, what it means in the
    staff member's language with how that version was made (``kind``)."""

    id: int
    author: str
    at: str | None
    original: str
    lang: str | None
    shown: str | None = None  # the staff-language version, None when the original is already it
    kind: str = "original"  # original | machine | locale | unavailable | pending | note
    notice: str | None = None
    to_person: str | None = None  # worker lines: the machine translation the person received
    to_person_lang: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "author": self.author, "at": self.at, "original": self.original,
                "lang": self.lang, "shown": self.shown, "kind": self.kind, "notice": self.notice,
                "to_person": self.to_person, "to_person_lang": self.to_person_lang}


def _person_line(m: Message, staff_lang: str, translate: Translate | None) -> Line:
    line = Line(m.id, "person", _iso(m.created_at), m.body, m.lang)
    if not m.lang or m.lang == staff_lang:
        return line
    if m.translation and m.translation_lang == staff_lang and m.translation_machine:
        line.shown, line.kind = m.translation, "machine"
        line.notice = f"Machine translation from {language_name(m.lang)}; it may be wrong. Original below."
        return line
    if translate is not None:
        try:
            result = translate(m.body, m.lang, staff_lang)
        except Exception:  # noqa: BLE001 - translation helps, it never blocks reading the original
            log.warning("on-view translation failed (%s->%s)", m.lang, staff_lang)
            result = None
        if result is not None and getattr(result, "available", False) and getattr(result, "machine", False):
            line.shown, line.kind = result.text, "machine"
            line.notice = getattr(result, "notice", None) or "Machine translation; it may be wrong."
            return line
        if result is not None and getattr(result, "notice", None):
            line.kind, line.notice = "unavailable", result.notice
            return line
    line.kind = "unavailable"
    line.notice = (f"No machine translation from {language_name(m.lang)} is available yet; "
                   "showing the original only.")
    return line


# Placeholders whose value belongs to the moment a message was sent; a staff-language version
# rendered later would show a made-up value, so such lines keep the original only (unless known).
MOMENT_PLACEHOLDERS = frozenset({"worker_name", "wait_minutes", "digit", "language_name", "languages_menu"})


def _moment_placeholders(key: str, lang: str) -> set[str]:
    cat = i18n.catalog()
    loc = cat.locales.get(lang) or cat.locales.get(i18n.SOURCE_LANG)
    entry = (loc.messages.get(key) if loc else None) or {}
    used: set[str] = set()
    for template in entry.values():
        used |= i18n.placeholders_in(template)
    return used & MOMENT_PLACEHOLDERS


def _bot_line(m: Message, conv: Conversation | None, staff_lang: str, known: dict[str, str]) -> Line:
    line = Line(m.id, m.author, _iso(m.created_at), m.body, m.lang)
    if m.key and m.lang and m.lang != staff_lang:
        try:
            missing = _moment_placeholders(m.key, staff_lang) - set(known)
            if missing:
                return line
            line.shown = i18n.render(m.key, staff_lang, audience=conv.audience if conv else "adult",
                                     channel=conv.channel if conv else "web", **known)
            line.kind = "locale"
            line.notice = f"The hotline's own wording of this message in {language_name(staff_lang)} (not machine translation)."
        except Exception:  # noqa: BLE001 - an unknown key: the original is still shown
            line.shown, line.kind, line.notice = None, "original", None
    return line


def transcript(session: Session, conversation_id: str, staff_lang: str, translate: Translate | None = None,
               since: int = 0, only: set[int] | None = None) -> list[Line]:
    conv = session.get(Conversation, conversation_id)
    known: dict[str, str] = {}
    joined = session.scalars(select(Handover).where(Handover.conversation_id == conversation_id,
                                                    Handover.worker_id.is_not(None))
                             .order_by(Handover.id.desc())).first()
    worker = session.get(StaffUser, joined.worker_id) if joined is not None else None
    if worker is not None:
        known["worker_name"] = worker.first_name
    query = select(Message).where(Message.conversation_id == conversation_id)
    if only:
        query = query.where((Message.id > since) | Message.id.in_(only))
    else:
        query = query.where(Message.id > since)
    lines: list[Line] = []
    for m in session.scalars(query.order_by(Message.id)).all():
        if m.author == "person":
            lines.append(_person_line(m, staff_lang, translate))
        elif m.author == "worker":
            line = Line(m.id, "worker", _iso(m.created_at), m.body, m.lang)
            if m.translation:
                line.to_person, line.to_person_lang = m.translation, m.translation_lang
                line.notice = (f"The person received a machine translation into {language_name(m.translation_lang)}"
                               " (marked as such on their screen).")
            lines.append(line)
        elif m.direction == "in" and m.author == "system":
            lines.append(Line(m.id, "note", _iso(m.created_at), SYSTEM_NOTES.get(m.key or m.body, m.key or ""),
                              "en", kind="note"))
        else:
            lines.append(_bot_line(m, conv, staff_lang, known))
    return lines


# ----------------------------------------------------------------------------- summary
def summary(session: Session, handover: Handover, staff_lang: str, translate: Translate | None = None) -> dict[str, Any]:
    """Everything a worker reads before joining, so the person never has to tell it twice
    (REF-01, S002 L461, L465; S000 L468)."""
    conv = session.get(Conversation, handover.conversation_id)
    worker = session.get(StaffUser, handover.worker_id) if handover.worker_id else None
    shared = handover.shared or {}
    report = shared.get("report") if isinstance(shared, dict) else None
    return {
        "id": handover.id, "status": handover.status, "tier": handover.tier,
        "reasons": list(handover.reasons or []), "child": bool(handover.child),
        "language": handover.language, "language_name": language_name(handover.language),
        "channel": handover.channel, "indicators": list(handover.indicators or []),
        "topics": list(handover.topics or []),
        "report": {k: v for k, v in (report or {}).items()} if isinstance(report, dict) else None,
        "waiting_seconds": int(waiting_seconds(handover)),
        "escalated": handover.escalated_at is not None,
        "person_left": handover.person_left_at is not None,
        "conversation_state": conv.state if conv else "erased",
        "worker": worker.first_name if worker else None, "worker_id": handover.worker_id,
        "outcome": outcome_label(handover.outcome),
        "staff_language": staff_lang, "staff_language_name": language_name(staff_lang),
        "transcript": [line.as_dict() for line in transcript(session, handover.conversation_id, staff_lang, translate)],
    }


# ----------------------------------------------------------------------------- contact requests
def contact_requests(session: Session) -> list[dict[str, Any]]:
    """Contact requests left on the no-staff path, without their content (decrypted only on view)."""
    rows = session.execute(
        select(ContactRequest.id, ContactRequest.created_at, ContactRequest.handled_at, Conversation.language,
               Conversation.channel, Conversation.tier, Conversation.child)
        .join(Conversation, Conversation.id == ContactRequest.conversation_id)
        .order_by(ContactRequest.handled_at.is_not(None), ContactRequest.created_at)
    ).all()
    return [{"id": r.id, "created_at": _iso(r.created_at), "handled": r.handled_at is not None,
             "language": r.language, "language_name": language_name(r.language), "channel": r.channel,
             "tier": r.tier, "child": bool(r.child)} for r in rows]
