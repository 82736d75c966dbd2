"""The queries the programme pages, the report flow and the pilot's indicator table share.

``programme_counts`` is what the pilot's indicator table reads for the programme's own figures
(participants, chain-leader share among participants, providers, solutions, deployments, cases,
reports), counted from the records, never from the catalogue.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from itertools import groupby
from operator import attrgetter
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from diagnostics.programme.baseline import CheckpointFacts, Measurement, participant_changes
from diagnostics.programme.provider_import import ProviderRow
from diagnostics.programme.rules import Party, ProjectFacts
from diagnostics.settings import settings
from diagnostics.store import bulk
from diagnostics.store.models import (
    Assessment,
    Cluster,
    Enterprise,
    QuestionnaireVersion,
    Snapshot,
    Submission,
    User,
)
from diagnostics.store.models_field import Visit
from diagnostics.store.models_programme import (
    Case,
    Checkpoint,
    CheckpointAssessment,
    Deployment,
    Expert,
    PilotProject,
    PoolSolution,
    ProjectExpert,
    ProjectMember,
    Provider,
    VisitExpert,
)
from diagnostics.taxonomy import Taxonomy

REPORT_KIND = "research_report"  # snapshot kind of a generated research report
REPORT_KINDS = (REPORT_KIND,)  # every kind of report the pilot's "reports" indicator counts


@dataclass(frozen=True)
class ProgrammeCounts:
    participants: int  # distinct enterprises that are members of a pilot project of the cluster
    chain_leaders: int  # of which tagged chain_leader
    chain_leader_share: float | None  # None when there is no participant
    providers: int
    solutions: int
    deployments: int  # not cancelled
    cases: int
    benchmark_cases: int
    reports: int  # distinct research reports generated for the cluster
    experts: int

    def as_measured(self) -> dict[str, float | None]:
        return {k: (None if v is None else float(v)) for k, v in asdict(self).items()}


def participant_ids(session: Session, cluster_id: int) -> list[int]:
    """Enterprises in the cluster's pilot projects (members of any role)."""
    stmt = (select(ProjectMember.enterprise_id).distinct()
            .join(PilotProject, PilotProject.id == ProjectMember.project_id)
            .where(PilotProject.cluster_id == cluster_id, ProjectMember.enterprise_id.is_not(None)))
    return sorted(int(x) for x in session.scalars(stmt) if x is not None)


def count_participants(session: Session, cluster_id: int) -> int:
    return len(participant_ids(session, cluster_id))


def chain_leader_share(session: Session, cluster_id: int) -> tuple[int, float | None]:
    """(chain leaders among participants, their share; None without participants)."""
    ids = participant_ids(session, cluster_id)
    if not ids:
        return 0, None
    tags = session.scalars(select(Enterprise.tags).where(Enterprise.id.in_(ids)))
    leaders = sum(1 for t in tags if "chain_leader" in (t or []))
    return leaders, leaders / len(ids)


def count_providers(session: Session, cluster_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Provider).where(Provider.cluster_id == cluster_id)) or 0)


def count_solutions(session: Session, cluster_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(PoolSolution)
                              .where(PoolSolution.cluster_id == cluster_id)) or 0)


def count_deployments(session: Session, cluster_id: int) -> int:
    stmt = (select(func.count()).select_from(Deployment).join(PoolSolution, PoolSolution.id == Deployment.solution_id)
            .where(PoolSolution.cluster_id == cluster_id, Deployment.status != "cancelled"))
    return int(session.scalar(stmt) or 0)


def count_cases(session: Session, cluster_id: int, kind: str | None = None) -> int:
    stmt = select(func.count()).select_from(Case).where(Case.cluster_id == cluster_id)
    if kind:
        stmt = stmt.where(Case.kind == kind)
    return int(session.scalar(stmt) or 0)


def count_reports(session: Session, cluster_id: int) -> int:
    """Research reports of the cluster: regenerating the report (new data, new snapshot) updates the one
    report (研究报告（篇）counts documents, not versions), so this is 0 or 1 per report kind."""
    kinds = session.scalars(select(Snapshot.kind).distinct().where(
        Snapshot.cluster_id == cluster_id, Snapshot.kind.in_(REPORT_KINDS)))
    return len(list(kinds))


