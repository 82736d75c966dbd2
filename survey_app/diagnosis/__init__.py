"""The diagnosis an enterprise reads: level, radar, strengths and weaknesses, gates, recommendations, T0/T1."""

from flask import Blueprint

bp = Blueprint("diagnosis", __name__, template_folder="templates")

from survey_app.diagnosis import routes  # noqa: E402,F401  (the views attach themselves to bp)
