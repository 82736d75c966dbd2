"""The request's database session, as flaskr's ``db.py``: opened on first use, closed at teardown.

Every view asks ``db_session()``; the engine (one per database URL, pooled) comes from the shared store,
so the web app and the flows talk to the database the same way.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from diagnostics.store.db import engine_for, session_factory


def db_session() -> Session:
    """The request's SQLAlchemy session (opened on first use, closed at teardown)."""
    if "db" not in g:
        g.db = session_factory(engine_for(current_app.config["DATABASE_URL"]))()
    session: Session = g.db
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close_session)
