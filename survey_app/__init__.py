"""The Flask app: enterprises register and fill questionnaires, commissioners verify, officials read.

``create_app`` is the factory (``flask --app survey_app run``); configuration comes from
``diagnostics.settings`` (the environment) and can be overridden by tests. The package reads as a table
of contents, one blueprint package per area (``routes.py``, ``forms.py`` and ``templates/`` beside it):

=============  ====================================================================
accounts/      ``/`` (start page by role), ``/register``, ``/login``, ``/logout``, ``/lang``
enterprise/    ``/enterprises/<id>`` (profile, questionnaires, history), ``/edit``
survey/        start/resume a draft, pages (+ autosave), version changes, review, submit
diagnosis/     ``/submissions/<id>/diagnosis``, ``/assessments/<id>``, Plotly's JavaScript
field/         commissioners: ``/field/``, ``/submissions/<id>/verify``
admin/         officials: ``/admin/enterprises``, assignments, ``/admin/users``
roster/        officials: ``/admin/roster/`` upload → preview → confirm of the bureau's enterprise list
dashboard/     officials: the cluster views the pipeline computed, their history, workbooks
programme/     officials: providers, solution pool, projects and checkpoints, cases, 懂行人, evaluation
=============  ====================================================================

and what they share: ``access`` (who may see which enterprise), ``db`` (the request's session),
``extensions``, ``forms`` (buttons, checkboxes), ``i18n`` (language, bilingual domain text), ``errors``
(error pages). The domain rules (scoring, recommendations, drafts, version changes, roles) are in
``diagnostics``; the app asks and renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from diagnostics.roles import Role, may_open
from diagnostics.settings import settings
from survey_app import (
    accounts,
    admin,
    dashboard,
    db,
    diagnosis,
    enterprise,
    errors,
    extensions,
    field,
    i18n,
    inputs,
    programme,
    roster,
    security,
    sessions,
    survey,
)
from survey_app.forms import ButtonForm, LanguageForm, input_attrs

BLUEPRINTS = (accounts, enterprise, survey, diagnosis, field, admin, dashboard, roster, programme)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        DATABASE_URL=settings.database_url,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_minutes),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PROXY_HOPS=settings.proxy_hops,
        WTF_CSRF_TIME_LIMIT=None,  # a manager may leave a page open all afternoon; the session expires instead
        MAX_CONTENT_LENGTH=settings.max_body_mb * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=settings.max_body_mb * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_SUPPORTED_LOCALES=["zh_CN", "en"],
        LOGIN_MAX_FAILURES=settings.login_max_failures,  # wrong passwords in a row before the name is locked
        LOGIN_LOCK_MINUTES=settings.login_lock_minutes,
        LOGIN_PAIR_LIMIT=settings.login_pair_limit,  # failures of one name from one address per window
        LOGIN_IP_LIMIT=settings.login_address_limit,  # failures from one address before tries are slowed
        LOGIN_IP_DELAY_SECONDS=settings.login_address_delay,
        LOGIN_WINDOW_SECONDS=settings.login_window_seconds,
        MIN_PASSWORD_LENGTH=settings.min_password_length,
        MAX_TEXT_ANSWER=settings.max_text_answer,
        MAX_FIELD_CHARS=settings.max_field_chars,
    )
    if config:
        app.config.update(config)

    security.init_app(app)
    sessions.init_app(app)
    db.init_app(app)
    extensions.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    inputs.init_app(app)
    for area in BLUEPRINTS:
        app.register_blueprint(area.bp)
    _add_page_helpers(app)
    return app


@dataclass(frozen=True)
class NavLink:
    url: str
    label: str


_AREA_LINKS = (  # (area in the role table, endpoint, label)
    ("field", "field.index", _l("My enterprises")),
    ("enterprise_list", "admin.enterprises", _l("Enterprises")),
    ("accounts", "admin.users", _l("Accounts")),
    ("roster", "roster.upload", _l("Import roster")),
    ("assignments", "roster.assign", _l("Assign in bulk")),
    ("progress", "field.board", _l("Field progress")),
    ("audit", "roster.audit_trail", _l("Audit trail")),
    ("dashboard", "dashboard.index", _l("Cluster dashboard")),
    ("programme", "programme.index", _l("Pilot programme")),
)


def navigation(user: Any) -> list[NavLink]:
    """The top bar's links for ``user``: each shown only when the role table lets the role open it."""
    if not getattr(user, "is_authenticated", False):
        return []
    links: list[NavLink] = []
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        links.append(NavLink(url_for("enterprise.show", enterprise_id=user.enterprise_id), str(_l("My enterprise"))))
    for area, endpoint, label in _AREA_LINKS:
        if may_open(user.role, area):
            links.append(NavLink(url_for(endpoint), str(label)))
    return links


def _add_page_helpers(app: Flask) -> None:
    # globals reach imported macros; context does not
    app.jinja_env.globals.update(input_attrs=input_attrs, may_open=may_open)

    @app.context_processor
    def page_context() -> dict[str, Any]:
        forms: dict[str, type[FlaskForm]] = {"button_form": ButtonForm, "language_form": LanguageForm}
        return {"nav_links": navigation(current_user), **forms}

