"""The access matrix, generated from one table: every route of the URL map × every method × every kind
of person (incl. a city admin and a viewer of another cluster and a commissioner not assigned).

The expected answers come from ``ROUTES``: an area page expects what ``diagnostics.roles.AREAS`` grants
(read here, not repeated), a page about enterprise E what the person's relation to E allows. "ok" is a
page, a redirect inside the site or a form's own validation answer (400); "login" a redirect to log in.
POSTs carry a valid CSRF token, so a refusal is the access check; a refused POST must change nothing in
the database. A route added to the app without a row here fails the test.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from diagnostics.pilot import load_targets
from diagnostics.roles import AREAS, role_of
from diagnostics.settings import ROOT, settings
from diagnostics.store import cluster_data, console
from diagnostics.store.models import Assessment, Assignment, Base, Cluster, Evidence, User
from diagnostics.store.models_programme import (
    Case,
    Checkpoint,
    Deployment,
    Expert,
    PilotProject,
    PoolSolution,
    Provider,
)
from diagnostics.store.visits import evidence_path, open_visit
from diagnostics.taxonomy import load_taxonomy
from survey_app.diagnosis import charts
from tests.survey_app.survey_helpers import FIXTURES, People, Web, fill_all, start_survey, submit

# who each person is: (role, enterprise, cluster); "E" is the enterprise the object routes name (cluster jdz)
PERSONS: dict[str, tuple[str | None, str | None, str | None]] = {
    "anonymous": (None, None, None),
    "owner": ("enterprise", "E", None),
    "other_enterprise": ("enterprise", "other", None),
    "commissioner_assigned": ("commissioner", None, None),
    "commissioner_unassigned": ("commissioner", None, None),
    "admin_province": ("admin", None, None),
    "admin_city": ("admin", None, "jdz"),
    "admin_other_city": ("admin", None, "sg"),
    "viewer_other_city": ("viewer", None, "sg"),
    "viewer_province": ("viewer", None, None),
}
PEOPLE = tuple(PERSONS)
JDZ, SG = "jingdezhen-ceramics", "shaoguan-nonferrous"

# a person's relation to E (scope lives in survey_app.access; these are the people the world makes)
SEES = {"owner", "commissioner_assigned", "admin_province", "admin_city", "viewer_province"}
ANSWERS = {"owner", "commissioner_assigned"}
MANAGES = {"owner", "admin_province", "admin_city"}
VERIFIES = {"commissioner_assigned"}
OTHER_CLUSTER = {p for p, (_, _, c) in PERSONS.items() if c == "sg"}
Expect = dict[str, str]


def area(name: str, *, about_e: bool = False, cluster_404: bool = False) -> Expect:
    """An area page: ok for the roles ``AREAS[name]`` lists, 403 for other roles, log in first when
    anonymous. ``about_e``: the page also names E, so an allowed role that does not see E gets 404;
    ``cluster_404``: it names cluster jdz, which officials of another cluster do not see (404)."""
    allowed = AREAS[name]
    out: Expect = {}
    for person, (role, _, _) in PERSONS.items():
        found = role_of(role)
        if found is None:
            out[person] = "login"
        elif found not in allowed:
            out[person] = "403"
        elif (about_e and person not in SEES) or (cluster_404 and person in OTHER_CLUSTER):
            out[person] = "404"
        else:
            out[person] = "ok"
    return out


def about_e(allowed: set[str]) -> Expect:
    """A page about E: ok for ``allowed``, 403 for those who see E but may not do this, the same 404 as
    a missing row for everyone who does not see E."""
    return {p: "login" if p == "anonymous" else "ok" if p in allowed else "403" if p in SEES else "404"
            for p in PEOPLE}


SIGNED_IN: Expect = {p: "login" if p == "anonymous" else "ok" for p in PEOPLE}
PUBLIC: Expect = dict.fromkeys(PEOPLE, "ok")
# a visit is the commissioner's own: everyone else gets the 404 of a missing visit
OWN_VISIT: Expect = {p: "login" if p == "anonymous" else "ok" if p in VERIFIES else
                     "403" if role_of(PERSONS[p][0]) not in AREAS["field"] else "404" for p in PEOPLE}
# no pipeline has run in this world: the cluster workbook is missing for those allowed (404), refused to others
NO_REPORT_YET = {p: "404" if v == "ok" else v for p, v in area("dashboard", cluster_404=True).items()}
ON_SITE = area("field", about_e=True)  # verify, review: the field area, and only for E's own commissioner

# (method, rule) -> (url to request, expected per person). {e} E, {s} its submitted questionnaire, {d} its
# draft, {a} the assessment, {v} the assigned commissioner's visit to E, {ev} evidence on {s}, {asg} the
# assignment, {u} a commissioner of cluster jdz, {prj}/{prv}/{sol} programme records of cluster jdz, {dep} a
# deployment in E that the case {case} records (so deleting it is refused, 409), {exp} a 懂行人 of jdz.
ROUTES: dict[tuple[str, str], tuple[str, Expect]] = {
    ("GET", "/"): ("/", SIGNED_IN),
    ("GET", "/login"): ("/login", PUBLIC),
    ("GET", "/register"): ("/register", PUBLIC),
    ("GET", "/size-class"): ("/size-class?employees=10&revenue=100&industry=3074", PUBLIC),
    ("GET", "/static/<path:filename>"): ("/static/app.css", PUBLIC),
    ("GET", "/assets/plotly-<version>.min.js"): ("/assets/plotly-{plotly}.min.js", PUBLIC),
    ("POST", "/lang"): ("/lang", PUBLIC),
    ("GET", "/account/password"): ("/account/password", SIGNED_IN),
    ("POST", "/account/password"): ("/account/password", SIGNED_IN),
    # enterprises, questionnaires, diagnoses
    ("GET", "/enterprises/<int:enterprise_id>"): ("/enterprises/{e}", about_e(SEES)),
    ("GET", "/enterprises/<int:enterprise_id>/edit"): ("/enterprises/{e}/edit", about_e(MANAGES)),
    ("POST", "/enterprises/<int:enterprise_id>/edit"): ("/enterprises/{e}/edit", about_e(MANAGES)),
    ("GET", "/enterprises/<int:enterprise_id>/history"): ("/enterprises/{e}/history", about_e(SEES)),
    ("GET", "/enterprises/<int:enterprise_id>/workbook.xlsx"): ("/enterprises/{e}/workbook.xlsx", about_e(SEES)),
    ("POST", "/enterprises/<int:enterprise_id>/questionnaires/<code>/start"): (
        "/enterprises/{e}/questionnaires/mini-survey/start", about_e(ANSWERS)),
    ("GET", "/submissions/<int:submission_id>"): ("/submissions/{s}", about_e(SEES)),
    ("GET", "/submissions/<int:submission_id>/diagnosis"): ("/submissions/{s}/diagnosis", about_e(SEES)),
    ("GET", "/assessments/<int:assessment_id>"): ("/assessments/{a}", about_e(SEES)),
    ("GET", "/submissions/<int:submission_id>/pages/<int:page>"): ("/submissions/{d}/pages/1", about_e(ANSWERS)),
    ("POST", "/submissions/<int:submission_id>/pages/<int:page>"): ("/submissions/{d}/pages/1", about_e(ANSWERS)),
    ("POST", "/submissions/<int:submission_id>/pages/<int:page>/autosave"): (
        "/submissions/{d}/pages/1/autosave", about_e(ANSWERS)),
    ("GET", "/submissions/<int:submission_id>/review"): ("/submissions/{d}/review", about_e(ANSWERS)),
    ("GET", "/submissions/<int:submission_id>/changes"): ("/submissions/{d}/changes", about_e(ANSWERS)),
    ("POST", "/submissions/<int:submission_id>/submit"): ("/submissions/{d}/submit", about_e(ANSWERS)),
    ("POST", "/submissions/<int:submission_id>/upgrade"): ("/submissions/{d}/upgrade", about_e(ANSWERS)),
    ("POST", "/submissions/<int:submission_id>/verify"): ("/submissions/{s}/verify", ON_SITE),
    # field work
    ("GET", "/field/"): ("/field/", area("field")),
    ("GET", "/field/sw.js"): ("/field/sw.js", PUBLIC),
    ("GET", "/field/board"): ("/field/board", area("progress")),
    ("POST", "/field/enterprises/<int:enterprise_id>/visit"): ("/field/enterprises/{e}/visit",
                                                               area("field", about_e=True)),
    ("POST", "/field/submissions/<int:submission_id>/review"): ("/field/submissions/{s}/review", ON_SITE),
    ("GET", "/field/visits/<int:visit_id>"): ("/field/visits/{v}", OWN_VISIT),
    ("POST", "/field/visits/<int:visit_id>/answers/<question_id>"): ("/field/visits/{v}/answers/net", OWN_VISIT),
    ("POST", "/field/visits/<int:visit_id>/answers/<question_id>/evidence"): (
        "/field/visits/{v}/answers/net/evidence", OWN_VISIT),
    ("POST", "/field/visits/<int:visit_id>/notes"): ("/field/visits/{v}/notes", OWN_VISIT),
    ("POST", "/field/visits/<int:visit_id>/sync"): ("/field/visits/{v}/sync", OWN_VISIT),
    ("POST", "/field/visits/<int:visit_id>/sign"): ("/field/visits/{v}/sign", OWN_VISIT),
    ("POST", "/field/visits/<int:visit_id>/experts"): ("/field/visits/{v}/experts", OWN_VISIT),
    ("POST", "/field/visits/<int:visit_id>/experts/remove"): ("/field/visits/{v}/experts/remove", OWN_VISIT),
    ("GET", "/evidence/<int:evidence_id>"): ("/evidence/{ev}", about_e(SEES)),
    # administration
    ("GET", "/admin/enterprises"): ("/admin/enterprises", area("enterprise_list")),
    ("GET", "/admin/enterprises/<int:enterprise_id>/assignments"): (
        "/admin/enterprises/{e}/assignments", area("assignments", about_e=True)),
    ("POST", "/admin/enterprises/<int:enterprise_id>/assignments"): (
        "/admin/enterprises/{e}/assignments", area("assignments", about_e=True)),
    ("POST", "/admin/enterprises/<int:enterprise_id>/assignments/<int:assignment_id>/remove"): (
        "/admin/enterprises/{e}/assignments/{asg}/remove", area("assignments", about_e=True)),
    ("GET", "/admin/users"): ("/admin/users", area("accounts")),
    ("POST", "/admin/users"): ("/admin/users", area("accounts")),
    ("GET", "/admin/users/<int:user_id>"): ("/admin/users/{u}", area("accounts", cluster_404=True)),
    ("POST", "/admin/users/<int:user_id>"): ("/admin/users/{u}", area("accounts", cluster_404=True)),
    ("POST", "/admin/users/<int:user_id>/password"): ("/admin/users/{u}/password",
                                                      area("accounts", cluster_404=True)),
    ("GET", "/admin/roster/"): ("/admin/roster/", area("roster")),
    ("POST", "/admin/roster/"): ("/admin/roster/", area("roster")),
    ("POST", "/admin/roster/confirm"): ("/admin/roster/confirm", area("roster")),
    ("GET", "/admin/assign"): ("/admin/assign", area("assignments")),
    ("POST", "/admin/assign"): ("/admin/assign", area("assignments")),
    ("GET", "/admin/audit"): ("/admin/audit", area("audit")),
    ("GET", "/admin/audit.xlsx"): ("/admin/audit.xlsx", area("audit")),
    # the cluster dashboard
    ("GET", "/dashboard/"): ("/dashboard/", area("dashboard")),
    ("GET", "/dashboard/map"): ("/dashboard/map", area("dashboard")),
    ("GET", "/dashboard/map/cell"): ("/dashboard/map/cell", area("dashboard")),
    ("GET", "/dashboard/needs"): ("/dashboard/needs", area("dashboard")),
    ("GET", "/dashboard/shortlist"): ("/dashboard/shortlist", area("dashboard")),
    ("GET", "/dashboard/downloads"): ("/dashboard/downloads", area("dashboard")),
    ("GET", "/dashboard/enterprises"): ("/dashboard/enterprises", area("dashboard")),
    ("GET", "/dashboard/enterprises/export.<fmt>"): ("/dashboard/enterprises/export.csv", area("dashboard")),
    ("GET", "/dashboard/enterprises/<int:enterprise_id>"): ("/dashboard/enterprises/{e}", about_e(SEES)),
    ("GET", "/dashboard/enterprises/<int:enterprise_id>/workbook.xlsx"): (
        "/dashboard/enterprises/{e}/workbook.xlsx", area("dashboard", about_e=True)),
    ("GET", "/dashboard/workbooks.zip"): ("/dashboard/workbooks.zip", area("dashboard")),
    ("GET", "/dashboard/technical"): ("/dashboard/technical", area("technical")),
    ("GET", "/dashboard/run/state"): ("/dashboard/run/state", area("dashboard")),
    ("POST", "/dashboard/run"): ("/dashboard/run", area("pilot_decisions")),
    ("GET", "/dashboard/<cluster_code>/history"): (f"/dashboard/{JDZ}/history", area("technical", cluster_404=True)),
    ("GET", "/dashboard/<cluster_code>/workbook.xlsx"): (f"/dashboard/{JDZ}/workbook.xlsx", NO_REPORT_YET),
    ("GET", "/dashboard/<cluster_code>/answers.<fmt>"): (f"/dashboard/{JDZ}/answers.csv",
                                                         area("dashboard", cluster_404=True)),
    ("GET", "/dashboard/<cluster_code>/participants.<fmt>"): (f"/dashboard/{JDZ}/participants.csv",
                                                              area("dashboard", cluster_404=True)),
    ("POST", "/dashboard/<cluster_code>/shortlist/pins"): (f"/dashboard/{JDZ}/shortlist/pins",
                                                           area("pilot_decisions", cluster_404=True)),
    ("POST", "/dashboard/<cluster_code>/shortlist/rerun"): (f"/dashboard/{JDZ}/shortlist/rerun",
                                                            area("pilot_decisions", cluster_404=True)),
    # pilot programmes
    ("GET", "/programme/"): ("/programme/", area("programme")),
    ("GET", "/programme/providers"): ("/programme/providers", area("programme")),
    ("GET", "/programme/solutions"): ("/programme/solutions", area("programme")),
    ("GET", "/programme/projects"): ("/programme/projects", area("programme")),
    ("GET", "/programme/cases"): ("/programme/cases", area("programme")),
    ("GET", "/programme/experts"): ("/programme/experts", area("programme")),
    ("GET", "/programme/evaluation"): ("/programme/evaluation", area("programme")),
    ("GET", "/programme/handbook.<fmt>"): ("/programme/handbook.docx", area("programme")),
    ("GET", "/programme/research-report.docx"): ("/programme/research-report.docx", area("programme")),
    ("GET", "/programme/survey-report.docx"): ("/programme/survey-report.docx", area("programme")),
    ("GET", "/programme/projects/<int:project_id>"): ("/programme/projects/{prj}",
                                                      area("programme", cluster_404=True)),
    ("GET", "/programme/experts/<int:expert_id>"): ("/programme/experts/{exp}", area("programme", cluster_404=True)),
    **{(m, rule): (url, area("programme_edit", cluster_404=True)) for m in ("GET", "POST")
       for rule, url in (("/programme/deployments/<int:deployment_id>/edit", "/programme/deployments/{dep}/edit"),
                         ("/programme/cases/<int:case_id>/edit", "/programme/cases/{case}/edit"),
                         ("/programme/experts/<int:expert_id>/edit", "/programme/experts/{exp}/edit"),
                         ("/programme/<any(deployments, cases, experts):kind>/<int:row_id>/delete",
                          "/programme/deployments/{dep}/delete"))},
    **{(m, rule): (url, area("programme_edit", cluster_404="<int:" in rule)) for m in ("GET", "POST")
       for rule, url in (("/programme/providers/new", "/programme/providers/new"),
                         ("/programme/providers/<int:provider_id>/edit", "/programme/providers/{prv}/edit"),
                         ("/programme/solutions/new", "/programme/solutions/new"),
                         ("/programme/solutions/<int:solution_id>/edit", "/programme/solutions/{sol}/edit"),
                         ("/programme/projects/new", "/programme/projects/new"),
                         ("/programme/projects/<int:project_id>/edit", "/programme/projects/{prj}/edit"),
                         ("/programme/projects/<int:project_id>/checkpoints/<kind>",
                          "/programme/projects/{prj}/checkpoints/t0"),
                         ("/programme/cases/new", "/programme/cases/new"),
                         ("/programme/deployments/new", "/programme/deployments/new"),
                         ("/programme/experts/new", "/programme/experts/new"))},
    ("POST", "/programme/providers/import"): ("/programme/providers/import", area("programme_edit")),
    ("POST", "/programme/solutions/seed"): ("/programme/solutions/seed", area("programme_edit")),
    ("POST", "/programme/projects/<int:project_id>/experts"): ("/programme/projects/{prj}/experts",
                                                               area("programme_edit", cluster_404=True)),
    ("POST", "/programme/projects/<int:project_id>/experts/remove"): ("/programme/projects/{prj}/experts/remove",
                                                                      area("programme_edit", cluster_404=True)),
    ("POST", "/programme/projects/<int:project_id>/items"): ("/programme/projects/{prj}/items",
                                                             area("programme_edit", cluster_404=True)),
}
# the session's own doors, tested with real credentials in test_trust_sessions / test_trust_login
# (a POST here would log the person out or in as someone else, and end the sweep)
NOT_SWEPT = {("POST", "/login"), ("POST", "/register"), ("POST", "/logout")}
# run last: they change what the other rows see (the draft submitted, the visit signed, E unassigned)
LAST = ("/submit", "/sign", "/remove", "/verify", "/review", "/password")


@pytest.fixture
def questionnaire_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The test questionnaire and taxonomy (as every web test has them) plus the two clusters' pilot
    targets, pointed at it, so the pages that print targets (workbooks, dashboard) answer too."""
    path = tmp_path / "questionnaires"
    shutil.copytree(FIXTURES / "questionnaires", path)
    (path / "targets").mkdir()
    for shipped_taxonomy in (ROOT / "questionnaires" / "taxonomy").glob("*.yaml"):
        if not (path / "taxonomy" / shipped_taxonomy.name).exists():
            shutil.copy(shipped_taxonomy, path / "taxonomy")
    for code in (JDZ, SG):
        shipped = yaml.safe_load((ROOT / "questionnaires" / "targets" / f"{code}.yaml").read_text(encoding="utf-8"))
        shipped.update(questionnaire="mini-survey", modules=[])
        (path / "targets" / f"{code}.yaml").write_text(yaml.safe_dump(shipped, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(settings, "questionnaire_dir", path)
    load_taxonomy.cache_clear()
    load_targets.cache_clear()
    yield path
    load_taxonomy.cache_clear()
    load_targets.cache_clear()


@dataclass
class World:
    ids: dict[str, Any]
    browsers: dict[str, Web]


@pytest.fixture
def world(app: Flask, people: People, session: Session, db_url: str, tmp_path: Any,
          monkeypatch: pytest.MonkeyPatch) -> World:
    """Two clusters after a pipeline run, E in Jingdezhen with one submitted questionnaire,
    a draft, a visit with evidence, an assignment and programme records; one browser per person."""
    monkeypatch.setattr(settings, "database_url", db_url)
    monkeypatch.setattr(settings, "report_dir", tmp_path / "reports")
    cluster_data.clear_cache()
    jdz = Cluster(code=JDZ, name_zh="景德镇陶瓷", industry="ceramics")
    sg = Cluster(code=SG, name_zh="韶关有色", industry="nonferrous")
    session.add_all([jdz, sg])
    session.commit()
    e, other = people.enterprise("甲公司"), people.enterprise("乙公司")
    e.cluster_id, other.cluster_id = jdz.id, sg.id
    session.commit()
    companies = {"E": e, "other": other}
    users: dict[str, User] = {}
    for name, (role, company, cluster) in PERSONS.items():
        if role is None:
            continue
        users[name] = people.user(name, role=role, enterprise=companies.get(company or ""))
        users[name].cluster_id = {"jdz": jdz.id, "sg": sg.id}.get(cluster or "")
    target = people.user("target_commissioner", role="commissioner")
    target.cluster_id = jdz.id
    session.commit()
    people.assign(users["commissioner_assigned"], e)
    browsers = {"anonymous": Web(app.test_client())}
    for name in users:
        browsers[name] = Web(app.test_client())
        assert browsers[name].login(name).status_code == 302
    owner = browsers["owner"]
    submitted = start_survey(owner, e.id)
    fill_all(owner, submitted)
    submit(owner, submitted)

    draft = start_survey(owner, e.id)
    assessment = session.query(Assessment).filter_by(submission_id=submitted).one()
    session.expire_all()
    visit = open_visit(session, e, users["commissioner_assigned"].id)
    photo = b"\xff\xd8\xff a photo"
    evidence = Evidence(submission_id=submitted, question_id="net", filename="photo.jpg", size=len(photo),
                        sha256=hashlib.sha256(photo).hexdigest())
    monkeypatch.setattr(settings, "upload_dir", tmp_path / "uploads")
    stored = evidence_path(settings.upload_dir, evidence.sha256)
    stored.parent.mkdir(parents=True)
    stored.write_bytes(photo)
    provider = Provider(cluster_id=jdz.id, name="服务商甲", kind="platform")
    session.add_all([evidence, provider])
    session.flush()
    solution = PoolSolution(cluster_id=jdz.id, code="s1", name_zh="方案一", provider_id=provider.id)
    session.add(solution)
    session.flush()
    project = PilotProject(cluster_id=jdz.id, name="项目甲", year=2026, lead_kind="provider", direction="technology",
                           solution_id=solution.id)
    session.add(project)
    session.flush()
    session.add(Checkpoint(project_id=project.id, kind="t0"))
    deployment = Deployment(solution_id=solution.id, provider_id=provider.id, enterprise_id=e.id, project_id=project.id)
    case = Case(cluster_id=jdz.id, kind="typical", title="案例甲", enterprise_id=e.id, solution_id=solution.id)
    expert = Expert(cluster_id=jdz.id, name="懂行人甲", years=20)
    session.add_all([deployment, case, expert])
    session.flush()
    # a run already under way: an allowed "run now" queues behind it instead of starting Prefect here
    console.open_request(session, None, "embedded", users["admin_province"].id)
    session.commit()
    assignment = session.scalar(select(Assignment.id).where(Assignment.enterprise_id == e.id))
    return World({"e": e.id, "s": submitted, "d": draft, "a": assessment.id, "v": visit.id, "ev": evidence.id,
                  "asg": assignment, "assignee": users["commissioner_assigned"].id, "u": target.id,
                  "prj": project.id, "prv": provider.id, "sol": solution.id, "dep": deployment.id,
                  "case": case.id, "exp": expert.id,
                  "plotly": charts.PLOTLY_VERSION}, browsers)


def _verdict(status: int, location: str) -> str:
    if status in (301, 302, 303):
        return "login" if "/login" in location else "ok"
    if status in (403, 404) or status >= 500:
        return str(status)
    return "ok" if status in (200, 400, 409, 413, 422) else str(status)


def database_state(engine: Engine) -> str:
    """Every row of every table, as one digest (what a refused POST must leave as it was)."""
    h = hashlib.sha256()
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = ", ".join(c.name for c in table.primary_key.columns) or "1"
            for row in conn.execute(text(f"SELECT * FROM {table.name} ORDER BY {order}")):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def _reassign(engine: Engine, world: World) -> None:
    with engine.begin() as conn:
        if conn.scalar(select(Assignment.id).where(Assignment.id == world.ids["asg"])) is None:
            conn.execute(insert(Assignment).values(id=world.ids["asg"], user_id=world.ids["assignee"],
                                                              enterprise_id=world.ids["e"]))


def test_the_url_map_is_all_in_the_table(app: Flask) -> None:
    """A new route gets a row (and so an expectation for every person) or this fails."""
    routes = {(m, r.rule) for r in app.url_map.iter_rules() for m in (r.methods or set()) - {"HEAD", "OPTIONS"}}
    assert sorted(routes - set(ROUTES) - NOT_SWEPT) == []
    assert sorted(set(ROUTES) - routes) == []


def test_the_access_matrix(world: World, engine: Engine) -> None:
    wrong: list[str] = []
    ordered = sorted(ROUTES.items(), key=lambda kv: (kv[0][0] == "POST", kv[0][1].endswith(LAST)))
    for (method, _rule), (template, expected) in ordered:
        url = template.format(**world.ids)
        # refused people first (each must change nothing), then the allowed ones
        for person in sorted(PEOPLE, key=lambda p: expected[p] == "ok"):
            browser = world.browsers[person]
            if browser.token is None:
                browser.get("/login")
            before = database_state(engine) if method == "POST" and expected[person] != "ok" else None
            response = (browser.get(url) if method == "GET" else
                        browser.client.post(url, data={"csrf_token": browser.token}))
            got = _verdict(response.status_code, response.headers.get("Location", ""))
            if got != expected[person]:
                wrong.append(f"{method} {template} as {person}: {got} ({response.status_code}), "
                             f"expected {expected[person]}")
            if before is not None and got == expected[person] and database_state(engine) != before:
                wrong.append(f"{method} {template} as {person}: refused, yet the database changed")
            if template.endswith("/remove") and expected[person] == "ok":
                _reassign(engine, world)  # the next allowed admin has an assignment to remove too
    assert wrong == [], "\n".join(wrong)

