"""Gathering what the workbooks print: shared by the reports flow and the dashboard's on-demand download.

Workbook files are content-addressed: an enterprise's file name carries the digest of its report
input, the cluster's the digests of the snapshots it prints. A rerun with unchanged data finds every
file already there and writes nothing; a changed enterprise gets a new file and the snapshot of the
run points at it. Files are written to a temporary name and renamed, so a download never sees half a
workbook.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diagnostics import processes
from diagnostics.canonical import digest
from diagnostics.explain import expand
from diagnostics.portraits import PortraitSet, as_set
from diagnostics.questionnaire import Questionnaire
from diagnostics.recommend import names_of
from diagnostics.shortlist import participant_list
from diagnostics.store import cluster_data
from diagnostics.store.models import Assessment, Cluster, QuestionnaireVersion, Snapshot
from diagnostics.store.repo import definition_of
from diagnostics.taxonomy import Taxonomy
from diagnostics.workbooks.cluster_report import write_cluster_report
from diagnostics.workbooks.enterprise_report import (
    peer_benchmark,
    readable_trail,
    report_input,
    write_enterprise_report,
)


def titles(defs: Iterable[Questionnaire]) -> dict[str, Any]:
    """Weakness key -> bilingual name (indicators and scenario ratings), for naming weaknesses."""
    return names_of(defs)


def expanded_trails(session: Session, assessment_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The readable trail of each assessment, expanded against the assessment's OWN questionnaire version
    (its stored compact explanation holds the answers it scored), with question texts and answer labels."""
    ids = sorted({int(i) for i in assessment_ids})
    rows: list[Any] = []
    for start in range(0, len(ids), 1000):
        rows += session.execute(select(
            Assessment.id, Assessment.questionnaire_version_id, Assessment.total, Assessment.level,
            Assessment.band_level, Assessment.dimension_scores, Assessment.indicator_scores, Assessment.explanation,
        ).where(Assessment.id.in_(ids[start:start + 1000]))).all()
    defs = cluster_data.definitions(session, [r.questionnaire_version_id for r in rows])
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        q = defs[int(r.questionnaire_version_id)]
        record = {"total": r.total, "level": r.level, "band_level": r.band_level,
                  "dimension_scores": r.dimension_scores, "indicator_scores": r.indicator_scores,
                  "explanation": r.explanation}
        out[int(r.id)] = readable_trail(q, expand(q, record))
    return out


def latest_definitions(session: Session, codes: Sequence[str]) -> list[Questionnaire]:
    """The newest stored version of each questionnaire code (for titles only)."""
    ids = session.scalars(select(func.max(QuestionnaireVersion.id)).where(QuestionnaireVersion.code.in_(list(codes)))
                          .group_by(QuestionnaireVersion.code))
    rows = session.scalars(select(QuestionnaireVersion).where(QuestionnaireVersion.id.in_(list(ids))))
    return [definition_of(v) for v in rows]


def enterprise_inputs(session: Session, cluster: Cluster, portraits: pd.DataFrame | PortraitSet,
                      enterprise_ids: Sequence[int], taxonomy: Taxonomy, codes: Sequence[str],
                      feeds: dict[str, list[str]], benchmark: dict[str, Any] | None = None
                      ) -> list[tuple[int, str, dict[str, Any]]]:
    """(enterprise id, USCC, report input) for the given enterprises of the portraits (only their
    nested profiles are read)."""
    rows = as_set(portraits).frame(enterprise_ids)
    if rows.empty:
        return []
    bench = benchmark if benchmark is not None else peer_benchmark(portraits)
    module_ids = {int(eid): [int(m["assessment_id"]) for _, m in sorted((mods or {}).items())]
                  for eid, mods in zip(rows["enterprise_id"], rows["modules"], strict=True)}
    trails = expanded_trails(session, [*rows["assessment_id"].tolist(), *[i for v in module_ids.values() for i in v]])
    defs = list(cluster_data.definitions(session, rows["questionnaire_version_id"].tolist()).values())
    names = titles([*defs, *latest_definitions(session, codes)])
    type_names = {t.code: t.name.model_dump() for t in taxonomy.portrait_types}
    info = {"code": cluster.code, "name": cluster.name_zh, "name_en": cluster.name_en}
    out = []
    for rec in cast(list[dict[str, Any]], rows.to_dict(orient="records")):  # the column names are strings
        eid = int(rec["enterprise_id"])
        modules = [trails[i] for i in module_ids.get(eid, []) if i in trails]
        data = report_input(rec, trails.get(int(rec["assessment_id"])), bench, taxonomy, names, info, feeds,
                            type_names, modules=modules)
        out.append((eid, str(rec["uscc"]), data))
    return out


