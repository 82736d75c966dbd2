"""Many submissions' raw answers checked column by column: ``check_answers`` for a whole census at once.

A province-wide census is a hundred thousand rows times dozens of columns; reading it cell by cell in
Python (``answers.check_answers`` per row) costs a minute. Here each column is parsed once:

- choice, level, yes/no, multiple-choice and text columns are factorised, and only their *distinct*
  cells go through ``answers.parse_value``: the one rule for what a typed cell means, and the one
  wording of why it is refused; the results are spread back over the rows with a lookup table;
- number columns go through one normalise-and-``pd.to_numeric`` pass (``1,234.5``, full-width digits,
  a trailing ``%``) with integer/min/max checks on the arrays; a cell the fast pass does not accept is
  handed to ``parse_value`` for its verdict and message, so nothing the per-row rule accepts is refused;
- skip logic, formulas and constraints are the definition's compiled expressions (``diagnostics.expr``)
  evaluated on numpy columns, in definition order, exactly as ``check_answers`` applies them.

The outcome is what ``check_answers(q, row, complete=...)`` gives row by row: the same clean answers
and the same errors in the same order (``tests/diagnostics/test_census_columns.py`` compares both on a
corpus of bad cells). Cells are text, as ``census.read_table`` reads them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagnostics import expr
from diagnostics.answers import (
    SEPARATORS,
    AnswerArrays,
    ValueProblem,
    constraint,
    encode_row,
    formula,
    is_blank,
    match_option,
    normalise_text,
    parse_value,
    relevance,
)
from diagnostics.questionnaire import Question, Questionnaire

# What float() accepts for sure once ``parse_number``'s normalisation ran; anything else (``1_000``,
# ``inf``, other scripts' digits...) is judged by ``parse_value`` itself.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

PARSE, LOGIC = 0, 1  # check_answers reports every parse error before any skip-logic/constraint/required one


@dataclass(frozen=True)
class CellError:
    """One refused answer: ``position`` is the 0-based row in the columns given."""

    position: int
    question_id: str
    message_zh: str
    message_en: str


@dataclass
class ColumnAnswers:
    """Clean answers of ``n`` rows as arrays, the text answers, the errors and which cells were blank.

    ``arrays`` holds what ``decode`` would make of each row's clean answers; ``values`` holds the clean
    text (and evidence) answers themselves, None when missing; ``blank`` says, per column given, which
    cells were empty; ``errors`` are sorted by row, in the order ``check_answers`` reports them.
    """

    arrays: AnswerArrays
    values: dict[str, np.ndarray] = field(default_factory=dict)
    blank: dict[str, np.ndarray] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)

    def row(self, q: Questionnaire, i: int) -> dict[str, Any]:
        """Row ``i``'s clean answers as ``check_answers`` returns them (a dict in definition order)."""
        decoded = encode_row(q, self.arrays, i)
        out: dict[str, Any] = {}
        for question in q.questions():
            qid = question.id
            if qid in self.values:
                if self.values[qid][i] is not None:
                    out[qid] = self.values[qid][i]
            elif qid in decoded:
                out[qid] = decoded[qid]
        return out

    def take(self, positions: np.ndarray) -> ColumnAnswers:
        """The rows at ``positions`` (arrays and values; blank masks and errors are not carried)."""
        a = self.arrays
        arrays = AnswerArrays(
            len(positions), {k: v[positions] for k, v in a.index.items()},
            {k: v[positions] for k, v in a.multi.items()}, {k: v[positions] for k, v in a.number.items()},
            {k: v[positions] for k, v in a.yesno.items()}, {k: v[positions] for k, v in a.present.items()})
        return ColumnAnswers(arrays, {k: v[positions] for k, v in self.values.items()})


@dataclass
class _Parsed:
    """Phase one for one question: its decoded column and the rows whose cell was refused."""

    failed: np.ndarray  # bool, n
    messages: dict[int, tuple[str, str]]  # row -> (zh, en)


