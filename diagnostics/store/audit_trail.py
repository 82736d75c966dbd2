"""Reading the audit log: filtered by enterprise, user, action and date, with names instead of ids.

An enterprise's trail includes entries about the enterprise itself and about its submissions and
visits (the log names the entity it touched; this module maps them back to the enterprise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from diagnostics.field.audit import AuditRow, describe
from diagnostics.store.models import AuditLog, Enterprise, Submission, User
from diagnostics.store.models_field import Visit


@dataclass(frozen=True)
class AuditFilter:
    enterprise_id: int | None = None
    user_id: int | None = None
    action: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive
    cluster_id: int | None = None  # a city official's scope


def _entity_keys(session: Session, enterprise_ids: list[int]) -> dict[tuple[str, str], int]:
    keys: dict[tuple[str, str], int] = {("enterprise", str(e)): e for e in enterprise_ids}
    for i in range(0, len(enterprise_ids), 900):
        chunk = enterprise_ids[i:i + 900]
        for sid, eid in session.execute(select(Submission.id, Submission.enterprise_id).where(
                Submission.enterprise_id.in_(chunk))):
            keys[("submission", str(sid))] = eid
        for vid, eid in session.execute(select(Visit.id, Visit.enterprise_id).where(Visit.enterprise_id.in_(chunk))):
            keys[("visit", str(vid))] = eid
    return keys


def query(session: Session, f: AuditFilter, *, limit: int = 500) -> list[AuditRow]:
    """Matching entries, newest first, as readable rows."""
    stmt = select(AuditLog)
    scope: list[int] | None = None
    if f.enterprise_id is not None:
        scope = [f.enterprise_id]
    elif f.cluster_id is not None:
        scope = list(session.scalars(select(Enterprise.id).where(Enterprise.cluster_id == f.cluster_id)))
    keys: dict[tuple[str, str], int] = {}
    if scope is not None:
        keys = _entity_keys(session, scope)
        by_entity: dict[str, list[str]] = {}
        for entity, key in keys:
            by_entity.setdefault(entity, []).append(key)
        if not by_entity:
            return []
        stmt = stmt.where(or_(*(and_(AuditLog.entity == entity, AuditLog.entity_id.in_(ids))
                                for entity, ids in by_entity.items())))
    if f.user_id is not None:
        stmt = stmt.where(AuditLog.user_id == f.user_id)
    if f.action:
        stmt = stmt.where(AuditLog.action == f.action)
    if f.date_from is not None:
        stmt = stmt.where(AuditLog.at >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(AuditLog.at < f.date_to)
    entries = list(session.scalars(stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)))
    users = {u.id: (u.display_name or u.username) for u in session.scalars(select(User).where(
        User.id.in_({e.user_id for e in entries if e.user_id})))} if entries else {}
    if scope is None:
        wanted = {(e.entity, e.entity_id or "") for e in entries}
        ent_ids = [int(i) for kind, i in wanted if kind == "enterprise" and i.isdigit()]
        sub_ids = [int(i) for kind, i in wanted if kind == "submission" and i.isdigit()]
        vis_ids = [int(i) for kind, i in wanted if kind == "visit" and i.isdigit()]
        for eid in ent_ids:
            keys[("enterprise", str(eid))] = eid
        if sub_ids:
            for sid, eid in session.execute(select(Submission.id, Submission.enterprise_id).where(
                    Submission.id.in_(sub_ids))):
                keys[("submission", str(sid))] = eid
        if vis_ids:
            for vid, eid in session.execute(select(Visit.id, Visit.enterprise_id).where(Visit.id.in_(vis_ids))):
                keys[("visit", str(vid))] = eid
    names = {e.id: e.name for e in session.scalars(select(Enterprise).where(
        Enterprise.id.in_(set(keys.values()))))} if keys else {}
    rows = []
    for e in entries:
        what, why = describe(e.action, e.details or {})
        owner = keys.get((e.entity, e.entity_id or ""))
        enterprise = names.get(owner, "") if owner else ""
        rows.append(AuditRow(e.at, users.get(e.user_id or 0, e.actor or "–"), e.action, enterprise,
                             f"{e.entity} {e.entity_id or ''}".strip(), what, why))
    return rows


def actions_in_log(session: Session) -> list[str]:
    return sorted(set(session.scalars(select(AuditLog.action).distinct())))
