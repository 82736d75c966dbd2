"""Every Flask extension and the per-request database session, set up in one place.

Extensions are created unbound here and bound to an app in ``init_app`` so the factory can make as many
apps as tests need (one per database backend) without them sharing state.
"""

from __future__ import annotations

from flask import Flask, g
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from diagnostics.store.db import engine_for, session_factory

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def db_session() -> Session:
    """The request's SQLAlchemy session (opened on first use, closed at teardown)."""
    from flask import current_app

    if "db" not in g:
        g.db = session_factory(engine_for(current_app.config["DATABASE_URL"]))()
    return g.db


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    from survey_app import auth_users, i18n

    app.teardown_appcontext(_close_session)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself; a flash would repeat it
    login_manager.session_protection = "basic"
    login_manager.user_loader(auth_users.load_user)