def check_columns(
    q: Questionnaire, cells: Mapping[str, np.ndarray | pd.Series], n: int, *, complete: bool
) -> ColumnAnswers:
    """Parse and check ``n`` rows given as one text column per question id (a missing column is blank).

    Mirrors ``answers.check_answers`` (without ``strict_unknown``: a census warns about unknown columns).
    """
    state = ColumnAnswers(AnswerArrays(n))
    parsed: dict[str, _Parsed] = {}
    errors: list[tuple[int, int, int, CellError]] = []
    for order, question in enumerate(q.questions()):
        if question.formula:
            continue  # computed, never asked
        column = cells.get(question.id)
        raw = np.asarray(column, dtype=object) if column is not None else None
        parsed[question.id] = p = _parse_column(question, raw, n, state)
        for row, (zh, en) in p.messages.items():
            errors.append((row, PARSE, order, CellError(row, question.id, zh, en)))
    _Logic(q, state, n).run(parsed, complete, errors)
    errors.sort(key=lambda e: (e[0], e[1], e[2]))
    state.errors = [e[3] for e in errors]
    return state


def _parse_column(question: Question, raw: np.ndarray | None, n: int, state: ColumnAnswers) -> _Parsed:
    """Decode one question's column into ``state`` (refused cells become missing)."""
    qid, t = question.id, question.type
    if raw is None:
        codes = np.full(n, -1, dtype=np.intp)
        uniques: np.ndarray = np.zeros(0, dtype=object)
    else:
        codes, uniques = pd.factorize(raw)
        uniques = np.asarray(uniques, dtype=object)
        state.blank[qid] = np.append(_blank(uniques), True)[codes]
    if t == "number":
        number, failed_u, messages_u = _parse_numbers(question, uniques)
    elif t == "multi":
        picked_u, failed_u, messages_u = _parse_multi(question, uniques)
    else:
        clean_u: list[Any] = []
        failed_u = np.zeros(len(uniques), dtype=bool)
        messages_u = {}
        for j, cell in enumerate(uniques):
            try:
                clean_u.append(parse_value(question, cell))
            except ValueProblem as exc:
                clean_u.append(None)
                failed_u[j], messages_u[j] = True, (exc.zh, exc.en)
    # index -1 (a cell pandas reads as missing) picks the trailing "missing" entry of every table
    if t in ("single", "level"):
        pos = {(int(o.code) if t == "level" else o.code): i for i, o in enumerate(question.options)}
        table = np.array([-1 if v is None else pos[v] for v in clean_u] + [-1], dtype=np.int32)
        state.arrays.index[qid] = table[codes]
    elif t == "multi":
        state.arrays.multi[qid] = np.vstack([picked_u, np.zeros((1, len(question.options)), dtype=bool)])[codes]
    elif t == "number":
        state.arrays.number[qid] = np.append(number, np.nan)[codes]
    elif t == "yesno":
        flags = np.array([-1 if v is None else int(bool(v)) for v in clean_u] + [-1], dtype=np.int8)
        state.arrays.yesno[qid] = flags[codes]
    else:  # text, evidence: the clean values themselves, for expressions and for the stored answers
        values = np.empty(len(clean_u) + 1, dtype=object)
        for j, v in enumerate(clean_u):  # one by one: numpy would read a list of lists as a matrix
            values[j] = v
        state.values[qid] = values[codes]
        state.arrays.present[qid] = np.append(np.array([not is_blank(v) for v in clean_u], dtype=bool),
                                              False)[codes]
    failed = np.append(failed_u, False)[codes]
    messages: dict[int, tuple[str, str]] = {}
    if messages_u:
        for row in np.nonzero(failed)[0]:
            messages[int(row)] = messages_u[int(codes[row])]
    return _Parsed(failed, messages)


