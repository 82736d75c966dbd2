"""Error pages in the user's language and the site's style, and JSON errors for JSON clients.

Every error a user can cause gets an answer that says what happened and what to do: 400, 403, 404, 405,
409, 413, 429, a busy database (503, "try again, your answers are kept") and, for a bug, a 500 page that
is still ours (bilingual, no traceback). A background request (the autosave, anything asking for JSON)
gets the same message as JSON, never an HTML page it cannot read.

The error page never reads the request body again: a 413 handler that touched ``request.form`` would
raise 413 inside itself, which is how an oversized anonymous POST to ``/login`` used to end in a 500.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.wrappers import Response

from diagnostics.store.db import is_busy
from survey_app.i18n import lang

log = logging.getLogger(__name__)

class BadInput(BadRequest):
    """A 400 whose description is a translated message for the person (which field, why)."""


def wants_json() -> bool:
    return (request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With") == "fetch"
            or request.is_json)


def busy_message() -> str:
    return _("The database is busy right now. Your answers are kept on this page: please try again in a moment.")


def _forget_body() -> None:
    """Make the (oversized or unreadable) body look empty to whatever renders the error page."""
    request.__dict__["form"] = ImmutableMultiDict()
    request.__dict__["files"] = ImmutableMultiDict()


def _message(code: int) -> str:
    messages = {
        400: _("The request could not be handled. Check what you entered and try again."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("This action is not available here."),
        409: _("This changed meanwhile; reload the page."),
        413: _("What you sent is too large (a file or a text far beyond any limit)."),
        429: _("Too many requests. Wait a moment and try again."),
        500: _("Something went wrong on our side. Nothing you typed is lost that was already saved; "
               "try again, and tell the bureau if it happens again."),
        503: busy_message(),
    }
    return messages.get(code) or messages[400]


def error_response(code: int, message: str | None = None, error: str | None = None) -> tuple[Response | str, int]:
    """The error in the user's language (JSON for JSON clients); a page also says it in the other one."""
    other = None
    if message is None:
        message = _message(code)
        with force_locale("zh_CN" if lang() == "en" else "en"):
            other = _message(code)
    if wants_json():
        return jsonify({"ok": False, "error": error or code, "message": message}), code
    return render_template("error.html", code=code, message=message, other=other), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
        message = _("This page was open too long or your session ended. Your last saved answers are kept; "
                    "reload the page (log in again if asked) and repeat the last change.")
        return error_response(400, message, "csrf")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int] | HTTPException:
        code = exc.code or 500
        if code < 400:
            return exc
        if code in (400, 413):
            _forget_body()
        return error_response(code, exc.description if isinstance(exc, BadInput) else None)

    @app.errorhandler(OperationalError)
    def database_busy(exc: OperationalError) -> tuple[Response | str, int]:
        if not is_busy(exc):
            log.exception("database error", exc_info=exc)
            return error_response(500)
        return error_response(503, busy_message(), "busy")

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError) -> tuple[Response | str, int]:
        original = getattr(exc, "original_exception", None)
        if original is not None and is_busy(original):
            return error_response(503, busy_message(), "busy")
        _forget_body()
        return error_response(500)
