"""The cluster dashboard: what the pipeline last computed for a cluster, its history, its workbooks."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, template_folder="templates", url_prefix="/dashboard")

from survey_app.dashboard import routes  # noqa: E402,F401  (the views attach themselves to bp)
