"""Research-report flow: the 行业数字化转型研究报告 of each cluster and the survey and diagnosis report of
its deep-survey (verified on site) firms; two tasks per cluster.

In the pipeline this is the last stage, after the workbooks, run for every cluster: a cluster whose
inputs, snapshots and programme records are those its latest reports were written from keeps them
(``reusable_documents``). Thin: the step opens a session and calls
``diagnostics.store.programme_documents.write_research_report``, which reads the run's (else the latest)
portraits, needs and industry-map snapshots and the programme records, writes a content-named .docx
under ``SHUZHEN_REPORTS`` and records a ``research_report`` snapshot naming the file and the snapshots it
was built from. The officials' page links the latest file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import flow

from diagnostics.settings import settings
from diagnostics.store import cluster_data
from diagnostics.store.db import get_engine, session_scope
from diagnostics.store.models import Cluster
from diagnostics.store.programme_data import REPORT_KIND
from diagnostics.store.programme_documents import (
    SURVEY_KIND,
    reusable_documents,
    write_research_report,
    write_survey_report,
)
from flows import drop_documents
from flows.context import DIRECT, PREFECT, ClusterContext, Clusters, Runner, per_cluster


def write_report(ctx: ClusterContext, run_id: int, flow_run_id: str | None, rows: str | None = None) -> dict[str, Any]:
    return _document(write_research_report, ctx, run_id, flow_run_id, rows)


def write_survey(ctx: ClusterContext, run_id: int, flow_run_id: str | None, rows: str | None = None) -> dict[str, Any]:
    return _document(write_survey_report, ctx, run_id, flow_run_id, rows)


def _document(write: Callable[..., dict[str, Any]], ctx: ClusterContext, run_id: int, flow_run_id: str | None,
              rows: str | None) -> dict[str, Any]:
    """One document written and recorded, then freed at once (``drop_documents``): the research report's
    before the survey report is built beside it, the survey report's before the next stage."""
    try:
        with session_scope(get_engine()) as s:
            cluster = s.get(Cluster, ctx.id)
            assert cluster is not None
            return write(s, cluster, settings.report_dir, run_id=run_id, flow_run_id=flow_run_id, rows=rows)
    finally:
        drop_documents()


def reuse_documents(ctx: ClusterContext, run_id: int, rows: str | None = None) -> dict[str, dict[str, Any]] | None:
    """The cluster's reports when its inputs are unchanged since they were written, linked to this run."""
    with session_scope(get_engine()) as s:
        cluster = s.get(Cluster, ctx.id)
        assert cluster is not None
        found = reusable_documents(s, cluster, settings.report_dir, run_id, rows=rows)
        if found is not None:
            cluster_data.update_run(s, run_id, snapshots={
                kind: {"id": ref["snapshot_id"], "new": False, "hash": ref["hash"]} for kind, ref in found.items()})
        return found


def research_body(ctx: ClusterContext, run_id: int, flow_run_id: str | None, runner: Runner, *, force: bool,
                  rows: dict[str, str] | None) -> dict[str, Any]:
    try:
        return _research(ctx, run_id, flow_run_id, runner, force=force, rows=rows)
    finally:
        # the pipeline's last reader of the cluster's portraits: a worker lane or a serving process would
        # hold them (~45 MB of light rows for 60 000 firms, and their profiles' file) until the cluster's
        # next portraits stage
        forget_frame(ctx)


def forget_frame(ctx: ClusterContext) -> None:
    with session_scope(get_engine()) as s:
        cluster_data.forget_portraits(s, ctx.id)


def _research(ctx: ClusterContext, run_id: int, flow_run_id: str | None, runner: Runner, *, force: bool,
              rows: dict[str, str] | None) -> dict[str, Any]:
    known = (rows or {}).get(ctx.code)
    found = None if force else runner.task(reuse_documents, ctx, run_id, known)
    if found is not None:
        runner.log(f"research_report[{ctx.code}]: inputs unchanged, {found[REPORT_KIND]['file']} re-used")
        return {**found[REPORT_KIND], "survey_report": found[SURVEY_KIND], "reused": True}
    result: dict[str, Any] = runner.task(write_report, ctx, run_id, flow_run_id, known)
    survey: dict[str, Any] = runner.task(write_survey, ctx, run_id, flow_run_id, known)
    runner.log(f"research_report[{ctx.code}]: {result['file']} (snapshot {result['snapshot_id']}); "
               f"survey report of {survey['firms']} firms: {survey['file']}")
    return {**result, "survey_report": survey, "reused": False}


def run_research_report(cluster: Clusters = None, *, run_ids: dict[str, int] | None = None, force: bool = False,
                        rows: dict[str, str] | None = None, runner: Runner = DIRECT) -> dict[str, Any]:
    """Each cluster's two reports; a cluster whose inputs, snapshots and programme records are those its
    latest reports were written from keeps them (``force`` writes anyway), as the pipeline's other
    stages keep their snapshots. ``rows``: each cluster's rows digest, when the caller computed it."""
    return per_cluster(cluster, "research_report", run_ids, runner, research_body, force=force, rows=rows)


@flow(name="research-report", persist_result=False)
def research_report_flow(cluster: Clusters = None, run_ids: dict[str, int] | None = None,
                         force: bool = False, rows: dict[str, str] | None = None) -> dict[str, Any]:
    """Write each cluster's research report; returns file, hash and snapshot id per cluster."""
    return run_research_report(cluster, run_ids=run_ids, force=force, rows=rows, runner=PREFECT)