def programme_counts(session: Session, cluster_id: int) -> ProgrammeCounts:
    leaders, share = chain_leader_share(session, cluster_id)
    return ProgrammeCounts(
        participants=count_participants(session, cluster_id), chain_leaders=leaders, chain_leader_share=share,
        providers=count_providers(session, cluster_id), solutions=count_solutions(session, cluster_id),
        deployments=count_deployments(session, cluster_id), cases=count_cases(session, cluster_id),
        benchmark_cases=count_cases(session, cluster_id, "benchmark"), reports=count_reports(session, cluster_id),
        experts=int(session.scalar(select(func.count()).select_from(Expert).where(Expert.cluster_id == cluster_id))
                    or 0))


# ---- the solution pool -----------------------------------------------------------------------------------

def seed_pool(session: Session, cluster: Cluster, taxonomy: Taxonomy) -> int:
    """Copy the taxonomy's solutions into the cluster's pool (once each; edits are never overwritten)."""
    have = set(session.scalars(select(PoolSolution.code).where(PoolSolution.cluster_id == cluster.id)))
    added = 0
    for sol in taxonomy.solutions:
        if sol.code in have:
            continue
        session.add(PoolSolution(cluster_id=cluster.id, code=sol.code, name_zh=sol.name.zh, name_en=sol.name.en,
                                 scenarios=list(sol.scenarios), from_taxonomy=True,
                                 description=sol.description.zh if sol.description else None))
        added += 1
    session.flush()
    return added


# ---- projects as the rules see them ---------------------------------------------------------------------

def project_facts(session: Session, cluster_id: int | None = None,
                  project_ids: Sequence[int] | None = None) -> list[ProjectFacts]:
    """Stored projects as :class:`ProjectFacts` (the rules count over every cluster: a firm's quota is
    the province's, not one cluster's)."""
    stmt = select(PilotProject)
    if cluster_id is not None:
        stmt = stmt.where(PilotProject.cluster_id == cluster_id)
    if project_ids is not None:
        stmt = stmt.where(PilotProject.id.in_(project_ids))
    projects = list(session.scalars(stmt.order_by(PilotProject.id)))
    if not projects:
        return []
    members = list(session.execute(
        select(ProjectMember, Enterprise.name, Enterprise.group_name, Provider.name, Provider.group_name)
        .outerjoin(Enterprise, Enterprise.id == ProjectMember.enterprise_id)
        .outerjoin(Provider, Provider.id == ProjectMember.provider_id)
        .where(ProjectMember.project_id.in_([p.id for p in projects]))))
    parties: dict[int, list[Party]] = {}
    landing: dict[int, list[int]] = {}
    for m, ename, egroup, pname, pgroup in members:
        party = (Party(ename, enterprise_id=m.enterprise_id, group=egroup) if m.enterprise_id is not None
                 else Party(pname, provider_id=m.provider_id, group=pgroup))
        parties.setdefault(m.project_id, []).append(party)
        if m.role == "landing" and m.enterprise_id is not None:
            landing.setdefault(m.project_id, []).append(m.enterprise_id)
    return [ProjectFacts(p.name, p.year, p.lead_kind, tuple(parties.get(p.id, [])), p.planned_investment_10k,
                         p.started_on, p.ends_on, tuple(landing.get(p.id, [])), p.id) for p in projects]


def parties_for(session: Session, provider_ids: Sequence[int], enterprise_ids: Sequence[int]) -> tuple[Party, ...]:
    provs = {p.id: p for p in session.scalars(select(Provider).where(Provider.id.in_(provider_ids)))}
    ents = {e.id: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(enterprise_ids)))}
    return (tuple(Party(provs[i].name, provider_id=i, group=provs[i].group_name) for i in provider_ids if i in provs)
            + tuple(Party(ents[i].name, enterprise_id=i, group=ents[i].group_name)
                    for i in enterprise_ids if i in ents))


# ---- checkpoints -----------------------------------------------------------------------------------------

