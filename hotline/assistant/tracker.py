"""Erasing a conversation from the assistant's own store.

Rasa keeps every event (including what the person wrote) in its SQL tracker store. The hotline's
erasure (safe-exit word, quick exit, retention purge) must reach that copy too: Rasa 3.6's HTTP API
can replace a tracker's events but its SQL store never deletes rows, so the hotline deletes the
sender's rows itself. The tracker database URL is the one ``bot/endpoints.yml`` configures.
"""
from __future__ import annotations

import os

from sqlalchemy import create_engine, inspect, text

from hotline.settings import get_settings


def tracker_url() -> str:
    explicit = os.environ.get("HOTLINE_RASA_TRACKER_URL")
    if explicit:
        # Rasa takes postgresql:// (psycopg2 in its env); this service uses psycopg 3.
        return explicit.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{get_settings().var_dir / 'rasa' / 'tracker.db'}"


def erase_tracker(conversation_id: str) -> int:
    """Delete every tracker event of this conversation; returns the rows removed."""
    url = tracker_url()
    if url.startswith("sqlite:///") and not os.path.exists(url.removeprefix("sqlite:///")):
        return 0
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as conn:
            result = conn.execute(text("DELETE FROM events WHERE sender_id = :sid"), {"sid": conversation_id})
            return int(result.rowcount or 0)
    finally:
        engine.dispose()
