"""The Flask app: enterprises register and fill questionnaires, commissioners verify, officials read.

``create_app`` is the factory (``flask --app survey_app run``); configuration comes from
``diagnostics.settings`` (the environment) and can be overridden by tests. One blueprint per area:

=============  ====================================================================
home           ``/`` (start page by role), ``/lang``, ``/size-class``, error pages
auth           ``/register``, ``/login``, ``/logout``
enterprise     ``/enterprises/<id>`` (profile, questionnaires, history), ``/edit``
survey         start/resume a draft, ``/submissions/<id>/pages/<n>`` (+ autosave), version changes
submission     ``/submissions/<id>/review``, ``/submit``, ``/submissions/<id>`` (read-only)
diagnosis      ``/submissions/<id>/diagnosis``, ``/assessments/<id>``, Plotly's JavaScript
field          commissioners: ``/field/``, ``/submissions/<id>/verify``
admin          officials: ``/admin/enterprises``, assignments, ``/admin/users``
dashboard      (optional, another engineer's) cluster views
=============  ====================================================================
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, request
from flask_login import current_user

from diagnostics.settings import settings


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        DATABASE_URL=settings.database_url,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_minutes),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # a manager may leave a page open all afternoon; the session expires instead
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_SUPPORTED_LOCALES=["zh_CN", "en"],
        LOGIN_MAX_FAILURES=5,  # wrong passwords in a row before the account is locked
        LOGIN_LOCK_MINUTES=15,
        LOGIN_IP_LIMIT=30,  # failed log-ins per address per window (a shared factory network is one address)
        LOGIN_IP_WINDOW_SECONDS=15 * 60,
        MIN_PASSWORD_LENGTH=8,
    )
    if config:
        app.config.update(config)

    from survey_app import extensions, home, i18n, throttle

    extensions.init_app(app)
    i18n.init_app(app)
    home.init_app(app)
    app.extensions["login_limiter"] = throttle.AddressLimiter(
        app.config["LOGIN_IP_LIMIT"], app.config["LOGIN_IP_WINDOW_SECONDS"])
    _register_blueprints(app)
    _add_page_helpers(app)

    from survey_app.cli import register

    register(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from survey_app import admin, auth, diagnosis, enterprise, field, home, submission, survey

    for module in (home, auth, enterprise, survey, submission, diagnosis, field, admin):
        app.register_blueprint(module.bp)
    try:
        from survey_app.dashboard import bp as dashboard_bp

        app.register_blueprint(dashboard_bp)
    except ImportError:
        pass


def _add_page_helpers(app: Flask) -> None:
    from survey_app.forms.widgets import input_attrs

    app.jinja_env.globals["input_attrs"] = input_attrs  # globals reach imported macros; context does not

    @app.context_processor
    def navigation() -> dict[str, Any]:
        from survey_app.forms.auth import ButtonForm, LanguageForm

        show_dashboard = ("dashboard.index" in app.view_functions and current_user.is_authenticated
                          and current_user.role in ("admin", "viewer", "commissioner"))
        return {"show_dashboard": show_dashboard, "button_form": ButtonForm, "language_form": LanguageForm}

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            # answers and diagnoses are private: never cached by a shared proxy, always revalidated
            response.headers.setdefault("Cache-Control", "private, no-cache")
        if request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "public, max-age=3600"
        return response
