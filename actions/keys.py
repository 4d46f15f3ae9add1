"""Message keys and directives the actions send (names fixed by docs/CONTRACTS.md).

Kept in one place so a renamed key is changed once; tests check these against the domain.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

# Rights topics, each with a short card `rights.<topic>` and a longer `rights.<topic>.more`.
# Small chunks, one topic at a time (seed-001 notes, seed 001 L4148-4150).
RIGHTS_TOPICS = (
    "trafficking",
    "police",
    "reflection",
    "non_punishment",
    "legal_advice",
    "interpreter",
    "health",
    "accommodation",
    "compensation",
    "residence",
    "confidentiality",
    "return",
    "child_age",
    "child_guardian",
    "child_heard",
    "child_after_18",
)

MORE_NONE = "more.none"
FALLBACK = "fallback"
HANDOVER_OFFER = "handover.offer"
REPORT_DONE = "report.done"

OFFER_HANDOVER = "offer_handover"
REPORT_SUBMITTED = "report_submitted"

SKIPPED = "skipped"
REPORT_SLOTS = ("report_what", "report_where", "report_when", "report_else")


def payload(key: str, directive: Optional[str] = None, params: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The custom payload the hotline renders: always a key, optionally a directive and params."""
    out: Dict[str, Any] = {"key": key}
    if directive:
        out["directive"] = directive
    if params is not None:
        out["params"] = params
    return out


def more_key_for(key: str) -> Optional[str]:
    """`rights.<topic>.more` for a short rights card, None for any other key (no deeper level)."""
    prefix = "rights."
    if not key.startswith(prefix):
        return None
    topic = key[len(prefix):]
    if topic in RIGHTS_TOPICS:
        return f"{key}.more"
    return None
