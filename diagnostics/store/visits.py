"""On-site visits: open, check answer by answer, attach evidence, sign off; review states; commitments.

The web pages and the offline sync both call these functions, so a change made on a phone without
signal and sent an hour later goes through exactly the rules a change made online does. Each function
flushes but does not commit: the caller commits once (one request, one transaction).

Concurrency: every change names the field-submission revision it was made against. A change to an
answer that someone else changed after that revision is a ``Conflict`` (theirs and mine, for the person
to choose); changes to other answers merge. The submission's own version counter still guards the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics import drafts
from diagnostics.answers import ValueProblem, parse_value, visible_questions
from diagnostics.field import evidence as evidence_rules
from diagnostics.field.review import check_transition
from diagnostics.questionnaire import Question
from diagnostics.store import catalogue
from diagnostics.store.assessing import score_one
from diagnostics.store.models import Assessment, Enterprise, Evidence, Submission, utcnow
from diagnostics.store.models_field import AnswerCheck, Commitment, ReviewEvent, SyncReceipt, Visit
from diagnostics.store.models_programme import Expert, VisitExpert
from diagnostics.store.repo import audit, definition_of

COMMITMENT_TEXT = ("本企业承诺：所填报的数字化水平评测信息真实、准确、完整，如有不实，愿承担相应责任。"
                   " / We declare that the information given in this self-assessment is true, accurate and "
                   "complete, and accept responsibility for any inaccuracy.")
"""The authenticity commitment (真实性承诺) an enterprise makes at submit, as the national evaluation asks
(中小企业数字化水平评测: enterprises fill the table themselves and certify it is true; DOMAIN.md §4)."""


class VisitRefused(ValueError):
    """A change a person asked for that the rules refuse; the message names the reason in both languages."""

    def __init__(self, zh: str, en: str, question_id: str | None = None) -> None:
        super().__init__(en)
        self.zh, self.en, self.question_id = zh, en, question_id


@dataclass(frozen=True)
class Conflict:
    """Someone else changed this answer after the revision the change was made against."""

    question_id: str
    theirs: Any
    theirs_verdict: str
    theirs_by: int
    mine: Any
    mine_verdict: str
    revision: int  # the revision to send "mine" against if the person keeps it


# ---------------------------------------------------------------- review states


def _last_event_state(session: Session, submission: Submission) -> str | None:
    found = session.scalar(select(ReviewEvent.to_state).where(ReviewEvent.submission_id == submission.id)
                           .order_by(ReviewEvent.id.desc()).limit(1))
    return None if found is None else str(found)


def review_state(session: Session, submission: Submission) -> str | None:
    """The self-assessment's review state: its latest review event, else what its status implies."""
    last = _last_event_state(session, submission)
    if last is not None:
        return str(last)
    return {"submitted": "submitted", "verified": "verified"}.get(submission.status)


