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
from diagnostics.taxonomy import load_taxonomy
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
