"""The audit log of staff actions (POLICY.md §1 and §4: who did what and when, never content).

Why a single writer with an allow-list of detail keys: an audit row is kept for a year and read by
supervisors, so nothing a person wrote, no private note and no phone number may ever reach it. The
allow-list makes that a property of the code, not of each caller's care.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hotline.storage.models import AuditEntry

# Actions the console and the command line record (docs/STAFF-GUIDE.md lists what each means).
ACTIONS = frozenset({
    "login", "login_failed", "lockout", "login_refused_locked", "logout",
    "on_duty", "off_duty",
    "view_summary", "join", "join_lost", "message_sent", "hand_back", "close",
    "view_contact", "contact_handled",
    "alert_acknowledged",
    "staff_added", "staff_disabled",
})
# Detail values must be short codes or numbers: never free text.
DETAIL_KEYS = frozenset({"role", "outcome", "tier", "reason", "kind", "via", "language", "failed_logins",
                         "conversation", "handover", "winner", "chars"})


def record(session: Session, action: str, staff_id: int | None = None, target: str | None = None,
           **detail: Any) -> AuditEntry:
    """Add one audit row in the caller's transaction (so an action and its record commit together)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    unknown = set(detail) - DETAIL_KEYS
    if unknown:
        raise ValueError(f"audit detail keys not allowed: {sorted(unknown)}")
    for key, value in detail.items():
        if isinstance(value, str) and len(value) > 64:
            raise ValueError(f"audit detail {key!r} is too long to be a code")
    entry = AuditEntry(action=action, staff_id=staff_id, target=target[:64] if target else None,
                       detail=detail or None)
    session.add(entry)
    return entry
