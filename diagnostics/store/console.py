"""The queries behind the officials' console: survey progress, "changed since the last run", run-now
requests and shortlist pins. Plain values out (dicts, dataclasses, DataFrames), no Flask.

Survey progress puts each enterprise of a cluster in one stage of the primary questionnaire, the
furthest it reached:

==========  =====================================================================
registered  in the roster (registered or imported), nothing started
drafting    a draft is open and nothing has been submitted yet
submitted   submitted (self-assessment), not verified on site
verified    a commissioner verified a submission on site
==========  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from diagnostics.store.models import (
    Assignment,
    Enterprise,
    PipelineRun,
    QuestionnaireVersion,
    Submission,
    User,
    utcnow,
)
from diagnostics.store.models_console import PIN_KINDS, RUN_STATES, RunRequest, ShortlistPin
from diagnostics.store.repo import audit

STAGES = ("registered", "drafting", "submitted", "verified")
_RANK = {"draft": 1, "submitted": 2, "verified": 3}
UNASSIGNED = ""  # the commissioner key of enterprises nobody is assigned to
STALE_RUN_HOURS = 2  # a "running" request older than this died with its process (web server restart)


def enterprise_stages(session: Session, cluster_id: int, questionnaire_code: str) -> pd.DataFrame:
    """One row per enterprise of the cluster: ``enterprise_id, name, region, chain_links, stage,
    commissioners`` (display names, a list; empty when unassigned)."""
    ents = session.execute(select(Enterprise.id, Enterprise.name, Enterprise.region, Enterprise.chain_links)
                           .where(Enterprise.cluster_id == cluster_id).order_by(Enterprise.id)).all()
    frame = pd.DataFrame([tuple(r) for r in ents], columns=["enterprise_id", "name", "region", "chain_links"])
    if frame.empty:
        return frame.assign(stage=pd.Series(dtype=object), commissioners=pd.Series(dtype=object))
    S, QV = Submission, QuestionnaireVersion
    statuses = session.execute(
        select(S.enterprise_id, S.status).join(QV, QV.id == S.questionnaire_version_id)
        .join(Enterprise, Enterprise.id == S.enterprise_id)
        .where(Enterprise.cluster_id == cluster_id, QV.code == questionnaire_code)).all()
    furthest: dict[int, int] = {}
    for eid, status in statuses:
        furthest[eid] = max(furthest.get(eid, 0), _RANK.get(status, 0))
    frame["stage"] = [STAGES[furthest.get(int(e), 0)] for e in frame["enterprise_id"]]
    names: dict[int, list[str]] = {}
    for eid, name in session.execute(
            select(Assignment.enterprise_id, func.coalesce(User.display_name, User.username))
            .join(User, User.id == Assignment.user_id).join(Enterprise, Enterprise.id == Assignment.enterprise_id)
            .where(Enterprise.cluster_id == cluster_id).order_by(User.username)):
        names.setdefault(int(eid), []).append(str(name))
    frame["commissioners"] = [names.get(int(e), []) for e in frame["enterprise_id"]]
    frame["chain_links"] = frame["chain_links"].map(lambda v: list(v or []))
    return frame


@dataclass
class Progress:
    """Enterprises per stage overall and per district, chain link and commissioner."""

    total: dict[str, int]
    by_region: dict[str, dict[str, int]] = field(default_factory=dict)
    by_link: dict[str, dict[str, int]] = field(default_factory=dict)  # an enterprise counts in each of its links
    by_commissioner: dict[str, dict[str, int]] = field(default_factory=dict)  # UNASSIGNED for nobody

    @property
    def enterprises(self) -> int:
        return sum(self.total.values())


def _counts(stages: pd.Series) -> dict[str, int]:
    found = stages.value_counts()
    return {s: int(found.get(s, 0)) for s in STAGES}


def progress(frame: pd.DataFrame) -> Progress:
    """Survey progress of an ``enterprise_stages`` frame."""
    if frame.empty:
        return Progress(dict.fromkeys(STAGES, 0))
    out = Progress(_counts(frame["stage"]))
    for region, part in frame.groupby(frame["region"].fillna(""), sort=True):
        out.by_region[str(region)] = _counts(part["stage"])
    links = frame[["stage", "chain_links"]].explode("chain_links").dropna(subset=["chain_links"])
    for link, part in links.groupby("chain_links", sort=True):
        out.by_link[str(link)] = _counts(part["stage"])
    people = frame[["stage", "commissioners"]].copy()
    people["commissioners"] = people["commissioners"].map(lambda v: v or [UNASSIGNED])
    for name, part in people.explode("commissioners").groupby("commissioners", sort=True):
        out.by_commissioner[str(name)] = _counts(part["stage"])
    return out


def last_run(session: Session, cluster_id: int) -> PipelineRun | None:
    """The cluster's most recent pipeline run (any state)."""
    return session.scalars(select(PipelineRun).where(PipelineRun.cluster_id == cluster_id)
                           .order_by(PipelineRun.started_at.desc(), PipelineRun.id.desc())).first()


