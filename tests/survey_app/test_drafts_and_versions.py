"""A draft started on an older questionnaire version: what changed, and which answers carry over."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from diagnostics import drafts
from diagnostics.questionnaire_loader import load_file, parse_text
from diagnostics.settings import settings
from diagnostics.store.models import Submission
from diagnostics.version_diff import carry_over, diff
from tests.survey_app.survey_helpers import FIXTURES, People, Web, form_value, save_page, start_survey

V1 = FIXTURES / "questionnaires" / "mini.yaml"
V2 = FIXTURES / "v2" / "mini.yaml"


def test_merge_keeps_good_answers_and_the_last_good_value() -> None:
    q = load_file(V1).definition
    stored = {"info_sys": "B", "has_erp": True, "erp_years": 5.0}
    result = drafts.merge_page(q, stored, 0, {"info_sys": "C", "has_erp": True, "erp_years": "many", "net": None})
    assert result.answers == {"info_sys": "C", "has_erp": True, "erp_years": 5.0}
    assert set(result.errors) == {"erp_years"}
    assert "erp_years" in result.visible


CROSS_PAGE = """
code: cross
version: "1"
title: 跨页规则
max_score: 10
dimensions:
  - code: one
    title: 第一页
    max_points: 10
    indicators:
      - code: a
        title: 设备
        max_points: 10
        questions:
          - {id: total, type: number, text: 设备总数, bands: [{min: 0, points: 10}]}
  - code: two
    title: 第二页
    scored: false
    indicators:
      - code: b
        title: 联网
        max_points: 0
        questions:
          - id: part
            type: number
            text: 联网设备数
            constraint: "part <= total"
            constraint_message: {zh: 不能超过设备总数, en: cannot exceed the total}
levels: [{level: 1, name: 一级, min_score: 5}]
"""


def test_a_rule_broken_from_another_page_never_deletes_that_answer() -> None:
    q = parse_text(CROSS_PAGE).definition
    result = drafts.merge_page(q, {"total": 10.0, "part": 8.0}, 0, {"total": "5"})
    assert result.answers == {"total": 5.0, "part": 8.0}  # kept, and flagged before submit:
    assert drafts.missing(q, result.answers) == ["part"]
    assert drafts.problems(q, result.answers)["part"].message_zh == "不能超过设备总数"


def test_progress_counts_what_applies() -> None:
    q = load_file(V1).definition
    assert drafts.progress(q, {}).asked == 6  # required questions; erp_years waits for has_erp
    done = drafts.progress(q, {"net": ["A"], "info_sys": "A", "has_erp": False, "quality": "same",
                               "s_design": 1, "s_production": 1})
    assert done.percent == 100  # optional blanks do not hold the bar back


def test_diff_names_added_removed_and_changed_questions() -> None:
    old, new = load_file(V1).definition, load_file(V2).definition
    changes = {c.id: c for c in diff(old, new)}
    assert changes["cloud"].kind == "added"
    assert changes["notes"].kind == "removed"
    assert changes["net"].kind == "changed"
    assert any("删除选项 D" in n.zh for n in changes["net"].notes)
    assert "info_sys" not in changes


def test_carry_over_keeps_what_the_new_version_accepts() -> None:
    new = load_file(V2).definition
    carried = carry_over(new, {"net": ["A", "D"], "info_sys": "C", "notes": "旧备注"})
    assert carried.kept == {"net": ["A"], "info_sys": "C"}
    assert set(carried.dropped) == {"notes"} and set(carried.trimmed) == {"net"}
    assert carry_over(new, {"net": ["D"]}).kept == {}


@pytest.fixture
def updated_questionnaires(tmp_path: Path) -> Path:
    """A questionnaire folder where the official has since shipped version 1.1."""
    shutil.copytree(FIXTURES / "questionnaires" / "taxonomy", tmp_path / "taxonomy")
    shutil.copy(V2, tmp_path / "mini.yaml")
    return tmp_path


def test_draft_on_an_old_version_shows_the_changes_and_moves_on(app: Flask, people: People, session: Session,
                                                               updated_questionnaires: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    enterprise = people.enterprise()
    people.user("owner", enterprise=enterprise)
    web = Web(app.test_client())
    web.login("owner")
    sid = start_survey(web, enterprise.id)
    save_page(web, sid, 1, {"net": ["A", "D"], "info_sys": "C", "has_erp": "no", "notes": "三期改造中"})
    draft = session.get(Submission, sid)
    assert draft is not None
    old_version = draft.questionnaire_version_id

    monkeypatch.setattr(settings, "questionnaire_dir", updated_questionnaires)  # version 1.1 is shipped
    response = web.post(f"/enterprises/{enterprise.id}/questionnaires/mini-survey/start")
    assert response.headers["Location"].endswith(f"/submissions/{sid}/changes")
    page = web.html(f"/submissions/{sid}/changes")
    assert "是否上云" in page and "其他说明" in page and "删除选项 D" in page
    assert "有 3 个答案可以转入新版本" in page
    assert "三期改造中" in page  # the answer that cannot move is shown, so it can be noted elsewhere
    assert "问卷已经更新" in web.html(f"/submissions/{sid}/pages/1")  # the pages say so too

    response = web.post(f"/submissions/{sid}/upgrade", {"revision": form_value(page, "revision")})
    assert response.status_code == 302
    session.expire_all()
    sub = session.get(Submission, sid)
    assert sub is not None and sub.questionnaire_version_id != old_version
    assert sub.answers == {"net": ["A"], "info_sys": "C", "has_erp": False}
    assert "问卷已经更新" not in web.html(f"/submissions/{sid}/pages/1")
