"""What the questionnaire pages show, assembled from a definition, answers and a form.

Kept apart from the routes in ``routes.py`` so each stays readable: here is how a question becomes a
block on the page (its field, whether skip logic shows it, its error, what someone else saved), how a
stored answer reads on the review page, and which pages make up the questionnaire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from wtforms import Field

from diagnostics.answers import AnswerError, computed_values
from diagnostics.drafts import page_questions
from diagnostics.questionnaire import Indicator, Question, Questionnaire
from survey_app.i18n import number, pick, tx
from survey_app.survey.forms import AnswerForm, option_text


@dataclass
class QuestionView:
    question: Question
    field: Field | None  # None for a computed (formula) value, which is shown, never asked
    visible: bool
    error: str | None = None
    theirs: str | None = None  # on a conflict: what the other person saved, when it differs
    computed: str | None = None

    @property
    def help_id(self) -> str:
        return f"{self.question.id}-help"

    @property
    def error_id(self) -> str:
        return f"{self.question.id}-error"


@dataclass
class IndicatorView:
    indicator: Indicator
    questions: list[QuestionView] = field(default_factory=list)

    @property
    def visible(self) -> bool:
        return any(q.visible and q.field is not None for q in self.questions)


def computed_display(q: Questionnaire, page: int, answers: dict[str, Any]) -> dict[str, str]:
    """Formula values of a page (a rate from two counts), as text; only those that can be computed."""
    values = computed_values(q, answers)
    out = {}
    for question in page_formulas(q, page):
        value = values.get(question.id)
        if isinstance(value, (int, float)) and value == value:  # not None, not NaN
            unit = tx(question.unit) if question.unit else ""
            out[question.id] = f"{number(float(value), 1)} {unit}".strip()
    return out


def page_formulas(q: Questionnaire, page: int) -> list[Question]:
    return [qq for ind in q.dimensions[page].indicators for qq in ind.questions if qq.formula]


def page_views(q: Questionnaire, page: int, form: AnswerForm, visible: set[str],
               errors: dict[str, AnswerError] | None = None,
               theirs: dict[str, str] | None = None, computed: dict[str, str] | None = None) -> list[IndicatorView]:
    """The blocks of one page, grouped under their indicator's title (computed values shown read-only)."""
    errors = errors or {}
    theirs = theirs or {}
    computed = computed or {}
    out = []
    for ind in q.dimensions[page].indicators:
        block = IndicatorView(ind)
        for question in ind.questions:
            if question.formula:
                block.questions.append(QuestionView(question, None, question.id in computed,
                                                    computed=computed.get(question.id)))
                continue
            err = errors.get(question.id)
            block.questions.append(QuestionView(
                question, form[question.id], question.id in visible,
                pick(err.message_zh, err.message_en) if err else None, theirs.get(question.id)))
        if block.questions:
            out.append(block)
    return out


def display(question: Question, value: Any) -> str:
    """A stored answer as a sentence fragment for review pages and conflict notes."""
    if value is None or value == [] or value == "":
        return _("not answered")
    t = question.type
    if t == "single":
        return option_text(question, value)
    if t == "level":
        return _("Level %(n)s", n=value) + " · " + option_text(question, value)
    if t == "multi":
        return "、".join(option_text(question, v) for v in value)
    if t == "yesno":
        return _("Yes") if value else _("No")
    if t == "number":
        unit = tx(question.unit) if question.unit else ""
        return f"{number(float(value), 4)} {unit}".strip()
    if t == "evidence" and isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


@dataclass
class PageLink:
    number: int  # 1-based
    title: str
    missing: int


def page_links(q: Questionnaire, gaps: list[str]) -> list[PageLink]:
    """Every page with its count of unanswered required questions (for the step list)."""
    links = []
    for p, dim in enumerate(q.dimensions):
        ids = {qq.id for qq in page_questions(dim)}
        links.append(PageLink(p + 1, tx(dim.title), sum(1 for g in gaps if g in ids)))
    return links


@dataclass
class ReviewItem:
    question: Question
    page: int  # 1-based
    answer: str
    missing: bool
    problem: str | None = None  # an answer given but refused by a rule, with the rule's message


def review_items(q: Questionnaire, answers: dict[str, Any], visible: set[str],
                 problems: dict[str, AnswerError]) -> list[tuple[str, list[ReviewItem]]]:
    """Per page: every question that applies, its answer as text, and whether it still needs one."""
    sections = []
    for p, dim in enumerate(q.dimensions):
        items = []
        for qq in page_questions(dim):
            if qq.id not in visible:
                continue
            err = problems.get(qq.id)
            refused = err is not None and qq.id in answers
            items.append(ReviewItem(qq, p + 1, display(qq, answers.get(qq.id)), err is not None,
                                    pick(err.message_zh, err.message_en) if refused and err else None))
        sections.append((tx(dim.title), items))
    return sections
