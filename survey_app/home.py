"""The front door: the start page by role, the language switch, small helpers, and error pages."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from diagnostics.size_class import SIZE_LABELS, size_class
from diagnostics.store.models import User
from survey_app.extensions import db_session
from survey_app.forms.auth import LanguageForm
from survey_app.i18n import LANG_SESSION_KEY, supported, tx
from survey_app.urls import home_for, safe_next

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/lang", methods=["POST"])
def set_language() -> Response:
    """Switch language; remembered in the session and, when logged in, on the account."""
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in supported():
        session[LANG_SESSION_KEY] = form.lang.data
        if current_user.is_authenticated:
            row = db_session().get(User, current_user.id)
            if row is not None:
                row.locale = form.lang.data
                db_session().commit()
    return redirect(safe_next(form.next.data) or url_for("home.index"))


@bp.route("/size-class")
def size_class_json() -> Response:
    """The size class for employees and revenue, so the registration form can show it as typed."""
    try:
        employees = int(request.args.get("employees", ""))
        revenue = float(request.args.get("revenue", ""))
        found = size_class(employees, revenue)
    except ValueError:
        found = None
    return jsonify({"size_class": found, "label": tx(SIZE_LABELS[found]) if found else ""})


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With") == "fetch"


def init_app(app: Flask) -> None:
    """Friendly error pages in the user's language (and JSON for the page's background requests)."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
        message = _("This page was open too long or your session ended. Your last saved answers are kept; "
                    "reload the page (log in again if asked) and repeat the last change.")
        if _wants_json():
            return jsonify({"ok": False, "error": "csrf", "message": message}), 400
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int] | HTTPException:
        code = exc.code or 500
        if code not in (400, 403, 404, 405, 409, 413, 429):
            return exc
        messages = {
            403: _("You do not have access to this page."),
            404: _("This page does not exist."),
            405: _("This action is not available here."),
            413: _("The upload is too large."),
        }
        message = messages.get(code) or _("The request could not be handled.")
        if _wants_json():
            return jsonify({"ok": False, "error": code, "message": message}), code
        return render_template("error.html", code=code, message=message), code
