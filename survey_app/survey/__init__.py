"""Filling a questionnaire: drafts, one page per dimension, autosave, version changes, review and submit."""

from flask import Blueprint

bp = Blueprint("survey", __name__, template_folder="templates")

from survey_app.survey import routes, submission  # noqa: E402,F401  (the views attach themselves to bp)
