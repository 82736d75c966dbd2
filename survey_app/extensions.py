"""Every Flask extension, created unbound here and bound to an app in ``init_app``.

The factory can then make as many apps as tests need (one per database backend) without them sharing
state.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from survey_app import i18n
from survey_app.accounts.users import load_user

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None  # the login page explains itself; a flash would repeat it
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
