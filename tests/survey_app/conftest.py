"""Fixtures for the web app: an app per database backend, two browsers, people and enterprises.

Tests run against a small questionnaire of our own (``fixtures/questionnaires/mini.yaml``: every question
type, skip logic, limits, an exclusive option, level ratings, a gate) so they do not break when the
shipped definitions are edited; the browser test covers the shipped SME table.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from diagnostics.settings import settings
from diagnostics.store import cluster_data
from diagnostics.store.db import make_engine, session_factory
from diagnostics.store.demo_data import seed_demo
from diagnostics.store.models import Base
from diagnostics.taxonomy import load_taxonomy
from flows.context import DIRECT
from flows.pipeline import run_pipeline_stages
from survey_app import create_app
from tests.survey_app.survey_helpers import FIXTURES, People, Web


@pytest.fixture
def questionnaire_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the app at the test questionnaire and taxonomy (the shipped ones may change any day)."""
    path = FIXTURES / "questionnaires"
    monkeypatch.setattr(settings, "questionnaire_dir", path)
    load_taxonomy.cache_clear()
    yield path
    load_taxonomy.cache_clear()


@pytest.fixture
def app(db_url: str, engine: Engine, questionnaire_dir: Path) -> Flask:
    return create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test-secret",
                       "LOGIN_IP_LIMIT": 50})


@pytest.fixture
def web(app: Flask) -> Web:
    return Web(app.test_client())


@pytest.fixture
def other_web(app: Flask) -> Web:
    """A second browser (another device, or another person)."""
    return Web(app.test_client())


@pytest.fixture
def people(session: Session) -> People:
    return People(session)


@pytest.fixture(scope="module")
def world(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, Session]]:
    """The demo after one pipeline run (stage functions called directly: the views, not Prefect).

    Built once per module and backend (the dashboard and console tests): the tests only read it (each
    adds its own uniquely named users).
    """
    engine = make_engine(db_url)
    session = session_factory(engine)()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "database_url", db_url)
        patch.setattr(settings, "report_dir", tmp_path_factory.mktemp("reports"))
        cluster_data.clear_cache()
        seed_demo(session, enterprises=60)
        session.commit()
        run_pipeline_stages(None, runner=DIRECT)
        yield create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t", "LOGIN_IP_LIMIT": 50}), session
    session.close()
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()
    cluster_data.clear_cache()
