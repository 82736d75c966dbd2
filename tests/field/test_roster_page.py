"""The officials' roster page: upload, preview with row-numbered problems and changes, confirm."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics.settings import settings
from diagnostics.store.models import Enterprise
from tests.field.test_roster_import import ROSTER
from tests.survey_app.survey_helpers import People, Web


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(settings, "upload_dir", tmp_path / "uploads")
    return tmp_path / "uploads"


def _upload(web: Web, text: str, name: str = "名录.csv") -> str:
    web.html("/admin/roster/")
    response = web.post("/admin/roster/", {"file": (io.BytesIO(text.encode()), name)},
                        content_type="multipart/form-data")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_upload_preview_confirm_and_reimport(app: Flask, people: People, session: Session) -> None:
    people.user("chief", role="admin")
    web = Web(app.test_client())
    web.login("chief")
    page = _upload(web, ROSTER)
    assert "新增 2" in page and "拒收 2" in page
    assert re.search(r"<td class=\"num\">5</td><td>统一社会信用代码</td><td>校验码不符", page)
    assert session.scalar(select(Enterprise.id)) is None  # a preview writes nothing
    sha = re.search(r'name="sha" value="([0-9a-f]{64})"', page)
    assert sha
    response = web.post("/admin/roster/confirm", {"sha": sha.group(1), "filename": "名录.csv", "cluster": ""})
    assert response.status_code == 302
    assert len(session.scalars(select(Enterprise)).all()) == 2
    again = _upload(web, ROSTER.replace('"1,500"', "900"))
    assert "从业人员: 1500 → 900" in again and "新增 0" in again


def test_bad_uploads_get_a_clear_message_and_others_are_refused(app: Flask, people: People) -> None:
    people.user("chief", role="admin")
    people.user("zhang", role="commissioner")
    web = Web(app.test_client())
    web.login("chief")
    web.html("/admin/roster/")
    response = web.post("/admin/roster/", {"file": (io.BytesIO(b"x"), "roster.pdf")},
                        content_type="multipart/form-data")
    assert response.status_code == 422 and "不是 CSV 或 XLSX" in response.get_data(as_text=True)
    page = _upload(web, "hello,world\n1,2\n")
    assert "找不到表头" in page
    other = Web(app.test_client())
    other.login("zhang")
    assert other.get("/admin/roster/").status_code == 403