def review_states(session: Session, submission_ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    if not submission_ids:
        return out
    for sid, state in session.execute(select(ReviewEvent.submission_id, ReviewEvent.to_state).where(
            ReviewEvent.submission_id.in_(submission_ids)).order_by(ReviewEvent.id)):
        out[sid] = state
    return out


def change_review(session: Session, submission: Submission, new: str, *, user_id: int | None,
                  reason: str | None = None, questions: list[str] | None = None) -> ReviewEvent:
    """Move a self-assessment to ``new`` (checked), recorded with who and why, and audited."""
    current = review_state(session, submission)
    check_transition(current, new, reason, questions)
    if new == "has_issues":
        q = definition_of(submission.questionnaire_version)
        unknown = [qid for qid in questions or [] if q.question(qid) is None]
        if unknown:
            raise VisitRefused(f"没有这些题目：{', '.join(unknown)}", f"no such questions: {', '.join(unknown)}")
        submission.status = "draft"  # back to the firm, which edits and submits again
    event = ReviewEvent(submission_id=submission.id, from_state=current, to_state=new, user_id=user_id,
                        reason=(reason or "").strip() or None, questions=list(questions or []))
    session.add(event)
    audit(session, "review", "submission", submission.id, user_id=user_id, old=current, new=new,
          reason=event.reason, questions=event.questions or None)
    session.flush()
    return event


def record_submit(session: Session, submission: Submission, *, user_id: int, commitment: str = COMMITMENT_TEXT
                  ) -> Commitment:
    """At submit: the firm's authenticity commitment (who, when, the text) and the review state."""
    row = Commitment(submission_id=submission.id, user_id=user_id, text=commitment)
    session.add(row)
    current = _last_event_state(session, submission)
    if current == "has_issues":
        _refresh_open_visits(session, submission)
    if current in (None, "has_issues"):
        session.add(ReviewEvent(submission_id=submission.id, from_state=current, to_state="submitted",
                                user_id=user_id, reason=None, questions=[]))
    audit(session, "commit_authenticity", "submission", submission.id, user_id=user_id, text=commitment)
    session.flush()
    return row


def open_issues(session: Session, submission: Submission) -> ReviewEvent | None:
    """The "has issues" event the firm must answer (questions named, reason), while that is the state."""
    last = session.scalars(select(ReviewEvent).where(ReviewEvent.submission_id == submission.id)
                           .order_by(ReviewEvent.id.desc())).first()
    return last if last is not None and last.to_state == "has_issues" else None


def _refresh_open_visits(session: Session, submission: Submission) -> None:
    """The firm resubmitted after "has issues": open visits take its new answers where not yet checked,
    and the questions named in the issues are to be checked again."""
    issues = open_issues(session, submission)
    named = set(issues.questions if issues else [])
    for visit in session.scalars(select(Visit).where(Visit.self_submission_id == submission.id,
                                                     Visit.status == "open")):
        sub = field_submission(session, visit)
        checks = checks_of(session, visit)
        answers = dict(sub.answers)
        for qid, check in checks.items():
            if qid in named:
                session.delete(check)
        for qid in {*submission.answers, *answers}:
            if qid not in checks or qid in named:
                if qid in submission.answers:
                    answers[qid] = submission.answers[qid]
                else:
                    answers.pop(qid, None)
        sub.answers = answers
    session.flush()


# ---------------------------------------------------------------- opening a visit


def latest_self_submission(session: Session, enterprise_id: int) -> Submission | None:
    """The enterprise's newest self-assessment that has been submitted at least once."""
    return session.scalars(select(Submission).where(
        Submission.enterprise_id == enterprise_id, Submission.channel == "self",
        Submission.submitted_at.is_not(None)).order_by(Submission.id.desc())).first()


def open_visit(session: Session, enterprise: Enterprise, commissioner_id: int,
               questionnaire_code: str | None = None) -> Visit:
    """The commissioner's open visit to ``enterprise``, started now if there is none.

    A new visit works on a copy of the latest submitted self-assessment (same questionnaire version),
    or, when the firm never submitted one, on an empty questionnaire started on site.
    """
    found = session.scalar(select(Visit).where(Visit.enterprise_id == enterprise.id,
                                               Visit.commissioner_id == commissioner_id, Visit.status == "open"))
    if found is not None:
        return found
    base = latest_self_submission(session, enterprise.id)
    if base is not None and base.status == "draft":
        base = None if review_state(session, base) != "has_issues" else base
    if base is not None:
        version_id, answers = base.questionnaire_version_id, dict(base.answers)
    else:
        offered = catalogue.offered_to(enterprise)
        code = questionnaire_code or (offered[0].code if offered else None)
        if code is None:
            raise VisitRefused("没有可用的问卷", "no questionnaire is offered to this enterprise")
        version_id, answers = catalogue.current_version(session, code).id, {}
    # status "visit" (not "draft") keeps it out of the firm's drafts and out of scoring until signed off
    sub = Submission(enterprise_id=enterprise.id, questionnaire_version_id=version_id, status="visit",
                     channel="field", answers=answers, created_by_id=commissioner_id)
    session.add(sub)
    session.flush()
    visit = Visit(enterprise_id=enterprise.id, commissioner_id=commissioner_id,
                  self_submission_id=base.id if base else None, field_submission_id=sub.id)
    session.add(visit)
    session.flush()
    if base is not None and review_state(session, base) == "submitted":
        change_review(session, base, "in_review", user_id=commissioner_id)
    audit(session, "visit_open", "enterprise", enterprise.id, user_id=commissioner_id, visit=visit.id,
          self_submission=visit.self_submission_id, field_submission=sub.id)
    return visit


def field_submission(session: Session, visit: Visit) -> Submission:
    sub = session.get(Submission, visit.field_submission_id)
    assert sub is not None
    return sub


def self_answers(session: Session, visit: Visit) -> dict[str, Any]:
    if visit.self_submission_id is None:
        return {}
    base = session.get(Submission, visit.self_submission_id)
    return dict(base.answers) if base is not None else {}


def checks_of(session: Session, visit: Visit) -> dict[str, AnswerCheck]:
    return {c.question_id: c for c in session.scalars(select(AnswerCheck).where(AnswerCheck.visit_id == visit.id))}


# ---------------------------------------------------------------- checking answers


def _question(sub: Submission, question_id: str) -> Question:
    q = definition_of(sub.questionnaire_version)
    question = q.question(question_id)
    if question is None or question.formula:
        raise VisitRefused(f"没有题目“{question_id}”", f"no question '{question_id}'", question_id)
    return question


def check_answer(session: Session, visit: Visit, question_id: str, verdict: str, raw: Any, reason: str | None, *,
                 user_id: int, base_revision: int) -> AnswerCheck | Conflict:
    """Confirm an answer as given, or correct it (with a reason); a ``Conflict`` if someone changed it since.

    ``raw`` is the value as typed (parsed by the same ``parse_value`` the forms and spreadsheets use);
    for a confirmation it is ignored and the current value is kept.
    """
    if visit.status != "open":
        raise VisitRefused("此次走访已签字确认，不能再修改", "this visit is signed off; it cannot change")
    if verdict not in ("confirmed", "corrected"):
        raise VisitRefused("请选择确认或更正", "choose confirm or correct", question_id)
    sub = field_submission(session, visit)
    question = _question(sub, question_id)
    existing = session.scalar(select(AnswerCheck).where(AnswerCheck.visit_id == visit.id,
                                                        AnswerCheck.question_id == question_id))
    old = sub.answers.get(question_id)
    if verdict == "corrected":
        try:
            value = parse_value(question, raw)
        except ValueProblem as problem:
            raise VisitRefused(problem.zh, problem.en, question_id) from None
        if not (reason or "").strip():
            raise VisitRefused("更正答案时请写明原因", "give the reason for the correction", question_id)
    else:
        value = old
    if existing is not None and existing.revision > base_revision:
        if existing.verdict == verdict and existing.value == value:
            return existing  # the same change from two devices: nothing to resolve
        return Conflict(question_id, existing.value, existing.verdict, existing.user_id, value, verdict, sub.revision)
    answers = dict(sub.answers)
    if value is None:
        answers.pop(question_id, None)
    else:
        answers[question_id] = value
    if answers != sub.answers:
        sub.answers = answers
    sub.updated_at = utcnow()  # a new revision even for a confirmation: the check itself is a change
    session.flush()
    selfs = self_answers(session, visit)
    if existing is None:
        existing = AnswerCheck(visit_id=visit.id, question_id=question_id, self_value=selfs.get(question_id),
                               user_id=user_id)
        session.add(existing)
    existing.verdict, existing.value, existing.user_id = verdict, value, user_id
    existing.reason = (reason or "").strip() or None
    existing.revision = sub.revision
    session.flush()
    audit(session, "answer_" + verdict, "submission", sub.id, user_id=user_id, question=question_id,
          old=old, new=value, reason=existing.reason, visit=visit.id, revision=sub.revision)
    return existing


def apply_change(session: Session, visit: Visit, change: dict[str, Any], *, user_id: int) -> dict[str, Any]:
    """One change sent by a device (offline queue): idempotent by its key, answered as a plain dict."""
    key = str(change.get("key") or "")
    if not 16 <= len(key) <= 64:
        raise VisitRefused("缺少变更编号", "the change has no idempotency key")
    receipt = session.scalar(select(SyncReceipt).where(SyncReceipt.key == key))
    if receipt is not None:
        if receipt.visit_id != visit.id:
            raise VisitRefused("变更编号已用于另一次走访", "this key belongs to another visit")
        return {**receipt.result, "duplicate": True}
    qid = str(change.get("question_id") or "")
    try:
        base = int(change.get("base_revision"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise VisitRefused("缺少基准版本", "the change has no base revision", qid) from None
    try:
        outcome = check_answer(session, visit, qid, str(change.get("verdict") or ""), change.get("value"),
                               change.get("reason"), user_id=user_id, base_revision=base)
    except VisitRefused as refused:
        result: dict[str, Any] = {"key": key, "status": "refused", "question_id": qid, "message_zh": refused.zh,
                                  "message_en": refused.en}
        return result  # not stored: the person fixes the change and sends it again under the same key
    if isinstance(outcome, Conflict):
        return {"key": key, "status": "conflict", "question_id": qid, "theirs": outcome.theirs,
                "theirs_verdict": outcome.theirs_verdict, "mine": outcome.mine, "mine_verdict": outcome.mine_verdict,
                "revision": outcome.revision}
    result = {"key": key, "status": "applied", "question_id": qid, "revision": outcome.revision,
              "value": outcome.value, "verdict": outcome.verdict}
    session.add(SyncReceipt(key=key, visit_id=visit.id, result=result))
    session.flush()
    return result


# ---------------------------------------------------------------- evidence


def evidence_path(root: Path, sha256: str) -> Path:
    """Where a file is kept: outside the web root, by content hash (``ab/abcdef…``)."""
    return root / "evidence" / sha256[:2] / sha256


def attach_evidence(session: Session, visit: Visit, question_id: str, filename: str, data: bytes, *,
                    user_id: int, root: Path, key: str | None = None) -> Evidence:
    """Check the file by its content, keep it by hash, and record it against the answer (idempotent by key)."""
    if key:
        receipt = session.scalar(select(SyncReceipt).where(SyncReceipt.key == key))
        if receipt is not None and receipt.visit_id == visit.id:
            found = session.get(Evidence, int(receipt.result["evidence"]))
            assert found is not None
            return found
    sub = field_submission(session, visit)
    _question(sub, question_id)
    try:
        sniffed, sha = evidence_rules.check(data)
    except evidence_rules.EvidenceRefused as refused:
        raise VisitRefused(refused.zh, refused.en, question_id) from None
    path = evidence_path(root, sha)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    name = evidence_rules.safe_filename(filename, sniffed)
    row = Evidence(submission_id=sub.id, question_id=question_id, filename=name,
                   content_type=sniffed.content_type, size=len(data), sha256=sha, uploaded_by_id=user_id)
    session.add(row)
    session.flush()
    if key:
        session.add(SyncReceipt(key=key, visit_id=visit.id, result={"evidence": row.id}))
    audit(session, "evidence_add", "submission", sub.id, user_id=user_id, question=question_id, evidence=row.id,
          filename=row.filename, sha256=sha, size=row.size, visit=visit.id)
    session.flush()
    return row


def evidence_of(session: Session, submission_ids: list[int]) -> list[Evidence]:
    if not submission_ids:
        return []
    return list(session.scalars(select(Evidence).where(Evidence.submission_id.in_(submission_ids))
                                .order_by(Evidence.id)))


# ---------------------------------------------------------------- notes and sign-off


def set_notes(session: Session, visit: Visit, notes: str, *, user_id: int) -> None:
    if visit.status != "open":
        raise VisitRefused("此次走访已签字确认，不能再修改", "this visit is signed off; it cannot change")
    old = visit.notes
    visit.notes = notes.strip() or None
    audit(session, "visit_notes", "visit", visit.id, user_id=user_id, old=old, new=visit.notes)
    session.flush()


def visit_cluster(session: Session, visit: Visit) -> int | None:
    """The cluster of the visited enterprise: the only cluster whose 懂行人 the visit may name."""
    return session.scalar(select(Enterprise.cluster_id).where(Enterprise.id == visit.enterprise_id))


def experts_of_visit(session: Session, visit: Visit) -> list[Expert]:
    """The 懂行人 attached to the visit (by name), never one of another cluster."""
    return list(session.scalars(select(Expert).join(VisitExpert, VisitExpert.expert_id == Expert.id)
                                .where(VisitExpert.visit_id == visit.id,
                                       Expert.cluster_id == visit_cluster(session, visit))
                                .order_by(Expert.name)))


def attachable_experts(session: Session, visit: Visit) -> list[Expert]:
    """The visited enterprise's cluster's 懂行人 not yet attached to the visit."""
    have = {e.id for e in experts_of_visit(session, visit)}
    return [e for e in session.scalars(select(Expert).where(Expert.cluster_id == visit_cluster(session, visit))
                                       .order_by(Expert.name)) if e.id not in have]


def _visit_expert(session: Session, visit: Visit, expert_id: int) -> Expert:
    """The 懂行人 ``expert_id`` of the visit's cluster; LookupError for a missing one or one of another
    cluster alike (the caller answers 404 for both, so ids of other clusters cannot be probed)."""
    expert = session.get(Expert, expert_id) if 0 < expert_id <= 2**31 - 1 else None
    if expert is None or expert.cluster_id != visit_cluster(session, visit):
        raise LookupError(expert_id)
    return expert


def attach_expert(session: Session, visit: Visit, expert_id: int, *, user_id: int) -> Expert:
    """Record that a 懂行人 of the visit's cluster took part in it (once); refused after sign-off, like
    every other change to a visit."""
    expert = _visit_expert(session, visit, expert_id)
    if visit.status != "open":
        raise VisitRefused("此次走访已签字确认，不能再修改参与的懂行人",
                           "this visit is signed off; its people cannot change")
    if session.scalar(select(VisitExpert.id).where(VisitExpert.visit_id == visit.id,
                                                   VisitExpert.expert_id == expert.id)) is None:
        session.add(VisitExpert(visit_id=visit.id, expert_id=expert.id))
        audit(session, "visit_expert_add", "visit", visit.id, user_id=user_id, expert=expert.id, new=expert.name)
        session.flush()
    return expert


def detach_expert(session: Session, visit: Visit, expert_id: int, *, user_id: int) -> Expert:
    expert = _visit_expert(session, visit, expert_id)
    if visit.status != "open":
        raise VisitRefused("此次走访已签字确认，不能再修改参与的懂行人",
                           "this visit is signed off; its people cannot change")
    row = session.scalar(select(VisitExpert).where(VisitExpert.visit_id == visit.id,
                                                   VisitExpert.expert_id == expert.id))
    if row is not None:
        session.delete(row)
        audit(session, "visit_expert_remove", "visit", visit.id, user_id=user_id, expert=expert.id, old=expert.name)
        session.flush()
    return expert


def unchecked(session: Session, visit: Visit) -> list[str]:
    """Questions that apply and that the commissioner has neither confirmed nor corrected yet."""
    sub = field_submission(session, visit)
    q = definition_of(sub.questionnaire_version)
    visible = visible_questions(q, sub.answers)
    done = set(checks_of(session, visit))
    return [qq.id for qq in q.questions() if qq.id in visible and qq.id not in done]


def sign_off(session: Session, visit: Visit, *, user_id: int, base_revision: int) -> Assessment | None:
    """Sign the visit off: the field submission becomes verified and is scored as trusted.

    Refused while an applicable answer is unchecked or missing, or when the answers changed after
    ``base_revision`` (the person signs what they saw).
    """
    if visit.status != "open":
        raise VisitRefused("此次走访已签字确认", "this visit is already signed off")
    sub = field_submission(session, visit)
    if sub.revision != base_revision:
        raise VisitRefused("答案在您打开页面后有变化，请查看后再签字", "the answers changed since you opened the page; "
                           "check them and sign again")
    left = unchecked(session, visit)
    if left:
        raise VisitRefused(f"还有 {len(left)} 道题未确认或更正",
                           f"{len(left)} answers are not confirmed or corrected yet")
    q = definition_of(sub.questionnaire_version)
    if drafts.missing(q, sub.answers):
        raise VisitRefused("还有必答题未回答或答案不符合规则", "some required answers are missing or break a rule")
    now = utcnow()
    sub.status, sub.verified_by_id, sub.verified_at, sub.submitted_at = "verified", user_id, now, now
    visit.status, visit.signed_at = "signed", now
    session.flush()
    assessment = score_one(session, sub)
    if visit.self_submission_id is not None:
        base = session.get(Submission, visit.self_submission_id)
        if base is not None and review_state(session, base) in ("submitted", "in_review"):
            change_review(session, base, "verified", user_id=user_id, reason=f"visit {visit.id}")
    audit(session, "visit_sign", "visit", visit.id, user_id=user_id, field_submission=sub.id,
          assessment=assessment.id if assessment else None,
          total=assessment.total if assessment else None, level=assessment.level if assessment else None)
    return assessment
