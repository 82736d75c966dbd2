"""The scoring engine: many submissions at once, every point explainable.

``score(definition, arrays)`` takes decoded answers (``diagnostics.answers.decode``) and returns a
``ScoreResult`` of plain arrays: points per question, per indicator, per dimension, the total, the level
by points alone (``band_level``) and the level granted after gates (``level``). The arithmetic is numpy
over whole columns; the only Python loops run over the questionnaire's questions and levels (tens),
never over submissions. ``ScoreResult.record(i)`` is what an assessment stores: the scores and, in
compact form (numbers only), the trail from each answer to the level; ``diagnostics.explain`` turns that
into the readable trail (which rule gave which points, where a cap applied, which gate blocked which
level). Scoring knows nothing of the readable form: explain imports scoring, never the reverse.

Same input, same output: there is no randomness and no clock here; results are rounded to 4 decimals
so float summation order never flips a level boundary. ``SCORER_VERSION`` is stored with every
assessment; bump it whenever these semantics change, and flows rescore.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from diagnostics import expr
from diagnostics.answers import AnswerArrays, decode, formula, relevance
from diagnostics.questionnaire import Gate, Question, Questionnaire

SCORER_VERSION = "1.0.0"
EPS = 1e-9
DECIMALS = 4


@dataclass(frozen=True)
class _QPlan:
    """How one scored question turns its column into points (precomputed once per definition)."""

    question: Question
    kind: str  # index | multi | number | yesno
    table: np.ndarray  # option points (+ trailing 0 for missing) / band points
    edges: np.ndarray | None = None  # band lower edges, sorted
    uppers: np.ndarray | None = None  # band upper edges aligned with edges
    cap: float | None = None


class CompiledQuestionnaire:
    """Matrices derived from a definition: which question feeds which indicator, and so on."""

    def __init__(self, q: Questionnaire) -> None:
        self.q = q
        self.questions = q.questions()
        self.indicators = q.indicators()
        self.dimensions = q.dimensions
        self.ind_index = {ind.code: j for j, ind in enumerate(self.indicators)}
        self.dim_index = {d.code: k for k, d in enumerate(self.dimensions)}
        self.plans: list[_QPlan] = []
        plan_ind: list[int] = []
        for ind in self.indicators:
            for question in ind.questions:
                plan = _plan(question)
                if plan is not None:
                    self.plans.append(plan)
                    plan_ind.append(self.ind_index[ind.code])
        self.q_to_ind = np.zeros((len(self.plans), len(self.indicators)))
        for p, j in enumerate(plan_ind):
            self.q_to_ind[p, j] = 1.0
        self.ind_cap = np.array([ind.max_points for ind in self.indicators], dtype=float)
        self.ind_weight = np.array([ind.weight for ind in self.indicators], dtype=float)
        self.ind_target = np.array([q.indicator_target(ind) for ind in self.indicators], dtype=float)
        self.ind_max = self.ind_cap * self.ind_weight
        self.ind_to_dim = np.zeros((len(self.indicators), len(self.dimensions)))
        for k, dim in enumerate(self.dimensions):
            for ind in dim.indicators:
                self.ind_to_dim[self.ind_index[ind.code], k] = 1.0
        self.dim_weight = np.array([d.weight for d in self.dimensions], dtype=float)
        self.dim_scored = np.array([d.scored for d in self.dimensions], dtype=bool)
        self.dim_max = self.ind_max @ self.ind_to_dim * self.dim_weight
        self.scenarios = q.scenario_questions()
        self.levels = sorted(q.levels, key=lambda lv: lv.level)
        self.dynamic = [qq for qq in self.questions if qq.relevant or qq.formula]
        self.plan_ids = [plan.question.id for plan in self.plans]
        self.ind_codes = [ind.code for ind in self.indicators]


def _plan(question: Question) -> _QPlan | None:
    if not question.scored:
        return None
    if question.type in ("single", "level"):
        return _QPlan(question, "index", np.array([o.points for o in question.options] + [0.0]))
    if question.type == "multi":
        return _QPlan(question, "multi", np.array([o.points for o in question.options]), cap=question.max_points)
    if question.type == "number":
        bands = sorted(question.bands, key=lambda b: -np.inf if b.min is None else b.min)
        return _QPlan(
            question, "number", np.array([b.points for b in bands]),
            edges=np.array([-np.inf if b.min is None else b.min for b in bands]),
            uppers=np.array([np.inf if b.max is None else b.max for b in bands]),
        )
    return _QPlan(question, "yesno", np.array([question.no_points, question.yes_points, 0.0]))


_COMPILED: dict[int, CompiledQuestionnaire] = {}


def compiled(q: Questionnaire) -> CompiledQuestionnaire:
    """Compile once per definition object (definitions are immutable)."""
    key = id(q)
    hit = _COMPILED.get(key)
    if hit is None or hit.q is not q:
        hit = _COMPILED[key] = CompiledQuestionnaire(q)
    return hit


# ------------------------------------------------------------------ skip logic and formulas


def _columns(arrays: AnswerArrays, q: Questionnaire, names: frozenset[str]) -> dict[str, expr.VectorColumn]:
    """Vector columns for the question ids an expression reads (only those: building is not free)."""
    cols: dict[str, expr.VectorColumn] = {}
    for question in q.questions():
        qid = question.id
        if qid not in names:
            continue
        if qid in arrays.index:
            codes = [int(o.code) if question.type == "level" else o.code for o in question.options]
            lookup = np.array([*codes, None], dtype=object)
            cols[qid] = expr.VectorColumn("code", lookup[arrays.index[qid]])
        elif qid in arrays.multi:
            cols[qid] = expr.VectorColumn("multi", arrays.multi[qid], tuple(o.code for o in question.options))
        elif qid in arrays.number:
            cols[qid] = expr.VectorColumn("number", arrays.number[qid])
        elif qid in arrays.yesno:
            cols[qid] = expr.VectorColumn("bool", arrays.yesno[qid])
        elif qid in arrays.present:
            cols[qid] = expr.VectorColumn("present", arrays.present[qid])
    return cols


def apply_logic(c: CompiledQuestionnaire, arrays: AnswerArrays) -> tuple[AnswerArrays, dict[str, np.ndarray]]:
    """Compute formulas and blank out skipped answers, in definition order, on a copy.

    Returns the effective arrays and, for questions with a ``relevant`` rule, the mask of submissions
    for which the question applied.
    """
    if not c.dynamic:
        return arrays, {}
    arrays = arrays.copy()
    applied: dict[str, np.ndarray] = {}
    n = arrays.n
    for question in c.questions:
        if not (question.relevant or question.formula):
            continue
        names = (relevance(question).names if question.relevant else frozenset()) | (
            formula(question).names if question.formula else frozenset())
        cols = _columns(arrays, c.q, names)
        qid = question.id
        if question.formula:
            with np.errstate(all="ignore"):
                values = np.asarray(formula(question).evaluate_vector(cols, n), dtype=float)
            arrays.number[qid] = values
            cols[qid] = expr.VectorColumn("number", values)
        if question.relevant:
            mask = np.asarray(relevance(question).evaluate_vector(cols, n), dtype=bool)
            applied[qid] = mask
            _blank(arrays, qid, ~mask)
    return arrays, applied


def _blank(arrays: AnswerArrays, qid: str, where: np.ndarray) -> None:
    if qid in arrays.index:
        arrays.index[qid][where] = -1
    elif qid in arrays.multi:
        arrays.multi[qid][where] = False
    elif qid in arrays.number:
        arrays.number[qid][where] = np.nan
    elif qid in arrays.yesno:
        arrays.yesno[qid][where] = -1
    elif qid in arrays.present:
        arrays.present[qid][where] = False


# ------------------------------------------------------------------ the arithmetic


def question_points(c: CompiledQuestionnaire, arrays: AnswerArrays) -> np.ndarray:
    """n x (scored questions) matrix of points."""
    out = np.zeros((arrays.n, len(c.plans)))
    for p, plan in enumerate(c.plans):
        qid = plan.question.id
        if plan.kind == "index":
            out[:, p] = plan.table[arrays.index[qid]]  # index -1 picks the trailing 0
        elif plan.kind == "multi":
            pts = arrays.multi[qid] @ plan.table
            out[:, p] = np.minimum(pts, plan.cap) if plan.cap is not None else pts
        elif plan.kind == "number":
            assert plan.edges is not None and plan.uppers is not None  # _plan gives every number plan its bands
            values = arrays.number[qid]
            pos = np.searchsorted(plan.edges, values, side="right") - 1
            safe = np.clip(pos, 0, len(plan.table) - 1)
            inside = (pos >= 0) & (values < plan.uppers[safe]) & ~np.isnan(values)
            out[:, p] = np.where(inside, plan.table[safe], 0.0)
        else:
            out[:, p] = plan.table[arrays.yesno[qid]]  # -1 picks the trailing 0
    return out


def scenario_levels(c: CompiledQuestionnaire, arrays: AnswerArrays) -> np.ndarray:
    """n x (scenario questions) matrix of rated levels, 0 when missing or skipped."""
    out = np.zeros((arrays.n, len(c.scenarios)), dtype=np.int16)
    for s, question in enumerate(c.scenarios):
        levels = np.array([int(o.code) for o in question.options] + [0], dtype=np.int16)
        out[:, s] = levels[arrays.index[question.id]]
    return out


def _gate_mask(c: CompiledQuestionnaire, gate: Gate, ind_scores: np.ndarray, dim_scores: np.ndarray,
               scen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ok, actual) for one gate over all submissions; ``actual`` is the count or score compared."""
    if gate.kind == "scenarios":
        cols = _gate_scenarios(c, gate)
        actual = (scen[:, cols] >= gate.min_level).sum(axis=1).astype(float)
    else:
        assert gate.code is not None  # Gate's validator requires a code unless the gate counts scenarios
        if gate.kind == "indicator":
            actual = ind_scores[:, c.ind_index[gate.code]]
        else:
            actual = dim_scores[:, c.dim_index[gate.code]]
    return actual >= gate.at_least - EPS, actual


