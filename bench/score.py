"""Benchmark: the scoring engine on 100k synthetic SME submissions vs bare numpy on the same arrays.

Run: ``.venv/bin/python bench/score.py [--n 100000]``. Prints the time to decode stored answers into
arrays (done once per batch), the engine's scoring time on those arrays, the time of a hand-written
bare numpy version of the same arithmetic (all choice columns stacked into one matrix, one fancy-index
and one matrix product each), their ratio, and checks both give the same totals and levels.
Target: engine within 3x of the bare version.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from diagnostics.answers import AnswerArrays, decode
from diagnostics.demo import synth_answers
from diagnostics.questionnaire_loader import resolve
from diagnostics.scoring import SCORER_VERSION, CompiledQuestionnaire, apply_logic, compiled, score


def bare_numpy(c: CompiledQuestionnaire, arrays: AnswerArrays) -> tuple[np.ndarray, np.ndarray, float]:
    """The same arithmetic, written once for this definition with everything stacked up front.

    The stacking (building the matrices) is preparation, timed separately; only the arithmetic is timed.
    """
    plans = c.plans
    idx_plans = [p for p in plans if p.kind == "index"]
    multi_plans = [p for p in plans if p.kind == "multi"]
    num_plans = [p for p in plans if p.kind == "number"]
    # preparation: one int matrix of all single choices, one bool matrix of all multi options
    width = max((len(p.table) for p in idx_plans), default=1)
    table = np.zeros((len(idx_plans), width))
    for k, p in enumerate(idx_plans):
        table[k, : len(p.table) - 1] = p.table[:-1]
    idx = np.stack([arrays.index[p.question.id] for p in idx_plans], axis=1) if idx_plans else None
    idx = np.where(idx < 0, width - 1, idx) if idx is not None else None
    mm = np.concatenate([arrays.multi[p.question.id] for p in multi_plans], axis=1).astype(float)
    mpts = np.zeros((mm.shape[1], len(multi_plans)))
    caps = np.array([np.inf if p.cap is None else p.cap for p in multi_plans])
    off = 0
    for k, p in enumerate(multi_plans):
        mpts[off: off + len(p.table), k] = p.table
        off += len(p.table)
    nums = np.stack([arrays.number[p.question.id] for p in num_plans], axis=1) if num_plans else None
    order = [*idx_plans, *multi_plans, *num_plans]
    q_to_ind = c.q_to_ind[[plans.index(p) for p in order]]
    scen_levels = np.array([[int(o.code) for o in s.options] + [0] for s in c.scenarios], dtype=np.int16)
    sidx = np.stack([arrays.index[s.id] for s in c.scenarios], axis=1)
    binding = np.array([s.binding for s in c.scenarios])

    t0 = time.perf_counter()
    parts = []
    if idx is not None:
        parts.append(table[np.arange(len(idx_plans)), idx])
    parts.append(np.minimum(mm @ mpts, caps))
    if nums is not None:
        cols = []
        for k, p in enumerate(num_plans):
            v = nums[:, k]
            assert p.edges is not None and p.uppers is not None  # every number plan has its bands
            pos = np.clip(np.searchsorted(p.edges, v, side="right") - 1, 0, len(p.table) - 1)
            cols.append(np.where((v >= p.edges[pos]) & (v < p.uppers[pos]), p.table[pos], 0.0))
        parts.append(np.stack(cols, axis=1))
    points = np.concatenate(parts, axis=1)
    ind = np.round(np.minimum(points @ q_to_ind, c.ind_cap) * c.ind_weight, 4)
    dim = np.round(ind @ c.ind_to_dim * c.dim_weight, 4)
    total = np.round(dim[:, c.dim_scored].sum(axis=1), 4)
    scen = scen_levels[np.arange(len(c.scenarios)), sidx]
    level = np.zeros(len(total), dtype=np.int16)
    for lv in c.levels:
        ok = total >= lv.min_score - 1e-9
        for g in lv.gates:
            cols_ = binding if g.among == "binding" else np.ones(len(c.scenarios), dtype=bool)
            ok &= (scen[:, cols_] >= g.min_level).sum(axis=1) >= g.at_least
        level = np.where(ok, lv.level, level)
    elapsed = time.perf_counter() - t0
    return total, level, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    q = resolve("sme-digital-2024-mfg").definition
    rng = np.random.default_rng(1)
    t = time.perf_counter()
    rows = synth_answers(q, rng.beta(2, 3, args.n), seed=1)
    t_gen = time.perf_counter() - t
    t = time.perf_counter()
    arrays = decode(q, rows)
    t_decode = time.perf_counter() - t

    c = compiled(q)
    score(q, arrays)  # warm up
    engine_times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        result = score(q, arrays)
        engine_times.append(time.perf_counter() - t)
    effective, _ = apply_logic(c, arrays)  # the bare version gets the same effective arrays, pre-decoded
    bare_times = []
    for _ in range(args.repeat):
        total, level, elapsed = bare_numpy(c, effective)
        bare_times.append(elapsed)
    same = bool(np.allclose(total, result.total) and np.array_equal(level, result.level))
    engine, bare = min(engine_times), min(bare_times)
    print(f"scorer {SCORER_VERSION}, questionnaire {q.code}@{q.version}, {len(q.questions())} questions")
    print(f"submissions            {args.n:>10,}")
    print(f"generate answers       {t_gen:>10.3f} s")
    print(f"decode to arrays       {t_decode:>10.3f} s   (once per batch)")
    print(f"engine score           {engine:>10.3f} s   (best of {args.repeat}; incl. skip logic and formulas)")
    print(f"bare numpy             {bare:>10.3f} s   (best of {args.repeat})")
    print(f"ratio engine / bare    {engine / bare:>10.2f} x  (target <= 3x)")
    print(f"same totals and levels {str(same):>10}")
    levels, counts = np.unique(result.level, return_counts=True)
    print("level spread           " + ", ".join(f"L{lv}: {cnt}" for lv, cnt in zip(levels, counts, strict=True)))


if __name__ == "__main__":
    main()
