"""An enterprise's own pages: profile, questionnaires to start or resume, history."""

from flask import Blueprint

bp = Blueprint("enterprise", __name__, template_folder="templates", url_prefix="/enterprises")

from survey_app.enterprise import routes  # noqa: E402,F401  (the views attach themselves to bp)
