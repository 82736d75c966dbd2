"""The programme pages: who may open and edit them, and the rules and checks as an official meets them."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
import xlsxwriter
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from diagnostics.pilot import load_targets
from diagnostics.settings import settings
from diagnostics.store.models import AuditLog, Cluster, Enterprise
from diagnostics.store.models_programme import (
    Case,
    Deployment,
    Expert,
    PilotProject,
    PoolSolution,
    ProjectExpert,
    Provider,
)
from diagnostics.store.programme_data import indicator_measures
from diagnostics.taxonomy import load_taxonomy
from survey_app import create_app
from tests.programme import builders as b
from tests.survey_app.survey_helpers import PASSWORD, People, Web


@pytest.fixture
def papp(db_url: str, engine: Engine) -> Iterator[Flask]:
    """The app on the shipped questionnaires, taxonomies and pilot files (the programme rules live there)."""
    load_taxonomy.cache_clear()
    yield create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t", "LOGIN_IP_LIMIT": 50})


@pytest.fixture
def pilot(session: Session) -> dict[str, object]:
    c = b.cluster(session)
    firms = [b.enterprise(session, c, n) for n in range(1, 6)]
    prov = b.provider(session, c, 1, name="窑联科技")
    sol = b.solution(session, c, "kiln", scenarios=[load_taxonomy("ceramics").scenarios[0].code])
    session.commit()
    return {"cluster": c, "firms": firms, "provider": prov, "solution": sol}


def login(papp: Flask, people: People, username: str, role: str, cluster: Cluster | None = None) -> Web:
    user = people.user(username, role)
    if cluster is not None:
        user.cluster_id = cluster.id
        people.session.commit()
    web = Web(papp.test_client())
    assert web.login(username, PASSWORD).status_code == 302
    return web


def project_data(name: str, provider: Provider, landing: str, year: int = 2025) -> dict[str, object]:
    return {"name": name, "year": year, "lead_kind": "provider", "direction": "technology", "solution_id": 0,
            "providers": [provider.id], "landing": landing, "members": "", "planned_investment_10k": "150",
            "started_on": f"{year}-03-01", "ends_on": f"{year + 1}-02-28"}


def test_a_second_project_for_a_manufacturer_in_the_same_year_is_refused_on_the_page(
        papp: Flask, people: People, session: Session, pilot: dict[str, object]) -> None:
    web = login(papp, people, "official", "admin")
    c, firms, prov = pilot["cluster"], pilot["firms"], pilot["provider"]
    assert isinstance(c, Cluster) and isinstance(prov, Provider) and isinstance(firms, list)
    web.get(f"/programme/projects/new?cluster={c.code}")
    first = web.post(f"/programme/projects/new?cluster={c.code}",
                     project_data("窑炉智能控制", prov, f"{firms[0].uscc}\n{firms[1].uscc}"))
    assert first.status_code == 302
    web.get(f"/programme/projects/new?cluster={c.code}")
    second = web.post(f"/programme/projects/new?cluster={c.code}", project_data("釉料优化", prov, firms[1].uscc))
    html = second.get_data(as_text=True)
    assert second.status_code == 200 and "不符合试点规则，未保存" in html
    assert f"制造业企业“{firms[1].name}”2025年已参加项目“窑炉智能控制”" in html
    assert session.scalar(select(func.count()).select_from(PilotProject)) == 1
    later = web.post(f"/programme/projects/new?cluster={c.code}",
                     project_data("釉料优化", prov, firms[1].uscc, year=2026))
    assert later.status_code == 302  # the next year is allowed
    page = web.html(later.headers["Location"])
    assert "釉料优化" in page and "T0 项目启动" in page and "项目验收表" in page


def test_bad_credit_codes_are_named_line_by_line(papp: Flask, people: People, pilot: dict[str, object]) -> None:
    web = login(papp, people, "official", "admin")
    c, prov = pilot["cluster"], pilot["provider"]
    assert isinstance(c, Cluster) and isinstance(prov, Provider)
    web.get(f"/programme/projects/new?cluster={c.code}")
    html = web.post(f"/programme/projects/new?cluster={c.code}",
                    project_data("x", prov, "91360200ABC\n913602000000000000")).get_data(as_text=True)
    assert "91360200ABC" in html and "913602000000000000" in html
    web.get(f"/programme/providers/new?cluster={c.code}")
    bad = web.post(f"/programme/providers/new?cluster={c.code}",
                   {"name": "某服务商", "uscc": "91360200MA00000000", "kind": "specialised"})
    assert bad.status_code == 200 and "校验" in bad.get_data(as_text=True)


def test_a_replication_must_be_the_projects_own_solution(papp: Flask, people: People, session: Session,
                                                         pilot: dict[str, object]) -> None:
    c, firms, prov, sol = pilot["cluster"], pilot["firms"], pilot["provider"], pilot["solution"]
    assert isinstance(c, Cluster) and isinstance(prov, Provider) and isinstance(firms, list)
    other = b.solution(session, c, "glaze")
    project = b.project(session, c, "窑炉", prov, firms[:1], solution_id=sol.id)  # type: ignore[attr-defined]
    session.commit()
    web = login(papp, people, "official", "admin")
    web.get(f"/programme/deployments/new?cluster={c.code}")
    form = {"solution_id": other.id, "provider_id": prov.id, "enterprise_uscc": firms[3].uscc,
            "project_id": project.id, "replication": "y", "status": "done"}
    refused = web.post(f"/programme/deployments/new?cluster={c.code}", form)
    assert refused.status_code == 200 and "须部署本项目的解决方案" in refused.get_data(as_text=True)
    ok = web.post(f"/programme/deployments/new?cluster={c.code}", {**form, "solution_id": sol.id})  # type: ignore[attr-defined]
    assert ok.status_code == 302
    assert session.scalar(select(func.count()).select_from(Deployment).where(Deployment.replication)) == 1


def test_who_may_open_and_edit(papp: Flask, people: People, session: Session, pilot: dict[str, object]) -> None:
    c = pilot["cluster"]
    assert isinstance(c, Cluster)
    viewer = login(papp, people, "expert", "viewer")
    assert viewer.get(f"/programme/?cluster={c.code}").status_code == 200
    assert viewer.get(f"/programme/providers/new?cluster={c.code}").status_code == 403
    assert 'href="/programme/"' in viewer.html("/admin/enterprises")  # the navigation links it
    commissioner = login(papp, people, "comm", "commissioner")
    assert commissioner.get("/programme/").status_code == 403
    assert 'href="/programme/"' not in commissioner.html("/field/")
    other = b.cluster(session, "other")
    session.commit()
    city = login(papp, people, "city", "admin", cluster=other)
    assert city.get(f"/programme/?cluster={c.code}").status_code == 403
    provider = pilot["provider"]
    assert isinstance(provider, Provider)
    assert city.get(f"/programme/providers/{provider.id}/edit").status_code == 404  # as not there


def test_the_handbook_downloads_as_word_and_excel(papp: Flask, people: People, pilot: dict[str, object]) -> None:
    c = pilot["cluster"]
    assert isinstance(c, Cluster)
    web = login(papp, people, "expert", "viewer")
    word = web.get(f"/programme/handbook.docx?cluster={c.code}")
    assert word.status_code == 200
    document = docx.Document(io.BytesIO(word.data))
    assert document.paragraphs[0].text == "测试陶瓷集群服务商能力手册"
    assert web.get(f"/programme/handbook.xlsx?cluster={c.code}").data[:2] == b"PK"
    nothing_yet = web.get(f"/programme/research-report.docx?cluster={c.code}")
    assert nothing_yet.status_code == 302  # no portraits snapshot yet: back to the overview with a message
    assert "请先运行流水线" in web.html(nothing_yet.headers["Location"])




def test_provider_import_is_all_or_nothing(papp: Flask, people: People, session: Session,
                                            pilot: dict[str, object]) -> None:
    c = pilot["cluster"]
    assert isinstance(c, Cluster)
    web = login(papp, people, "official", "admin")
    web.get(f"/programme/providers?cluster={c.code}")
    before = session.scalar(select(func.count()).select_from(Provider))
    good = b.uscc(777)
    bad_file = _xlsx([["服务商名称", "统一社会信用代码"], ["新服务商", good], ["坏代码服务商", "123"]])
    refused = web.post(f"/programme/providers/import?cluster={c.code}",
                       {"file": (io.BytesIO(bad_file), "providers.xlsx")}, content_type="multipart/form-data")
    assert refused.status_code == 400 and "未导入" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Provider)) == before
    ok = web.post(f"/programme/providers/import?cluster={c.code}",
                  {"file": (io.BytesIO(_xlsx([["服务商名称", "统一社会信用代码"], ["新服务商", good]])), "p.xlsx")},
                  content_type="multipart/form-data")
    assert ok.status_code == 302
    assert session.scalar(select(Provider.name).where(Provider.uscc == good)) == "新服务商"


def _xlsx(rows: list[list[object]]) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    for r, row in enumerate(rows):
        ws.write_row(r, 0, row)
    wb.close()
    return buf.getvalue()


def _typed(pilot: dict[str, object]) -> tuple[Cluster, list[Enterprise], Provider, PoolSolution]:
    c, firms, prov, sol = pilot["cluster"], pilot["firms"], pilot["provider"], pilot["solution"]
    assert isinstance(c, Cluster) and isinstance(prov, Provider) and isinstance(sol, PoolSolution)
    assert isinstance(firms, list)
    return c, firms, prov, sol


def _sheet_value(html: str, label: str) -> str:
    """The 'actual' cell of the overview's acceptance-sheet row named ``label``."""
    found = re.search(rf"<td>{re.escape(label)}</td><td>([^<]*)</td>", html)
    assert found, label
    return found.group(1)


