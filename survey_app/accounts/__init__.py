"""Accounts: the start page by role, registration, log-in with throttling, log-out, the language switch."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="templates")

from survey_app.accounts import routes  # noqa: E402,F401  (the views attach themselves to bp)
