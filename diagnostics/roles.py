"""Who uses Shuzhen and what each role may do: the one role table.

Access checks (``survey_app.access``), the navigation each person sees, the staff form and the demo data
all read this table, so a page cannot be linked for a role that the page then refuses (the dashboard
link once showed to commissioners while the dashboard answered them 403, because two lists disagreed).

Two kinds of permission:

* **actions on an enterprise** (``view``, ``answer``, ``verify``, ``manage``), further limited by *which*
  enterprises a person sees (its own; those assigned; its cluster or the whole province) — that scope
  needs the database and lives in ``survey_app.access``;
* **areas** (pages that name no enterprise): the officials' enterprise list, the cluster dashboard, the
  commissioners' field list, account administration.
"""

from __future__ import annotations

from enum import StrEnum

from diagnostics.text import Text


class Role(StrEnum):
    ENTERPRISE = "enterprise"  # the enterprise's own account: fills its self-assessment
    COMMISSIONER = "commissioner"  # 数字专员: visits assigned enterprises and verifies on site
    ADMIN = "admin"  # a bureau official who manages the pilot (city: one cluster; province: all)
    VIEWER = "viewer"  # a read-only official or expert


ROLES: tuple[Role, ...] = tuple(Role)
STAFF: frozenset[Role] = frozenset({Role.COMMISSIONER, Role.ADMIN, Role.VIEWER})
OFFICIALS: frozenset[Role] = frozenset({Role.ADMIN, Role.VIEWER})  # read the cluster's views

LABELS: dict[Role, Text] = {
    Role.ENTERPRISE: Text(zh="企业用户", en="Enterprise"),
    Role.COMMISSIONER: Text(zh="数字专员", en="Digital commissioner"),
    Role.ADMIN: Text(zh="主管部门管理员", en="Bureau official (admin)"),
    Role.VIEWER: Text(zh="只读查看", en="Viewer (read-only)"),
}

ACTIONS = ("view", "answer", "verify", "manage")
_ROLE_ACTIONS: dict[Role, frozenset[str]] = {
    Role.ENTERPRISE: frozenset({"view", "answer", "manage"}),  # manage = its own profile
    Role.COMMISSIONER: frozenset({"view", "answer", "verify"}),  # answer = on site, with the enterprise
    Role.ADMIN: frozenset({"view", "manage"}),
    Role.VIEWER: frozenset({"view"}),
}

AREAS: dict[str, frozenset[Role]] = {
    "enterprise_list": OFFICIALS,  # the roster with levels and assignments
    "dashboard": OFFICIALS,  # cluster views: levels, portraits, needs, map, shortlist, workbooks
    "assignments": frozenset({Role.ADMIN}),  # assign commissioners to enterprises
    "accounts": frozenset({Role.ADMIN}),  # staff accounts
    "field": frozenset({Role.COMMISSIONER}),  # the commissioner's own enterprises
    "roster": frozenset({Role.ADMIN}),  # import the bureau's enterprise roster
    "progress": OFFICIALS,  # the commissioners' progress board per cluster
    "audit": frozenset({Role.ADMIN}),  # the audit trail: filter and export
    "technical": frozenset({Role.ADMIN}),  # run details: snapshot hashes, Prefect flow-run ids, timings
    "pilot_decisions": frozenset({Role.ADMIN}),  # run the pipeline now; pin or exclude shortlist firms
    "programme": OFFICIALS,  # pilot programmes: providers, pool, projects, cases, evaluation, handbook, report
    "programme_edit": frozenset({Role.ADMIN}),  # create and edit the programme records
}


# Who may create or change whose account. The rank orders how much a role may see and change; an admin
# grants only roles up to its own rank, and a city admin (one cluster) only inside its cluster and never
# a province-wide account (enforced with the cluster in ``survey_app.access.may_manage_account``).
RANK: dict[Role, int] = {Role.ENTERPRISE: 0, Role.VIEWER: 1, Role.COMMISSIONER: 1, Role.ADMIN: 2}
ACCOUNT_MANAGERS: frozenset[Role] = AREAS["accounts"]


def grantable_roles(actor: str | None) -> tuple[Role, ...]:
    """The staff roles ``actor`` may give to an account it creates or edits (none above its own)."""
    found = role_of(actor)
    if found is None or found not in ACCOUNT_MANAGERS:
        return ()
    return tuple(r for r in ROLES if r in STAFF and RANK[r] <= RANK[found])


def may_manage_role(actor: str | None, target: str | None) -> bool:
    """Whether ``actor`` may edit, disable or reset an account of role ``target`` (before cluster scope)."""
    found, other = role_of(actor), role_of(target)
    if found is None or other is None or found not in ACCOUNT_MANAGERS:
        return False
    return RANK[other] <= RANK[found]


def role_of(name: str | None) -> Role | None:
    """The role for a stored name, or None for anything unknown (which may do nothing)."""
    try:
        return Role(name) if name is not None else None
    except ValueError:
        return None


def may(role: str | None, action: str) -> bool:
    """Whether ``role`` may ever perform ``action`` on an enterprise (before scope is checked)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    found = role_of(role)
    return found is not None and action in _ROLE_ACTIONS[found]


def may_open(role: str | None, area: str) -> bool:
    """Whether ``role`` may open the pages of ``area`` (one of ``AREAS``)."""
    if area not in AREAS:
        raise ValueError(f"unknown area {area!r}")
    found = role_of(role)
    return found is not None and found in AREAS[area]


def is_staff(role: str | None) -> bool:
    found = role_of(role)
    return found is not None and found in STAFF

