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
from itertools import compress
from typing import Any

import numpy as np
import pandas as pd

from diagnostics import expr
from diagnostics.answers import AnswerArrays, condition, decode, formula
from diagnostics.questionnaire import Gate, Question, Questionnaire

SCORER_VERSION = "1.1.0"  # 1.1: applicability (N/A leaves the maximum), upper-closed bands
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
    upper: bool = False  # bands include their upper edge, not their lower one


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
        self.conditions = q.conditions()
        owner = {qq.id: self.ind_index[ind.code] for ind in self.indicators for qq in ind.questions}
        self.scenario_ind = [owner[sq.id] for sq in self.scenarios]
        self.dynamic = [qq for qq in self.questions if self.conditions.get(qq.id) or qq.formula]
        # applicability (see diagnostics.questionnaire): which indicators can be not applicable, each
        # scored question's maximum, and for single choices the options that answer "not applicable"
        self.applicability = q.uses_applicability
        self.plan_ind = np.array(plan_ind, dtype=np.int64)
        self.plan_max = np.array([plan.question.max_possible() for plan in self.plans], dtype=float)
        self.ind_full = self.plan_max @ self.q_to_ind if self.plans else np.zeros(len(self.indicators))
        self.ind_applies: list[tuple[int, str]] = []
        for dim in self.dimensions:
            for ind in dim.indicators:
                parts = [p for p in (dim.applies, ind.applies) if p]
                if parts:
                    self.ind_applies.append((self.ind_index[ind.code], " and ".join(f"({p})" for p in parts)))
        self.na_options = {plan.question.id: np.array([o.not_applicable for o in plan.question.options] + [False])
                           for plan in self.plans if any(o.not_applicable for o in plan.question.options)}
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
            upper=question.bands_include == "upper",
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
        cond = c.conditions.get(question.id)
        if not (cond or question.formula):
            continue
        when = condition(c.q, question)
        names = (when.names if cond else frozenset()) | (
            formula(question).names if question.formula else frozenset())
        cols = _columns(arrays, c.q, names)
        qid = question.id
        if question.formula:
            with np.errstate(all="ignore"):
                values = np.asarray(formula(question).evaluate_vector(cols, n), dtype=float)
            arrays.number[qid] = values
            cols[qid] = expr.VectorColumn("number", values)
        if cond:
            mask = np.asarray(when.evaluate_vector(cols, n), dtype=bool)
            applied[qid] = mask
            arrays.clear(qid, ~mask)
    return arrays, applied


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
            # lower-closed bands: the last edge <= value; upper-closed: the last edge < value
            pos = np.searchsorted(plan.edges, values, side="left" if plan.upper else "right") - 1
            safe = np.clip(pos, 0, len(plan.table) - 1)
            below = values <= plan.uppers[safe] if plan.upper else values < plan.uppers[safe]
            inside = (pos >= 0) & below & ~np.isnan(values)
            out[:, p] = np.where(inside, plan.table[safe], 0.0)
        else:
            out[:, p] = plan.table[arrays.yesno[qid]]  # -1 picks the trailing 0
    return out