def _gate_scenarios(c: CompiledQuestionnaire, gate: Gate) -> list[int]:
    if gate.among == "all":
        return list(range(len(c.scenarios)))
    if gate.among == "binding":
        return [i for i, s in enumerate(c.scenarios) if s.binding]
    return [i for i, s in enumerate(c.scenarios) if s.id in gate.among]


@dataclass
class ScoreResult:
    """Scores for ``n`` submissions; columns follow the definition's order."""

    compiled: CompiledQuestionnaire
    arrays: AnswerArrays  # effective answers (after skip logic and formulas)
    applied: dict[str, np.ndarray]
    points: np.ndarray  # n x scored questions
    indicator_raw: np.ndarray  # n x indicators, before cap and weight
    indicator: np.ndarray  # n x indicators
    dimension: np.ndarray  # n x dimensions
    total: np.ndarray
    band_level: np.ndarray
    level: np.ndarray
    scenarios: np.ndarray  # n x scenario questions
    gates: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]]

    @property
    def n(self) -> int:
        return self.arrays.n

    @cached_property
    def weak(self) -> np.ndarray:
        """n x indicators: scored below the indicator's target (a weakness that feeds needs)."""
        scored_ind = self.compiled.ind_to_dim[:, self.compiled.dim_scored].sum(axis=1) > 0
        weak: np.ndarray = (self.indicator < self.compiled.ind_target - EPS) & scored_ind
        return weak

    @cached_property
    def strong(self) -> np.ndarray:
        c = self.compiled
        scored_ind = c.ind_to_dim[:, c.dim_scored].sum(axis=1) > 0
        strong: np.ndarray = (self.indicator >= c.ind_max * c.q.strength_ratio - EPS) & scored_ind & (c.ind_max > 0)
        return strong

    def frame(self) -> pd.DataFrame:
        """One row per submission: total, level, band_level and one column per dimension code."""
        data: dict[str, Any] = {"total": self.total, "level": self.level, "band_level": self.band_level}
        for k, dim in enumerate(self.compiled.dimensions):
            if dim.scored:
                data[dim.code] = self.dimension[:, k]
        return pd.DataFrame(data)

    def record(self, i: int) -> dict[str, Any]:
        """What an assessment row stores for submission ``i`` (the explanation in compact form)."""
        return self.records(np.array([i]))[0]

    def records(self, rows: np.ndarray | None = None) -> list[dict[str, Any]]:
        """``record`` for every submission (or the positions ``rows``), built column-wise in one pass."""
        c = self.compiled
        pick = slice(None) if rows is None else rows
        dims = [(k, d.code) for k, d in enumerate(c.dimensions) if d.scored]
        dim_values = self.dimension[pick][:, [k for k, _ in dims]].astype(float).tolist()
        dim_codes = [code for _, code in dims]
        ind_values = self.indicator[pick].astype(float).tolist()
        scen_codes = [s.scenario or s.id for s in c.scenarios]
        scen_values = self.scenarios[pick].astype(int).tolist()
        totals = self.total[pick].astype(float).tolist()
        levels = self.level[pick].astype(int).tolist()
        bands = self.band_level[pick].astype(int).tolist()
        explanations = compact_rows(self, rows)
        return [{
            "total": totals[r],
            "level": levels[r],
            "band_level": bands[r],
            "dimension_scores": dict(zip(dim_codes, dim_values[r], strict=True)),
            "indicator_scores": dict(zip(c.ind_codes, ind_values[r], strict=True)),
            "scenario_levels": dict(zip(scen_codes, scen_values[r], strict=True)),
            "explanation": explanations[r],
            "scorer_version": SCORER_VERSION,
        } for r in range(len(totals))]


