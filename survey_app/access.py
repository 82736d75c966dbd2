"""Who may do what to which enterprise: the one place every view asks.

Every URL that names an enterprise, a submission, an assessment or an account loads it through one of the
``*_or_abort`` functions below, which answer the same 404 when the row does not exist and when it exists
but belongs to someone the user may not see: a 403 would tell anyone logged in which ids exist, and ids
are sequential, so the number of enterprises and submissions could be counted. Ids beyond the database's
integer range are "not found" too, not a database error. Keeping the rule in one function (``allowed``) means a new view
cannot forget a case, and the test that walks every URL of enterprise B as user A checks this file.

The rules themselves (which role may do which action, which role may open which area) are the one role
table in ``diagnostics.roles``; this module adds the part that needs the database, *which* enterprises:

=============  =====================================
role           enterprises
=============  =====================================
enterprise     its own only
commissioner   those assigned to it (``Assignment``)
admin, viewer  all, or its cluster when it has one
=============  =====================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.interfaces import ORMOption

from diagnostics.roles import Role, may, may_manage_role, may_open
from diagnostics.store.models import Assessment, Assignment, Base, Cluster, Enterprise, Submission, User
from survey_app.accounts.users import SessionUser
from survey_app.db import db_session

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=Base)
T = TypeVar("T")


def is_assigned(user_id: int, enterprise_id: int) -> bool:
    return db_session().scalar(select(Assignment.id).where(
        Assignment.user_id == user_id, Assignment.enterprise_id == enterprise_id)) is not None


def allowed(user: SessionUser | Any, enterprise_id: int, action: str = "view") -> bool:
    """Whether ``user`` may perform ``action`` on enterprise ``enterprise_id``."""
    if not may(getattr(user, "role", None), action) or not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ENTERPRISE:
        return bool(user.enterprise_id == enterprise_id)
    if user.role == Role.COMMISSIONER:
        return is_assigned(user.id, enterprise_id)
    scope = cluster_scope(user)
    if scope is not None:  # a city official sees the city's cluster only
        return db_session().scalar(select(Enterprise.cluster_id).where(Enterprise.id == enterprise_id)) == scope
    return True  # a province-level admin or viewer sees every enterprise; their actions are limited above


def cluster_scope(user: SessionUser | Any) -> int | None:
    """The one cluster an official is bound to (a city bureau), or None for province level and others."""
    return getattr(user, "cluster_id", None)


def visible_enterprises(stmt: Select[T], user: SessionUser | Any) -> Select[T]:
    """``stmt`` (over ``Enterprise``) limited to the enterprises an official may list."""
    scope = cluster_scope(user)
    return stmt if scope is None else stmt.where(Enterprise.cluster_id == scope)


def visible_clusters(user: SessionUser | Any) -> list[Cluster]:
    """The clusters an official may read: their own, or all for a province-level account."""
    stmt = select(Cluster).order_by(Cluster.code)
    scope = cluster_scope(user)
    if scope is not None:
        stmt = stmt.where(Cluster.id == scope)
    return list(db_session().scalars(stmt))


MAX_ID = 2**31 - 1  # PostgreSQL ``integer`` (SQLite's is 2**63 - 1): no row has a larger id


def valid_id(value: int) -> bool:
    """Whether ``value`` can be a row id at all (a larger one is not found, never a database error)."""
    return 0 < value <= MAX_ID


def _check(enterprise_id: int, action: str) -> None:
    """404 for an enterprise the user may not even see; 403 only when it sees it but may not do this."""
    if allowed(current_user, enterprise_id, action):
        return
    abort(403 if action != "view" and allowed(current_user, enterprise_id, "view") else 404)


def _get_or_404(model: type[M], row_id: int, options: Sequence[ORMOption] = ()) -> M:
    row = db_session().get(model, row_id, options=options) if valid_id(row_id) else None
    if row is None:
        abort(404)
    return row


def enterprise_or_abort(enterprise_id: int, action: str = "view") -> Enterprise:
    row = _get_or_404(Enterprise, enterprise_id)
    _check(row.id, action)
    return row


# with its questionnaire version in the same query: every submission view reads the definition. Made
# once: building the loader option and its cache key on each request cost ~3 % of an autosave (py-spy)
_WITH_VERSION = (joinedload(Submission.questionnaire_version),)


def submission_or_abort(submission_id: int, action: str = "view") -> Submission:
    row = _get_or_404(Submission, submission_id, _WITH_VERSION)
    _check(row.enterprise_id, action)
    return row


def assessment_or_abort(assessment_id: int, action: str = "view") -> Assessment:
    row = _get_or_404(Assessment, assessment_id)
    _check(row.enterprise_id, action)
    return row


def may_manage_account(actor: SessionUser | Any, target: User) -> bool:
    """Whether ``actor`` may edit, disable or reset ``target``'s account.

    The role rank comes from the role table (``diagnostics.roles.may_manage_role``: nobody manages a role
    above its own); the cluster is checked here: a city admin manages only accounts of its own cluster
    (staff with that ``cluster_id``, enterprise accounts whose enterprise is in it), never a province-wide
    account; a province admin (no cluster) manages every account.
    """
    if not getattr(actor, "is_authenticated", False) or not may_manage_role(actor.role, target.role):
        return False
    scope = getattr(actor, "cluster_id", None)
    if scope is None:
        return True
    if target.role == Role.ENTERPRISE:
        return target.enterprise_id is not None and db_session().scalar(
            select(Enterprise.cluster_id).where(Enterprise.id == target.enterprise_id)) == scope
    return target.cluster_id == scope


def account_or_abort(user_id: int) -> User:
    """An account the current admin may manage; the same 404 for missing and out of scope."""
    row = _get_or_404(User, user_id)
    if not may_manage_account(current_user, row):
        abort(404)
    return row


def area_required(area: str) -> Callable[[F], F]:
    """Log in first, then refuse (403) a role the role table does not let into ``area``."""
    may_open(None, area)  # an unknown area name fails at import, not on the first request

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not may_open(current_user.role, area):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, login_required(wrapper))

    return decorate
