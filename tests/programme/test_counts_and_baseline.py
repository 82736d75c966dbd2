"""The pilot's programme figures are the records' counts; T0/T1 comparisons flag version changes."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics.pilot import METRICS, load_targets
from diagnostics.programme.baseline import participant_changes, pilot_acceptance, project_acceptance
from diagnostics.settings import settings
from diagnostics.store import programme_data as pd_
from diagnostics.store.models import Snapshot
from diagnostics.store.models_programme import Checkpoint, CheckpointAssessment, ProjectMember
from diagnostics.taxonomy import load_taxonomy
from tests.programme import builders as b


def test_indicator_counts_equal_the_records_of_a_hand_built_pilot(session: Session) -> None:
    c = b.cluster(session)
    other = b.cluster(session, "other-cluster")
    firms = [b.enterprise(session, c, n, tags=["chain_leader"] if n in (1, 2) else []) for n in range(1, 11)]
    outsider = b.enterprise(session, other, 50)
    provs = [b.provider(session, c, n) for n in range(3)]
    b.provider(session, other, 9)
    sol = b.solution(session, c, "kiln")
    sol2 = b.solution(session, c, "glaze")
    b.solution(session, other, "kiln")
    p1 = b.project(session, c, "项目一", provs[0], firms[:3], solution_id=sol.id)
    b.project(session, c, "项目二", provs[1], firms[2:5])  # firm 3 is in both (different years allowed)
    session.add(ProjectMember(project_id=p1.id, role="member", provider_id=provs[2].id))
    b.project(session, other, "别的集群", provs[1], [outsider])
    b.deploy(session, sol, provs[0], firms[0], project_id=p1.id)
    b.deploy(session, sol, provs[0], firms[7], project_id=p1.id, replication=True)
    b.deploy(session, sol2, provs[1], firms[8], status="cancelled")
    b.case(session, c, firms[0])
    b.case(session, c, firms[1], kind="benchmark")
    session.add(Snapshot(cluster_id=c.id, kind=pd_.REPORT_KIND, content_hash="r1", payload={}))
    session.add(Snapshot(cluster_id=c.id, kind=pd_.REPORT_KIND, content_hash="r2", payload={}))  # regenerated
    session.flush()

    counts = pd_.programme_counts(session, c.id)
    assert counts.participants == 5  # firms 1..5, each counted once
    assert counts.chain_leaders == 2 and counts.chain_leader_share == 0.4
    assert counts.providers == 3 and counts.solutions == 2
    assert counts.deployments == 2  # the cancelled one does not count
    assert (counts.cases, counts.benchmark_cases, counts.reports) == (2, 1, 1)  # one report, two versions
    assert pd_.programme_counts(session, other.id).participants == 1

    rows = {r.indicator.zh: r for r in pilot_acceptance(counts.as_measured(),
                                                        load_targets("jingdezhen-ceramics").programme.acceptance)}
    participants = rows["试点项目参与企业（家）"]
    assert (participants.actual, participants.target, participants.status) == (5.0, 30, "not_met")
    assert rows["行业数字化转型研究报告（篇）"].status == "met"


def test_pool_is_seeded_from_the_taxonomy_once_and_edits_survive(session: Session) -> None:
    c = b.cluster(session)
    taxonomy = load_taxonomy("ceramics")
    assert pd_.seed_pool(session, c, taxonomy) == len(taxonomy.solutions) > 0
    first = pd_.count_solutions(session, c.id)
    sol = session.scalars(select(b.PoolSolution).where(b.PoolSolution.cluster_id == c.id)).first()
    assert sol is not None
    sol.name_zh = "改过的名称"
    assert pd_.seed_pool(session, c, taxonomy) == 0
    session.refresh(sol)
    assert sol.name_zh == "改过的名称" and pd_.count_solutions(session, c.id) == first


def test_t0_t1_comparison_on_a_hand_built_project(session: Session) -> None:
    c = b.cluster(session)
    v1, v2 = b.version(session), b.version(session, v="2025.1")
    a_firm, b_firm, c_firm = (b.enterprise(session, c, n) for n in (1, 2, 3))
    prov = b.provider(session, c, 1)
    p = b.project(session, c, "窑炉", prov, [a_firm, b_firm, c_firm])
    cps = {cp.kind: cp for cp in session.scalars(select(Checkpoint).where(Checkpoint.project_id == p.id))}
    pd_.link_assessment(session, cps["t0"], b.assess(session, a_firm, v1, 42.0, 2, indicators={"net": 4.0}))
    pd_.link_assessment(session, cps["half_year"], b.assess(session, a_firm, v1, 50.0, 2, datetime(2025, 9, 1),
                                                            {"net": 6.0}))
    pd_.link_assessment(session, cps["one_year"], b.assess(session, a_firm, v1, 63.5, 3, datetime(2026, 3, 1),
                                                           {"net": 8.0}))
    pd_.link_assessment(session, cps["t0"], b.assess(session, b_firm, v1, 30.0, 1))
    pd_.link_assessment(session, cps["half_year"], b.assess(session, b_firm, v2, 45.0, 2, datetime(2025, 9, 1)))
    cps["half_year"].held_on = date(2025, 9, 5)
    cps["half_year"].actual_investment_10k = 70
    changes = {ch.enterprise_id: ch for ch in participant_changes(
        [a_firm.id, b_firm.id, c_firm.id], pd_.measurements(session, [p.id])[p.id])}

    a = changes[a_firm.id]  # one-year T1 wins over half-year
    assert a.comparable and a.total_change == 21.5 and a.level_change == 1 and a.indicator_changes == {"net": 4.0}
    flagged = changes[b_firm.id]
    assert not flagged.comparable and flagged.total_change == 15.0
    assert flagged.note is not None and "2024.1 → " in flagged.note.zh and "2025.1" in flagged.note.zh
    assert not changes[c_firm.id].comparable and changes[c_firm.id].note is not None

    sheet = {r.indicator.zh: r for r in project_acceptance(
        planned_investment_10k=150, participants=3, checkpoints=pd_.checkpoint_facts(session, p.id),
        landing_deployments_done=1, landing_sites=3, replications=0, changes=list(changes.values()))}
    baseline = sheet["完成T0基线评估的参与企业（家）"]
    assert baseline.actual == 2 and baseline.status == "not_met"
    assert sheet["T0→T1 平均总分变化（分）"].actual == 21.5  # only the comparable pair
    assert sheet["实际投入（T1 半年期，万元）"].actual == 70
    assert sheet["实际投入（T1 一年期，万元）"].status == "no_data"


def test_project_facts_feed_the_rules_from_the_database(session: Session) -> None:
    c = b.cluster(session)
    firm = b.enterprise(session, c, 1, group="红叶集团")
    prov = b.provider(session, c, 1)
    b.project(session, c, "已有项目", prov, [firm])
    facts = pd_.project_facts(session)
    assert facts[0].enterprise_ids == {firm.id} and facts[0].provider_ids == {prov.id}
    assert facts[0].groups == {"红叶集团"} and facts[0].landing_enterprise_ids == (firm.id,)


@pytest.mark.parametrize("chunk", [1, 5000])
def test_evaluation_panel_reads_participants_from_checkpoints_and_others_from_their_history(
        session: Session, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """Non-participants compare their first and last assessment: the history is read a chunk of rows at
    a time, so with chunks of one row an enterprise's first, middle and last arrive in separate chunks."""
    monkeypatch.setattr(settings, "read_chunk_size", chunk)
    c = b.cluster(session)
    v1, v2 = b.version(session), b.version(session, v="2025.1")
    part, moved, other, once, switched = (b.enterprise(session, c, n) for n in (1, 2, 3, 4, 5))
    sol = b.solution(session, c, "kiln")
    p = b.project(session, c, "窑炉", b.provider(session, c, 1), [part, moved], solution_id=sol.id)
    p.scenarios = ["kiln_control"]
    cps = {cp.kind: cp for cp in session.scalars(select(Checkpoint).where(Checkpoint.project_id == p.id))}
    pd_.link_assessment(session, cps["t0"], b.assess(session, part, v1, 40, 2))
    pd_.link_assessment(session, cps["one_year"], b.assess(session, part, v1, 55, 2, datetime(2026, 3, 1)))
    pd_.link_assessment(session, cps["t0"], b.assess(session, moved, v1, 40, 2))
    pd_.link_assessment(session, cps["one_year"], b.assess(session, moved, v2, 55, 2, datetime(2026, 3, 1)))
    b.assess(session, other, v1, 30, 1)
    b.assess(session, other, v1, 33, 1, datetime(2026, 1, 1))  # in between: neither the first nor the last
    b.assess(session, other, v1, 36, 1, datetime(2026, 3, 1))
    b.assess(session, once, v1, 50, 2)  # one assessment only: no change to measure
    b.assess(session, switched, v1, 50, 2)
    b.assess(session, switched, v2, 58, 2, datetime(2026, 3, 1))  # across versions: left out
    panel, scenarios, solutions = pd_.evaluation_panel(session, c.id, "sme-digital-2024-mfg")
    rows = panel.set_index("enterprise_id")
    assert sorted(rows.index) == sorted([part.id, other.id])
    assert bool(rows.loc[part.id, "participant"]) and rows.loc[part.id, "t1_total"] == 55
    assert not bool(rows.loc[other.id, "participant"]) and rows.loc[other.id, "t1_total"] == 36
    assert rows.loc[other.id, "t0_total"] == 30
    assert scenarios == {"kiln_control": [part.id]} and solutions == {"方案kiln": [part.id]}
    # what a row prints of its firm: the first chain link and the size, for participants and others alike
    other.chain_links, other.size_class = ["firing", "forming"], None
    session.flush()
    rows = pd_.evaluation_panel(session, c.id, "sme-digital-2024-mfg")[0].set_index("enterprise_id")
    assert (rows.at[part.id, "link"], rows.at[part.id, "size_class"]) == ((part.chain_links or ["–"])[0],
                                                                          part.size_class)
    assert (rows.at[other.id, "link"], rows.at[other.id, "size_class"]) == ("firing", "–")


