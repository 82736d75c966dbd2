"""Demo records of the pilot programmes, on top of whatever demo enterprises exist.

For each demo cluster: providers of every kind, the solution pool seeded from the taxonomy (flags and
price bands set on part of it), three pilot projects at different checkpoints (one year done; half-year
done; just started), their T0/T1 submissions linked to the checkpoints by submission (the score flow
scores them like every other submission), landing deployments and "1+N" replications, typical and
benchmark cases whose before/after figures are the firms' own T0/T1 totals, and 懂行人. Enterprises are
chosen deterministically (chain leaders first, then by id), and every project passes the programme rules
before it is stored. Seeding twice is a no-op.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from diagnostics.demo import synth_answers
from diagnostics.pilot import targets_for_cluster
from diagnostics.programme.rules import ProjectFacts, check_project
from diagnostics.scoring import score_answers
from diagnostics.store.models import Cluster, Enterprise, Submission
from diagnostics.store.models_programme import (
    PROVIDER_KINDS,
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
)
from diagnostics.store.programme_data import parties_for, project_facts, seed_pool
from diagnostics.store.repo import current_version, definition_of
from diagnostics.taxonomy import load_taxonomy
from diagnostics.uscc import make_uscc

PROVIDER_NAMES = {
    "platform": "{city}工业互联网平台有限公司", "specialised": "{city}智造数字科技有限公司",
    "telecom": "中国电信{city}分公司", "university": "{city}学院数字化转型研究中心",
    "think_tank": "{city}产业发展研究院", "finance": "{city}科技金融服务有限公司",
}
PROJECT_PLAN = (  # (start, checkpoints held, deployment status, replications)
    (date(2025, 3, 1), ("t0", "half_year", "one_year"), "done", 2),
    (date(2025, 9, 1), ("t0", "half_year"), "in_progress", 0),
    (date(2026, 2, 1), ("t0",), "planned", 0),
)
GAIN = {"t0": 0.0, "half_year": 0.12, "one_year": 0.22}  # demo maturity gain of a participant at each checkpoint
SME = "sme-digital-2024-mfg"


def seed_programme_demo(session: Session, *, seed: int = 0) -> dict[str, int]:
    """Add the programme demo to every cluster that has enterprises; returns counts."""
    if session.scalar(select(func.count()).select_from(Provider)):
        return {"created": 0}
    counts = {"providers": 0, "projects": 0, "deployments": 0, "cases": 0, "experts": 0, "submissions": 0}
    for k, cluster in enumerate(session.scalars(select(Cluster).order_by(Cluster.id)).all()):
        ids = list(session.scalars(select(Enterprise.id).where(Enterprise.cluster_id == cluster.id)
                                   .order_by(Enterprise.id)))
        if len(ids) < 12:
            continue
        _cluster(session, cluster, k, seed, counts)
    session.flush()
    return counts


def _providers(session: Session, cluster: Cluster, k: int, scenarios: list[str]) -> list[Provider]:
    city = (cluster.region or cluster.name_zh).replace("省", "·").split("·")[-1].removesuffix("市")
    n = 12 if k == 0 else 6  # Jingdezhen's notice asks for at least 12 (seed 000 四.2)
    out = []
    for i in range(n):
        kind = PROVIDER_KINDS[i % len(PROVIDER_KINDS)]
        suffix = "" if i < len(PROVIDER_KINDS) else f"（第{i // len(PROVIDER_KINDS) + 1}分部）"
        name = PROVIDER_NAMES[kind].format(city=city) + suffix
        served = [scenarios[(i * 3 + j) % len(scenarios)] for j in range(3)]
        code = make_uscc(f"91{360200 + k:06d}MA{i:06d}DM"[:17])
        out.append(Provider(cluster_id=cluster.id, name=name, uscc=code,
                            region=cluster.region, kind=kind, scenarios=served,
                            capability=f"面向{cluster.name_zh}提供{len(served)}个场景的数字化改造服务（演示数据）。",
                            references="演示数据：服务过本集群的试点企业。"))
    session.add_all(out)
    session.flush()
    return out


def _cluster(session: Session, cluster: Cluster, k: int, seed: int, counts: dict[str, int]) -> None:
    taxonomy = load_taxonomy(cluster.industry)
    rules = targets_for_cluster(cluster.pilot_code).programme.rules
    seed_pool(session, cluster, taxonomy)
    pool = list(session.scalars(select(PoolSolution).where(PoolSolution.cluster_id == cluster.id)
                                .order_by(PoolSolution.code)))
    providers = _providers(session, cluster, k, [s.code for s in taxonomy.scenarios])
    counts["providers"] += len(providers)
    bands = ("5万元以下", "5-20万元", "20-50万元", "50万元以上")
    for i, item in enumerate(pool):
        item.provider_id = providers[i % len(providers)].id
        item.standardised, item.reusable, item.low_cost = i % 4 != 3, i % 3 != 2, i % 2 == 0
        item.price_band = bands[i % len(bands)]
    firms = list(session.scalars(select(Enterprise).where(Enterprise.cluster_id == cluster.id)
                                 .order_by(Enterprise.id)))
    leaders = [e for e in firms if "chain_leader" in (e.tags or [])]
    ordered = leaders[:3] + [e for e in firms if e not in leaders[:3]]
    version = current_version(session, SME)
    definition = definition_of(version)
    rng = np.random.default_rng([seed, k, 1010])
    used = 0
    outsiders = ordered[9:]
    for p_index, (start, held, status, replications) in enumerate(PROJECT_PLAN):
        landing = ordered[used:used + 3]
        used += 3
        sol = pool[p_index % len(pool)] if pool else None
        lead = providers[p_index % len(providers)]
        facts = ProjectFacts(f"{sol.name_zh if sol else '场景'}试点项目", start.year, "provider",
                             parties_for(session, [lead.id], [e.id for e in landing]), 120.0 + 40 * p_index,
                             start, start + timedelta(days=364), tuple(e.id for e in landing))
        if check_project(facts, project_facts(session), rules):
            continue  # the demo never stores a project the rules refuse
        project = PilotProject(
            cluster_id=cluster.id, name=facts.name, year=start.year, lead_kind="provider",
            direction=("technology", "chain", "carrier")[p_index], solution_id=sol.id if sol else None,
            scenarios=list(sol.scenarios[:2]) if sol else [], planned_investment_10k=facts.planned_investment_10k,
            started_on=start, ends_on=facts.ends_on)
        session.add(project)
        session.flush()
        counts["projects"] += 1
        session.add(ProjectMember(project_id=project.id, role="lead", provider_id=lead.id))
        session.add_all(ProjectMember(project_id=project.id, role="landing", enterprise_id=e.id) for e in landing)
        maturity = rng.uniform(0.3, 0.6, len(landing))
        scores: dict[int, dict[str, float]] = {}
        planned = facts.planned_investment_10k or 0.0
        for kind, days in (("t0", 0), ("half_year", 182), ("one_year", 364)):
            due = start + timedelta(days=days)
            spent = round(planned * (0.55 if kind == "half_year" else 1.05), 1)
            cp = Checkpoint(project_id=project.id, kind=kind, due_on=due, held_on=due if kind in held else None,
                            actual_investment_10k=spent if kind in held and kind != "t0" else None)
            session.add(cp)
            session.flush()
            if kind not in held:
                continue
            answers = synth_answers(definition, np.clip(maturity + GAIN[kind], 0, 1), seed=seed + 31 * p_index)
            when = datetime.combine(due, datetime.min.time()) + timedelta(hours=10)
            rows = [{"enterprise_id": e.id, "questionnaire_version_id": version.id, "status": "verified",
                     "channel": "field", "answers": a, "revision": 1, "submitted_at": when, "verified_at": when,
                     "created_at": when, "updated_at": when} for e, a in zip(landing, answers, strict=True)]
            sub_ids = list(session.scalars(
                insert(Submission).returning(Submission.id, sort_by_parameter_order=True), rows))
            counts["submissions"] += len(sub_ids)
            # linked by submission: the score flow scores them like every other; the case figures below
            # are the same scorer's totals for these answers, computed here without storing anything
            totals = score_answers(definition, answers)
            session.add_all(CheckpointAssessment(checkpoint_id=cp.id, enterprise_id=e.id, submission_id=sid,
                                                 questionnaire_version_id=version.id)
                            for e, sid in zip(landing, sub_ids, strict=True))
            for i, e in enumerate(landing):
                scores.setdefault(e.id, {})[kind] = float(totals.record(i)["total"])
        if sol is not None:
            for e in landing:
                session.add(Deployment(solution_id=sol.id, provider_id=lead.id, enterprise_id=e.id,
                                       project_id=project.id, status=status, started_on=start,
                                       finished_on=start + timedelta(days=300) if status == "done" else None))
                counts["deployments"] += 1
            for e in outsiders[p_index * 2:p_index * 2 + replications]:
                session.add(Deployment(solution_id=sol.id, provider_id=lead.id, enterprise_id=e.id,
                                       project_id=project.id, replication=True, status="done",
                                       started_on=start + timedelta(days=200)))
                counts["deployments"] += 1
        if p_index == 0 and sol is not None:
            for j, e in enumerate(landing[:3]):
                before, after = scores.get(e.id, {}).get("t0"), scores.get(e.id, {}).get("one_year")
                session.add(Case(cluster_id=cluster.id, kind="benchmark" if j == 0 else "typical",
                                 title=f"{e.name}{sol.name_zh}应用", enterprise_id=e.id,
                                 scenario=sol.scenarios[0] if sol.scenarios else None, solution_id=sol.id,
                                 project_id=project.id,
                                 figures=[{"name": "数字化水平总分", "unit": "分", "before": before, "after": after}],
                                 evidence="T0 与一年期评估记录（现场评定）。"))
                counts["cases"] += 1
    links = [c.code for c in taxonomy.chain_links]
    experts = [Expert(cluster_id=cluster.id, name=f"{surname}工", organisation=f"{cluster.name_zh}行业协会",
                      chain_link=links[i % len(links)], years=12 + 4 * i,
                      experience=f"在{taxonomy.chain_links[i % len(links)].name.zh}环节从业{12 + 4 * i}年（演示）。")
               for i, surname in enumerate(("张", "李", "王"))]
    session.add_all(experts)
    session.flush()
    counts["experts"] += len(experts)
    first = session.scalar(select(PilotProject.id).where(PilotProject.cluster_id == cluster.id)
                           .order_by(PilotProject.id))
    if first is not None:
        session.add(ProjectExpert(project_id=first, expert_id=experts[0].id))

