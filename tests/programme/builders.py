"""A hand-built pilot: a cluster, enterprises, assessments on two questionnaire versions, providers,
a pool, projects with members and checkpoints, deployments, cases. Every count is known by construction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from diagnostics.store.models import Assessment, Cluster, Enterprise, QuestionnaireVersion, Submission
from diagnostics.store.models_programme import (
    Case,
    Checkpoint,
    Deployment,
    PilotProject,
    PoolSolution,
    ProjectMember,
    Provider,
)
from diagnostics.uscc import make_uscc


def uscc(n: int) -> str:
    return make_uscc(f"91360200{n:08d}X"[:17])


def cluster(s: Session, code: str = "test-ceramics") -> Cluster:
    c = Cluster(code=code, name_zh="测试陶瓷集群", industry="ceramics", pilot_code="jingdezhen-ceramics")
    s.add(c)
    s.flush()
    return c


def version(s: Session, code: str = "sme-digital-2024-mfg", v: str = "2024.1") -> QuestionnaireVersion:
    row = QuestionnaireVersion(code=code, version=v, content_hash=f"hash-{code}-{v}", title_zh="评测",
                               definition={}, source_text="")
    s.add(row)
    s.flush()
    return row


def enterprise(s: Session, c: Cluster, n: int, *, link: str = "forming", size: str = "small",
               tags: list[str] | None = None, group: str | None = None) -> Enterprise:
    e = Enterprise(uscc=uscc(n), name=f"测试企业{n:02d}", cluster_id=c.id, chain_links=[link], size_class=size,
                   tags=tags or [], group_name=group)
    s.add(e)
    s.flush()
    return e


def assess(s: Session, e: Enterprise, qv: QuestionnaireVersion, total: float, level: int,
           when: datetime = datetime(2025, 3, 1), indicators: dict[str, float] | None = None) -> Assessment:
    sub = Submission(enterprise_id=e.id, questionnaire_version_id=qv.id, status="submitted", answers={},
                     submitted_at=when, created_at=when)
    s.add(sub)
    s.flush()
    a = Assessment(submission_id=sub.id, submission_revision=1, enterprise_id=e.id, questionnaire_version_id=qv.id,
                   scorer_version="test", total=total, level=level, band_level=level, dimension_scores={},
                   indicator_scores=indicators or {"network": total / 10}, scenario_levels={}, explanation={},
                   created_at=when)
    s.add(a)
    s.flush()
    return a


def provider(s: Session, c: Cluster | None, n: int, name: str | None = None, **kw: Any) -> Provider:
    p = Provider(cluster_id=c.id if c else None, name=name or f"服务商{n}", uscc=uscc(900 + n), kind="specialised",
                 scenarios=kw.pop("scenarios", []), **kw)
    s.add(p)
    s.flush()
    return p


def solution(s: Session, c: Cluster, code: str, scenarios: list[str] | None = None, **kw: Any) -> PoolSolution:
    sol = PoolSolution(cluster_id=c.id, code=code, name_zh=f"方案{code}", scenarios=scenarios or [], **kw)
    s.add(sol)
    s.flush()
    return sol


def project(s: Session, c: Cluster, name: str, lead: Provider, firms: list[Enterprise], *, year: int = 2025,
            solution_id: int | None = None, invest: float = 150) -> PilotProject:
    p = PilotProject(cluster_id=c.id, name=name, year=year, lead_kind="provider", direction="technology",
                     scenarios=[], solution_id=solution_id, planned_investment_10k=invest,
                     started_on=date(year, 3, 1), ends_on=date(year + 1, 2, 28))
    s.add(p)
    s.flush()
    s.add(ProjectMember(project_id=p.id, role="lead", provider_id=lead.id))
    s.add_all(ProjectMember(project_id=p.id, role="landing", enterprise_id=e.id) for e in firms)
    for kind in ("t0", "half_year", "one_year"):
        s.add(Checkpoint(project_id=p.id, kind=kind))
    s.flush()
    return p


def deploy(s: Session, sol: PoolSolution, prov: Provider, e: Enterprise, *, status: str = "done",
           project_id: int | None = None, replication: bool = False) -> Deployment:
    d = Deployment(solution_id=sol.id, provider_id=prov.id, enterprise_id=e.id, status=status, project_id=project_id,
                   replication=replication)
    s.add(d)
    s.flush()
    return d


def case(s: Session, c: Cluster, e: Enterprise, kind: str = "typical", **kw: Any) -> Case:
    row = Case(cluster_id=c.id, kind=kind, title=kw.pop("title", f"{e.name}案例"), enterprise_id=e.id,
               figures=kw.pop("figures", [{"name": "合格率", "unit": "%", "before": 90, "after": 95}]), **kw)
    s.add(row)
    s.flush()
    return row
