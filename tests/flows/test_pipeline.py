"""The whole pipeline through Prefect on the demo clusters: rows written, reruns idempotent, answers
arriving later recomputed, and the same snapshots whether run through Prefect or directly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from diagnostics.settings import settings
from diagnostics.store import cluster_data
from diagnostics.store.demo_data import seed_demo
from diagnostics.store.models import Assessment, Enterprise, PipelineRun, Portrait, Snapshot, Submission
from diagnostics.store.models_programme import Case
from diagnostics.store.programme_data import programme_counts
from flows.context import DIRECT
from flows.needs import needs_flow
from flows.pipeline import run_pipeline_stages
from flows.portraits import portraits_flow
from flows.score import score_flow
from flows.shortlist import shortlist_flow
from flows.trigger import run_pipeline

pytestmark = pytest.mark.prefect
VIEWS = {"portraits", "needs", "industry_map", "shortlist", "reports"}
DOCUMENTS = {"research_report", "survey_report"}  # the last stage: two Word documents per cluster
KINDS = VIEWS | DOCUMENTS
REPORT_HEADINGS = ["数据来源", "一、产业链数字化水平", "二、共性需求与痛点", "三、图谱覆盖",
                   "四、试点项目与成效（T0→T1）", "五、典型案例", "六、转型路径"]
ENTERPRISES = 150  # 90 in Jingdezhen, 60 in Shaoguan


@pytest.fixture
def demo(session: Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The demo clusters, with the largest firm of each made large and willing so quotas can hold."""
    monkeypatch.setattr(settings, "database_url", db_url)
    monkeypatch.setattr(settings, "report_dir", tmp_path / "reports")
    monkeypatch.setattr(settings, "score_batch_size", 100)  # several batches even on a small demo
    cluster_data.clear_cache()
    seeded = seed_demo(session, enterprises=ENTERPRISES)
    for cluster_id in session.scalars(select(Enterprise.cluster_id).distinct()):
        top = session.scalars(select(Enterprise).where(Enterprise.cluster_id == cluster_id)
                              .order_by(Enterprise.revenue_10k.desc()).limit(1)).one()
        top.size_class, top.pilot_willing = "large", True
    session.commit()
    scorable = session.scalar(select(func.count()).select_from(Submission).where(
        Submission.status.in_(("submitted", "verified"))))
    return {**seeded, "scorable": scorable}


def count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def latest_payload(session: Session, cluster_id: int, kind: str) -> Any:
    snapshot = cluster_data.latest_snapshot(session, cluster_id, kind)
    assert snapshot is not None, kind
    return snapshot.payload


def snapshot_refs(summary: dict[str, Any]) -> dict[tuple[str, str], tuple[int, str, bool]]:
    return {(code, kind): (ref["id"], ref["hash"], ref["new"]) for code, c in summary["clusters"].items()
            for kind, ref in c["snapshots"].items()}