def link_assessment(session: Session, checkpoint: Checkpoint, assessment: Assessment) -> CheckpointAssessment:
    """Link ``assessment`` to a checkpoint for its enterprise (replacing an earlier link), keeping its version."""
    row = session.scalar(select(CheckpointAssessment).where(
        CheckpointAssessment.checkpoint_id == checkpoint.id,
        CheckpointAssessment.enterprise_id == assessment.enterprise_id))
    if row is None:
        row = CheckpointAssessment(checkpoint_id=checkpoint.id, enterprise_id=assessment.enterprise_id,
                                   submission_id=assessment.submission_id, assessment_id=assessment.id,
                                   questionnaire_version_id=assessment.questionnaire_version_id)
        session.add(row)
    else:
        row.submission_id = assessment.submission_id
        row.assessment_id = assessment.id
        row.questionnaire_version_id = assessment.questionnaire_version_id
    session.flush()
    return row


def measurements(session: Session, project_ids: Sequence[int]) -> dict[int, list[Measurement]]:
    """Every linked checkpoint assessment of the projects, per project."""
    if not project_ids:
        return {}
    # a linked assessment, else the newest assessment of the linked submission (None until it is scored)
    inner = aliased(Assessment)
    newest = (select(inner.id).where(inner.submission_id == CheckpointAssessment.submission_id)
              .order_by(inner.created_at.desc(), inner.id.desc()).limit(1)
              .correlate(CheckpointAssessment).scalar_subquery())
    resolved = func.coalesce(CheckpointAssessment.assessment_id, newest)
    rows = session.execute(
        select(Checkpoint.project_id, Checkpoint.kind, CheckpointAssessment.enterprise_id, Assessment,
               QuestionnaireVersion.code, QuestionnaireVersion.version, QuestionnaireVersion.content_hash)
        .join(CheckpointAssessment, CheckpointAssessment.checkpoint_id == Checkpoint.id)
        .join(Assessment, Assessment.id == resolved)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == CheckpointAssessment.questionnaire_version_id)
        .where(Checkpoint.project_id.in_(project_ids)))
    out: dict[int, list[Measurement]] = {}
    for pid, kind, eid, a, code, version, digest in rows:
        out.setdefault(pid, []).append(Measurement(eid, kind, a.id, float(a.total), int(a.level),
                                                   _indicator_values(a.indicator_scores),
                                                   code, version, digest))
    return out


def checkpoint_facts(session: Session, project_id: int) -> list[CheckpointFacts]:
    order = {"t0": 0, "half_year": 1, "one_year": 2}
    cps = sorted(session.scalars(select(Checkpoint).where(Checkpoint.project_id == project_id)),
                 key=lambda c: order.get(c.kind, 9))
    assessed = Counter(m.checkpoint for m in measurements(session, [project_id]).get(project_id, []))
    return [CheckpointFacts(c.kind, c.held_on is not None, c.actual_investment_10k, assessed.get(c.kind, 0))
            for c in cps]


def project_members(session: Session, project_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ProjectMember, Enterprise, Provider)
        .outerjoin(Enterprise, Enterprise.id == ProjectMember.enterprise_id)
        .outerjoin(Provider, Provider.id == ProjectMember.provider_id)
        .where(ProjectMember.project_id == project_id).order_by(ProjectMember.id))
    return [{"member": m, "enterprise": e, "provider": p} for m, e, p in rows]




# ---- the evaluation panel --------------------------------------------------------------------------------

