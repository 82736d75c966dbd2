"""The commissioner's verification of a submitted self-assessment."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional


class VerifyForm(FlaskForm):
    note = TextAreaField(_l("Note from the site visit (optional)"), validators=[Optional(), Length(max=2000)])