def test_editing_a_deployment_a_case_and_a_person_changes_the_pages_and_the_indicator_table(
        papp: Flask, people: People, session: Session, pilot: dict[str, object]) -> None:
    c, firms, prov, sol = _typed(pilot)
    dep = b.deploy(session, sol, prov, firms[0])
    case = b.case(session, c, firms[1])
    person = Expert(cluster_id=c.id, name="王师傅")
    session.add(person)
    session.commit()
    web = login(papp, people, "official", "admin", cluster=c)
    label = "解决方案和产品应用实施（个）"
    assert _sheet_value(web.html(f"/programme/?cluster={c.code}"), label) == "1"
    assert indicator_measures(session, c.id)["deployments"] == 1.0

    form = web.html(f"/programme/deployments/{dep.id}/edit")
    assert firms[0].uscc in form and f"现为：{firms[0].name}" in form and "删除此记录" in form  # code and name
    saved = web.post(f"/programme/deployments/{dep.id}/edit",
                     {"solution_id": sol.id, "provider_id": prov.id, "enterprise_uscc": firms[0].uscc,
                      "project_id": 0, "status": "cancelled", "started_on": "2025-04-01"})
    assert saved.status_code == 302
    assert "已取消" in web.html(f"/programme/solutions?cluster={c.code}")
    assert _sheet_value(web.html(f"/programme/?cluster={c.code}"), label) == "0"  # a cancelled one does not count
    session.expire_all()
    assert indicator_measures(session, c.id)["deployments"] == 0.0
    edit = session.scalars(select(AuditLog).where(AuditLog.entity == "deployment", AuditLog.action == "edit")).one()
    assert edit.details["changes"]["status"] == ["done", "cancelled"]

    web.get(f"/programme/cases/{case.id}/edit")
    assert web.post(f"/programme/cases/{case.id}/edit",
                    {"kind": "benchmark", "title": "窑炉改造标杆", "enterprise_uscc": firms[1].uscc, "scenario": "",
                     "solution_id": 0, "figure_name": "能耗", "figure_unit": "吨", "before": "10", "after": "8"}
                    ).status_code == 302
    cases_page = web.html(f"/programme/cases?cluster={c.code}")
    assert "窑炉改造标杆" in cases_page and "标杆案例" in cases_page and "能耗" in cases_page
    web.get(f"/programme/experts/{person.id}/edit")
    assert web.post(f"/programme/experts/{person.id}/edit", {"name": "王建国", "chain_link": "", "years": "31"}
                    ).status_code == 302
    assert "王建国" in web.html(f"/programme/experts?cluster={c.code}")
    assert "31" in web.html(f"/programme/experts/{person.id}")


