"""The commissioner's visit: only assigned firms, answer by answer with evidence, sign-off, review states."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics.settings import settings
from diagnostics.store import visits
from diagnostics.store.models import Assessment, AuditLog, Enterprise, Evidence, Submission
from diagnostics.store.models_field import AnswerCheck, Commitment, ReviewEvent, Visit
from diagnostics.store.repo import latest_assessment
from tests.survey_app.survey_helpers import People, Web, fill_all, save_page, start_survey, submit


def png_bytes() -> bytes:
    """A real 1×1 PNG (signature, IHDR, IDAT, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(settings, "upload_dir", tmp_path / "uploads")
    return tmp_path / "uploads"


class Scene:
    def __init__(self, app: Flask, people: People) -> None:
        self.a = people.enterprise("甲瓷业有限公司")
        self.b = people.enterprise("乙瓷业有限公司")
        people.user("owner_a", enterprise=self.a)
        people.user("owner_b", enterprise=self.b)
        self.zhang = people.user("zhang", role="commissioner")
        self.li = people.user("li", role="commissioner")
        people.assign(self.zhang, self.a)
        people.assign(self.li, self.b)
        self.owner_a, self.owner_b = Web(app.test_client()), Web(app.test_client())
        self.owner_a.login("owner_a")
        self.owner_b.login("owner_b")
        self.field, self.other_field = Web(app.test_client()), Web(app.test_client())
        self.field.login("zhang")
        self.other_field.login("li")

    def self_assess(self, web: Web, enterprise: Enterprise) -> int:
        sid = start_survey(web, enterprise.id)
        fill_all(web, sid)
        assert submit(web, sid).status_code == 302
        return sid

    def open_visit(self, web: Web, enterprise: Enterprise) -> int:
        web.html("/field/")
        response = web.post(f"/field/enterprises/{enterprise.id}/visit")
        assert response.status_code == 302, response.status_code
        found = re.search(r"/field/visits/(\d+)", response.headers["Location"])
        assert found
        return int(found.group(1))


@pytest.fixture
def scene(app: Flask, people: People) -> Scene:
    return Scene(app, people)


def _revision(web: Web, vid: int) -> str:
    found = re.search(r'data-revision="(\d+)"', web.html(f"/field/visits/{vid}"))
    assert found
    return found.group(1)


def _check(web: Web, vid: int, qid: str, verdict: str = "confirmed", value: object = None, reason: str = "",
           revision: str | None = None) -> int:
    data: dict[str, object] = {"verdict": verdict, "revision": revision or _revision(web, vid), "reason": reason}
    if value is not None:
        data["value"] = value
    return web.post(f"/field/visits/{vid}/answers/{qid}", data).status_code


def _confirm_the_rest(web: Web, session: Session, vid: int) -> None:
    visit = session.get(Visit, vid)
    assert visit is not None
    session.expire_all()
    for qid in visits.unchecked(session, visit):
        assert _check(web, vid, qid) == 302
    session.expire_all()


def test_a_commissioner_sees_and_visits_only_assigned_enterprises(scene: Scene, session: Session) -> None:
    page = scene.field.html("/field/")
    assert "甲瓷业有限公司" in page and "乙瓷业有限公司" not in page
    assert "现场开始诊断" in page  # no self-assessment yet: the next step is to start on site
    assert scene.field.post(f"/field/enterprises/{scene.b.id}/visit").status_code == 404  # not assigned: as missing
    vid_b = scene.open_visit(scene.other_field, scene.b)
    assert scene.field.get(f"/field/visits/{vid_b}").status_code == 404  # another's visit: as missing
    assert scene.owner_a.get("/field/").status_code == 403


def test_corrections_make_a_verified_revision_whose_score_differs_exactly_by_them(scene: Scene,
                                                                                  session: Session) -> None:
    sid = scene.self_assess(scene.owner_a, scene.a)
    commitment = session.scalar(select(Commitment).where(Commitment.submission_id == sid))
    assert commitment is not None and "真实" in commitment.text
    self_score = session.scalar(select(Assessment).where(Assessment.submission_id == sid))
    assert self_score is not None and not self_score.trusted

    vid = scene.open_visit(scene.field, scene.a)
    self_sub = session.get(Submission, sid)
    assert self_sub is not None and visits.review_state(session, self_sub) == "in_review"
    page = scene.field.html(f"/field/visits/{vid}")
    assert "单一环节" in page  # the firm's answer is shown
    # the firm said one area (10 points); on site every area runs on systems (30 points)
    assert _check(scene.field, vid, "info_sys", "corrected", "D") == 302  # no reason: refused
    session.expire_all()
    assert session.scalar(select(AnswerCheck).where(AnswerCheck.question_id == "info_sys")) is None
    assert _check(scene.field, vid, "info_sys", "corrected", "D", reason="现场查看：ERP、MES、WMS 全覆盖") == 302
    _confirm_the_rest(scene.field, session, vid)
    assert scene.field.post(f"/field/visits/{vid}/notes", {"notes": "车间走访，查看了系统截图"}).status_code == 302
    response = scene.field.post(f"/field/visits/{vid}/sign", {"revision": _revision(scene.field, vid)})
    assert response.status_code == 302 and "/assessments/" in response.headers["Location"]

    session.expire_all()
    visit = session.get(Visit, vid)
    assert visit is not None and visit.status == "signed"
    verified = session.scalar(select(Assessment).where(Assessment.submission_id == visit.field_submission_id))
    assert verified is not None and verified.trusted
    assert verified.total - self_score.total == pytest.approx(20.0)
    diff = {k: verified.indicator_scores[k] - self_score.indicator_scores[k] for k in self_score.indicator_scores}
    assert diff.pop("systems") == pytest.approx(20.0) and all(v == 0 for v in diff.values())
    latest = latest_assessment(session, scene.a.id)
    assert latest is not None and latest.id == verified.id  # the verified answers speak for the firm now
    assert scene.owner_a.get(f"/submissions/{sid}").status_code == 200  # the self-assessment stays readable
    assert session.get(Submission, sid).answers["info_sys"] == "B"  # type: ignore[union-attr]
    assert visits.review_state(session, session.get(Submission, sid)) == "verified"  # type: ignore[arg-type]

    actions = {a.action for a in session.scalars(select(AuditLog))}
    assert {"commit_authenticity", "visit_open", "review", "answer_corrected", "answer_confirmed", "visit_notes",
            "visit_sign"} <= actions
    corrected = session.scalar(select(AuditLog).where(AuditLog.action == "answer_corrected"))
    assert corrected is not None and corrected.user_id == scene.zhang.id
    assert (corrected.details["old"], corrected.details["new"]) == ("B", "D") and corrected.details["reason"]


def test_evidence_is_checked_by_content_and_served_only_to_those_who_see_the_firm(
        scene: Scene, session: Session, uploads: Path) -> None:
    scene.self_assess(scene.owner_a, scene.a)
    vid = scene.open_visit(scene.field, scene.a)
    url = f"/field/visits/{vid}/answers/info_sys/evidence"
    fake = scene.field.post(url, {"file": (io.BytesIO(b"<html>not a photo</html>"), "photo.jpg")},
                            content_type="multipart/form-data", follow_redirects=True)
    assert "只接受照片" in fake.get_data(as_text=True)
    ok = scene.field.post(url, {"file": (io.BytesIO(png_bytes()), "../../ERP截图.png")},
                          content_type="multipart/form-data")
    assert ok.status_code == 302
    [row] = session.scalars(select(Evidence)).all()
    assert (row.content_type, row.filename, row.question_id) == ("image/png", "ERP截图.png", "info_sys")
    assert (uploads / "evidence" / row.sha256[:2] / row.sha256).read_bytes() == png_bytes()

    got = scene.field.get(f"/evidence/{row.id}")
    assert got.status_code == 200 and got.data == png_bytes()
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert scene.owner_a.get(f"/evidence/{row.id}").status_code == 200
    for outsider in (scene.owner_b, scene.other_field):
        assert outsider.get(f"/evidence/{row.id}").status_code == 404
        assert outsider.get(f"/evidence/{row.id + 1}").status_code == 404  # guessing finds nothing either
    assert scene.other_field.post(url, {"file": (io.BytesIO(png_bytes()), "x.png")},
                                  content_type="multipart/form-data").status_code == 404


def test_has_issues_goes_back_to_the_firm_and_returns(scene: Scene, session: Session) -> None:
    sid = scene.self_assess(scene.owner_a, scene.a)
    vid = scene.open_visit(scene.field, scene.a)
    assert _check(scene.field, vid, "net") == 302
    response = scene.field.post(f"/field/submissions/{sid}/review", {
        "state": "has_issues", "questions": ["info_sys"], "reason": "系统覆盖情况与现场不符，请核实"})
    assert response.status_code == 302
    session.expire_all()
    sub = session.get(Submission, sid)
    assert sub is not None and sub.status == "draft"
    review = scene.owner_a.html(f"/submissions/{sid}/review")
    assert "信息系统覆盖情况" in review and "系统覆盖情况与现场不符" in review
    assert save_page(scene.owner_a, sid, 1, {"net": ["A", "B"], "info_sys": "C", "has_erp": "yes",
                                               "erp_years": "3"}).status_code in (200, 302)
    assert submit(scene.owner_a, sid).status_code == 302
    session.expire_all()
    states = [e.to_state for e in session.scalars(select(ReviewEvent).where(ReviewEvent.submission_id == sid)
                                                   .order_by(ReviewEvent.id))]
    assert states == ["submitted", "in_review", "has_issues", "submitted"]
    event = session.scalar(select(ReviewEvent).where(ReviewEvent.to_state == "has_issues"))
    assert event is not None and event.user_id == scene.zhang.id and event.questions == ["info_sys"]
    visit = session.get(Visit, vid)
    assert visit is not None
    assert visits.field_submission(session, visit).answers["info_sys"] == "C"  # the visit sees the new answer
    assert "net" in visits.checks_of(session, visit)  # what was checked stays checked
    # a reason is required to send back or reject
    assert scene.field.post(f"/field/submissions/{sid}/review", {"state": "rejected"}).status_code == 302
    assert visits.review_state(session, session.get(Submission, sid)) == "submitted"  # type: ignore[arg-type]


def test_a_change_against_a_stale_revision_is_a_conflict_answer_by_answer(app: Flask, scene: Scene,
                                                                          session: Session) -> None:
    scene.self_assess(scene.owner_a, scene.a)
    vid = scene.open_visit(scene.field, scene.a)
    tablet = Web(app.test_client())
    tablet.login("zhang")
    stale = _revision(tablet, vid)
    assert _check(scene.field, vid, "info_sys", "corrected", "C", reason="手机上更正") == 302
    assert _check(tablet, vid, "net", revision=stale) == 302  # another answer: merges
    response = tablet.post(f"/field/visits/{vid}/answers/info_sys", {
        "verdict": "corrected", "value": "D", "reason": "平板上更正", "revision": stale})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "多个环节" in page and "全部环节" in page  # theirs and mine
    found = re.search(r'name="revision" value="(\d+)"', page.split('id="conflict"')[1])
    assert found
    keep_mine = tablet.post(f"/field/visits/{vid}/answers/info_sys", {
        "verdict": "corrected", "value": "D", "reason": "平板上更正", "revision": found.group(1)})
    assert keep_mine.status_code == 302
    session.expire_all()
    visit = session.get(Visit, vid)
    assert visit is not None and visits.field_submission(session, visit).answers["info_sys"] == "D"


def test_offline_changes_sync_once_by_their_key(scene: Scene, session: Session) -> None:
    scene.self_assess(scene.owner_a, scene.a)
    vid = scene.open_visit(scene.field, scene.a)
    revision = int(_revision(scene.field, vid))
    change = {"key": "k-0123456789abcdef", "question_id": "info_sys", "verdict": "corrected", "value": "D",
              "reason": "现场核实", "base_revision": revision}
    url = f"/field/visits/{vid}/sync"
    headers = {"X-CSRFToken": scene.field.token or ""}
    first = scene.field.client.post(url, json={"changes": [change]}, headers=headers)
    again = scene.field.client.post(url, json={"changes": [change]}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json["results"][0]["status"] == "applied"  # type: ignore[index]
    assert again.json["results"][0]["duplicate"] is True  # type: ignore[index]
    assert len(session.scalars(select(AnswerCheck)).all()) == 1
    assert len(session.scalars(select(AuditLog).where(AuditLog.action == "answer_corrected")).all()) == 1
    scene.other_field.html("/field/")
    other = scene.other_field.client.post(url, json={"changes": [change]},
                                          headers={"X-CSRFToken": scene.other_field.token or ""})
    assert other.status_code == 404
