"""The bad-input corpus over the officials' forms (issue 12): staff create / edit / reset, the programme
forms, and the two imports with bad files. Each value goes into each field of the form as the page
drew it (with its CSRF token): never a 5xx; a refusal says what is wrong, on the form, and changes no
row; what is accepted is stored without control characters. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, String, Text, select
from sqlalchemy.orm import Session

from bench.load import Forms
from diagnostics.store.models import Base, Cluster
from diagnostics.store.models_programme import (
    Case,
    Checkpoint,
    Deployment,
    Expert,
    PilotProject,
    PoolSolution,
    Provider,
)
from diagnostics.text import CONTROL
from tests.survey_app.survey_helpers import People, Web
from tests.survey_app.test_trust_matrix import database_state

CORPUS: dict[str, str] = {
    "nul": "ab\x00cd",
    "controls": "x\x01\x1b\x7fy",
    "digits400": "9" * 400,
    "huge_float": "1e309",
    "negative": "-5",
    "bad_date": "2026-13-45",
    "script": "<script>alert(1)</script>",
    "long": "长" * 150_000,
    "empty": "",
}
# (page that draws the form, the form's action)
FORMS = [
    ("/admin/users", "/admin/users"),
    ("/admin/users/{u}", "/admin/users/{u}"),
    ("/admin/users/{u}", "/admin/users/{u}/password"),
    ("/programme/providers/new", "/programme/providers/new"),
    ("/programme/solutions/new", "/programme/solutions/new"),
    ("/programme/projects/new", "/programme/projects/new"),
    ("/programme/projects/{prj}/checkpoints/t0", "/programme/projects/{prj}/checkpoints/t0"),
    ("/programme/cases/new", "/programme/cases/new"),
    ("/programme/deployments/new", "/programme/deployments/new"),
    ("/programme/experts/new", "/programme/experts/new"),
    ("/programme/providers/{prv}/edit", "/programme/providers/{prv}/edit"),
    ("/programme/solutions/{sol}/edit", "/programme/solutions/{sol}/edit"),
    ("/programme/deployments/{dep}/edit", "/programme/deployments/{dep}/edit"),
    ("/programme/cases/{case}/edit", "/programme/cases/{case}/edit"),
    ("/programme/experts/{exp}/edit", "/programme/experts/{exp}/edit"),
]
# a bad file, and what each import must say about it (the roster import previews; providers take .xlsx)
BAD_FILES: dict[str, tuple[bytes, str, str]] = {
    "csv_renamed.xlsx": (b"uscc,name\n91360200MA35XY120X,x\n", "请改名为 .csv", "无法读取该文件"),
    "pk_not_zip.xlsx": (b"PK\x03\x04 not really a zip", "已损坏", "无法读取该文件"),
    "empty.csv": (b"", "请选择一个名录文件", "请上传 .xlsx 文件"),
    "header_only.csv": ("统一社会信用代码,企业名称\n".encode(), "新增 0</span>", "请上传 .xlsx 文件"),
    "nul.csv": (b"uscc,name\n\x00\x00\x00,\x00\n", "统一社会信用代码应为18位", "请上传 .xlsx 文件"),
    "gbk.csv": ("统一社会信用代码,企业名称\n91360200MA35XY120X,景德镇\x01瓷业\n".encode("gbk"), "校验码不符",
                "请上传 .xlsx 文件"),
    "photo.jpg": (b"\xff\xd8\xff\xe0 a photo", "不是 CSV 或 XLSX 文件", "请上传 .xlsx 文件"),
}


@pytest.fixture
def admin(app: Flask, people: People, session: Session) -> tuple[Web, dict[str, int]]:
    cluster = Cluster(code="jingdezhen-ceramics", name_zh="景德镇陶瓷", industry="ceramics")
    session.add(cluster)
    session.commit()
    people.user("chief", role="admin")
    target = people.user("target_commissioner", role="commissioner")
    target.cluster_id = cluster.id
    project = PilotProject(cluster_id=cluster.id, name="项目甲", year=2026, lead_kind="provider",
                           direction="technology")
    session.add(project)
    session.flush()
    session.add(Checkpoint(project_id=project.id, kind="t0"))
    firm = people.enterprise()
    firm.cluster_id = cluster.id
    provider = Provider(cluster_id=cluster.id, name="服务商甲", kind="platform")
    session.add(provider)
    session.flush()
    solution = PoolSolution(cluster_id=cluster.id, code="s1", name_zh="方案一", provider_id=provider.id)
    expert = Expert(cluster_id=cluster.id, name="懂行人甲")
    session.add_all([solution, expert])
    session.flush()
    deployment = Deployment(solution_id=solution.id, provider_id=provider.id, enterprise_id=firm.id)
    case = Case(cluster_id=cluster.id, kind="typical", title="案例甲", enterprise_id=firm.id)
    session.add_all([deployment, case])
    session.commit()
    web = Web(app.test_client())
    assert web.login("chief").status_code == 302
    return web, {"u": target.id, "prj": project.id, "prv": provider.id, "sol": solution.id, "dep": deployment.id,
                 "case": case.id, "exp": expert.id}


def _form(web: Web, page: str, action: str) -> dict[str, Any]:
    html = web.html(page)
    found = [f for f in Forms(html).forms if (f["action"].split("?")[0] or page).endswith(action)]
    assert found, f"no form posting to {action} on {page}"
    fields = dict(found[0]["fields"])
    for name, options in found[0]["radios"].items():
        fields.setdefault(name, options[0])
    return fields


def _says_what(response: Any) -> bool:
    """A refusal a person can act on: the field's own message, or our error page (never Werkzeug's)."""
    text = response.get_data(as_text=True)
    return ('class="field-error"' in text or 'role="alert"' in text or "flash-error" in text
            or (response.status_code in (400, 413) and "Bad Request" not in text[:300]))


def _stored_controls(engine: Engine) -> list[str]:
    found = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, (String, Text))]
            for col in cols:
                for (value,) in conn.execute(select(col).where(col.is_not(None))):
                    if isinstance(value, str) and CONTROL.search(value):
                        found.append(f"{table.name}.{col.name}")
    return found


def test_every_admin_form_answers_every_bad_value(admin: tuple[Web, dict[str, int]], engine: Engine) -> None:
    web, ids = admin
    wrong: list[str] = []
    for page, action in FORMS:
        page, action = page.format(**ids), action.format(**ids)
        base = _form(web, page, action)
        for field in [f for f in base if f != "csrf_token"]:
            for kind, bad in CORPUS.items():
                fields = _form(web, page, action)  # a fresh token and the form as it is now
                before = database_state(engine)
                response = web.client.post(action, data={**fields, field: bad})
                status = response.status_code
                if status >= 500:
                    wrong.append(f"{action} {field}={kind}: {status}")
                elif status not in (302, 303):
                    if database_state(engine) != before:
                        wrong.append(f"{action} {field}={kind}: refused ({status}) yet the database changed")
                    if not _says_what(response):
                        wrong.append(f"{action} {field}={kind}: refused ({status}) without a message")
    assert wrong == [], "\n".join(wrong[:40])
    assert _stored_controls(engine) == []


@pytest.mark.parametrize("name", sorted(BAD_FILES))
@pytest.mark.parametrize("action", ["/admin/roster/", "/programme/providers/import"])
def test_the_imports_name_a_bad_file_and_store_nothing(admin: tuple[Web, dict[str, int]], engine: Engine,
                                                       action: str, name: str) -> None:
    web, _ids = admin
    page = "/admin/roster/" if action == "/admin/roster/" else "/programme/providers"
    fields = _form(web, page, action)
    before = database_state(engine)
    data, roster_says, providers_says = BAD_FILES[name]
    response = web.client.post(action, data={**fields, "file": (io.BytesIO(data), name)},
                               content_type="multipart/form-data", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code < 500, response.status_code
    assert "Traceback" not in text
    assert database_state(engine) == before  # nothing imported from a bad file (a roster is only previewed)
    assert (roster_says if action == "/admin/roster/" else providers_says) in text