def test_deleting_is_for_the_clusters_editors_only_and_refused_while_something_depends_on_it(
        papp: Flask, people: People, session: Session, pilot: dict[str, object]) -> None:
    c, firms, prov, sol = _typed(pilot)
    dep = b.deploy(session, sol, prov, firms[0])
    case = b.case(session, c, firms[0], solution_id=sol.id, title="窑炉节能案例")  # records what `dep` achieved
    project = b.project(session, c, "窑炉智能控制", prov, firms[:1])
    person = Expert(cluster_id=c.id, name="王师傅")
    session.add(person)
    session.flush()
    session.add(ProjectExpert(project_id=project.id, expert_id=person.id))
    other = b.cluster(session, "other")
    session.commit()
    dep_id, case_id, firm_id = dep.id, case.id, firms[0].id
    url = f"/programme/deployments/{dep_id}/delete"

    viewer = login(papp, people, "expert", "viewer", cluster=c)
    assert viewer.get(url).status_code == 403 and viewer.post(url).status_code == 403  # sees it, may not delete
    city = login(papp, people, "city", "admin", cluster=other)
    assert city.get(url).status_code == city.post(url).status_code == 404  # another cluster's: as not there
    assert city.post(f"/programme/cases/{case.id}/delete").status_code == 404
    admin = login(papp, people, "official", "admin", cluster=c)
    assert admin.get("/programme/deployments/99999999999/delete").status_code == 404
    assert admin.post(url, csrf=False).status_code == 400

    refused = admin.post(url)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "不能删除" in html and "案例“窑炉节能案例”记录了这次应用实施的成效" in html
    assert "确认删除" not in admin.html(url)  # the confirmation is not even offered
    held = admin.post(f"/programme/experts/{person.id}/delete")
    assert held.status_code == 409 and "此人已加入试点项目“窑炉智能控制”" in held.get_data(as_text=True)
    assert session.get(Deployment, dep_id) is not None and session.get(Expert, person.id) is not None
    person_id = person.id
    assert admin.post(f"/programme/projects/{project.id}/experts/remove", {"expert_id": person_id}
                      ).status_code == 302  # what the refusal asks for; then the person may go
    assert admin.post(f"/programme/experts/{person_id}/delete").status_code == 302

    assert "确认删除" in admin.html(f"/programme/cases/{case.id}/delete")
    gone = admin.post(f"/programme/cases/{case.id}/delete")
    assert gone.status_code == 302 and "已删除案例：窑炉节能案例" in admin.html(gone.headers["Location"])
    assert admin.post(url).status_code == 302  # nothing refers to the deployment any more
    session.expire_all()
    assert session.get(Deployment, dep_id) is None and session.get(Case, case_id) is None
    assert session.get(Expert, person_id) is None
    deleted = session.scalars(select(AuditLog).where(AuditLog.action == "delete"))
    trail = {a.entity: a.details["record"] for a in deleted}
    assert trail["case"]["title"] == "窑炉节能案例" and trail["deployment"]["enterprise_id"] == firm_id


