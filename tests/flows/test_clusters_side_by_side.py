"""Clusters side by side: with two local workers the stages run each cluster in a worker lane of its
own (``flows.context.per_cluster``), and give the very snapshots and files of a run in one process,
directly and through Prefect; a cluster that fails there fails alone, its run saying why."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from diagnostics.settings import settings
from diagnostics.store import cluster_data
from diagnostics.store.demo_data import seed_demo
from diagnostics.store.models import PipelineRun, Portrait, Snapshot
from flows import context, parallel
from flows.context import DIRECT, ClusterContext, Runner, per_cluster
from flows.pipeline import pipeline_flow, run_pipeline_stages


@pytest.fixture
def demo(session: Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(settings, "database_url", db_url)
    monkeypatch.setattr(settings, "report_dir", tmp_path / "reports")
    cluster_data.clear_cache()
    seed_demo(session, enterprises=80)
    session.commit()
    yield
    parallel.shutdown()  # the lanes were started with this test's settings


DOCUMENTS = ("research_report", "survey_report")  # Word documents that name their sources' snapshot ids


def outputs(session: Session) -> tuple[dict[tuple[int | None, str], Any], list[str]]:
    """What a run hands a bureau: each cluster's snapshots by content hash, and the files written.
    The two documents print the ids of the snapshots they were read from, and ids follow the order
    rows were written in (two lanes interleave): they are compared by what they were read from."""
    session.expire_all()
    got: dict[tuple[int | None, str], Any] = {}
    for snap in session.scalars(select(Snapshot)):
        if snap.kind in DOCUMENTS:
            got[snap.cluster_id, snap.kind] = sorted((s["kind"], s["content_hash"]) for s in snap.payload["sources"])
        else:
            got[snap.cluster_id, snap.kind] = snap.content_hash
    files = sorted(str(p.relative_to(settings.report_dir)) for p in settings.report_dir.rglob("*")
                   if p.is_file() and not p.name.startswith(("research-report-", "survey-report-")))
    return got, files


def forget_views(session: Session) -> None:
    for model in (Portrait, Snapshot, PipelineRun):
        session.execute(delete(model))
    session.commit()
    shutil.rmtree(settings.report_dir, ignore_errors=True)
    cluster_data.clear_cache()


@pytest.mark.prefect
def test_clusters_in_their_own_lanes_give_the_snapshots_of_one_process(
        prefect_harness: None, demo: None, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "workers", 1)
    run_pipeline_stages(None, runner=DIRECT)
    expected = outputs(session)
    assert len(expected[0]) == 2 * 7 and expected[1]  # two clusters, seven kinds each; files on disk

    used: list[list[str]] = []
    real = context._side_by_side

    def watched(codes: list[str], *args: Any) -> Any:
        used.append(list(codes))
        return real(codes, *args)

    monkeypatch.setattr(context, "_side_by_side", watched)
    monkeypatch.setattr(settings, "workers", 2)
    monkeypatch.setattr(settings, "parallel_min_rows", 0)
    for run in (lambda: run_pipeline_stages(None, runner=DIRECT), pipeline_flow):
        forget_views(session)
        used.clear()
        summary = run()
        # portraits, needs, map, shortlist, reports, research report: each with both clusters at once
        assert len(used) == 6 and all(len(codes) == 2 for codes in used)
        assert all(not c["reused"] and len(c["snapshots"]) == 7 for c in summary["clusters"].values())
        assert outputs(session) == expected
        runs = session.scalars(select(PipelineRun)).all()
        assert [r.status for r in runs] == ["completed", "completed"]


def fails_in_shaoguan(ctx: ClusterContext, run_id: int, flow_run_id: str | None, runner: Runner) -> str:
    """A stage body (module level: it is pickled to its lane) that fails for one cluster only."""
    if ctx.code == "shaoguan-nonferrous":
        raise ValueError("no chain links for this cluster")
    runner.log(f"checked {ctx.code}")
    return ctx.name


def test_a_cluster_failing_in_its_lane_fails_alone_and_its_run_says_why(
        demo: None, session: Session, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(settings, "workers", 2)
    monkeypatch.setattr(settings, "parallel_min_rows", 0)
    caplog.set_level("INFO", logger="shuzhen.flows")
    with pytest.raises(ValueError, match="no chain links"):
        per_cluster(None, "check", None, DIRECT, fails_in_shaoguan)
    session.expire_all()
    runs: dict[int | None, str] = {cluster_data.cluster_by_code(session, code).id: code
                                   for code in ("jingdezhen-ceramics", "shaoguan-nonferrous")}
    got = {runs[r.cluster_id]: (r.status, r.stats.get("error")) for r in session.scalars(select(PipelineRun))}
    assert got == {"jingdezhen-ceramics": ("completed", None),
                   "shaoguan-nonferrous": ("failed", "ValueError: no chain links for this cluster")}
    assert "checked jingdezhen-ceramics" in caplog.messages  # the lane's log line, logged by the parent


def where_it_ran(ctx: ClusterContext, run_id: int, flow_run_id: str | None, runner: Runner) -> int:
    return os.getpid()


def test_which_clusters_go_side_by_side(demo: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several clusters (every one, or those named), two workers and enough firms: a lane each, in the
    order asked; one cluster, or too few firms between them (80 here), stay in this process."""
    monkeypatch.setattr(settings, "workers", 2)
    monkeypatch.setattr(settings, "parallel_min_rows", 80)
    named = ["shaoguan-nonferrous", "jingdezhen-ceramics"]
    got = per_cluster(named, "check", None, DIRECT, where_it_ran)
    assert list(got) == named and len(set(got.values())) == 2 and os.getpid() not in got.values()
    assert per_cluster(["jingdezhen-ceramics"], "check", None, DIRECT, where_it_ran) == {
        "jingdezhen-ceramics": os.getpid()}
    monkeypatch.setattr(settings, "parallel_min_rows", 81)
    assert set(per_cluster(None, "check", None, DIRECT, where_it_ran).values()) == {os.getpid()}
