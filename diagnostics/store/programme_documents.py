"""Gathering the records a programme document needs, and writing the research report of a cluster.

The flow ``flows/research_report.py`` calls :func:`write_research_report` once per cluster; the pages
call :func:`handbook_for` to serve the handbook. Reports are content-named (the hash of the bytes), so a
rerun on unchanged data finds the same file and the same ``research_report`` snapshot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diagnostics.pilot import targets_for_cluster
from diagnostics.portraits import HEAVY
from diagnostics.programme.baseline import participant_changes
from diagnostics.programme.evaluation import evaluate
from diagnostics.programme.handbook import CaseInfo, Handbook, ProviderInfo, SolutionInfo, build_handbook
from diagnostics.programme.report import ProjectChange, ReportInputs, Source, research_report_docx
from diagnostics.programme.survey_report import SurveyFirm, survey_report_docx
from diagnostics.settings import settings
from diagnostics.size_class import SIZE_LABELS
from diagnostics.store import cluster_data, inputs_digest
from diagnostics.store.models import Cluster, Enterprise, PipelineRun, Snapshot
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

SURVEY_KIND = "survey_report"  # snapshot kind of the survey and diagnosis report


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


SOURCE_KINDS = ("portraits", "needs", "industry_map")


def source_snapshots(session: Session, cluster_id: int, run_id: int | None = None) -> dict[str, Snapshot | None]:
    """The snapshots a report reads: those of the pipeline run ``run_id`` (which has not completed yet,
    so ``latest_snapshot`` would still answer the previous run's), else the latest of each kind."""
    refs: dict[str, Any] = {}
    if run_id is not None:
        run = session.get(PipelineRun, run_id)
        refs = ((run.stats or {}).get("snapshots") or {}) if run is not None else {}
    out: dict[str, Snapshot | None] = {}
    for kind in SOURCE_KINDS:
        ref = refs.get(kind)
        snap = session.get(Snapshot, ref["id"]) if ref else None
        out[kind] = snap if snap is not None else cluster_data.latest_snapshot(session, cluster_id, kind)
    return out


def report_inputs(session: Session, cluster: Cluster, run_id: int | None = None) -> ReportInputs:
    """Everything the research report states, from the run's (else the latest) snapshots and the
    programme records."""
    targets = targets_for_cluster(cluster.pilot_code)
    sources = source_snapshots(session, cluster.id, run_id)
    snap, needs, imap = sources["portraits"], sources["needs"], sources["industry_map"]
    if snap is None:
        raise LookupError(f"no portraits snapshot for cluster {cluster.code}: run the pipeline first / 请先运行流水线")
    portraits = cluster_data.portrait_set(session, snap.id).light  # levels, sizes and links: no profiles
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


def documents_digest(session: Session, cluster: Cluster, run_id: int | None = None, *, rows: str | None = None) -> str:
    """What the research and survey reports are a function of: the cluster's inputs (answers, scores,
    firms, definitions, code: ``inputs_digest``; ``rows`` its rows digest when already computed), the
    latest snapshots they read, and the programme records. Equal digests mean the reports already
    written say exactly what a new run would say."""
    h = hashlib.sha256()
    h.update(inputs_digest.inputs_digest(session, cluster.id, report_scope=REPORT_KIND, rows=rows).encode())
    for kind, snap in source_snapshots(session, cluster.id, run_id).items():
        h.update(f"{kind}={snap.id if snap else None}:{snap.content_hash if snap else None};".encode())
    h.update(inputs_digest.programme_digest(session, cluster.id).encode())
    h.update(f"survey_sections={settings.survey_sections}".encode())  # how much of the survey is spelt out
    return h.hexdigest()


def latest_document(session: Session, cluster_id: int, kind: str, digest: str | None = None) -> Snapshot | None:
    """The cluster's newest report of ``kind`` (written by a run or on demand from the page); with
    ``digest``, the one written from those inputs, if either candidate was."""
    candidates = [s for s in (cluster_data.latest_snapshot(session, cluster_id, kind),
                              session.scalars(select(Snapshot).where(Snapshot.cluster_id == cluster_id,
                                                                     Snapshot.kind == kind)
                                              .order_by(Snapshot.created_at.desc(), Snapshot.id.desc())).first())
                  if s is not None]
    if digest is not None:
        return next((s for s in candidates if (s.payload or {}).get("inputs_digest") == digest), None)
    return max(candidates, key=lambda s: (s.created_at, s.id), default=None)


def reusable_documents(session: Session, cluster: Cluster, report_dir: Path, run_id: int | None = None, *,
                       rows: str | None = None) -> dict[str, dict[str, Any]] | None:
    """The cluster's research and survey reports, when both were written from the inputs the cluster
    has now (``documents_digest``) and their files are still on disk; else None (write them)."""
    digest = documents_digest(session, cluster, run_id, rows=rows)
    found: dict[str, dict[str, Any]] = {}
    for kind in (REPORT_KIND, SURVEY_KIND):
        snap = latest_document(session, cluster.id, kind, digest)
        payload = snap.payload if snap is not None else {}
        if snap is None or not payload.get("file") or not (report_dir / payload["file"]).is_file():
            return None
        found[kind] = {**payload, "snapshot_id": snap.id, "hash": snap.content_hash}
    return found


def _store_document(session: Session, cluster: Cluster, report_dir: Path, kind: str, stem: str, data: bytes,
                    sources: Sequence[Source], key: str, *, run_id: int | None, flow_run_id: str | None,
                    **extra: Any) -> dict[str, Any]:
    """Write ``data`` once under its content hash (``<cluster>/<stem>-<hash>.docx``) and record the ``kind``
    snapshot naming the file, the snapshots it was read from and the inputs digest; returns that payload."""
    digest = hashlib.sha256(data).hexdigest()
    rel = f"{cluster.code}/{stem}-{digest[:16]}.docx"
    path = report_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    payload = {"file": rel, "sha256": digest, "bytes": len(data), **extra, "inputs_digest": key,
               "sources": [{"kind": s.kind, "snapshot_id": s.snapshot_id, "content_hash": s.content_hash}
                           for s in sources]}
    snapshot_id, _ = cluster_data.save_snapshot(session, cluster.id, kind, payload, run_id=run_id,
                                                flow_run_id=flow_run_id)
    return {**payload, "snapshot_id": snapshot_id}


def write_research_report(session: Session, cluster: Cluster, report_dir: Path, *, run_id: int | None = None,
                          flow_run_id: str | None = None, rows: str | None = None) -> dict[str, Any]:
    """Write ``<report_dir>/<cluster>/research-report-<hash>.docx`` and record a ``research_report``
    snapshot naming the file, the snapshots it was built from and the inputs digest; returns that payload."""
    key = documents_digest(session, cluster, run_id, rows=rows)
    inputs = report_inputs(session, cluster, run_id)
    data = research_report_docx(inputs)
    sources = [s for s in (inputs.portraits_source, inputs.needs_source, inputs.map_source) if s is not None]
    return _store_document(session, cluster, report_dir, REPORT_KIND, "research-report", data, sources, key,
                           run_id=run_id, flow_run_id=flow_run_id)


def survey_firms(session: Session, cluster: Cluster, run_id: int | None = None, *,
                 detailed: int | None = None) -> tuple[Source, list[SurveyFirm]]:
    """The deep-survey firms (verified on site) of the run's (else the latest) portraits, as report sections,
    highest level and score first. With ``detailed``, only the first ``detailed`` firms carry their section
    (dimensions, weaknesses, strengths, scenarios); the rest carry what the overview table prints. The
    report spells out 300 sections, and a census verifies tens of thousands of firms on site: building
    every firm's section cost the 60 000-firm demo cluster a second for nothing."""
    snap = source_snapshots(session, cluster.id, run_id)["portraits"]
    if snap is None:
        raise LookupError(f"no portraits snapshot for cluster {cluster.code}: run the pipeline first / 请先运行流水线")
    everyone = cluster_data.portrait_set(session, snap.id)
    frame = everyone.light
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
    trusted = frame[frame["trusted"]]
    levels, totals = trusted["level"].astype(int).tolist(), trusted["total"].astype(float).tolist()
    names = trusted["name"].astype(str).tolist()
    order = sorted(range(len(names)), key=lambda i: (-levels[i], -totals[i], names[i]))
    cut = len(order) if detailed is None else min(len(order), max(0, detailed))
    # a row as a dict (~20 values) only for the firms whose section is spelled out, not for each of the
    # 75 000 a 300 000-firm census verifies on site; their profiles read from the parts they are in
    records = [{str(k): v for k, v in r.items()} for r in trusted.iloc[order[:cut]].to_dict(orient="records")]
    profiles = everyone.frame([int(r["enterprise_id"]) for r in records]).set_index("enterprise_id")
    for r in records:
        r.update({c: profiles.at[int(r["enterprise_id"]), c] for c in HEAVY})
    firms = [_survey_firm(row, feeds, links, scen, titles, dims) for row in records]
    rest = trusted.iloc[order[cut:]]
    firms += [_overview(row, links) for row in zip(*(rest[c].tolist() for c in OVERVIEW), strict=True)]
    source = _source(snap)
    assert source is not None
    return source, firms


OVERVIEW = ("name", "uscc", "size_class", "chain_links", "level", "total")  # what the overview table prints


def _overview(values: Sequence[Any], links: dict[str, str]) -> SurveyFirm:
    """A firm as the overview table lists it, from its ``OVERVIEW`` values (``_survey_firm`` adds a section)."""
    name, uscc, size_class, chain_links, level, total = values
    return SurveyFirm(
        name=str(name), uscc=str(uscc), size=SIZE_LABELS.get(str(size_class), {}).get("zh", "规模未知"),
        links=tuple(links.get(str(c), str(c)) for c in (chain_links or [])),
        level=int(level), total=float(total), dimensions=(), weaknesses=(), strengths=(), scenarios=())


def _survey_firm(row: dict[str, Any], feeds: dict[str, list[str]], links: dict[str, str], scen: dict[str, str],
                 titles: dict[str, str], dims: dict[str, str]) -> SurveyFirm:
    overview = _overview([row.get(c) for c in OVERVIEW], links)
    weak = [w for w in (row.get("weaknesses") or []) if isinstance(w, dict)]
    pointed = sorted({s for w in weak for s in feeds.get(f"{w.get('q')}:{w.get('code')}", [])})
    dimensions = row.get("dimensions") or {}
    return replace(
        overview,
        dimensions=tuple((dims.get(k, k), float(v.get("share", 0.0))) for k, v in dimensions.items()),
        weaknesses=tuple((titles.get(str(w.get("code")), str(w.get("code"))), float(w.get("severity", 0.0)))
                         for w in weak[:8]),
        strengths=tuple(titles.get(str(x.get("code")), str(x.get("code"))) for x in (row.get("strengths") or [])
                        if isinstance(x, dict)),
        scenarios=tuple(scen.get(x, x) for x in pointed[:6]))


def write_survey_report(session: Session, cluster: Cluster, report_dir: Path, *, run_id: int | None = None,
                        flow_run_id: str | None = None, rows: str | None = None) -> dict[str, Any]:
    """Write ``<report_dir>/<cluster>/survey-report-<hash>.docx`` and its ``survey_report`` snapshot."""
    key = documents_digest(session, cluster, run_id, rows=rows)
    source, firms = survey_firms(session, cluster, run_id, detailed=settings.survey_sections)
    data = survey_report_docx(cluster.name_zh, source, firms, sections=settings.survey_sections)
    return _store_document(session, cluster, report_dir, SURVEY_KIND, "survey-report", data, [source], key,
                           run_id=run_id, flow_run_id=flow_run_id, firms=len(firms))