def _own_pilot_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session: Session, c: Cluster,
                    extra: str) -> None:
    """Give cluster ``c`` a pilot file of its own (the shipped definitions beside it), ending in ``extra``."""
    shipped = settings.questionnaire_dir
    for entry in shipped.iterdir():
        if entry.name != "targets":
            (tmp_path / entry.name).symlink_to(entry)
    (tmp_path / "targets").mkdir()
    for name in ("shandong-gongfu-2024.yaml", "jingdezhen-ceramics.yaml"):
        (tmp_path / "targets" / name).symlink_to(shipped / "targets" / name)
    (tmp_path / "targets" / "own-pilot.yaml").write_text(
        "code: own-pilot\ntitle: 淄博陶瓷集群\ntaxonomy: ceramics\nquestionnaire: sme-digital-2024-mfg\n"
        "shortlist: {size: 10}\n" + extra, encoding="utf-8")
    monkeypatch.setattr(settings, "questionnaire_dir", tmp_path)
    load_targets.cache_clear()
    c.pilot_code = "own-pilot"
    session.commit()


def test_acceptance_checkpoints_come_from_the_pilot_file(
        papp: Flask, people: People, session: Session, pilot: dict[str, object], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A pilot accepting once, at one year (as Shandong 2025, seed 004 三.(四)): no half-year checkpoint."""
    c, firms, prov, _ = _typed(pilot)
    _own_pilot_file(tmp_path, monkeypatch, session, c, "programme:\n  rules:\n    acceptance_checkpoints: [one_year]\n")
    web = login(papp, people, "official", "admin")
    try:
        web.get(f"/programme/projects/new?cluster={c.code}")
        saved = web.post(f"/programme/projects/new?cluster={c.code}", project_data("窑炉智能控制", prov, firms[0].uscc))
        assert saved.status_code == 302
        page = web.html(saved.headers["Location"])
        assert "T0 项目启动" in page and "T1 一年期" in page and "T1 半年期" not in page
    finally:
        load_targets.cache_clear()


def test_a_shandong_cluster_is_held_to_the_province_programmes_rules(
        papp: Flask, people: People, session: Session, pilot: dict[str, object], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A cluster whose pilot file names ``programme_from: shandong-gongfu-2024``: the project page refuses
    what the Shandong notice refuses (a second project for a firm in a year, less than 100万元)."""
    c, firms, prov, _ = _typed(pilot)
    _own_pilot_file(tmp_path, monkeypatch, session, c, "programme_from: shandong-gongfu-2024\n")
    web = login(papp, people, "official", "admin")
    try:
        web.get(f"/programme/projects/new?cluster={c.code}")
        small = web.post(f"/programme/projects/new?cluster={c.code}",
                         {**project_data("窑炉智能控制", prov, firms[0].uscc), "planned_investment_10k": "80"})
        assert small.status_code == 200 and "预期投入不少于100万元，本项目为80万元" in small.get_data(as_text=True)
        assert web.post(f"/programme/projects/new?cluster={c.code}",
                        project_data("窑炉智能控制", prov, firms[0].uscc)).status_code == 302
        second = web.post(f"/programme/projects/new?cluster={c.code}", project_data("釉料优化", prov, firms[0].uscc))
        assert "每家制造业企业每年最多参加1个项目" in second.get_data(as_text=True)
        assert session.scalar(select(func.count()).select_from(PilotProject)) == 1
    finally:
        load_targets.cache_clear()
