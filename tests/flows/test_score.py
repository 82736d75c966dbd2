"""The score flow's rules: batches, nothing twice, and an explicit rescore after a questionnaire change."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from diagnostics.settings import settings
from diagnostics.store.assessing import score_submissions
from diagnostics.store.demo_data import SME_CODE, seed_demo
from diagnostics.store.models import Assessment, AuditLog, QuestionnaireVersion, Submission
from diagnostics.store.repo import trail
from flows import score
from flows.context import DIRECT


def count(session: Session, *where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(Assessment).where(*where)) or 0


def test_rescore_is_explicit_and_keeps_history(session: Session, db_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(settings, "database_url", db_url)
    seed_demo(session, enterprises=24)
    session.commit()
    sme = session.scalars(select(QuestionnaireVersion).where(QuestionnaireVersion.code == SME_CODE)).one()
    sme_subs = session.scalar(select(func.count()).select_from(Submission).where(
        Submission.questionnaire_version_id == sme.id, Submission.status.in_(("submitted", "verified"))))

    first = score.run_score(batch_size=10, runner=DIRECT)
    assert first["assessments_written"] == first["pending"] > sme_subs  # SME and module submissions
    assert first["batches"] == -(-first["pending"] // 10)
    assert score.run_score(runner=DIRECT)["pending"] == 0  # nothing new, nothing done

    # the questionnaire file changes (an indicator renamed, an option worth less): old submissions keep
    # their scores until a rescore is asked for
    definition = copy.deepcopy(sme.definition)
    definition["version"] = "2024.2"
    network = definition["dimensions"][0]["indicators"][0]
    assert network["code"] == "network" and network["questions"][0]["options"][0]["code"] == "office_lan"
    network["title"]["zh"] = "网络与连接"
    network["questions"][0]["options"][0]["points"] = 1.0
    changed = QuestionnaireVersion(code=SME_CODE, version="2024.2", content_hash="f" * 64, title_zh=sme.title_zh,
                                   definition=definition, source_text="")
    session.add(changed)
    session.commit()
    assert score.run_score(runner=DIRECT)["pending"] == 0
    monkeypatch.setattr(score, "current_version", lambda _s, code: changed)
    again = score.run_score(rescore=SME_CODE, runner=DIRECT)
    assert again["assessments_written"] == sme_subs
    session.expire_all()
    assert count(session, Assessment.questionnaire_version_id == changed.id) == sme_subs
    assert count(session) == first["assessments_written"] + sme_subs  # the old assessments stay as history
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "rescore_rebind"))
    assert audit is not None and audit.details["count"] == sme_subs
    assert score.run_score(rescore=SME_CODE, runner=DIRECT)["pending"] == 0

    # a historic trail is still drawn against the definition it was scored on, the new one against the new
    rebound = session.scalars(select(Submission).where(Submission.questionnaire_version_id == changed.id))
    lan_sub = next(s for s in rebound if "office_lan" in (s.answers.get("network_kinds") or []))
    old, new = sorted(session.scalars(select(Assessment).where(Assessment.submission_id == lan_sub.id)),
                      key=lambda a: a.id)
    assert (old.questionnaire_version_id, new.questionnaire_version_id) == (sme.id, changed.id)
    # the rule names the option by its label (issue 8: no codes in what people read) with its points
    lan = "“企业内部办公网络（有线/无线局域网，接入互联网）”"
    for assessment, title, lan_points in ((old, "网络建设", f"{lan} 2 "), (new, "网络与连接", f"{lan} 1 ")):
        indicator = trail(assessment)["dimensions"][0]["indicators"][0]
        assert indicator["title"]["zh"] == title
        assert lan_points in indicator["questions"][0]["rule_zh"]
        assert trail(assessment)["total"] == assessment.total
    assert new.total == old.total - 1  # office_lan is now worth 1 point instead of 2


def test_a_module_submission_missing_its_required_segments_answer_is_not_scored(session: Session, db_url: str,
                                                                                 monkeypatch: pytest.MonkeyPatch):
    """Issue 8: the segments question decides what applies; without it the module must not score (it
    would silently count every segment as not run). Demo module answers always carry it."""
    monkeypatch.setattr(settings, "database_url", db_url)
    seed_demo(session, enterprises=20)
    session.commit()
    module = session.scalars(select(QuestionnaireVersion).where(QuestionnaireVersion.code == "nonferrous-module")).one()
    subs = list(session.scalars(select(Submission).where(Submission.questionnaire_version_id == module.id)))
    assert subs and all(s.answers.get("segments_operated") for s in subs)
    broken = subs[0]
    broken.answers = {k: v for k, v in broken.answers.items() if k != "segments_operated"}
    session.commit()
    written = score_submissions(session, [s.id for s in subs])
    session.commit()
    assert written == len(subs) - 1
    assert count(session, Assessment.submission_id == broken.id) == 0
    assert count(session, Assessment.submission_id == subs[1].id) == 1