def _parse_multi(question: Question, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[str, str]]]:
    """Distinct multiple-choice cells to an option matrix: split, each distinct item matched once.

    Items go through ``answers.match_option`` (codes, then labels, any case), once per distinct item;
    a cell with an unknown item or an exclusive option among others is handed to ``parse_value`` for
    its verdict and message.
    """
    m, k = len(cells), len(question.options)
    matrix = np.zeros((m, k), dtype=bool)
    failed = np.zeros(m, dtype=bool)
    messages: dict[int, tuple[str, str]] = {}
    at = {o.code: i for i, o in enumerate(question.options)}
    matched: dict[str, int] = {}  # item -> option position, -1 unknown
    rows: list[int] = []
    cols: list[int] = []
    suspect = np.zeros(m, dtype=bool)
    for j, cell in enumerate(cells):
        if not isinstance(cell, str):
            suspect[j] = True
            continue
        for item in SEPARATORS.split(cell if cell.isascii() else normalise_text(cell)):
            if not item.strip():
                continue
            pos = matched.get(item)
            if pos is None:
                try:
                    pos = matched[item] = at[match_option(question, item)]
                except ValueProblem:
                    pos = matched[item] = -1
            if pos < 0:
                suspect[j] = True
            else:
                rows.append(j)
                cols.append(pos)
    matrix[rows, cols] = True
    exclusive = np.array([o.exclusive for o in question.options], dtype=bool)
    suspect |= matrix[:, exclusive].any(axis=1) & (matrix.sum(axis=1) > 1)
    for r in np.nonzero(suspect)[0]:  # the per-row rule decides (and words) these
        matrix[r] = False
        try:
            picked = parse_value(question, cells[r])
        except ValueProblem as exc:
            failed[r], messages[int(r)] = True, (exc.zh, exc.en)
        else:
            matrix[r, [at[c] for c in picked or ()]] = True
    return matrix, failed, messages


def _parse_numbers(question: Question, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[str, str]]]:
    """Distinct number cells to floats (NaN blank or refused), which were refused, and why."""
    m = len(cells)
    number = np.full(m, np.nan)
    failed = np.zeros(m, dtype=bool)
    messages: dict[int, tuple[str, str]] = {}
    if not m:
        return number, failed, messages
    blank = _blank(cells)
    strings = np.array([isinstance(c, str) for c in cells], dtype=bool)
    # NFKC leaves ASCII unchanged, so only other cells (full-width digits...) pay for it
    folded = pd.Series([(c if c.isascii() else normalise_text(c)) if isinstance(c, str) else "" for c in cells],
                       dtype=object)
    folded = (folded.str.strip().str.replace(",", "", regex=False).str.replace(" ", "", regex=False)
              .str.removesuffix("%"))
    plain = strings & ~blank & folded.str.fullmatch(_PLAIN_NUMBER.pattern).fillna(False).to_numpy(dtype=bool)
    values = np.full(m, np.nan)
    if plain.any():
        values[plain] = pd.to_numeric(folded[plain]).to_numpy(dtype=float)
    accepted = plain & np.isfinite(values)
    with np.errstate(invalid="ignore"):
        if question.integer:
            accepted &= values == np.round(values)
        if question.min is not None:
            accepted &= values >= question.min
        if question.max is not None:
            accepted &= values <= question.max
    number[accepted] = values[accepted]
    for j in np.nonzero(~accepted & ~blank)[0]:  # the per-row rule decides (and words) the rest
        try:
            parsed = parse_value(question, cells[j])
        except ValueProblem as exc:
            failed[j], messages[int(j)] = True, (exc.zh, exc.en)
        else:
            number[j] = np.nan if parsed is None else float(parsed)
    return number, failed, messages


def _blank(cells: np.ndarray) -> np.ndarray:
    """``answers.is_blank`` of each cell (text cells through one vectorised strip)."""
    stripped = pd.Series(cells, dtype=object).str.strip()
    return np.array([s == "" if isinstance(s, str) else is_blank(c) for s, c in zip(stripped, cells, strict=True)],
                    dtype=bool)


