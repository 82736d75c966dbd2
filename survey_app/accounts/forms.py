"""Log-in and self-registration (an account and its enterprise in one step)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from diagnostics.uscc import validate_uscc
from survey_app.accounts.passwords import password_problem
from survey_app.enterprise.forms import EnterpriseForm
from survey_app.i18n import pick


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=120)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class RegistrationForm(EnterpriseForm):
    """Self-registration: an account and its enterprise in one step."""

    username = StringField(_l("User name"), validators=[
        DataRequired(), Length(min=3, max=64),
        Regexp(r"^[\w.@+\-]+$", message=_l("Letters, digits and . @ + - _ only"))],
        render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), render_kw={"autocomplete": "new-password"})
    password_again = PasswordField(_l("Password again"), render_kw={"autocomplete": "new-password"})
    uscc = StringField(_l("Unified social credit code"), validators=[DataRequired()],
                       render_kw={"autocapitalize": "characters", "spellcheck": "false", "maxlength": "30"})

    def __init__(self, *args: Any, min_password: int = 8, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.min_password = min_password

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data, self.username.data, self.min_password)
        if problem:
            raise ValidationError(problem)

    def validate_password_again(self, field: PasswordField) -> None:
        if field.data != self.password.data:
            raise ValidationError(_l("The two passwords differ"))

    def validate_uscc(self, field: StringField) -> None:
        result = validate_uscc(field.data or "")
        if not result.ok:
            raise ValidationError(pick(result.message_zh, result.message_en))
        field.data = result.code


class NewPasswordMixin:
    """A new password typed twice and checked against the policy (``passwords.password_problem``)."""

    password: PasswordField
    password_again: PasswordField
    policy_username: str | None = None
    min_password: int = 8

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data, self.policy_username, self.min_password)
        if problem:
            raise ValidationError(problem)

    def validate_password_again(self, field: PasswordField) -> None:
        if field.data != self.password.data:
            raise ValidationError(_l("The two passwords differ"))


class PasswordChangeForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=128)],
                                     render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("New password"), render_kw={"autocomplete": "new-password"})
    password_again = PasswordField(_l("New password again"), render_kw={"autocomplete": "new-password"})

    def __init__(self, *args: Any, username: str, min_password: int = 8, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy_username = username
        self.min_password = min_password
