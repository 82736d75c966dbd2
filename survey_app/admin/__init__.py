"""Bureau officials: the enterprise roster, commissioner assignments, staff accounts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")

from survey_app.admin import routes  # noqa: E402,F401  (the views attach themselves to bp)
