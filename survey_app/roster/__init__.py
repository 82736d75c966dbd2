"""Bureau officials: importing the enterprise roster (名录) from the bureau's own spreadsheet."""

from flask import Blueprint

bp = Blueprint("roster", __name__, template_folder="templates", url_prefix="/admin/roster")

from survey_app.roster import routes  # noqa: E402,F401  (the views attach themselves to bp)
