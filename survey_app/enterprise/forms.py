"""The enterprise profile form, used by the profile page and extended by self-registration.

Checks that need the domain (USCC check character, industry code table, chain links of the industry's
taxonomy) are done here with the domain's own functions and messages; the duplicate-USCC check needs
the database and is done by the view, which knows which enterprise is being edited.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from diagnostics.industry_codes import INDUSTRIES, choices, industry_of, lookup
from diagnostics.size_class import size_class
from diagnostics.store import catalogue
from diagnostics.store.models import Enterprise
from diagnostics.taxonomy import shipped_taxonomies
from survey_app.forms import CheckboxesField, PlainNumberField, ShortNumber
from survey_app.i18n import lang, tx

TAGS = ("srdi", "chain_leader", "listed")
TAG_LABELS = {"srdi": _l("SRDI enterprise (专精特新)"), "chain_leader": _l("Chain leader / backbone enterprise"),
              "listed": _l("Listed company")}


def industry_choices() -> list[SelectChoice]:
    """Industry classes of the pilot industries, grouped by industry, named in the page's language."""
    out = [SelectChoice("", str(_l("Choose…")))]
    for industry, names in INDUSTRIES.items():
        for code, _label in choices(industry):
            entry = lookup(code)
            name = entry.name_en if lang() == "en" and entry else (entry.name_zh if entry else code)
            out.append(SelectChoice(code, f"{code} {name}", optgroup=tx(names)))
    return out


def chain_link_groups() -> list[dict[str, Any]]:
    """Chain links of every shipped taxonomy, for the form to show those of the chosen industry."""
    groups = []
    for code in shipped_taxonomies():
        taxonomy = catalogue.taxonomy(code)
        if taxonomy is None:
            continue
        groups.append({"industry": code, "title": tx(taxonomy.title),
                       "links": [(link.code, tx(link.name)) for link in taxonomy.chain_links]})
    return groups


class EnterpriseForm(FlaskForm):
    """Profile fields an enterprise keeps up to date (the USCC is fixed after registration)."""

    name = StringField(_l("Enterprise name"), validators=[DataRequired(), Length(max=200)])
    industry_code = SelectField(_l("Industry (GB/T 4754-2017 class)"), validators=[DataRequired()])
    region = StringField(_l("Region (county / district)"), validators=[Optional(), Length(max=100)])
    chain_links = CheckboxesField(_l("Chain link(s)"), validate_choice=False)
    employees = IntegerField(_l("Employees"),
                             validators=[Optional(), ShortNumber(), NumberRange(
                                 min=0, max=10_000_000, message=_l("Enter a whole number from 0 to 10,000,000"))],
                             render_kw={"inputmode": "numeric"})
    revenue_10k = PlainNumberField(_l("Operating revenue last year (10k yuan)"),
                                   validators=[Optional(), ShortNumber(), NumberRange(
                                       min=0, max=1e9, message=_l("Enter a number from 0 to 1,000,000,000"))],
                                   render_kw={"inputmode": "decimal"})
    tags = CheckboxesField(_l("Tags"), choices=[SelectChoice(t, TAG_LABELS[t]) for t in TAGS])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("Contact phone"), validators=[
        Optional(), Length(max=40), Regexp(r"^[0-9+\-() ]{5,40}$", message=_l("Digits, spaces, + - ( ) only"))],
        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    contact_email = StringField(_l("Contact e-mail"), validators=[
        Optional(), Length(max=200), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Not an e-mail address"))],
        render_kw={"inputmode": "email", "autocomplete": "email"})
    pilot_willing = BooleanField(_l("We are willing to join a digital-transformation pilot"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.industry_code.choices = industry_choices()
        self.link_groups = chain_link_groups()
        self.industry_map = {code: industry_of(code) for code, _label in choices()}

    def apply_to(self, enterprise: Enterprise) -> None:
        """Copy the profile onto ``enterprise`` and derive its size class (never typed by hand)."""
        enterprise.name = self.name.data.strip()
        enterprise.industry_code = self.industry_code.data
        enterprise.region = (self.region.data or "").strip() or None
        enterprise.chain_links = list(self.chain_links.data or [])
        enterprise.employees = self.employees.data
        enterprise.revenue_10k = self.revenue_10k.data
        enterprise.size_class = size_class(enterprise.employees, enterprise.revenue_10k)
        enterprise.tags = [t for t in TAGS if t in (self.tags.data or [])]
        enterprise.contact_name = (self.contact_name.data or "").strip() or None
        enterprise.contact_phone = (self.contact_phone.data or "").strip() or None
        enterprise.contact_email = (self.contact_email.data or "").strip() or None
        enterprise.pilot_willing = bool(self.pilot_willing.data)

    def validate_industry_code(self, field: StringField) -> None:
        if field.data and industry_of(field.data) is None:
            raise ValidationError(_l("Choose an industry class from the list"))

    def validate_chain_links(self, field: CheckboxesField) -> None:
        chosen = list(dict.fromkeys(field.data or []))
        industry = industry_of(self.industry_code.data) if self.industry_code.data else None
        allowed = next(([c for c, _ in g["links"]] for g in self.link_groups if g["industry"] == industry), [])
        wrong = [c for c in chosen if c not in allowed]
        if wrong:
            raise ValidationError(_l("These chain links do not belong to the chosen industry: %(codes)s",
                                     codes=", ".join(wrong)))
        field.data = chosen
