"""Shared fixtures: a migrated database per backend, emptied between tests; the Prefect harness.

Every database test runs on SQLite and, when ``TEST_DATABASE_URL`` is set (CI sets it to the local
PostgreSQL; read, like all configuration, through ``diagnostics.settings``), on PostgreSQL too. The
schema is made by the Alembic migrations, as in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session

import flows  # noqa: F401  (Prefect's environment defaults, before any test imports Prefect)
from diagnostics.settings import settings
from diagnostics.store.db import make_engine, session_factory, upgrade
from diagnostics.store.models import Base
from tests.databases import sibling_database

BACKENDS = ["sqlite"] + (["postgresql"] if settings.test_database_url else [])


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database URL for the whole session (one per backend)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        assert settings.test_database_url is not None
        url = _worker_database(settings.test_database_url, getattr(request.config, "workerinput", None))
        _drop_everything(url)
    upgrade(url)
    yield url
    if request.param == "postgresql":
        _drop_everything(url)


def _worker_database(url: str, workerinput: dict[str, Any] | None) -> str:
    """The PostgreSQL database of this test process: ``url`` itself, or under pytest-xdist (``make
    test`` runs two workers) ``<its name>_<worker id>``, made on first use. Each worker drops and
    rebuilds its schema at the start and empties tables after every test, which two workers must not
    do to one database."""
    if not workerinput:
        return url
    return sibling_database(url, f"{make_url(url).database}_{workerinput['workerid']}")


def _drop_everything(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def _engines() -> Iterator[dict[str, Engine]]:
    cache: dict[str, Engine] = {}
    yield cache
    for engine in cache.values():
        engine.dispose()


@pytest.fixture
def engine(db_url: str, _engines: dict[str, Engine]) -> Iterator[Engine]:
    """The test database's engine; every table is emptied after the test."""
    if db_url not in _engines:
        _engines[db_url] = make_engine(db_url)
    eng = _engines[db_url]
    yield eng
    with eng.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    s = session_factory(engine)()
    yield s
    s.rollback()
    s.close()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Prefect's test harness (a temporary API and database), started once per session."""
    # late: only Prefect tests pay for importing Prefect's test harness (seconds), not every test run
    from prefect.testing.utilities import prefect_test_harness  # noqa: PLC0415

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(__file__).parent / "artifacts"
    path.mkdir(exist_ok=True)
    return path
