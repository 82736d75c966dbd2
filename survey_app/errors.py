"""Error pages in the user's language, and JSON errors for the pages' background requests."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response


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
