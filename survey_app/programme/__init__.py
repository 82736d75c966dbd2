"""Pilot programmes: providers, the solution pool, deployments, projects and checkpoints, cases, 懂行人,
the programme evaluation, and the handbook and research report downloads."""

from flask import Blueprint

bp = Blueprint("programme", __name__, template_folder="templates", url_prefix="/programme")

from survey_app.programme import projects, routes  # noqa: E402,F401  (the views attach themselves to bp)
