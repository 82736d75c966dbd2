"""Forms for bureau officials: assigning commissioners, creating and editing accounts, password resets.

Which roles and clusters the choices offer comes from the role table (``diagnostics.roles.grantable_roles``)
and the admin's own scope, and the same rule is checked again on submit (``survey_app.access``), so a
hand-made POST cannot grant more than the form shows.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from diagnostics.roles import LABELS, grantable_roles
from diagnostics.store.models import Cluster
from survey_app.accounts.forms import NewPasswordMixin
from survey_app.i18n import pick, tx

PROVINCE = ""  # the cluster choice meaning "every cluster" (province level)


class AssignForm(FlaskForm):
    commissioner_id = SelectField(_l("Commissioner"), coerce=int, validators=[DataRequired()])


def cluster_choices(clusters: list[Cluster], actor_cluster: int | None) -> list[SelectChoice]:
    """A city admin gets its own cluster only; a province admin every cluster and "province-wide"."""
    if actor_cluster is not None:
        return [SelectChoice(str(c.id), pick(c.name_zh, c.name_en or c.name_zh)) for c in clusters
                if c.id == actor_cluster]
    return [SelectChoice(PROVINCE, str(_l("Province-wide (every cluster)")))] + [
        SelectChoice(str(c.id), pick(c.name_zh, c.name_en or c.name_zh)) for c in clusters]


class _ScopedAccountForm(FlaskForm):
    display_name = StringField(_l("Name shown"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    cluster = SelectField(_l("Cluster"), default=PROVINCE)

    def scope(self, actor_role: str, actor_cluster: int | None, clusters: list[Cluster]) -> None:
        self.role.choices = [SelectChoice(r.value, tx(LABELS[r])) for r in grantable_roles(actor_role)]
        self.cluster.choices = cluster_choices(clusters, actor_cluster)
        if actor_cluster is not None and not self.cluster.raw_data:
            self.cluster.data = str(actor_cluster)  # a city admin's accounts belong to its cluster

    def cluster_id(self) -> int | None:
        return int(self.cluster.data) if self.cluster.data not in (None, PROVINCE) else None


class StaffUserForm(NewPasswordMixin, _ScopedAccountForm):
    username = StringField(_l("User name"), validators=[
        DataRequired(), Length(min=3, max=64),
        Regexp(r"^[\w.@+\-]+$", message=_l("Letters, digits and . @ + - _ only"))])
    password = PasswordField(_l("Initial password"), render_kw={"autocomplete": "new-password"})

    def __init__(self, *args: Any, min_password: int = 8, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.min_password = min_password

    def validate_password(self, field: PasswordField) -> None:
        self.policy_username = self.username.data
        super().validate_password(field)


class UserEditForm(_ScopedAccountForm):
    active = BooleanField(_l("Active (may log in)"))


class PasswordResetForm(NewPasswordMixin, FlaskForm):
    password = PasswordField(_l("New password"), render_kw={"autocomplete": "new-password"})
    password_again = PasswordField(_l("New password again"), render_kw={"autocomplete": "new-password"})

    def __init__(self, *args: Any, username: str, min_password: int = 8, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy_username = username
        self.min_password = min_password