def applicable_maxima(c: CompiledQuestionnaire, arrays: AnswerArrays) -> np.ndarray:
    """n x indicators: each indicator's maximum (after weight) over the questions that apply.

    An indicator whose section or own ``applies`` is false applies nowhere (0); a question answered with
    a ``not_applicable`` option takes its maximum out. Without applicability every row is ``ind_max``.
    """
    n = arrays.n
    out = np.tile(c.ind_max, (n, 1))
    if not c.applicability or not c.plans:
        return out
    q_app = np.ones((n, len(c.plans)), dtype=bool)
    for j, source in c.ind_applies:
        parsed = expr.parse(source)
        mask = np.asarray(parsed.evaluate_vector(_columns(arrays, c.q, parsed.names), n), dtype=bool)
        q_app[:, c.plan_ind == j] &= mask[:, None]
    for p, plan in enumerate(c.plans):
        na = c.na_options.get(plan.question.id)
        if na is not None:
            q_app[:, p] &= ~na[arrays.index[plan.question.id]]
    avail = (q_app * c.plan_max) @ c.q_to_ind
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(c.ind_full > 0, avail / np.where(c.ind_full > 0, c.ind_full, 1.0), 1.0)
    maxima: np.ndarray = np.round(c.ind_max * np.clip(frac, 0.0, 1.0), DECIMALS)
    return maxima


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
    indicator_max: np.ndarray | None = None  # n x indicators: applicable maximum (None: the fixed maxima)
    raw_total: np.ndarray | None = None  # before rescaling to the applicable maximum
    complete: np.ndarray | None = None  # every required answer the score reads is present

    @cached_property
    def ind_max(self) -> np.ndarray:
        """n x indicators: the maximum each indicator could give this submission."""
        if self.indicator_max is None:
            return np.tile(self.compiled.ind_max, (self.n, 1))
        return self.indicator_max

    @cached_property
    def applicable(self) -> np.ndarray:
        """n x indicators: False where the indicator does not apply (it left the points and the maximum)."""
        out: np.ndarray = ~((self.ind_max <= EPS) & (self.compiled.ind_max > 0))
        return out

    @cached_property
    def dimension_max(self) -> np.ndarray:
        c = self.compiled
        out: np.ndarray = np.round(self.ind_max @ c.ind_to_dim * c.dim_weight, DECIMALS)
        return out

    @cached_property
    def applicable_max(self) -> np.ndarray:
        """The maximum of the scored dimensions over what applies (the fixed ``max_score`` without N/A)."""
        out: np.ndarray = np.round(self.dimension_max[:, self.compiled.dim_scored].sum(axis=1), DECIMALS)
        return out

    @property
    def n(self) -> int:
        return self.arrays.n

    @cached_property
    def weak(self) -> np.ndarray:
        """n x indicators: scored below the indicator's target (a weakness that feeds needs)."""
        c = self.compiled
        scored_ind = c.ind_to_dim[:, c.dim_scored].sum(axis=1) > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(c.ind_max > 0, self.ind_max / np.where(c.ind_max > 0, c.ind_max, 1.0), 1.0)
        weak: np.ndarray = (self.indicator < c.ind_target * share - EPS) & scored_ind & self.applicable
        return weak

    @cached_property
    def strong(self) -> np.ndarray:
        c = self.compiled
        scored_ind = c.ind_to_dim[:, c.dim_scored].sum(axis=1) > 0
        strong: np.ndarray = (self.indicator >= self.ind_max * c.q.strength_ratio - EPS) & scored_ind & (
            self.ind_max > EPS)
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
        """``record`` for every submission (or the positions ``rows``), built column-wise in one pass.

        Everything that varies per cell is decided on the arrays: a not-applicable score is ``None`` in an
        object array before ``tolist``, so each row's dicts are one ``dict(zip(...))`` (C loops). Scoring
        100 000 stored submissions spent more time building these dicts than scoring, when each row ran its
        own comprehensions."""
        c = self.compiled
        pick = slice(None) if rows is None else rows
        dims = [k for k, d in enumerate(c.dimensions) if d.scored]
        dim_codes = [c.dimensions[k].code for k in dims]
        dim_values = self.dimension[pick][:, dims].astype(float)
        if c.applicability:  # not applicable: None, so no reader mistakes "does not apply" for "scored 0"
            dim_values = _none_where(dim_values, self.dimension_max[pick][:, dims] <= EPS)
        applicable = self.applicable[pick]
        ind_values = _none_where(self.indicator[pick].astype(float), ~applicable)
        # a rating in an item that does not apply is None: "not applicable", not "level 0"
        scen_codes = [s.scenario or s.id for s in c.scenarios]
        scen_values = _none_where(self.scenarios[pick].astype(int), ~applicable[:, c.scenario_ind])
        totals = self.total[pick].astype(float).tolist()
        levels = self.level[pick].astype(int).tolist()
        bands = self.band_level[pick].astype(int).tolist()
        explanations = compact_rows(self, rows)
        return [{"total": total, "level": level, "band_level": band,
                 "dimension_scores": dict(zip(dim_codes, dv, strict=True)),
                 "indicator_scores": dict(zip(c.ind_codes, iv, strict=True)),
                 "scenario_levels": dict(zip(scen_codes, sv, strict=True)),
                 "explanation": explanation, "scorer_version": SCORER_VERSION}
                for total, level, band, dv, iv, sv, explanation in zip(
                    totals, levels, bands, dim_values.tolist(), ind_values.tolist(), scen_values.tolist(), explanations,
                    strict=True)]