def evaluation_panel(session: Session, cluster_id: int, questionnaire_code: str
                     ) -> tuple[pd.DataFrame, dict[str, list[int]], dict[str, list[int]]]:
    """The panel :func:`diagnostics.programme.evaluation.evaluate` reads, and the participants per scenario
    and per solution.

    Participants: T0 and latest T1 linked at their project's checkpoints, on the same version (pairs
    across versions are flagged on the project page and left out here). Non-participants: their first and
    last assessment of ``questionnaire_code``, when both exist on the same version and differ.
    """
    projects = list(session.scalars(select(PilotProject).where(PilotProject.cluster_id == cluster_id)))
    by_project = measurements(session, [p.id for p in projects])
    # only the two attributes a panel row prints, read as plain columns (100 000 ORM objects took seconds),
    # each distinct pair held once (a census cluster's firms share a few dozen): the participants' here,
    # the others' with their assessments below (an id -> firm dict of a 300 000-firm cluster was 71 MB of
    # the research report's peak)
    firm = functools.cache(_decoded_firm)
    ents = {int(i): firm(links, size) for i, links, size in session.execute(
        select(Enterprise.id, bulk.json_text(Enterprise.chain_links), Enterprise.size_class).distinct()
        .join(ProjectMember, ProjectMember.enterprise_id == Enterprise.id)
        .join(PilotProject, PilotProject.id == ProjectMember.project_id)
        .where(PilotProject.cluster_id == cluster_id))}
    sol_names = {int(i): str(n) for i, n in session.execute(
        select(PoolSolution.id, PoolSolution.name_zh).where(PoolSolution.cluster_id == cluster_id))}
    rows = _PanelRows()
    scenarios: dict[str, list[int]] = {}
    solutions: dict[str, list[int]] = {}
    seen: set[int] = set()
    members = ents.keys()  # the cluster's participants (``participant_ids``): compared at checkpoints
    for p in projects:
        pids = [m["enterprise"].id for m in project_members(session, p.id) if m["enterprise"] is not None]
        for ch in participant_changes(pids, by_project.get(p.id, [])):
            if not ch.comparable or ch.t0 is None or ch.t1 is None or ch.enterprise_id in seen:
                continue
            seen.add(ch.enterprise_id)
            rows.append(_panel_row(ents.get(ch.enterprise_id), True, ch.t0, ch.t1))
            for code in p.scenarios or []:
                scenarios.setdefault(str(code), []).append(ch.enterprise_id)
            if p.solution_id is not None:
                solutions.setdefault(sol_names.get(p.solution_id, str(p.solution_id)), []).append(ch.enterprise_id)
    history = session.execute(
        # indicator scores as text: decoded only for the firms that have a first and a last to compare
        select(Assessment.enterprise_id, Assessment.id, Assessment.total, Assessment.level,
               bulk.json_text(Assessment.indicator_scores), Assessment.submission_id,
               QuestionnaireVersion.content_hash, bulk.json_text(Enterprise.chain_links),
               Enterprise.size_class)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Assessment.questionnaire_version_id)
        .join(Enterprise, Enterprise.id == Assessment.enterprise_id)
        .where(Enterprise.cluster_id == cluster_id, QuestionnaireVersion.code == questionnaire_code)
        .order_by(Assessment.enterprise_id, Assessment.created_at, Assessment.id)
        # streamed, one enterprise's assessments at a time: read whole, the 60 000-firm demo cluster's
        # history (indicator scores as text) took the panel's peak to 138 MB of Python objects (79 MB streamed)
        .execution_options(yield_per=settings.read_chunk_size))
    for eid, assessed in groupby(history, key=attrgetter("enterprise_id")):
        if eid in members:
            continue
        group = list(assessed)  # one enterprise's assessments: a few rows
        first, last = group[0], group[-1]
        if last.submission_id == first.submission_id or last.content_hash != first.content_hash:
            continue
        rows.append(_panel_row(firm(first.chain_links, first.size_class), False, _as_measurement(first),
                               _as_measurement(last)))
    return rows.frame(), scenarios, solutions


