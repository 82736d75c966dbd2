"""Importing a parsed roster into the database: one transaction per import, upsert by USCC, audited.

``preview`` reads the file and compares it with what is registered (nothing is written); ``apply``
writes the same plan in one transaction: a failure half way rolls everything back, so a bureau never
has half a roster. Re-importing the same file plans nothing but "unchanged" rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics.roster import FIELDS, ImportPlan, ParsedRoster, Registered, chain_link_index, parse_roster, plan_import
from diagnostics.store.catalogue import taxonomy
from diagnostics.store.models import Cluster, Enterprise
from diagnostics.store.models_field import RosterImport
from diagnostics.store.repo import audit


@dataclass
class Preview:
    parsed: ParsedRoster
    plan: ImportPlan
    sha256: str
    cluster: Cluster | None


def _registered(row: Enterprise) -> Registered:
    return Registered(row.id, row.uscc, row.cluster_id, {f: getattr(row, f) for f in FIELDS})


def lookup_registered(session: Session, usccs: Iterable[str], names: Iterable[str]
                      ) -> tuple[dict[str, Registered], dict[str, Registered]]:
    """Registered enterprises by the file's USCCs and by its names (in batches of 500)."""
    by_uscc: dict[str, Registered] = {}
    by_name: dict[str, Registered] = {}
    codes, words = sorted(set(usccs)), sorted(set(names))
    for i in range(0, len(codes), 500):
        for row in session.scalars(select(Enterprise).where(Enterprise.uscc.in_(codes[i:i + 500]))):
            by_uscc[row.uscc] = _registered(row)
    for i in range(0, len(words), 500):
        for row in session.scalars(select(Enterprise).where(Enterprise.name.in_(words[i:i + 500]))):
            by_name[row.name] = _registered(row)
    return by_uscc, by_name


def preview(session: Session, data: bytes, filename: str, *, cluster_code: str | None = None) -> Preview:
    """Parse ``data`` and plan its import into the cluster (by code); writes nothing."""
    cluster = None
    if cluster_code:
        cluster = session.scalar(select(Cluster).where(Cluster.code == cluster_code))
        if cluster is None:
            raise LookupError(f"no cluster '{cluster_code}'")
    links = None
    tax = taxonomy(cluster.industry) if cluster is not None else None
    if tax is not None:
        links = chain_link_index([(c.code, c.name.zh, c.name.en) for c in tax.chain_links])
    parsed = parse_roster(data, filename, chain_links=links)
    by_uscc, by_name = lookup_registered(session, (r.uscc for r in parsed.rows), (r.name for r in parsed.rows))
    plan = plan_import(parsed, by_uscc, by_name, cluster_id=cluster.id if cluster else None)
    return Preview(parsed, plan, hashlib.sha256(data).hexdigest(), cluster)


def apply(session: Session, prev: Preview, *, filename: str, user_id: int | None = None,
          actor: str | None = None) -> RosterImport:
    """Write the previewed plan and commit once; on any error nothing is kept."""
    cluster_id = prev.cluster.id if prev.cluster is not None else None
    try:
        for planned in prev.plan.rows:
            values: dict[str, Any] = planned.row.values()
            if planned.action == "create":
                row = Enterprise(uscc=planned.row.uscc, cluster_id=cluster_id, **values)
                session.add(row)
                session.flush()
                audit(session, "roster_create", "enterprise", row.id, user_id=user_id, actor=actor,
                      row=planned.row.row, new={k: v for k, v in values.items() if v not in (None, [])})
            elif planned.action == "update":
                target = session.get(Enterprise, planned.enterprise_id)
                assert target is not None
                for change in planned.changes:
                    if change.field == "cluster":
                        target.cluster_id = cluster_id
                    else:
                        setattr(target, change.field, change.new)
                audit(session, "roster_update", "enterprise", target.id, user_id=user_id, actor=actor,
                      row=planned.row.row, changes={c.field: [c.old, c.new] for c in planned.changes})
        record = RosterImport(filename=filename[:255], sha256=prev.sha256, cluster_id=cluster_id, user_id=user_id,
                              actor=actor, created=prev.plan.count("create"), updated=prev.plan.count("update"),
                              unchanged=prev.plan.count("unchanged"), refused=len({e.row for e in prev.plan.errors}))
        session.add(record)
        session.flush()
        audit(session, "roster_import", "roster_import", record.id, user_id=user_id, actor=actor,
              filename=filename, created=record.created, updated=record.updated, unchanged=record.unchanged,
              refused=record.refused)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return record
