"""Forms for bureau officials: assigning commissioners, creating staff accounts."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from diagnostics.roles import LABELS, ROLES, STAFF
from survey_app.i18n import tx


class AssignForm(FlaskForm):
    commissioner_id = SelectField(_l("Commissioner"), coerce=int, validators=[DataRequired()])


class StaffUserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[
        DataRequired(), Length(min=3, max=64),
        Regexp(r"^[\w.@+\-]+$", message=_l("Letters, digits and . @ + - _ only"))])
    display_name = StringField(_l("Name shown"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"))
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=8, max=128)],
                             render_kw={"autocomplete": "new-password"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(r.value, tx(LABELS[r])) for r in ROLES if r in STAFF]