class _Logic:
    """Phase two: skip logic, constraints and required rules over the columns, in definition order.

    ``check_answers`` walks the questions once, dropping an answer when its ``relevant`` condition is
    false (seen through the formulas of what is still answered) or its constraint fails (seen through
    the answers alone); later conditions see those drops. This class keeps the same walk, on columns.
    """

    def __init__(self, q: Questionnaire, state: ColumnAnswers, n: int) -> None:
        self.q, self.state, self.n = q, state, n
        self.by_id = {qq.id: qq for qq in q.questions()}
        self.formulas = [qq for qq in q.questions() if qq.formula]
        self.version = 0  # bumped whenever an answer is dropped, so formulas are recomputed
        self._computed: tuple[int, dict[str, expr.VectorColumn]] | None = None

    def run(self, parsed: Mapping[str, _Parsed], complete: bool,
            errors: list[tuple[int, int, int, CellError]]) -> None:
        for order, question in enumerate(self.q.questions()):
            if question.formula:
                continue  # never answered: its skip logic, constraint and required rule change nothing
            qid = question.id
            skipped = np.zeros(self.n, dtype=bool)
            if question.relevant:
                expression = relevance(question)
                skipped = ~expression.truth_vector(self.columns(expression.names, with_formulas=True), self.n)
                self.drop(qid, skipped)
            refused = np.zeros(self.n, dtype=bool)
            if question.constraint:
                expression = constraint(question)
                holds = expression.truth_vector(self.columns(expression.names, with_formulas=False), self.n)
                refused = self.present(qid) & ~holds
                if refused.any():
                    msg = question.constraint_message
                    zh = msg.zh if msg else f"不满足条件：{question.constraint}"
                    en = (msg.en or msg.zh) if msg else f"must satisfy: {question.constraint}"
                    errors.extend((int(r), LOGIC, order, CellError(int(r), qid, zh, en))
                                  for r in np.nonzero(refused)[0])
                    self.drop(qid, refused)
            if complete and question.required:
                missing = ~self.present(qid) & ~skipped & ~refused & ~parsed[qid].failed
                errors.extend((int(r), LOGIC, order, CellError(int(r), qid, "此题必答", "this question is required"))
                              for r in np.nonzero(missing)[0])

    def present(self, qid: str) -> np.ndarray:
        a = self.state.arrays
        if qid in a.index:
            return np.asarray(a.index[qid] >= 0)
        if qid in a.multi:
            return np.asarray(a.multi[qid].any(axis=1))
        if qid in a.number:
            return np.asarray(~np.isnan(a.number[qid]))
        if qid in a.yesno:
            return np.asarray(a.yesno[qid] >= 0)
        return np.array(a.present[qid], dtype=bool)

    def drop(self, qid: str, where: np.ndarray) -> None:
        if not where.any():
            return
        a = self.state.arrays
        a.clear(qid, where)
        if qid in a.present:  # text and evidence keep their values beside the flag
            self.state.values[qid][where] = None
        self.version += 1

    def columns(self, names: frozenset[str], *, with_formulas: bool) -> dict[str, expr.VectorColumn]:
        """The columns an expression reads; formula values only where ``check_answers`` shows them."""
        cols = {qid: self.answer_column(qid) for qid in names if qid in self.by_id and not self.by_id[qid].formula}
        if with_formulas and any(self.by_id[qid].formula for qid in names if qid in self.by_id):
            computed = self.computed()
            cols.update({qid: computed[qid] for qid in names if qid in computed})
        return cols

    def computed(self) -> dict[str, expr.VectorColumn]:
        """Every formula in definition order, each seeing the answers and the formulas before it."""
        if self._computed is not None and self._computed[0] == self.version:
            return self._computed[1]
        out: dict[str, expr.VectorColumn] = {}
        for question in self.formulas:
            expression = formula(question)
            cols = self.columns(expression.names, with_formulas=False) | {k: v for k, v in out.items()
                                                                           if k in expression.names}
            with np.errstate(all="ignore"):
                values = np.asarray(expression.evaluate_vector(cols, self.n), dtype=float)
            out[question.id] = expr.VectorColumn("number", np.broadcast_to(values, (self.n,)).copy())
        self._computed = (self.version, out)
        return out

    def answer_column(self, qid: str) -> expr.VectorColumn:
        """One answered question as the expression language sees it (text keeps its string)."""
        question, a = self.by_id[qid], self.state.arrays
        if qid in a.index:
            codes = [int(o.code) if question.type == "level" else o.code for o in question.options]
            return expr.VectorColumn("code", np.array([*codes, None], dtype=object)[a.index[qid]])
        if qid in a.multi:
            return expr.VectorColumn("multi", a.multi[qid], tuple(o.code for o in question.options))
        if qid in a.number:
            return expr.VectorColumn("number", a.number[qid])
        if qid in a.yesno:
            return expr.VectorColumn("bool", a.yesno[qid])
        if question.type == "text":
            return expr.VectorColumn("code", self.state.values[qid])
        return expr.VectorColumn("present", a.present[qid])
