"""Log-in and the small forms that are only a button (they still carry the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=120)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ButtonForm(FlaskForm):
    """A form with nothing but its CSRF token: start a questionnaire, switch version, log out."""


class LanguageForm(FlaskForm):
    lang = HiddenField()
    next = HiddenField()