def _none_where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values`` as Python numbers in an object array, ``None`` where ``mask`` (``tolist`` keeps both)."""
    out = values.astype(object)
    out[mask] = None
    return out


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
    codes = c.ind_codes
    points = np.round(result.points[pick], 4).tolist()
    raw = np.round(result.indicator_raw[pick], 4).tolist()
    weak = result.weak[pick].tolist()
    strong = result.strong[pick].tolist()
    n = len(points)
    applied_ids = list(result.applied)
    skipped = (~np.column_stack([result.applied[qid][pick] for qid in applied_ids]) if applied_ids
               else np.zeros((n, 0), dtype=bool)).tolist()
    # Python's round() where the one-row trail always used it (np.round can differ in the last digit)
    formula_ids = [q.id for q in c.dynamic if q.formula]
    computed = list(zip(*[[None if v != v else round(v, 4) for v in result.arrays.number[qid][pick].tolist()]
                          for qid in formula_ids], strict=True)) or [()] * n  # NaN -> None
    gate_keys = [f"{lv}/{gid}" for lv, gid in result.gates]
    gate_columns = [[[passed, round(value, 4)] for passed, value in zip(
        ok[pick].astype(bool).tolist(), actual[pick].astype(float).tolist(), strict=True)]
        for ok, actual in result.gates.values()]
    gates = list(zip(*gate_columns, strict=True)) or [()] * n
    extra = c.applicability and result.raw_total is not None
    if extra:
        assert result.raw_total is not None
        not_applicable = (~result.applicable[pick]).tolist()
        ind_max = result.ind_max[pick]
        partial = ((ind_max > EPS) & (ind_max < c.ind_max - EPS)).tolist()  # available, but below the full maximum
        ind_max_rows = ind_max.astype(float).tolist()
        raw_total = [round(v, 4) for v in result.raw_total[pick].astype(float).tolist()]
        applicable_max = [round(v, 4) for v in result.applicable_max[pick].astype(float).tolist()]
    out: list[dict[str, Any]] = []
    for r in range(n):
        row: dict[str, Any] = {
            "v": 1,
            "points": dict(zip(c.plan_ids, points[r], strict=True)),
            "raw": dict(zip(codes, raw[r], strict=True)),
            "skipped": list(compress(applied_ids, skipped[r])),
            "computed": dict(zip(formula_ids, computed[r], strict=True)),
            "weak": list(compress(codes, weak[r])),
            "strong": list(compress(codes, strong[r])),
            "gates": dict(zip(gate_keys, gates[r], strict=True)),
        }
        if extra:
            row["na"] = list(compress(codes, not_applicable[r]))
            row["avail"] = {code: round(m, 4)
                            for code, m in compress(zip(codes, ind_max_rows[r], strict=True), partial[r])}
            row["raw_total"] = raw_total[r]
            row["applicable_max"] = applicable_max[r]
        out.append(row)
    return out


def score(q: Questionnaire, arrays: AnswerArrays) -> ScoreResult:
    """Score every submission in ``arrays`` against definition ``q``."""
    c = compiled(q)
    effective, applied = apply_logic(c, arrays)
    points = question_points(c, effective)
    raw = points @ c.q_to_ind
    ind = np.round(np.minimum(raw, c.ind_cap) * c.ind_weight, DECIMALS)
    dim = np.round(ind @ c.ind_to_dim * c.dim_weight, DECIMALS)
    total = np.round(dim[:, c.dim_scored].sum(axis=1), DECIMALS)
    ind_max = applicable_maxima(c, effective) if c.applicability else None
    raw_total = total
    if ind_max is not None:
        app_max = np.round((ind_max @ c.ind_to_dim * c.dim_weight)[:, c.dim_scored].sum(axis=1), DECIMALS)
        with np.errstate(divide="ignore", invalid="ignore"):
            total = np.round(np.where(app_max > EPS, raw_total / np.where(app_max > EPS, app_max, 1.0) * q.max_score,
                                      0.0), DECIMALS)
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
    return ScoreResult(c, effective, applied, points, raw, ind, dim, total, band, level, scen, gates,
                       indicator_max=ind_max, raw_total=raw_total, complete=required_present(c, effective, applied))


def required_present(c: CompiledQuestionnaire, arrays: AnswerArrays, applied: dict[str, np.ndarray]) -> np.ndarray:
    """Per submission: every required question the score reads (scored questions, scenario ratings and
    the answers conditions read) is answered wherever it is asked. A submission missing one must not be
    scored: a blank would silently count as 0 points or as "does not apply". Text and evidence give no
    points, so their absence does not change a score and is checked at submit, not here."""
    read: set[str] = {plan.question.id for plan in c.plans} | {s.id for s in c.scenarios}
    for source in c.conditions.values():
        if source:
            read |= set(expr.parse(source).names)
    ok = np.ones(arrays.n, dtype=bool)
    for question in c.questions:
        if not question.required or question.formula or question.id not in read:
            continue
        qid = question.id
        if qid in arrays.index:
            have = arrays.index[qid] >= 0
        elif qid in arrays.multi:
            have = np.asarray(arrays.multi[qid].any(axis=1), dtype=bool)
        elif qid in arrays.number:
            have = ~np.isnan(arrays.number[qid])
        elif qid in arrays.yesno:
            have = arrays.yesno[qid] >= 0
        else:
            continue
        asked = applied.get(qid)
        ok &= have | (~asked if asked is not None else False)
    return ok


def score_answers(q: Questionnaire, rows: list[dict[str, Any]]) -> ScoreResult:
    """Convenience: decode clean answers and score them."""
    return score(q, decode(q, rows))
