"""Engines, sessions and schema upgrades for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on and a busy timeout, so the web app and a flow can write
at the same time on one machine; PostgreSQL is used as is. The schema comes only from Alembic.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, partial
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from diagnostics.settings import ROOT, settings

T = TypeVar("T")

# what the database says when it is momentarily unable to write (SQLite's lock, PostgreSQL's
# serialization failure / deadlock / lock timeout): worth a "try again", not a failure
BUSY_MARKERS = ("database is locked", "database table is locked", "could not serialize", "deadlock detected",
                "lock timeout", "canceling statement due to lock timeout")


def _ensure_sqlite_dir(url: str) -> None:
    """SQLite creates the file but not its folder (``instance/`` on a fresh clone)."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str | None = None) -> Engine:
    url = url or settings.database_url
    _ensure_sqlite_dir(url)
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:  # the driver's own connection
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


@cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(settings.database_url)


def session_factory(engine: Engine | None = None) -> Callable[[], Session]:
    """Makes sessions on ``engine`` (default: the settings' database) that keep loaded values after commit.

    A plain ``Session`` bound to the engine, not a ``sessionmaker``: each ``sessionmaker`` defines a new
    ``Session`` subclass, whose first session sets up SQLAlchemy's event dispatch for that class, and the
    web app asks for a factory on every request (that was 8 % of an autosave's CPU, ``bench/autosave.py``).
    """
    return partial(Session, engine or get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or settings.database_url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema at ``url`` to ``revision`` (the only way tables are made)."""
    _ensure_sqlite_dir(url or settings.database_url)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "busy now, try again" rather than a bug."""
    return isinstance(exc, DBAPIError) and any(m in str(exc.orig).lower() for m in BUSY_MARKERS)


def retry_busy(fn: Callable[..., T], *args: Any, attempts: int = 6, wait: float = 1.0) -> T:
    """``fn(*args)``, run again (after 1, 2, 4 ... s) while the database is busy.

    For batch writers whose transaction rolls back whole and which are safe to repeat (scoring skips
    what is already scored). On SQLite two batch processes write one file: each waits ``busy_timeout``
    (10 s, what a person at a web page should wait) for the other's lock, and on a loaded machine one
    batch's insert can hold it longer than that; a batch is not a person, so it waits again.
    """
    for attempt in range(attempts):
        try:
            return fn(*args)
        except DBAPIError as exc:
            if not is_busy(exc) or attempt == attempts - 1:
                raise
            time.sleep(wait * 2 ** attempt)
    raise AssertionError("unreachable")


def checkpoint(engine: Engine | None = None) -> None:
    """On SQLite, fold the write-ahead log back into the database file and truncate it (a no-op on
    PostgreSQL). Scoring 166 000 submissions left a 1.1 GB WAL that every later read of the run had
    to consult; SQLite's automatic checkpoints cannot finish while another connection is reading, so
    the stage that wrote in bulk calls this when it is done. A busy database just keeps its WAL."""
    engine = engine or get_engine()
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
