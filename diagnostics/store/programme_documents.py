"""Gathering the records a programme document needs, and writing the research report of a cluster.

The flow ``flows/research_report.py`` calls :func:`write_research_report` once per cluster; the pages
call :func:`handbook_for` to serve the handbook. Reports are content-named (the hash of the bytes), so a
rerun on unchanged data finds the same file and the same ``research_report`` snapshot.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diagnostics.pilot import targets_for_cluster
from diagnostics.programme.baseline import participant_changes
from diagnostics.programme.evaluation import evaluate
from diagnostics.programme.handbook import CaseInfo, Handbook, ProviderInfo, SolutionInfo, build_handbook
from diagnostics.programme.report import ProjectChange, ReportInputs, Source, research_report_docx
from diagnostics.programme.survey_report import SurveyFirm, survey_report_docx
from diagnostics.size_class import SIZE_LABELS
from diagnostics.store import cluster_data
from diagnostics.store.models import Cluster, Enterprise, Snapshot
from diagnostics.store.models_programme import Case, Deployment, PilotProject, PoolSolution, Provider
from diagnostics.store.programme_data import (
    REPORT_KIND,
    evaluation_panel,
    measurements,
    programme_counts,
    project_members,
)
from diagnostics.store.repo import current_version, definition_of
from diagnostics.taxonomy import load_taxonomy


def providers_info(session: Session, cluster_id: int) -> list[ProviderInfo]:
    return [ProviderInfo(p.id, p.name, p.kind, p.region, p.uscc, tuple(p.scenarios or []), p.capability, p.references)
            for p in session.scalars(select(Provider).where(Provider.cluster_id == cluster_id).order_by(Provider.name))]


def solutions_info(session: Session, cluster_id: int) -> list[SolutionInfo]:
    deployed = {int(k): int(v) for k, v in session.execute(
        select(Deployment.solution_id, func.count()).where(Deployment.status != "cancelled")
        .group_by(Deployment.solution_id))}
    return [SolutionInfo(s.id, s.name_zh, tuple(s.scenarios or []), s.provider_id, s.standardised, s.reusable,
                         s.low_cost, s.price_band, deployed.get(s.id, 0))
            for s in session.scalars(select(PoolSolution).where(PoolSolution.cluster_id == cluster_id)
                                     .order_by(PoolSolution.code))]


def cases_info(session: Session, cluster_id: int) -> list[CaseInfo]:
    rows = session.execute(select(Case, Enterprise.name).join(Enterprise, Enterprise.id == Case.enterprise_id)
                           .where(Case.cluster_id == cluster_id).order_by(Case.kind.desc(), Case.id))
    return [CaseInfo(c.title, c.kind, name, c.scenario, c.solution_id,
                     tuple((str(f.get("name", "")), str(f.get("unit", "")), _num(f.get("before")), _num(f.get("after")))
                           for f in (c.figures or [])), c.evidence) for c, name in rows]


def _num(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def handbook_for(session: Session, cluster: Cluster) -> Handbook:
    return build_handbook(cluster.name_zh, load_taxonomy(cluster.industry), providers_info(session, cluster.id),
                          solutions_info(session, cluster.id), cases_info(session, cluster.id))


def project_changes(session: Session, cluster_id: int) -> list[ProjectChange]:
    projects = list(session.scalars(select(PilotProject).where(PilotProject.cluster_id == cluster_id)
                                    .order_by(PilotProject.id)))
    by = measurements(session, [p.id for p in projects])
    out = []
    for p in projects:
        ids = [m["enterprise"].id for m in project_members(session, p.id) if m["enterprise"] is not None]
        changes = participant_changes(ids, by.get(p.id, []))
        ok = [c for c in changes if c.comparable and c.t0 is not None and c.t1 is not None]
        flagged = [c for c in changes if not c.comparable and c.t0 is not None and c.t1 is not None]
        out.append(ProjectChange(p.name, len(ids), len(ok), len(flagged),
                                 sum(c.t0.total for c in ok if c.t0) / len(ok) if ok else None,
                                 sum(c.t1.total for c in ok if c.t1) / len(ok) if ok else None))
    return out


def _source(snap: Snapshot | None) -> Source | None:
    return Source(snap.kind, snap.id, snap.content_hash) if snap is not None else None


def report_inputs(session: Session, cluster: Cluster) -> ReportInputs:
    """Everything the research report states, from the latest snapshots and the programme records."""
    targets = targets_for_cluster(cluster.pilot_code)
    snap = cluster_data.latest_snapshot(session, cluster.id, "portraits")
    if snap is None:
        raise LookupError(f"no portraits snapshot for cluster {cluster.code}: run the pipeline first / 请先运行流水线")
    portraits = cluster_data.portraits_frame(session, snap.id)
    needs = cluster_data.latest_snapshot(session, cluster.id, "needs")
    imap = cluster_data.latest_snapshot(session, cluster.id, "industry_map")
    panel, scenarios, solutions = evaluation_panel(session, cluster.id, targets.questionnaire)
    questionnaire = definition_of(current_version(session, targets.questionnaire))
    indicators = {i.code: i.title.zh for i in questionnaire.indicators()}
    outcomes = ["total", "level", *[c for c in indicators if f"t0_{c}" in panel.columns]]
    evaluation = evaluate(panel, targets.programme.evaluation, outcomes=outcomes, scenarios=scenarios,
                          solutions=solutions)
    source = _source(snap)
    assert source is not None
    return ReportInputs(
        cluster=cluster.name_zh, pilot=targets.title.zh, taxonomy=load_taxonomy(cluster.industry),
        portraits=pd.DataFrame(portraits[["enterprise_id", "level", "total", "size_class", "chain_links"]]),
        portraits_source=source, needs=needs.payload if needs else None, needs_source=_source(needs),
        industry_map=imap.payload if imap else None, map_source=_source(imap),
        projects=project_changes(session, cluster.id), evaluation=evaluation, cases=cases_info(session, cluster.id),
        counts=programme_counts(session, cluster.id).as_measured(), outcome_names=indicators)


def write_research_report(session: Session, cluster: Cluster, report_dir: Path, *, run_id: int | None = None,
                          flow_run_id: str | None = None) -> dict[str, Any]:
    """Write ``<report_dir>/<cluster>/research-report-<hash>.docx`` and record a ``research_report``
    snapshot naming the file and the snapshots it was built from; returns that payload."""
    inputs = report_inputs(session, cluster)
    data = research_report_docx(inputs)
    digest = hashlib.sha256(data).hexdigest()
    rel = f"{cluster.code}/research-report-{digest[:16]}.docx"
    path = report_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    sources = [s for s in (inputs.portraits_source, inputs.needs_source, inputs.map_source) if s is not None]
    payload = {"file": rel, "sha256": digest, "bytes": len(data),
               "sources": [{"kind": s.kind, "snapshot_id": s.snapshot_id, "content_hash": s.content_hash}
                           for s in sources]}
    snapshot_id, _ = cluster_data.save_snapshot(session, cluster.id, REPORT_KIND, payload, run_id=run_id,
                                                flow_run_id=flow_run_id)
    return {**payload, "snapshot_id": snapshot_id}


SURVEY_KIND = "survey_report"  # snapshot kind of the survey and diagnosis report


def survey_firms(session: Session, cluster: Cluster) -> tuple[Source, list[SurveyFirm]]:
    """The deep-survey firms (verified on site) of the latest portraits snapshot, as report sections."""
    snap = cluster_data.latest_snapshot(session, cluster.id, "portraits")
    if snap is None:
        raise LookupError(f"no portraits snapshot for cluster {cluster.code}: run the pipeline first / 请先运行流水线")
    frame = cluster_data.portraits_frame(session, snap.id)
    feeds = cluster_data.portrait_feeds(session, snap.id)
    taxonomy = load_taxonomy(cluster.industry)
    links = {c.code: c.name.zh for c in taxonomy.chain_links}
    scen = {s.code: s.name.zh for s in taxonomy.scenarios}
    titles: dict[str, str] = {}
    dims: dict[str, str] = {}
    for version_id in sorted({int(v) for v in frame["questionnaire_version_id"].dropna()}):
        q = cluster_data.definitions(session, [version_id])[version_id]
        titles.update({i.code: i.title.zh for i in q.indicators()})
        dims.update({d.code: d.title.zh for d in q.dimensions})
    firms = []
    records = [{str(k): v for k, v in r.items()} for r in frame[frame["trusted"]].to_dict(orient="records")]
    for row in records:
        firms.append(_survey_firm(row, feeds, links, scen, titles, dims))
    source = _source(snap)
    assert source is not None
    return source, sorted(firms, key=lambda f: (-f.level, -f.total, f.name))


def _survey_firm(row: dict[str, Any], feeds: dict[str, list[str]], links: dict[str, str], scen: dict[str, str],
                 titles: dict[str, str], dims: dict[str, str]) -> SurveyFirm:
    weak = [w for w in (row.get("weaknesses") or []) if isinstance(w, dict)]
    pointed = sorted({s for w in weak for s in feeds.get(f"{w.get('q')}:{w.get('code')}", [])})
    dimensions = row.get("dimensions") or {}
    return SurveyFirm(
        name=str(row["name"]), uscc=str(row["uscc"]),
        size=SIZE_LABELS.get(str(row.get("size_class")), {}).get("zh", "规模未知"),
        links=tuple(links.get(str(c), str(c)) for c in (row.get("chain_links") or [])),
        level=int(row["level"]), total=float(row["total"]),
        dimensions=tuple((dims.get(k, k), float(v.get("share", 0.0))) for k, v in dimensions.items()),
        weaknesses=tuple((titles.get(str(w.get("code")), str(w.get("code"))), float(w.get("severity", 0.0)))
                         for w in weak[:8]),
        strengths=tuple(titles.get(str(x.get("code")), str(x.get("code"))) for x in (row.get("strengths") or [])
                        if isinstance(x, dict)),
        scenarios=tuple(scen.get(x, x) for x in pointed[:6]))


def write_survey_report(session: Session, cluster: Cluster, report_dir: Path, *, run_id: int | None = None,
                        flow_run_id: str | None = None) -> dict[str, Any]:
    """Write ``<report_dir>/<cluster>/survey-report-<hash>.docx`` and its ``survey_report`` snapshot."""
    source, firms = survey_firms(session, cluster)
    data = survey_report_docx(cluster.name_zh, source, firms)
    digest = hashlib.sha256(data).hexdigest()
    rel = f"{cluster.code}/survey-report-{digest[:16]}.docx"
    path = report_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    payload = {"file": rel, "sha256": digest, "bytes": len(data), "firms": len(firms),
               "sources": [{"kind": source.kind, "snapshot_id": source.snapshot_id,
                            "content_hash": source.content_hash}]}
    snapshot_id, _ = cluster_data.save_snapshot(session, cluster.id, SURVEY_KIND, payload, run_id=run_id,
                                                flow_run_id=flow_run_id)
    return {**payload, "snapshot_id": snapshot_id}
