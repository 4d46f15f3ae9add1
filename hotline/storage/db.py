"""Engine, sessions and schema migration.

Sessions are short and explicit (``with session_scope() as s:``). SQLite runs in WAL mode with a
busy timeout so the web process and the CLI can share the file; PostgreSQL needs nothing special.
The schema is always created by Alembic (``migrate()``), never by ``create_all``, so the migration
path that production uses is the one the tests use.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from hotline.events import deferred
from hotline.settings import get_settings

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # Transactions are begun by _sqlite_begin (BEGIN IMMEDIATE), not by the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # A turn may hold the write lock while the dialogue engine answers (up to bot_timeout_seconds):
    # wait longer than that rather than fail. PostgreSQL has no such limit (use it at scale).
    # Set first, so that the statements below wait too.
    cursor.execute("PRAGMA busy_timeout=15000")
    # WAL is a property of the database file: switch once. Asking again on every new connection
    # needs a lock, and fails while another connection writes.
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    """Take the write lock at the start of a transaction. SQLite's default deferred transactions
    fail at once with "database is locked" when two of them both read and then try to write (the
    busy timeout cannot help there); with BEGIN IMMEDIATE the second one waits its turn instead."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine(get_settings().effective_database_url)


@lru_cache(maxsize=1)
def _session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction. Live events published inside it go out after the commit (events.deferred)."""
    with deferred():
        session = _session_factory()()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().effective_database_url).replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    """Bring the database to the newest schema (idempotent)."""
    target = url or get_settings().effective_database_url
    _ensure_sqlite_dir(target)
    command.upgrade(alembic_config(url), "head")
    if target.startswith("sqlite"):
        # Switch the file to WAL here, at start-up, while nothing else is connected: switching
        # later needs an exclusive lock and fails at once ("database is locked") under traffic.
        engine = make_engine(target)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        finally:
            engine.dispose()


def ping() -> None:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


def reset_engine() -> None:
    """Drop cached engine/sessions (tests point the service at a new database)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    _session_factory.cache_clear()