def test_pipeline_through_prefect(prefect_harness: None, demo: dict[str, Any], session: Session) -> None:
    first = run_pipeline()

    # rows written: every scorable submission scored once, a portrait per enterprise, 5 views and 2
    # documents x 2 clusters
    assert first["score"]["assessments_written"] == demo["scorable"] == count(session, Assessment)
    assert first["score"]["batches"] == -(-demo["scorable"] // 100)
    assert count(session, Portrait) == ENTERPRISES
    assert count(session, Snapshot) == 14
    runs = session.scalars(select(PipelineRun).order_by(PipelineRun.id)).all()
    assert [r.status for r in runs] == ["completed", "completed"]
    assert all(r.flow_run_id and r.finished_at for r in runs)
    assert session.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.flow_run_id.is_(None))) == 0
    refs = snapshot_refs(first)
    assert {kind for _, kind in refs} == KINDS and all(new for _, _, new in refs.values())

    jdz = cluster_data.cluster_by_code(session, "jingdezhen-ceramics")
    shortlist = latest_payload(session, jdz.id, "shortlist")
    assert shortlist["status"] == "optimal" and len(shortlist["picks"]) == 30
    assert all(c["met"] for c in shortlist["checks"])
    assert all(p["reasons_zh"] and p["reasons_en"] for p in shortlist["picks"])
    table = {r["metric"]: r for r in latest_payload(session, jdz.id, "industry_map")["indicator_table"]}
    # participants come from the programme's records (the demo's projects), never the 90 diagnosed firms
    participants = programme_counts(session, jdz.id).participants
    assert participants > 0 and table["enterprises"]["value"] == participants
    assert table["diagnosed_enterprises"]["value"] == 90 and table["scenarios"]["target"] == 21
    reports = latest_payload(session, jdz.id, "reports")
    book = openpyxl.load_workbook(settings.report_dir / reports["cluster_workbook"], read_only=True)
    assert "试点名单 Shortlist" in book.sheetnames
    assert len(reports["enterprise_workbooks"]) == 30 + len(shortlist["near_misses"])
    assert all((settings.report_dir / p).exists() for p in reports["enterprise_workbooks"].values())

    # the research report, written by the pipeline's last stage from this run's snapshots, opens in Word
    research = latest_payload(session, jdz.id, "research_report")
    document = docx.Document(str(settings.report_dir / research["file"]))
    assert document.paragraphs[0].text == "景德镇陶瓷产业集群数字化转型研究报告"
    assert [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"
            ] == REPORT_HEADINGS
    portraits_ref = first["clusters"]["jingdezhen-ceramics"]["snapshots"]["portraits"]
    sources = [[c.text for c in r.cells] for r in document.tables[0].rows]
    assert ["portraits", f"#{portraits_ref['id']}", portraits_ref["hash"]] in sources  # the snapshot it names

    # run again with nothing new: no assessment, snapshot or portrait rows; the same snapshots and the
    # same documents re-used (no report written again)
    second = run_pipeline()
    assert second["score"]["assessments_written"] == 0
    assert (count(session, Assessment), count(session, Portrait), count(session, Snapshot)) == (
        demo["scorable"], ENTERPRISES, 14)
    assert {k: v[:2] for k, v in snapshot_refs(second).items()} == {k: v[:2] for k, v in refs.items()}
    assert not any(new for _, _, new in snapshot_refs(second).values())
    assert count(session, PipelineRun) == 4

    # an answer arrives (a commissioner verifies a Jingdezhen submission): only that cluster changes
    sub = session.scalars(select(Submission).join(Enterprise).where(
        Enterprise.cluster_id == jdz.id, Submission.status == "submitted").order_by(Submission.id).limit(1)).one()
    session.execute(update(Submission).where(Submission.id == sub.id).values(
        status="verified", revision=Submission.revision + 1))
    session.commit()
    third = run_pipeline()
    assert third["score"]["assessments_written"] == 1
    changed = {key for key, (_, _, new) in snapshot_refs(third).items() if new}
    assert ("jingdezhen-ceramics", "portraits") in changed and ("jingdezhen-ceramics", "research_report") in changed
    assert not {key for key in changed if key[0] == "shaoguan-nonferrous"}
    assert count(session, Portrait) == ENTERPRISES + 90
    newer = latest_payload(session, jdz.id, "research_report")
    assert newer["file"] != research["file"] and (settings.report_dir / newer["file"]).exists()

    # a programme record changes (a Shaoguan case is retitled): the views are re-used, the documents are not
    sg = cluster_data.cluster_by_code(session, "shaoguan-nonferrous")
    retitled = session.scalars(select(Case).where(Case.cluster_id == sg.id).order_by(Case.id).limit(1)).one()
    retitled.title = "冶炼车间能耗在线监测（修订）"
    session.commit()
    # the same stage functions without Prefect give exactly the views Prefect stored
    direct = run_pipeline_stages(None, runner=DIRECT)
    views = {k: v[:2] for k, v in snapshot_refs(direct).items() if k[1] in VIEWS}
    assert views == {k: v[:2] for k, v in snapshot_refs(third).items() if k[1] in VIEWS}
    assert {k for k, (_, _, new) in snapshot_refs(direct).items() if new} == {
        ("shaoguan-nonferrous", "research_report"), ("shaoguan-nonferrous", "survey_report")}

    history = cluster_data.snapshot_history(session, jdz.id, "portraits")
    assert [h["snapshots"]["portraits"]["new"] for h in history] == [False, True, False, True]
    assert all(h["flow_run_id"] for h in history[1:])  # the direct run (newest) has no Prefect id


def test_stage_flows_run_alone_on_the_latest_portraits(prefect_harness: None, demo: dict[str, Any],
                                                       session: Session) -> None:
    assert score_flow(cluster="shaoguan-nonferrous")["pending"] > 0
    assert score_flow(cluster="shaoguan-nonferrous")["pending"] == 0  # nothing new: nothing to do
    portraits = portraits_flow(cluster="shaoguan-nonferrous")
    needs = needs_flow(cluster="shaoguan-nonferrous")
    assert set(portraits) == set(needs) == {"shaoguan-nonferrous"}
    sg = cluster_data.cluster_by_code(session, "shaoguan-nonferrous")
    latest = cluster_data.latest_snapshot(session, sg.id, "needs")
    assert latest is not None and latest.id == needs["shaoguan-nonferrous"]
    flows_seen = [h["flow"] for h in cluster_data.snapshot_history(session, sg.id)]
    assert flows_seen == ["needs", "portraits"]  # each stage run on its own is its own run in history


def test_a_stage_without_portraits_says_so(prefect_harness: None, demo: dict[str, Any]) -> None:
    with pytest.raises(LookupError, match="run the portraits flow first"):
        shortlist_flow(cluster="jingdezhen-ceramics")