def test_the_panel_made_a_chunk_of_rows_at_a_time_is_the_panel_of_all_rows(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """A census compares most of its firms' first and last assessments: the panel is made into a frame a
    chunk of rows at a time, and gives the frame all the rows at once give, whatever the chunk: the
    columns in the order they first appear, NaN where a firm's assessments lack an indicator."""
    c = b.cluster(session)
    v1 = b.version(session)
    for n, (first, last) in enumerate([({"network": 1.0}, {"network": 2.0}),
                                       ({"network": 1.0, "mes": 3.0}, {"network": 1.5, "mes": 4.0}),
                                       ({"erp": 2.0}, {"erp": 2.5}),
                                       ({"network": 0.5}, {"network": 0.5, "erp": 1.0})], start=1):
        firm = b.enterprise(session, c, n)
        b.assess(session, firm, v1, 30 + n, 1, indicators=first)
        b.assess(session, firm, v1, 40 + n, 2, datetime(2026, 3, 1), indicators=last)
    panels = []
    for chunk in (1, 3, 5000):
        monkeypatch.setattr(pd_._PanelRows, "CHUNK", chunk)
        panels.append(pd_.evaluation_panel(session, c.id, "sme-digital-2024-mfg")[0])
    whole = panels[-1]
    assert list(whole.columns)[-6:] == ["t0_network", "t1_network", "t0_mes", "t1_mes", "t0_erp", "t1_erp"]
    assert whole["t0_mes"].isna().sum() == 3 and whole["t1_total"].tolist() == [41, 42, 43, 44]
    for panel in panels[:-1]:
        pd.testing.assert_frame_equal(panel, whole)


def test_a_submission_linked_before_scoring_counts_once_it_is_scored(session: Session) -> None:
    c = b.cluster(session)
    v1 = b.version(session)
    firm = b.enterprise(session, c, 1)
    p = b.project(session, c, "窑炉", b.provider(session, c, 1), [firm])
    t0 = session.scalars(select(Checkpoint).where(Checkpoint.project_id == p.id, Checkpoint.kind == "t0")).one()
    sub = b.Submission(enterprise_id=firm.id, questionnaire_version_id=v1.id, status="submitted", answers={})
    session.add(sub)
    session.flush()
    session.add(CheckpointAssessment(checkpoint_id=t0.id, enterprise_id=firm.id, submission_id=sub.id,
                                     questionnaire_version_id=v1.id))
    session.flush()
    assert pd_.measurements(session, [p.id]) == {}  # not scored yet: nothing to compare
    assert [f.assessed for f in pd_.checkpoint_facts(session, p.id)] == [0, 0, 0]
    scored = b.Assessment(submission_id=sub.id, submission_revision=1, enterprise_id=firm.id,
                          questionnaire_version_id=v1.id, scorer_version="test", total=47.5, level=2, band_level=2,
                          dimension_scores={}, indicator_scores={}, scenario_levels={}, explanation={})
    session.add(scored)
    session.flush()
    (m,) = pd_.measurements(session, [p.id])[p.id]
    assert (m.checkpoint, m.assessment_id, m.total) == ("t0", scored.id, 47.5)
    assert [f.assessed for f in pd_.checkpoint_facts(session, p.id)] == [1, 0, 0]


def test_indicator_measures_use_the_indicator_tables_metric_names(session: Session) -> None:
    c = b.cluster(session)
    firms = [b.enterprise(session, c, n, tags=["chain_leader"] if n == 1 else []) for n in range(1, 5)]
    prov = b.provider(session, c, 1)
    sol = b.solution(session, c, "kiln")
    b.project(session, c, "窑炉", prov, firms[:2], solution_id=sol.id)
    b.deploy(session, sol, prov, firms[0])
    measured = pd_.indicator_measures(session, c.id)
    assert measured == {"enterprises": 2.0, "chain_leaders": 1.0, "chain_leader_share": 0.5, "providers": 1.0,
                        "deployments": 1.0}
    assert set(measured) <= set(METRICS)
    assert pd_.indicator_measures(session, b.cluster(session, "empty").id)["chain_leader_share"] is None
