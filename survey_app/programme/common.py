"""What the programme pages share: which cluster, loading a row of it, looking up enterprises by code."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select

from diagnostics.store.models import Cluster, Enterprise
from diagnostics.uscc import validate_uscc
from survey_app.access import valid_id
from survey_app.db import db_session
from survey_app.i18n import pick

T = TypeVar("T")


def clusters() -> list[Cluster]:
    """The clusters the current official may read: their own, or all for a province-level account."""
    stmt = select(Cluster).order_by(Cluster.code)
    if current_user.cluster_id is not None:
        stmt = stmt.where(Cluster.id == current_user.cluster_id)
    return list(db_session().scalars(stmt))


def cluster() -> Cluster:
    """The cluster named by ``?cluster=`` (default: the first one the official may read)."""
    mine = clusters()
    if not mine:
        abort(404)
    code = request.args.get("cluster")
    if not code:
        return mine[0]
    found = next((c for c in mine if c.code == code), None)
    if found is None:
        abort(403 if db_session().scalar(select(Cluster.id).where(Cluster.code == code)) else 404)
    return found


def row_or_abort(model: type[T], row_id: int) -> T:
    """A programme row of a cluster the official may read: the same 404 when it is missing and when it is
    another cluster's (as ``survey_app.access``: ids are sequential, a 403 would let them be probed)."""
    row = db_session().get(model, row_id) if valid_id(row_id) else None
    if row is None:
        abort(404)
    cluster_id: Any = getattr(row, "cluster_id", None)
    if current_user.cluster_id is not None and cluster_id is not None and cluster_id != current_user.cluster_id:
        abort(404)
    return row


def cluster_of(row: Any | None) -> Cluster:
    """The cluster of a programme row (loaded through ``row_or_abort``), or for a new row the one asked for."""
    if row is None:
        return cluster()
    found = db_session().get(Cluster, row.cluster_id)
    if found is None:
        abort(404)
    return found


def enterprise_by_code(raw: str, cluster_row: Cluster) -> tuple[Enterprise | None, str | None]:
    """The cluster's enterprise with credit code ``raw``, or a message saying why there is none."""
    result = validate_uscc(raw)
    if not result.ok:
        return None, f"{raw.strip()}：{pick(result.message_zh, result.message_en)}"
    found = db_session().scalar(select(Enterprise).where(Enterprise.uscc == result.code))
    if found is None:
        return None, pick(f"{result.code}：平台上没有该统一社会信用代码的企业，请先登记。",
                          f"{result.code}: no enterprise with this credit code is registered.")
    if found.cluster_id != cluster_row.id:
        return None, pick(f"{result.code}（{found.name}）不属于{cluster_row.name_zh}。",
                          f"{result.code} ({found.name}) is not in this cluster.")
    return found, None


def enterprises_by_lines(text: str | None, cluster_row: Cluster) -> tuple[list[Enterprise], list[str]]:
    """Enterprises from credit codes one per line (or separated by commas); every bad line reported."""
    found: list[Enterprise] = []
    errors: list[str] = []
    for part in (text or "").replace("，", "\n").replace(",", "\n").splitlines():
        if not part.strip():
            continue
        e, error = enterprise_by_code(part, cluster_row)
        if error:
            errors.append(error)
        elif e is not None and e not in found:
            found.append(e)
    return found, errors