def compact_row(result: ScoreResult, i: int) -> dict[str, Any]:
    """What an assessment stores to explain itself: numbers only (about 1.5 KB, built in microseconds).

    ``diagnostics.explain.expand`` turns it, with the definition and the submission's answers, into the
    full trail. Keeping the rule texts out of the database keeps 10 000 assessments small and fast to
    write; the texts are a pure function of the definition version the assessment points at.
    """
    return compact_rows(result, np.array([i]))[0]


def compact_rows(result: ScoreResult, rows: np.ndarray | None = None) -> list[dict[str, Any]]:
    """``compact_row`` for many submissions at once (all, or the positions ``rows``).

    The arrays are rounded and turned into Python lists once for the whole batch; only the zips into
    dicts run per submission (scoring 100 000 stored submissions spent most of its time here otherwise).
    """
    c = result.compiled
    pick = slice(None) if rows is None else rows
    points = np.round(result.points[pick], 4).tolist()
    raw = np.round(result.indicator_raw[pick], 4).tolist()
    weak = result.weak[pick].tolist()
    strong = result.strong[pick].tolist()
    applied = [(qid, mask[pick].tolist()) for qid, mask in result.applied.items()]
    # Python's round() on these two, as the single-row trail always did (np.round can differ in the last digit)
    formulas = [(q.id, [None if v != v else round(v, 4) for v in result.arrays.number[q.id][pick].tolist()])
                for q in c.dynamic if q.formula]  # NaN -> None
    gates = [(f"{lv}/{gid}", ok[pick].tolist(), [round(float(v), 4) for v in actual[pick].tolist()])
             for (lv, gid), (ok, actual) in result.gates.items()]
    return [{
        "v": 1,
        "points": dict(zip(c.plan_ids, points[r], strict=True)),
        "raw": dict(zip(c.ind_codes, raw[r], strict=True)),
        "skipped": [qid for qid, mask in applied if not mask[r]],
        "computed": {qid: v[r] for qid, v in formulas},
        "weak": [code for code, w in zip(c.ind_codes, weak[r], strict=True) if w],
        "strong": [code for code, s in zip(c.ind_codes, strong[r], strict=True) if s],
        "gates": {key: [bool(ok[r]), actual[r]] for key, ok, actual in gates},
    } for r in range(len(points))]


