"""Turning what people type into clean answers, and clean answers into arrays for the engine.

Answers arrive from three doors (web form, field visit, spreadsheet census) as loose text: ``1,234.5``,
full-width digits ``１２``, ``是``/``否``, ``A；B``. ``parse_value`` reads one value for one question and
says precisely why it cannot; ``check_answers`` applies skip logic and required rules to a whole
submission. Stored answers are always the clean form:

===========  ==========================
single       option code (str)
multi        list of option codes
number       float
yesno        bool
level        int (the level)
text         str
evidence     list of attachment ids/names
===========  ==========================

``decode`` then turns many clean submissions into numpy arrays once, so scoring is vectorised. A census
of many raw rows is checked column by column by ``answer_columns.check_columns``, which calls the rules
here (``parse_value``, ``match_option``, the compiled expressions) once per distinct cell, not per row.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diagnostics import expr
from diagnostics.questionnaire import Question, Questionnaire
from diagnostics.settings import settings

YES = {"是", "yes", "y", "true", "1", "有", "√", "t"}
NO = {"否", "no", "n", "false", "0", "无", "×", "f"}
SEPARATORS = re.compile(r"[;；,，、|\s]+")


@dataclass(frozen=True)
class AnswerError:
    """Why one answer was refused; ``question_id`` names the field (column) it belongs to."""

    question_id: str
    message_zh: str
    message_en: str

    def message(self, locale: str = "zh") -> str:
        return self.message_en if locale.startswith("en") else self.message_zh


class ValueProblem(ValueError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    return isinstance(value, (list, tuple)) and len(value) == 0


def normalise_text(value: Any) -> str:
    """Full-width to half-width (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueProblem("应为数字", "expected a number")
    if isinstance(value, (int, float)):
        return float(value)
    text = normalise_text(value).replace(",", "").replace(" ", "")
    text = text.removesuffix("%")
    try:
        number = float(text)
    except ValueError:
        raise ValueProblem(f"“{_shown(value)}”不是数字", f"'{_shown(value)}' is not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise ValueProblem(f"“{_shown(value)}”不是有效数字", f"'{_shown(value)}' is not a finite number")
    return number


def match_option(question: Question, raw: str) -> str:
    text = normalise_text(raw)
    for opt in question.options:
        if opt.code == text:
            return opt.code
    lowered = text.lower()
    for opt in question.options:
        if opt.code.lower() == lowered or opt.label.zh == text or (opt.label.en or "").lower() == lowered:
            return opt.code
    allowed = ", ".join(o.code for o in question.options)
    shown = _shown(raw)
    raise ValueProblem(f"选项“{shown}”不存在（可选：{allowed}）", f"unknown option '{shown}' (allowed: {allowed})")


def parse_value(question: Question, value: Any) -> Any:
    """The clean value of ``value`` for ``question``, None when blank; raises ``ValueProblem``."""
    if is_blank(value):
        return None
    t = question.type
    if t == "single":
        return match_option(question, str(value))
    if t == "level":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(int(value)) if float(value).is_integer() else str(value)
        return int(match_option(question, str(value)))
    if t == "multi":
        items = value if isinstance(value, (list, tuple, set)) else SEPARATORS.split(normalise_text(value))
        codes: list[str] = []
        for item in items:
            if is_blank(item):
                continue
            code = match_option(question, str(item))
            if code not in codes:
                codes.append(code)
        exclusive = [c for c in codes if (opt := question.option(c)) and opt.exclusive]
        if exclusive and len(codes) > 1:
            raise ValueProblem(f"选项 {exclusive[0]} 不能与其他选项同时选择",
                               f"option {exclusive[0]} cannot be combined with other options")
        order = [o.code for o in question.options]
        return sorted(codes, key=order.index) or None
    if t == "number":
        number = parse_number(value)
        if question.max is None and abs(number) > settings.max_number_answer:  # the file's max, else a sane bound
            raise ValueProblem(f"数值过大（不能超过 {settings.max_number_answer:g}）",
                               f"too large (at most {settings.max_number_answer:g})")
        if question.integer and not number.is_integer():
            raise ValueProblem(f"应为整数，得到 {_shown(value)}", f"expected a whole number, got {_shown(value)}")
        if question.min is not None and number < question.min:
            raise ValueProblem(f"不能小于 {question.min:g}", f"must be at least {question.min:g}")
        if question.max is not None and number > question.max:
            raise ValueProblem(f"不能大于 {question.max:g}", f"must be at most {question.max:g}")
        return number
    if t == "yesno":
        if isinstance(value, bool):
            return value
        text = normalise_text(value).lower()
        if text in YES:
            return True
        if text in NO:
            return False
        raise ValueProblem(f"“{_shown(value)}”应为 是/否", f"'{_shown(value)}' should be yes/no (是/否, 1/0)")
    if t == "evidence":
        return list(value) if isinstance(value, (list, tuple)) else [normalise_text(value)]
    text = str(value).strip()
    limit = text_limit(question)
    if len(text) > limit:  # a 19 MB remark once made every page serving it 20 MB
        raise ValueProblem(f"“{question.text.zh}”过长：最多 {limit} 个字符，当前 {len(text)} 个；请删减后再保存",
                           f"'{question.text.get('en')}' is too long: at most {limit} characters, got {len(text)}; "
                           "shorten it and save again")
    return text


def text_limit(question: Question) -> int:
    """The longest text answer ``question`` accepts: its own ``max_length``, else the site-wide bound."""
    return question.max_length or settings.max_text_answer


def _shown(value: Any, limit: int = 40) -> str:
    """``value`` as quoted back in a message: a 1 MB bad input is not echoed whole."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def check_answers(
    q: Questionnaire, raw: Mapping[str, Any], *, complete: bool, strict_unknown: bool = False
) -> tuple[dict[str, Any], list[AnswerError]]:
    """Parse every answer, apply skip logic and (when ``complete``) required rules.

    Returns the clean answers (irrelevant and computed questions dropped) and every problem found; a
    draft is saved with its good answers even when some are refused, so nothing typed is lost twice.
    """
    clean: dict[str, Any] = {}
    errors: list[AnswerError] = []
    questions = q.all_questions
    if strict_unknown:
        known = {qq.id for qq in questions}
        for key in raw:
            if key not in known:
                errors.append(AnswerError(key, "问卷中没有这道题", "no such question in this questionnaire"))
    for question in questions:
        if question.formula:
            continue  # computed, never asked
        try:
            value = parse_value(question, raw.get(question.id))
        except ValueProblem as exc:
            errors.append(AnswerError(question.id, exc.zh, exc.en))
            continue
        if value is not None:
            clean[question.id] = value
    conditions = q.condition_map
    values: dict[str, Any] | None = None  # clean | its formula values, recomputed only after clean changes
    for question in questions:
        cond = conditions.get(question.id)
        if cond:
            if values is None:
                values = clean | computed_values(q, clean)
            if not _cached(cond).truth(values):
                if clean.pop(question.id, _ABSENT) is not _ABSENT:
                    values = None
                continue
        if question.constraint and question.id in clean and not constraint(question).truth(clean):
            msg = question.constraint_message
            errors.append(AnswerError(question.id, msg.zh if msg else f"不满足条件：{question.constraint}",
                                      (msg.en or msg.zh) if msg else f"must satisfy: {question.constraint}"))
            clean.pop(question.id)
            values = None
            continue
        if complete and question.required and not question.formula and question.id not in clean:
            if not any(e.question_id == question.id for e in errors):
                errors.append(AnswerError(question.id, "此题必答", "this question is required"))
    return clean, errors


def computed_values(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Values of ``formula`` questions for one submission (for skip logic that reads them)."""
    out: dict[str, Any] = {}
    for question in _formula_questions(q):
        out[question.id] = formula(question).evaluate({**answers, **out})
    return out


def _formula_questions(q: Questionnaire) -> list[Question]:
    return [qq for qq in q.all_questions if qq.formula]


_ABSENT = object()


_PARSED: dict[str, expr.Expression] = {}


def relevance(question: Question) -> expr.Expression:
    return _cached(question.relevant or "true")


def condition(q: Questionnaire, question: Question) -> expr.Expression:
    """When ``question`` is asked: its own ``relevant`` and the ``applies`` of its indicator and section."""
    return _cached(q.condition_map.get(question.id) or "true")


def formula(question: Question) -> expr.Expression:
    return _cached(question.formula or "0")


def constraint(question: Question) -> expr.Expression:
    return _cached(question.constraint or "true")


def _cached(source: str) -> expr.Expression:
    if source not in _PARSED:
        _PARSED[source] = expr.parse(source)
    return _PARSED[source]


def visible_questions(q: Questionnaire, answers: Mapping[str, Any]) -> set[str]:
    """Ids of the questions a respondent should see given the answers so far (the form uses this)."""
    values = dict(answers) | computed_values(q, answers)
    conditions = q.condition_map
    return {qq.id for qq in q.all_questions if not qq.formula and (
        not conditions.get(qq.id) or _cached(conditions[qq.id] or "true").truth(values))}


# ---------------------------------------------------------------- decoding to arrays


@dataclass
class AnswerArrays:
    """Many submissions' clean answers as arrays, one entry per question id.

    ``index`` (single/level): option position, -1 missing; ``multi``: n x k bool; ``number``: float,
    NaN missing; ``yesno``: int8 1/0/-1; ``present`` (text/evidence): bool.
    """

    n: int
    index: dict[str, np.ndarray] = field(default_factory=dict)
    multi: dict[str, np.ndarray] = field(default_factory=dict)
    number: dict[str, np.ndarray] = field(default_factory=dict)
    yesno: dict[str, np.ndarray] = field(default_factory=dict)
    present: dict[str, np.ndarray] = field(default_factory=dict)

    def clear(self, qid: str, where: np.ndarray) -> None:
        """Mark ``qid`` unanswered in the rows ``where`` (skip logic dropped it, or a rule refused it)."""
        if qid in self.index:
            self.index[qid][where] = -1
        elif qid in self.multi:
            self.multi[qid][where] = False
        elif qid in self.number:
            self.number[qid][where] = np.nan
        elif qid in self.yesno:
            self.yesno[qid][where] = -1
        elif qid in self.present:
            self.present[qid][where] = False

    def copy(self) -> AnswerArrays:
        return AnswerArrays(
            self.n, {k: v.copy() for k, v in self.index.items()}, {k: v.copy() for k, v in self.multi.items()},
            {k: v.copy() for k, v in self.number.items()}, {k: v.copy() for k, v in self.yesno.items()},
            {k: v.copy() for k, v in self.present.items()},
        )


def decode(q: Questionnaire, rows: Sequence[Mapping[str, Any]]) -> AnswerArrays:
    """Clean answers (as stored) to arrays: one pass per question, no per-answer scoring in Python."""
    n = len(rows)
    out = AnswerArrays(n)
    for question in q.questions():
        qid = question.id
        column = [row.get(qid) for row in rows]
        t = question.type
        if t in ("single", "level"):
            lookup: dict[Any, int] = {o.code: i for i, o in enumerate(question.options)}
            if t == "level":
                lookup.update({int(o.code): i for i, o in enumerate(question.options)})
            out.index[qid] = np.fromiter((lookup.get(v, -1) for v in column), dtype=np.int32, count=n)
        elif t == "multi":
            pos = {o.code: i for i, o in enumerate(question.options)}
            matrix = np.zeros((n, len(question.options)), dtype=bool)
            for r, v in enumerate(column):
                if v:
                    for code in v:
                        j = pos.get(code)
                        if j is not None:
                            matrix[r, j] = True
            out.multi[qid] = matrix
        elif t == "number":
            out.number[qid] = np.fromiter(
                (np.nan if v is None else float(v) for v in column), dtype=np.float64, count=n)
        elif t == "yesno":
            out.yesno[qid] = np.fromiter(
                (-1 if v is None else int(bool(v)) for v in column), dtype=np.int8, count=n)
        else:
            out.present[qid] = np.fromiter((not is_blank(v) for v in column), dtype=bool, count=n)
    return out


def encode_row(q: Questionnaire, arrays: AnswerArrays, i: int) -> dict[str, Any]:
    """Row ``i`` of ``arrays`` back to clean answers (for explanations and tests)."""
    row: dict[str, Any] = {}
    for question in q.questions():
        qid = question.id
        if qid in arrays.index:
            j = int(arrays.index[qid][i])
            if j >= 0:
                code = question.options[j].code
                row[qid] = int(code) if question.type == "level" else code
        elif qid in arrays.multi:
            picked = [question.options[j].code for j in np.nonzero(arrays.multi[qid][i])[0]]
            if picked:
                row[qid] = picked
        elif qid in arrays.number:
            v = arrays.number[qid][i]
            if not np.isnan(v):
                row[qid] = float(v)
        elif qid in arrays.yesno:
            v = int(arrays.yesno[qid][i])
            if v >= 0:
                row[qid] = bool(v)
    return row