class _PanelRows:
    """The panel's rows, made into a frame ``CHUNK`` at a time: a row is a dict of ~70 values (each
    indicator at T0 and T1), and a 300 000-firm census has a comparison row for most of its firms (held
    as dicts, +292 MB at the research report's peak). The frame is the one all the rows at once would
    give: the columns in the order they first appear, NaN where a row has no such indicator."""

    CHUNK = 5000
    COLUMNS = ["enterprise_id", "participant", "link", "size_class", "t0_total", "t1_total", "t0_level", "t1_level"]

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.chunks: list[pd.DataFrame] = []

    def append(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.CHUNK:
            self.chunks.append(pd.DataFrame(self.rows))
            self.rows = []

    def frame(self) -> pd.DataFrame:
        if self.rows:
            self.chunks.append(pd.DataFrame(self.rows))
            self.rows = []
        if not self.chunks:
            return pd.DataFrame(columns=self.COLUMNS)
        return pd.concat(self.chunks, ignore_index=True) if len(self.chunks) > 1 else self.chunks[0]


def _as_measurement(row: Any) -> Measurement:
    return Measurement(int(row.enterprise_id), "", int(row.id), float(row.total), int(row.level),
                       _indicator_values(bulk.loads(row.indicator_scores)), "", "", str(row.content_hash))


def _indicator_values(scores: dict[str, Any] | None) -> dict[str, float]:
    """Indicator points to compare between two assessments; a not-applicable indicator (stored as None)
    has no points to compare and is left out."""
    return {k: float(v) for k, v in (scores or {}).items() if v is not None}


@dataclass(frozen=True)
class _Firm:
    """What a panel row prints of an enterprise: its first chain link and its size ("–" when unknown)."""

    link: str
    size_class: str

    @classmethod
    def of(cls, chain_links: list[str] | None, size_class: str | None) -> _Firm:
        return cls(str((chain_links or ["–"])[0]), size_class or "–")


UNKNOWN_FIRM = _Firm.of(None, None)


def _decoded_firm(links: str | None, size_class: str | None) -> _Firm:
    """The ``_Firm`` of chain links as stored JSON text and a size class (``functools.cache``-d per panel:
    decoded once per distinct pair)."""
    return _Firm.of(bulk.loads(links), size_class)


def _panel_row(e: _Firm | None, participant: bool, t0: Measurement, t1: Measurement) -> dict[str, Any]:
    e = e or UNKNOWN_FIRM
    row: dict[str, Any] = {"enterprise_id": t0.enterprise_id, "participant": participant, "link": e.link,
                           "size_class": e.size_class,
                           "t0_total": t0.total, "t1_total": t1.total, "t0_level": t0.level, "t1_level": t1.level}
    for code, value in t0.indicators.items():
        if code in t1.indicators:
            row[f"t0_{code}"] = value
            row[f"t1_{code}"] = t1.indicators[code]
    return row


def link_latest_assessments(session: Session, checkpoint: Checkpoint, enterprise_ids: Sequence[int],
                            questionnaire_code: str, up_to: datetime | None = None) -> int:
    """Link to ``checkpoint`` each enterprise's latest assessment of ``questionnaire_code`` submitted up
    to ``up_to`` (verified first, as everywhere); returns how many were linked."""
    linked = 0
    for eid in enterprise_ids:
        stmt = (select(Assessment).join(Submission, Submission.id == Assessment.submission_id)
                .join(QuestionnaireVersion, QuestionnaireVersion.id == Assessment.questionnaire_version_id)
                .where(Assessment.enterprise_id == eid, QuestionnaireVersion.code == questionnaire_code))
        if up_to is not None:
            stmt = stmt.where(Submission.submitted_at <= up_to)
        found = session.scalars(stmt.order_by(Assessment.trusted.desc(), Submission.submitted_at.desc(),
                                              Assessment.id.desc())).first()
        if found is not None:
            link_assessment(session, checkpoint, found)
            linked += 1
    return linked


def import_providers(session: Session, cluster: Cluster, rows: Sequence[ProviderRow]) -> tuple[int, int]:
    """Create or update (by credit code, else by name in the cluster) the parsed providers; (created, updated)."""
    created = updated = 0
    for r in rows:
        stmt = select(Provider).where(Provider.uscc == r.uscc) if r.uscc else select(Provider).where(
            Provider.cluster_id == cluster.id, Provider.name == r.name)
        row = session.scalars(stmt).first()
        if row is None:
            row = Provider(cluster_id=cluster.id)
            session.add(row)
            created += 1
        else:
            updated += 1
        row.name, row.uscc, row.kind, row.region, row.group_name = r.name, r.uscc, r.kind, r.region, r.group_name
        row.scenarios, row.capability, row.references = list(r.scenarios), r.capability, r.references
    session.flush()
    return created, updated


def indicator_measures(session: Session, cluster_id: int) -> dict[str, float | None]:
    """The programme's figures under the indicator table's metric names (``diagnostics.pilot.METRICS``),
    for the figures that table leaves to the programme records: participants are ``enterprises``.
    ``chain_leader_share`` is None without participants (no data, not 0 %)."""
    c = programme_counts(session, cluster_id)
    return {"enterprises": float(c.participants), "chain_leaders": float(c.chain_leaders),
            "chain_leader_share": c.chain_leader_share, "providers": float(c.providers),
            "deployments": float(c.deployments)}


# ---- 懂行人 and what depends on a record ------------------------------------------------------------------

@dataclass(frozen=True)
class ExpertVisit:
    visit_id: int
    enterprise: str
    commissioner: str
    started_at: datetime
    status: str  # open | signed | closed


def expert_projects(session: Session, expert: Expert) -> list[PilotProject]:
    """The projects of the person's cluster the person is attached to."""
    return list(session.scalars(select(PilotProject).join(ProjectExpert, ProjectExpert.project_id == PilotProject.id)
                                .where(ProjectExpert.expert_id == expert.id,
                                       PilotProject.cluster_id == expert.cluster_id).order_by(PilotProject.id)))


def expert_visits(session: Session, expert: Expert) -> list[ExpertVisit]:
    """The on-site visits the person took part in, of enterprises of the person's own cluster only."""
    rows = session.execute(
        select(Visit.id, Enterprise.name, func.coalesce(User.display_name, User.username), Visit.started_at,
               Visit.status)
        .join(VisitExpert, VisitExpert.visit_id == Visit.id).join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .join(User, User.id == Visit.commissioner_id)
        .where(VisitExpert.expert_id == expert.id, Enterprise.cluster_id == expert.cluster_id)
        .order_by(Visit.started_at.desc(), Visit.id.desc()))
    return [ExpertVisit(int(i), str(e), str(u), at, str(st)) for i, e, u, at, st in rows]


def dependents(session: Session, row: Deployment | Case | Expert) -> list[tuple[str, str]]:
    """Why ``row`` cannot be deleted: the records that refer to it, as (zh, en) sentences; empty when
    nothing does. A case is the record of what a deployment achieved (the same enterprise and solution),
    and a "1+N" replication copies the project's landing deployment, so either keeps a deployment; a
    person attached to a project or a visit is kept for them. Nothing refers to a case."""
    out: list[tuple[str, str]] = []
    if isinstance(row, Deployment):
        titles = list(session.scalars(select(Case.title).where(Case.enterprise_id == row.enterprise_id,
                                                               Case.solution_id == row.solution_id)))
        if titles:
            joined = "、".join(f"“{t}”" for t in titles)
            out.append((f"案例{joined}记录了这次应用实施的成效，请先删除或修改这些案例。",
                        f"The case(s) {', '.join(titles)} record what this deployment achieved; delete or "
                        "change them first."))
        if row.project_id is not None and not row.replication:
            others = session.scalar(select(func.count()).select_from(Deployment).where(
                Deployment.project_id == row.project_id, Deployment.id != row.id, Deployment.replication.is_(False),
                Deployment.solution_id == row.solution_id))
            copies = session.scalar(select(func.count()).select_from(Deployment).where(
                Deployment.project_id == row.project_id, Deployment.replication.is_(True)))
            if copies and not others:
                out.append((f"本项目有{copies}项“1+N”复制推广以这次落地实施为原型，请先删除复制推广记录。",
                            f"{copies} '1+N' replication(s) of the project copy this landing deployment; "
                            "delete them first."))
    elif isinstance(row, Expert):
        projects = expert_projects(session, row)
        if projects:
            out.append(("此人已加入试点项目" + "、".join(f"“{p.name}”" for p in projects) + "，请先从项目中移除。",
                        "This person is attached to the project(s) " + ", ".join(p.name for p in projects)
                        + "; remove them from the projects first."))
        seen = expert_visits(session, row)
        if seen:
            out.append((f"此人参与了{len(seen)}次现场走访（" + "、".join(v.enterprise for v in seen[:5])
                        + "），走访记录须保留其姓名。",
                        f"This person took part in {len(seen)} site visit(s) ("
                        + ", ".join(v.enterprise for v in seen[:5]) + "); the visits keep the name."))
    return out


def record_fields(row: Deployment | Case | Expert) -> dict[str, Any]:
    """The stored fields of a programme record, as the audit log keeps them when the record is deleted."""
    return {c.key: _plain(getattr(row, c.key)) for c in row.__table__.columns}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def first_project_start(session: Session, cluster_id: int) -> date | None:
    """The earliest recorded start of the cluster's pilot projects: when the programme began, as recorded."""
    return session.scalar(select(func.min(PilotProject.started_on)).where(PilotProject.cluster_id == cluster_id))