def _tmp_name(path: Path, pid: int) -> Path:
    """Where ``_atomic`` writes ``path`` first: hidden, and naming the writer's pid."""
    return path.with_name(f".{path.name}.{pid}.tmp")


def remove_orphan_tmp(root: Path, *, before: float) -> list[Path]:
    """Delete the half-written files a killed writer left under ``root``; returns them.

    A ``.tmp`` file is an orphan when it was last written before ``before`` (the new run's start, as a
    timestamp) and the pid in its name is not a live process (a live one may be writing it right now).
    """
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for tmp in root.rglob("*.tmp"):
        pid = tmp.name.rsplit(".", 2)[-2] if tmp.name.count(".") >= 2 else ""
        try:
            if tmp.stat().st_mtime >= before or (pid.isdigit() and processes.pid_alive(int(pid))):
                continue
            tmp.unlink()
        except OSError:  # gone meanwhile, or not ours to delete: the next run tries again
            continue
        removed.append(tmp)
    return removed


def _atomic(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path, os.getpid())
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_enterprise_files(root: Path, cluster_code: str, inputs: list[tuple[int, str, dict[str, Any]]]
                           ) -> tuple[dict[str, str], int]:
    """Write each enterprise workbook unless its content-named file exists; (paths by id, files written)."""
    paths: dict[str, str] = {}
    written = 0
    for eid, uscc, data in inputs:
        # report inputs are already plain, rounded values (``report_input`` ends in ``jsonable``): hashing
        # them without a second deep conversion halves the cost of naming 10 000 files
        rel = f"{cluster_code}/enterprises/{uscc}-{digest(data, plain=True)[:12]}.xlsx"
        target = root / rel
        if not target.exists():
            _atomic(target, lambda p, data=data: write_enterprise_report(p, data))
            written += 1
        paths[str(eid)] = rel
    return paths, written


def snapshot_payloads(session: Session, snapshot_ids: dict[str, int]) -> tuple[dict[str, Any], dict[str, str]]:
    """(payload by kind, content hash by kind) of the given snapshots."""
    rows = session.execute(select(Snapshot.kind, Snapshot.payload, Snapshot.content_hash)
                           .where(Snapshot.id.in_(list(snapshot_ids.values())))).all()
    return {k: p for k, p, _ in rows}, {k: h for k, _, h in rows}


def write_cluster_file(root: Path, cluster: Cluster, payloads: dict[str, Any], hashes: dict[str, str],
                       portraits: pd.DataFrame | PortraitSet, *, taxonomy: Taxonomy | None = None,
                       feeds: dict[str, list[str]] | None = None, names: dict[str, Any] | None = None
                       ) -> tuple[str, bool]:
    """The cluster workbook for exactly these snapshots; (relative path, written now).

    With the taxonomy, the participant list names what each pick is to transform (the one
    recommendation rule); ``names`` names weaknesses in the enterprise list.
    """
    key = digest(sorted(hashes.items()))[:12]
    rel = f"{cluster.code}/cluster-{cluster.code}-{key}.xlsx"
    target = root / rel
    if target.exists():
        return rel, False
    info = {"code": cluster.code, "name": cluster.name_zh}
    participants = (participant_list(payloads.get("shortlist") or {}, portraits, taxonomy, feeds or {}, names or {})
                    if taxonomy is not None else None)
    _atomic(target, lambda p: write_cluster_report(p, info, payloads, portraits, participants=participants,
                                                   names=names))
    return rel, True


def report_scope(portraits: pd.DataFrame | PortraitSet, shortlist: dict[str, Any] | None, scope: str) -> list[int]:
    """Which enterprises get a workbook this run: every portrait, or the pilot picks and near misses."""
    if scope == "all":
        return sorted(int(e) for e in as_set(portraits).light["enterprise_id"])
    sl = shortlist or {}
    ids = {int(p["enterprise_id"]) for p in [*sl.get("picks", []), *sl.get("near_misses", [])]}
    return sorted(ids)