def last_completed_run(session: Session, cluster_id: int) -> PipelineRun | None:
    return session.scalars(select(PipelineRun).where(PipelineRun.cluster_id == cluster_id,
                                                     PipelineRun.status == "completed")
                           .order_by(PipelineRun.started_at.desc(), PipelineRun.id.desc())).first()


def changes_since(session: Session, cluster_id: int, since: datetime | None) -> int:
    """Submissions and enterprise profiles of the cluster changed after ``since`` (the last run's start):
    what the dashboard does not show yet. Everything counts when there was no run."""
    sub_q = select(func.count()).select_from(Submission).join(Enterprise, Enterprise.id == Submission.enterprise_id) \
        .where(Enterprise.cluster_id == cluster_id, Submission.status != "draft")
    ent_q = select(func.count()).select_from(Enterprise).where(Enterprise.cluster_id == cluster_id)
    if since is not None:
        sub_q = sub_q.where(Submission.updated_at > since)
        ent_q = ent_q.where(Enterprise.updated_at > since)
    else:
        ent_q = ent_q.where(Enterprise.id < 0)  # no run yet: the submissions are what is missing
    return int(session.scalar(sub_q) or 0) + int(session.scalar(ent_q) or 0)


# ---------------------------------------------------------------------------------------------- run now


def open_request(session: Session, cluster_id: int | None, runner: str, user_id: int | None) -> RunRequest:
    """A new "run now" request, queued; or the one already queued or running (one at a time)."""
    active = active_request(session)
    if active is not None:
        return active
    row = RunRequest(cluster_id=cluster_id, state="queued", runner=runner, requested_by_id=user_id,
                     requested_at=utcnow(), stats={})
    session.add(row)
    session.flush()
    audit(session, "run_now", "run_request", row.id, user_id=user_id, runner=runner)
    return row


def active_request(session: Session) -> RunRequest | None:
    """The queued or running request, if any (a stale "running" one is closed as failed first)."""
    row = session.scalars(select(RunRequest).where(RunRequest.state.in_(("queued", "running")))
                          .order_by(RunRequest.id.desc())).first()
    if row is not None and (utcnow() - row.requested_at).total_seconds() > STALE_RUN_HOURS * 3600:
        set_state(session, row.id, "failed", message="interrupted (no result after "
                                                      f"{STALE_RUN_HOURS} h) / 运行中断")
        return None
    return row


def set_state(session: Session, request_id: int, state: str, **values: Any) -> None:
    """Move a request to ``state`` (queued -> running -> done | failed), with times and details."""
    if state not in RUN_STATES:
        raise ValueError(f"unknown run state {state!r}")
    changes: dict[str, Any] = {"state": state, **values}
    if state == "running":
        changes.setdefault("started_at", utcnow())
    if state in ("done", "failed"):
        changes.setdefault("finished_at", utcnow())
    session.execute(update(RunRequest).where(RunRequest.id == request_id).values(**changes))


def latest_request(session: Session) -> RunRequest | None:
    return session.scalars(select(RunRequest).order_by(RunRequest.id.desc())).first()


# ---------------------------------------------------------------------------------------------- pins


