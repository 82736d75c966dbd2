"""Digital commissioners: their assigned enterprises, and verifying a submitted self-assessment."""

from flask import Blueprint

bp = Blueprint("field", __name__, template_folder="templates")

from survey_app.field import routes  # noqa: E402,F401  (the views attach themselves to bp)
