"""The research-report flow through Prefect on the demo: one report per cluster, built from the latest
snapshots and the programme demo records, recorded as a snapshot; a rerun on unchanged data is the same."""

from __future__ import annotations

import gc
from pathlib import Path

import docx
import pytest
from docx.document import Document as DocxDocument
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import flows  # noqa: F401  (Prefect defaults before the session's Prefect harness starts)
from diagnostics.settings import settings
from diagnostics.store import cluster_data
from diagnostics.store.demo_data import seed_demo
from diagnostics.store.models import Cluster, Snapshot
from diagnostics.store.programme_data import programme_counts
from diagnostics.store.programme_documents import survey_firms, write_survey_report
from flows.context import DIRECT
from flows.pipeline import run_pipeline_stages
from flows.research_report import research_report_flow, run_research_report

pytestmark = pytest.mark.prefect


@pytest.fixture
def pipelined(session: Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 120-firm demo with the pipeline run once, reports written under ``tmp_path``."""
    monkeypatch.setattr(settings, "database_url", db_url)
    monkeypatch.setattr(settings, "report_dir", tmp_path)
    cluster_data.clear_cache()
    seed_demo(session, enterprises=120)
    session.commit()
    run_pipeline_stages(None, runner=DIRECT)


def test_research_report_flow_writes_one_traceable_report_per_cluster(
        prefect_harness: None, pipelined: None, session: Session, tmp_path: Path) -> None:
    first = research_report_flow()
    assert set(first) == {"jingdezhen-ceramics", "shaoguan-nonferrous"}
    jdz = first["jingdezhen-ceramics"]
    document = docx.Document(str(tmp_path / jdz["file"]))
    assert document.paragraphs[0].text == "景德镇陶瓷产业集群数字化转型研究报告"
    jdz_id = session.scalar(select(Cluster.id).where(Cluster.code == "jingdezhen-ceramics"))
    assert jdz_id is not None
    portraits = cluster_data.latest_snapshot(session, jdz_id, "portraits")
    assert portraits is not None
    captions = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Caption"]
    assert len(document.inline_shapes) == len(captions) == 4
    assert f"portraits 快照 #{portraits.id}（{portraits.content_hash[:12]}）" in captions[0]
    rows = [[c.text for c in r.cells] for t in document.tables for r in t.rows]
    counts = programme_counts(session, jdz_id)
    assert counts.participants == 9 and counts.providers == 12 and counts.cases == 3 and counts.reports == 1
    assert any(r[0].endswith("试点项目") and r[1] == "3" for r in rows)  # the projects' T0/T1 table

    survey = docx.Document(str(tmp_path / jdz["survey_report"]["file"]))
    assert survey.paragraphs[0].text == "景德镇陶瓷产业集群企业调研诊断报告"
    verified = int((cluster_data.portraits_frame(session, portraits.id)["trusted"]).sum())
    assert jdz["survey_report"]["firms"] == verified > 0
    sections = [p.text for p in survey.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert len(sections) == verified + 1  # the overview, then one section per deep-survey firm

    again = research_report_flow()
    assert again["jingdezhen-ceramics"]["snapshot_id"] == jdz["snapshot_id"]  # unchanged data: same report
    assert session.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.kind == "research_report")) == 2
    assert session.scalar(select(func.count()).select_from(Snapshot).where(Snapshot.kind == "survey_report")) == 2


def test_a_capped_survey_report_spells_out_its_best_firms_and_lists_every_one(
        pipelined: None, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With fewer sections than verified firms, the sections are those of the highest level and score,
    each as full as when every firm gets one; the overview table still lists every firm."""
    cluster = session.scalars(select(Cluster).where(Cluster.code == "jingdezhen-ceramics")).one()
    _, every = survey_firms(session, cluster)
    assert len(every) > 4 and every == sorted(every, key=lambda f: (-f.level, -f.total, f.name))
    _, capped = survey_firms(session, cluster, detailed=3)
    assert capped[:3] == every[:3] and any(f.dimensions for f in capped[:3])
    assert [(f.name, f.uscc, f.size, f.links, f.level, f.total) for f in capped] == [
        (f.name, f.uscc, f.size, f.links, f.level, f.total) for f in every]

    monkeypatch.setattr(settings, "survey_sections", 3)
    written = write_survey_report(session, cluster, tmp_path)
    survey = docx.Document(str(tmp_path / written["file"]))
    headings = [p.text for p in survey.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings == ["调研企业一览", *[f.name for f in every[:3]]]
    overview = survey.tables[0]
    assert [r.cells[1].text for r in overview.rows[1:]] == [f.uscc for f in every]
    assert len(survey.tables) > 1 and survey.tables[1].rows[0].cells[0].text == "维度"


def test_the_word_documents_a_stage_built_do_not_outlive_it(pipelined: None) -> None:
    """python-docx's objects point back at their parents, so a built document is cyclic garbage once its
    builder returns; the pipeline's larger young generation (``tune_gc``) leaves it resident until a full
    collection comes. The stage's steps collect it: with the collector off, none is left alive."""
    gc.collect()
    gc.disable()
    try:
        out = run_research_report("jingdezhen-ceramics", force=True, runner=DIRECT)
        alive = sum(isinstance(o, DocxDocument) for o in gc.get_objects())
    finally:
        gc.enable()
    assert out["jingdezhen-ceramics"]["survey_report"]["firms"] > 0
    assert alive == 0


def test_the_last_stage_lets_go_of_the_clusters_portraits_frame(pipelined: None, session: Session) -> None:
    """The research report is the pipeline's last reader of a cluster's portraits: afterwards the process
    (a worker lane, a serving process) holds no frame of it until its next portraits stage."""
    cluster_id = session.scalars(select(Cluster.id).where(Cluster.code == "jingdezhen-ceramics")).one()
    snap = cluster_data.latest_snapshot(session, cluster_id, "portraits")
    assert snap is not None
    cluster_data.portraits_frame(session, snap.id)
    assert len(cluster_data._PORTRAIT_CACHE) == 1
    run_research_report("jingdezhen-ceramics", runner=DIRECT)
    assert not cluster_data._PORTRAIT_CACHE