def active_pins(session: Session, cluster_id: int) -> dict[str, dict[int, str]]:
    """{"pinned": {enterprise id: reason}, "excluded": {...}}: what the shortlist must respect."""
    out: dict[str, dict[int, str]] = {k: {} for k in PIN_KINDS}
    for pin in session.scalars(select(ShortlistPin).where(ShortlistPin.cluster_id == cluster_id,
                                                          ShortlistPin.active.is_(True)).order_by(ShortlistPin.id)):
        out[pin.kind][pin.enterprise_id] = pin.reason
    return out


def set_pin(session: Session, cluster_id: int, enterprise_id: int, kind: str, reason: str,
            user_id: int | None) -> ShortlistPin:
    """Pin or exclude an enterprise (replacing its earlier decision), audited."""
    if kind not in PIN_KINDS:
        raise ValueError(f"unknown pin kind {kind!r}")
    if not reason.strip():
        raise ValueError("a reason is required / 须填写理由")
    remove_pin(session, cluster_id, enterprise_id, user_id, audited=False)
    pin = ShortlistPin(cluster_id=cluster_id, enterprise_id=enterprise_id, kind=kind, reason=reason.strip(),
                       active=True, created_by_id=user_id, created_at=utcnow())
    session.add(pin)
    session.flush()
    audit(session, f"shortlist_{kind}", "enterprise", enterprise_id, user_id=user_id, reason=pin.reason,
          cluster_id=cluster_id)
    return pin


def remove_pin(session: Session, cluster_id: int, enterprise_id: int, user_id: int | None, *,
               audited: bool = True) -> bool:
    rows = list(session.scalars(select(ShortlistPin).where(
        ShortlistPin.cluster_id == cluster_id, ShortlistPin.enterprise_id == enterprise_id,
        ShortlistPin.active.is_(True))))
    for row in rows:
        row.active, row.removed_by_id, row.removed_at = False, user_id, utcnow()
    if rows and audited:
        audit(session, "shortlist_unpin", "enterprise", enterprise_id, user_id=user_id, cluster_id=cluster_id)
    return bool(rows)


# ---------------------------------------------------------------------------------------------- directory

DIRECTORY_COLUMNS = ["enterprise_id", "cluster_id", "name", "uscc", "industry_code", "region", "size_class",
                     "chain_links", "tags", "employees", "revenue_10k", "verified", "submitted", "commissioner_ids",
                     "commissioners"]


def directory_frame(session: Session, cluster_ids: list[int]) -> pd.DataFrame:
    """The enterprises of the given clusters with what the directory filters on (no scores: those come
    from the portraits snapshot). ``verified``: a submission was verified on site; ``submitted``: any
    submission beyond a draft; ``commissioner_ids`` / ``commissioners``: assigned people (display names)."""
    E = Enterprise
    rows = session.execute(select(E.id, E.cluster_id, E.name, E.uscc, E.industry_code, E.region, E.size_class,
                                  E.chain_links, E.tags, E.employees, E.revenue_10k)
                           .where(E.cluster_id.in_(cluster_ids)).order_by(E.id)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=DIRECTORY_COLUMNS[:11])
    status: dict[int, set[str]] = {}
    for eid, st in session.execute(select(Submission.enterprise_id, Submission.status).join(
            E, E.id == Submission.enterprise_id).where(E.cluster_id.in_(cluster_ids)).distinct()):
        status.setdefault(int(eid), set()).add(str(st))
    people: dict[int, list[tuple[int, str]]] = {}
    for eid, uid, name in session.execute(
            select(Assignment.enterprise_id, User.id, func.coalesce(User.display_name, User.username))
            .join(User, User.id == Assignment.user_id).join(E, E.id == Assignment.enterprise_id)
            .where(E.cluster_id.in_(cluster_ids)).order_by(User.username)):
        people.setdefault(int(eid), []).append((int(uid), str(name)))
    ids = frame["enterprise_id"].astype(int).tolist()
    frame["verified"] = ["verified" in status.get(e, set()) for e in ids]
    frame["submitted"] = [bool(status.get(e, set()) - {"draft"}) for e in ids]
    frame["commissioner_ids"] = [[u for u, _ in people.get(e, [])] for e in ids]
    frame["commissioners"] = [[n for _, n in people.get(e, [])] for e in ids]
    for col in ("chain_links", "tags"):
        frame[col] = frame[col].map(lambda v: list(v or []))
    return frame
