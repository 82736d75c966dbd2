"""Forms for bureau staff: verifying a submission, assigning commissioners, creating staff accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

STAFF_ROLE_LABELS = {"commissioner": _l("Digital commissioner"), "admin": _l("Bureau official (admin)"),
                     "viewer": _l("Viewer (read-only)")}


class VerifyForm(FlaskForm):
    note = TextAreaField(_l("Note from the site visit (optional)"), validators=[Optional(), Length(max=2000)])


class AssignForm(FlaskForm):
    commissioner_id = SelectField(_l("Commissioner"), coerce=int, validators=[DataRequired()])


class StaffUserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[
        DataRequired(), Length(min=3, max=64),
        Regexp(r"^[\w.@+\-]+$", message=_l("Letters, digits and . @ + - _ only"))])
    display_name = StringField(_l("Name shown"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=[SelectChoice(k, v) for k, v in STAFF_ROLE_LABELS.items()])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=8, max=128)],
                             render_kw={"autocomplete": "new-password"})