def score(q: Questionnaire, arrays: AnswerArrays) -> ScoreResult:
    """Score every submission in ``arrays`` against definition ``q``."""
    c = compiled(q)
    effective, applied = apply_logic(c, arrays)
    points = question_points(c, effective)
    raw = points @ c.q_to_ind
    ind = np.round(np.minimum(raw, c.ind_cap) * c.ind_weight, DECIMALS)
    dim = np.round(ind @ c.ind_to_dim * c.dim_weight, DECIMALS)
    total = np.round(dim[:, c.dim_scored].sum(axis=1), DECIMALS)
    scen = scenario_levels(c, effective)
    level = np.zeros(effective.n, dtype=np.int16)
    band = np.zeros(effective.n, dtype=np.int16)
    gates: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}
    for lv in c.levels:
        score_ok = total >= lv.min_score - EPS
        all_ok = score_ok.copy()
        for gate in lv.gates:
            ok, actual = _gate_mask(c, gate, ind, dim, scen)
            gates[(lv.level, gate.id)] = (ok, actual)
            all_ok &= ok
        band = np.where(score_ok, lv.level, band).astype(np.int16)
        level = np.where(all_ok, lv.level, level).astype(np.int16)
    return ScoreResult(c, effective, applied, points, raw, ind, dim, total, band, level, scen, gates)


def score_answers(q: Questionnaire, rows: list[dict[str, Any]]) -> ScoreResult:
    """Convenience: decode clean answers and score them."""
    return score(q, decode(q, rows))
