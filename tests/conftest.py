"""Shared fixtures: an isolated hotline (own var dir, database and secret) per test.

The hotline under test is always the real application (create_app) on a real database; Rasa is
either the real trained model (fixtures in tests/rasa_servers.py) or deliberately unreachable, to
test that the safety net works without it.
"""
from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

DEAD_URL = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused at once


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reset_caches() -> None:
    from hotline.privacy.crypto import reset_crypto
    from hotline.privacy.keys import reset_keyring
    from hotline.settings import reset_settings
    from hotline.storage.db import reset_engine

    reset_settings()
    reset_engine()
    reset_keyring()
    reset_crypto()


@pytest.fixture
def hotline_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh var dir, SQLite database and secret; Rasa unreachable unless a test says otherwise."""
    var = tmp_path / "var"
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(var))
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "test-secret-not-for-production")
    monkeypatch.setenv("HOTLINE_RASA_URL", DEAD_URL)
    monkeypatch.setenv("HOTLINE_ACTION_SERVER_URL", DEAD_URL)
    monkeypatch.delenv("HOTLINE_DATABASE_URL", raising=False)
    monkeypatch.delenv("HOTLINE_REDIS_URL", raising=False)
    reset_caches()
    yield var
    reset_caches()


@pytest.fixture
def client(hotline_env: Path):  # type: ignore[no-untyped-def]
    """The real application through Starlette's TestClient (lifespan runs: migrations, event bus)."""
    from fastapi.testclient import TestClient

    from hotline.app import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def postgres_url(monkeypatch: pytest.MonkeyPatch, hotline_env: Path) -> Iterator[str]:
    """A private schema in PostgreSQL's `test` database, dropped afterwards; the hotline points at it."""
    if not postgres_reachable():
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    import uuid

    from sqlalchemy import create_engine, text

    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    reset_caches()
    try:
        yield url
    finally:
        reset_caches()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
