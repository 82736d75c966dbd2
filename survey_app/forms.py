"""Forms and field types that several areas share: buttons, the language switch, checkboxes, ARIA.

Area-specific forms live beside their routes (``accounts/forms.py``, ``survey/forms.py``, ...).
"""

from __future__ import annotations

import math

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, FloatField, Form, HiddenField, SelectMultipleField
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget


class ButtonForm(FlaskForm):
    """A form with nothing but its CSRF token: start a questionnaire, switch version, log out."""


class LanguageForm(FlaskForm):
    lang = HiddenField()
    next = HiddenField()


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as checkboxes (easier to tap on a phone than a multi-select box)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def input_attrs(field: object, help_text: str | None = None, required: bool = False) -> dict[str, object]:
    """ARIA attributes tying an input to its help text and error message (read out by screen readers)."""
    fid = getattr(field, "id", "")
    described = ([f"{fid}-help"] if help_text else []) + ([f"{fid}-error"] if getattr(field, "errors", None) else [])
    attrs: dict[str, object] = {}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if getattr(field, "errors", None):
        attrs["aria-invalid"] = "true"
    if required:
        attrs["required"] = True
    return attrs


class ShortNumber:
    """Refuse a number typed with more than ``digits`` characters, or infinite, before any range check runs.

    WTForms' ``NumberRange`` converts to float, and a 400-digit integer overflows that conversion; a real
    staff count or revenue never needs more than a dozen digits.
    """

    def __init__(self, digits: int = 15) -> None:
        self.digits = digits

    def __call__(self, form: Form, field: Field) -> None:
        if field.process_errors:  # not a number at all: the field said so once; no range message on top
            raise StopValidation()
        raw = (field.raw_data or [""])[0] if field.raw_data else ""
        if len(str(raw).strip()) > self.digits:
            raise StopValidation(str(_l("This number is too long (at most %(n)d digits)", n=self.digits)))
        if isinstance(field.data, float) and not math.isfinite(field.data):  # "1e309", "inf", "nan"
            raise StopValidation(str(_l("Enter an ordinary number (not infinity or NaN)")))


class PlainNumberField(FloatField):
    """A decimal input that shows a stored whole number as typed (``2032``, not ``2032.0``)."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        value = float(self.data)
        return str(int(value)) if value.is_integer() else f"{value:.6f}".rstrip("0").rstrip(".")
