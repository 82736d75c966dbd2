"""The pipeline's bulk paths give the same results as the simple ones: scoring stored submissions in
bulk (raw JSON, COPY/executemany) and in parallel processes stores exactly what the engine records per
submission, and an unchanged cluster is recognised from its inputs before any stage recomputes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

import flows  # noqa: F401  (Prefect defaults first)
from diagnostics import portraits as portraits_mod
from diagnostics.scoring import score_answers
from diagnostics.settings import settings
from diagnostics.store import cluster_data
from diagnostics.store.assessing import pending_submission_ids, score_submissions
from diagnostics.store.demo_data import seed_demo
from diagnostics.store.models import Assessment, Enterprise, Portrait, Snapshot, Submission
from diagnostics.store.repo import definition_of
from flows import portraits as flow_portraits
from flows.context import DIRECT, cluster_context
from flows.pipeline import run_pipeline_stages
from flows.score import run_score

CONTENT = ("submission_id", "submission_revision", "enterprise_id", "questionnaire_version_id", "scorer_version",
           "trusted", "total", "level", "band_level", "dimension_scores", "indicator_scores", "scenario_levels",
           "explanation")


@pytest.fixture
def demo(session: Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(settings, "database_url", db_url)
    monkeypatch.setattr(settings, "report_dir", tmp_path / "reports")
    cluster_data.clear_cache()
    seeded = seed_demo(session, enterprises=60)
    session.commit()
    return seeded


def stored(session: Session) -> dict[int, dict[str, Any]]:
    rows = session.scalars(select(Assessment).order_by(Assessment.submission_id)).all()
    return {a.submission_id: {c: getattr(a, c) for c in CONTENT} for a in rows}


def test_bulk_scoring_stores_what_the_engine_records_for_each_submission(demo: dict[str, Any],
                                                                          session: Session) -> None:
    ids = pending_submission_ids(session)
    assert score_submissions(session, ids) == len(ids) > 50
    session.commit()
    got = stored(session)
    subs = session.scalars(select(Submission).where(Submission.id.in_(ids)).order_by(Submission.id)).all()
    by_version: dict[int, list[Submission]] = {}
    for sub in subs:
        by_version.setdefault(sub.questionnaire_version_id, []).append(sub)
    for group in by_version.values():
        result = score_answers(definition_of(group[0].questionnaire_version), [s.answers for s in group])
        for i, sub in enumerate(group):
            rec = result.record(i)  # the per-submission reference
            skipped = set(rec["explanation"]["skipped"])
            rec["explanation"]["answers"] = {k: v for k, v in sub.answers.items() if k not in skipped}
            row = got[sub.id]
            assert row["trusted"] == (sub.status == "verified") and row["submission_revision"] == sub.revision
            assert {k: row[k] for k in rec} == rec, sub.id
    assert score_submissions(session, ids) == 0  # nothing new: nothing written


def test_scoring_in_parallel_processes_stores_the_same_assessments(demo: dict[str, Any], session: Session,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    serial = run_score(batch_size=20, runner=DIRECT)
    session.expire_all()
    expected = stored(session)
    session.execute(delete(Assessment))
    session.commit()
    monkeypatch.setattr(settings, "workers", 2)
    monkeypatch.setattr(settings, "parallel_min_rows", 0)
    parallel_run = run_score(batch_size=20, runner=DIRECT)
    assert parallel_run["batches"] == serial["batches"] > 1
    assert parallel_run["assessments_written"] == serial["assessments_written"] == len(expected)
    session.expire_all()
    assert stored(session) == expected


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_unchanged_cluster_is_not_recomputed(demo: dict[str, Any], session: Session,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    first = run_pipeline_stages(None, runner=DIRECT)
    assert not any(c["reused"] for c in first["clusters"].values())
    rows = (count(session, Assessment), count(session, Portrait), count(session, Snapshot))

    built: list[int] = []
    real_build = portraits_mod.build_set

    def watched(parts: Any, *args: Any, **kwargs: Any) -> Any:
        built.append(1)
        return real_build(parts, *args, **kwargs)

    monkeypatch.setattr(portraits_mod, "build_set", watched)
    second = run_pipeline_stages(None, runner=DIRECT)
    assert built == []  # no stage ran: not even portraits
    assert all(c["reused"] for c in second["clusters"].values())
    assert (count(session, Assessment), count(session, Portrait), count(session, Snapshot)) == rows
    same = {(code, k): v["id"] for code, c in first["clusters"].items() for k, v in c["snapshots"].items()}
    assert {(code, k): v["id"] for code, c in second["clusters"].items() for k, v in c["snapshots"].items()} == same

    # an enterprise's attribute changes (no submission involved): its cluster, and only it, is recomputed
    jdz = cluster_data.cluster_by_code(session, "jingdezhen-ceramics")
    firm = session.scalars(select(Enterprise).where(Enterprise.cluster_id == jdz.id).order_by(Enterprise.id)).first()
    assert firm is not None
    session.execute(update(Enterprise).where(Enterprise.id == firm.id).values(pilot_willing=not firm.pilot_willing))
    session.commit()
    third = run_pipeline_stages(None, runner=DIRECT)
    assert {code: c["reused"] for code, c in third["clusters"].items()} == {
        "jingdezhen-ceramics": False, "shaoguan-nonferrous": True}
    assert len(built) == 1

    # a workbook the last run named has gone from disk: recomputed (and written again), not linked
    reports = cluster_data.latest_snapshot(session, jdz.id, "reports").payload  # type: ignore[union-attr]
    (settings.report_dir / reports["cluster_workbook"]).unlink()
    fourth = run_pipeline_stages("jingdezhen-ceramics", runner=DIRECT)
    assert not fourth["clusters"]["jingdezhen-ceramics"]["reused"]
    assert (settings.report_dir / reports["cluster_workbook"]).exists()
    assert run_pipeline_stages("jingdezhen-ceramics", runner=DIRECT)["clusters"]["jingdezhen-ceramics"]["reused"]
    assert not run_pipeline_stages("jingdezhen-ceramics", force=True, runner=DIRECT)[
        "clusters"]["jingdezhen-ceramics"]["reused"]


def test_the_portraits_stage_reads_the_cluster_in_parts_and_lets_go_of_what_it_stored(
        demo: dict[str, Any], session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory at 100 000 firms: the cluster is read and profiled a part of ``SHUZHEN_PART_FIRMS`` firms at
    a time, with the same rows and payload (percentiles and types are the whole cluster's) as in one
    part; the last run's cached frame goes before the next one is built; the stored texts go once they
    are committed; the frame the later stages get from the cache is the one a cold read gives."""
    run_score(None, runner=DIRECT)
    ctx = cluster_context("jingdezhen-ceramics")
    whole = flow_portraits.build_cluster(ctx)
    cluster_data.clear_cache()
    flow_portraits.store_portraits(ctx, whole, None, None)  # stored, and the cache primed with its frame
    assert len(cluster_data._PORTRAIT_CACHE) == 1
    read: list[int] = []
    real_read = cluster_data.assessment_frame

    def watched(*args: Any, **kwargs: Any) -> Any:
        out = real_read(*args, **kwargs)
        read.append(out["enterprise_id"].nunique())
        return out

    monkeypatch.setattr(cluster_data, "assessment_frame", watched)
    monkeypatch.setattr(settings, "part_firms", 7)
    rows = flow_portraits.build_cluster(ctx)
    assert not cluster_data._PORTRAIT_CACHE  # the last run's frame went before the next one was built
    assert len(read) > 3 and max(read) <= 7
    pd.testing.assert_frame_equal(rows.portraits.light, whole.portraits.light, check_exact=True)
    assert rows.payload == whole.payload
    assert rows.payload["enterprises"] == len(rows.portraits) + rows.payload["not_assessed"] > 0
    assert set(rows.portraits.light["percentile_cluster"]) >= {0.0, 100.0}
    snapshot_id = flow_portraits.store_portraits(ctx, rows, None, None)
    assert rows.texts.closed and len(rows.texts) == 0
    assert count(session, Portrait) == len(rows.portraits)
    primed_light = cluster_data.portrait_set(session, snapshot_id).light  # the built rows, as the stage left them
    primed = cluster_data.portraits_frame(session, snapshot_id)
    cluster_data.clear_cache()
    pd.testing.assert_frame_equal(primed_light, cluster_data.portrait_set(session, snapshot_id).light,
                                  check_exact=True)  # every value and dtype as a cold read gives them
    cluster_data.clear_cache()
    cold = cluster_data.portraits_frame(session, snapshot_id)
    assert primed.equals(cold) and primed["weaknesses"].map(len).sum() > 0
    rebuilt = portraits_mod.summary(cold, ctx.taxonomy, enterprises_total=rows.payload["enterprises"],
                                    primary=ctx.targets.questionnaire, feeds=rows.payload["feeds"])
    assert rebuilt["rows_digest"] == rows.payload["rows_digest"]  # the stored rows are the rows hashed
