"""Working with a draft's answers: which questions a page asks, merging a page, what is still missing,
how far along it is.

Pure functions of a definition and answer dicts (no Flask, no database), so the rules a respondent
meets are easy to test: a page save keeps every good answer even when others on the page are refused,
a refused answer never wipes the value saved before it (nothing typed is lost twice), and skip logic
is the domain's (``diagnostics.answers``), evaluated on the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diagnostics.answers import AnswerError, check_answers, visible_questions
from diagnostics.questionnaire import Dimension, Question, Questionnaire
from diagnostics.version_diff import carry_over


def page_questions(dimension: Dimension) -> list[Question]:
    """The questions a page asks: every question of the dimension except computed ones (shown, never asked)."""
    return [q for ind in dimension.indicators for q in ind.questions if not q.formula]


@dataclass(frozen=True)
class PageSave:
    """The outcome of merging one page into a draft."""

    answers: dict[str, Any]  # the draft's clean answers after the merge
    errors: dict[str, AnswerError]  # refused answers on this page, by question id
    visible: set[str]  # questions shown given the merged answers


def merge_page(q: Questionnaire, stored: dict[str, Any], page: int, posted: dict[str, Any]) -> PageSave:
    """Merge the values posted for page ``page`` into ``stored``; blanks clear an answer."""
    page_ids = [qq.id for qq in page_questions(q.dimensions[page])]
    raw = dict(stored)
    for qid in page_ids:
        raw[qid] = posted.get(qid)
    clean, problems = check_answers(q, raw, complete=False)
    errors = {e.question_id: e for e in problems if e.question_id in page_ids}
    visible = visible_questions(q, clean)
    restored = False
    for problem in problems:  # incl. another page's answer a cross-question rule now refuses
        qid = problem.question_id
        if qid in stored and qid in visible and qid not in clean:
            clean[qid] = stored[qid]  # keep the last good value; the page shows what was typed and why not
            restored = True
    return PageSave(clean, errors, visible_questions(q, clean) if restored else visible)


def missing(q: Questionnaire, answers: dict[str, Any]) -> list[str]:
    """Ids of questions that still need attention before submitting, in questionnaire order: required
    ones that apply and are unanswered, and answers a rule refuses (e.g. more digital devices than devices)."""
    refused = problems(q, answers)
    return [qq.id for qq in q.questions() if qq.id in refused]


def problems(q: Questionnaire, answers: dict[str, Any]) -> dict[str, AnswerError]:
    """Why each question in ``missing`` is not ready: "required", or the rule it breaks."""
    _, found = check_answers(q, answers, complete=True)
    return {e.question_id: e for e in found}


def invalid(q: Questionnaire, answers: dict[str, Any]) -> list[AnswerError]:
    """Stored answers the definition refuses (only after a version change, or a hand-edited row)."""
    _, problems = check_answers(q, answers, complete=False)
    return problems


@dataclass(frozen=True)
class Progress:
    answered: int
    asked: int

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.asked) if self.asked else 100


def progress(q: Questionnaire, answers: dict[str, Any], visible: set[str] | None = None) -> Progress:
    """Answered among the questions that count: required ones that apply, and optional ones answered.

    Skipped questions do not count against anyone, and leaving an optional question blank still lets
    the bar reach 100 %. ``visible`` is ``visible_questions(q, answers)`` when the caller has it already
    (a page save does).
    """
    visible = visible_questions(q, answers) if visible is None else visible
    counted = [qq for qq in q.questions() if qq.id in visible and (qq.required or qq.id in answers)]
    return Progress(sum(1 for qq in counted if qq.id in answers), len(counted))


def page_of(q: Questionnaire) -> dict[str, int]:
    """Question id → its page (0-based)."""
    return {qq.id: p for p, dim in enumerate(q.dimensions) for qq in page_questions(dim)}


def resume_page(q: Questionnaire, answers: dict[str, Any]) -> int:
    """Where to pick up: the first page with an unanswered required question, else the last page."""
    where = page_of(q)
    gaps = missing(q, answers)
    return where[gaps[0]] if gaps else len(q.dimensions) - 1


def questions_on(q: Questionnaire, page: int) -> list[Question]:
    return page_questions(q.dimensions[page])


def profile_answers(q: Questionnaire, chain_links: list[str], link_codes: set[str]) -> dict[str, Any]:
    """Answers the enterprise already gave at registration, for the questions that ask them again.

    A module's "which links do you run yourself" question is a multi-choice whose options are the
    taxonomy's chain-link codes (``link_codes``); the enterprise ticked its links when it registered
    (``Enterprise.chain_links``), so the draft starts with those ticked instead of asking twice.
    """
    out: dict[str, Any] = {}
    own = set(chain_links or [])
    for question in q.questions():
        codes = [o.code for o in question.options]
        if question.type == "multi" and codes and set(codes) <= link_codes and own & set(codes):
            out[question.id] = [c for c in codes if c in own]
    return out


def prefill(q: Questionnaire, previous: dict[str, Any] | None, profile: dict[str, Any]) -> tuple[dict[str, Any],
                                                                                                  list[str]]:
    """A new draft's starting answers and which of them are carried over (to be confirmed).

    A re-assessment starts from the enterprise's last submitted answers that the current version still
    accepts (the same rule as a version upgrade, ``version_diff.carry_over``), over the registration
    profile. Every carried answer is listed so the page can mark it "carried over, please confirm".
    """
    start = dict(profile)
    if previous:
        start.update(carry_over(q, previous).kept)
    clean, _problems = check_answers(q, start, complete=False)
    return clean, [qq.id for qq in q.questions() if qq.id in clean]


def confirm_page(q: Questionnaire, carried: list[str] | None, page: int) -> list[str]:
    """The carried-over ids still unconfirmed once page ``page`` has been saved by the respondent."""
    on_page = {qq.id for qq in page_questions(q.dimensions[page])}
    return [qid for qid in (carried or []) if qid not in on_page]


def unanswered_required(q: Questionnaire, answers: dict[str, Any], page: int) -> list[str]:
    """Required questions on page ``page`` that apply and have no answer ("next" flags them)."""
    on_page = [qq for qq in page_questions(q.dimensions[page])]
    visible = visible_questions(q, answers)
    return [qq.id for qq in on_page if qq.required and not qq.formula and qq.id in visible
            and answers.get(qq.id) in (None, "", [])]
