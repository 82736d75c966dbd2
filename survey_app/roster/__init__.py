"""Bureau officials: the roster import (名录), assignments in bulk, the audit trail."""

from flask import Blueprint

bp = Blueprint("roster", __name__, template_folder="templates", url_prefix="/admin")

from survey_app.roster import routes  # noqa: E402,F401  (the views attach themselves to bp)
