"""The explanation trail of one scored submission: from each answer to the level.

A respondent, a commissioner or an auditor must be able to follow every point: which answer, which rule
of the questionnaire file gave it, where an indicator cap cut it, how weights apply, and why the next
level was not reached (not enough points, or which gate). The trail is plain JSON (stored with every
assessment) and adds up exactly to the stored scores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from diagnostics.answers import encode_row
from diagnostics.questionnaire import Gate, Question

if TYPE_CHECKING:
    from diagnostics.scoring import ScoreResult


def _fmt(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")


def _rule(question: Question, answer: Any, points: float) -> tuple[str, str]:
    """The rule that gave ``points`` for ``answer``, in Chinese and English."""
    p = _fmt(points)
    if answer is None:
        return "未作答，0 分", "not answered: 0 points"
    t = question.type
    if t in ("single", "level"):
        opt = question.option(str(answer))
        label = opt.label if opt else None
        return (f"选项 {answer}（{label.get('zh') if label else ''}）得 {p} 分",
                f"option {answer} ({label.get('en') if label else ''}) gives {p} points")
    if t == "multi":
        parts = [f"{c}={_fmt(question.option(c).points)}" for c in answer if question.option(c)]  # type: ignore[union-attr]
        capped = f"，封顶 {_fmt(question.max_points)}" if question.max_points is not None else ""
        capped_en = f", capped at {_fmt(question.max_points)}" if question.max_points is not None else ""
        return (f"所选 {' + '.join(parts)}{capped}，得 {p} 分",
                f"selected {' + '.join(parts)}{capped_en}: {p} points")
    if t == "number":
        for band in question.bands:
            lo = -np.inf if band.min is None else band.min
            hi = np.inf if band.max is None else band.max
            if lo <= answer < hi:
                rng = f"[{'' if band.min is None else _fmt(band.min)}, {'' if band.max is None else _fmt(band.max)})"
                return (f"数值 {_fmt(answer)} 落在区间 {rng}，得 {p} 分",
                        f"value {_fmt(answer)} in band {rng}: {p} points")
        return f"数值 {_fmt(answer)} 不在任何计分区间，0 分", f"value {_fmt(answer)} is in no band: 0 points"
    if t == "yesno":
        return (f"{'是' if answer else '否'}，得 {p} 分", f"{'yes' if answer else 'no'}: {p} points")
    return "不计分", "not scored"


def _gate_text(gate: Gate, actual: float, ok: bool) -> tuple[str, str]:
    if gate.description:
        zh, en = gate.description.get("zh"), gate.description.get("en")
    elif gate.kind == "scenarios":
        zh = f"至少 {_fmt(gate.at_least)} 个场景（{gate.among}）达到 {gate.min_level} 级"
        en = f"at least {_fmt(gate.at_least)} scenarios ({gate.among}) at level {gate.min_level}"
    else:
        zh = f"{gate.kind} {gate.code} 得分不低于 {_fmt(gate.at_least)}"
        en = f"{gate.kind} {gate.code} scores at least {_fmt(gate.at_least)}"
    state_zh = "满足" if ok else "未满足"
    state_en = "met" if ok else "not met"
    return f"{zh}：实际 {_fmt(actual)}，{state_zh}", f"{en}: actual {_fmt(actual)}, {state_en}"


def explain_row(result: ScoreResult, i: int) -> dict[str, Any]:
    c = result.compiled
    q = c.q
    answers = encode_row(q, result.arrays, i)
    plan_pos = {plan.question.id: p for p, plan in enumerate(c.plans)}
    dims = []
    for k, dim in enumerate(c.dimensions):
        inds = []
        for ind in dim.indicators:
            j = c.ind_index[ind.code]
            questions = []
            for question in ind.questions:
                qid = question.id
                skipped = qid in result.applied and not bool(result.applied[qid][i])
                pts = float(result.points[i, plan_pos[qid]]) if qid in plan_pos else 0.0
                entry: dict[str, Any] = {"id": qid, "answer": answers.get(qid), "points": pts,
                                         "scored": qid in plan_pos, "skipped": skipped}
                if skipped:
                    entry["rule_zh"] = "按跳题规则不适用，0 分"
                    entry["rule_en"] = "skipped by its relevance rule: 0 points"
                elif qid in plan_pos or question.type == "level":
                    entry["rule_zh"], entry["rule_en"] = _rule(question, answers.get(qid), pts)
                if question.formula:
                    entry["formula"] = question.formula
                questions.append(entry)
            raw = float(result.indicator_raw[i, j])
            inds.append({
                "code": ind.code, "title": ind.title.model_dump(), "raw": round(raw, 4),
                "cap": ind.max_points, "capped": raw > ind.max_points + 1e-9, "weight": ind.weight,
                "score": float(result.indicator[i, j]), "max": float(c.ind_max[j]),
                "target": float(c.ind_target[j]), "weak": bool(result.weak[i, j]),
                "strong": bool(result.strong[i, j]), "feeds": list(ind.feeds), "questions": questions,
            })
        dims.append({
            "code": dim.code, "title": dim.title.model_dump(), "scored": dim.scored, "weight": dim.weight,
            "score": float(result.dimension[i, k]), "max": float(c.dim_max[k]), "indicators": inds,
        })
    levels = []
    total = float(result.total[i])
    for lv in c.levels:
        gates = []
        for gate in lv.gates:
            ok_arr, actual_arr = result.gates[(lv.level, gate.id)]
            ok, actual = bool(ok_arr[i]), float(actual_arr[i])
            zh, en = _gate_text(gate, actual, ok)
            gates.append({"id": gate.id, "kind": gate.kind, "ok": ok, "actual": actual,
                          "required": gate.at_least, "text_zh": zh, "text_en": en})
        score_ok = total >= lv.min_score - 1e-9
        levels.append({"level": lv.level, "name": lv.name.model_dump(), "min_score": lv.min_score,
                       "score_ok": score_ok, "granted": score_ok and all(g["ok"] for g in gates),
                       "gates": gates})
    level = int(result.level[i])
    return {
        "total": total, "max_score": q.max_score, "level": level, "band_level": int(result.band_level[i]),
        "dimensions": dims, "levels": levels, "next_level": _next_level(levels, level, total),
    }


def _next_level(levels: list[dict[str, Any]], level: int, total: float) -> dict[str, Any] | None:
    """Why the level above the granted one was not reached: missing points and/or failed gates."""
    above = next((lv for lv in levels if lv["level"] == level + 1), None)
    if above is None:
        return None
    missing = max(0.0, above["min_score"] - total)
    failed = [g for g in above["gates"] if not g["ok"]]
    reasons_zh, reasons_en = [], []
    if missing > 0:
        reasons_zh.append(f"总分还差 {_fmt(missing)} 分（需 {_fmt(above['min_score'])} 分）")
        reasons_en.append(f"{_fmt(missing)} points short of {_fmt(above['min_score'])}")
    for g in failed:
        reasons_zh.append(g["text_zh"])
        reasons_en.append(g["text_en"])
    return {"level": above["level"], "points_missing": round(missing, 4),
            "failed_gates": [g["id"] for g in failed], "reasons_zh": reasons_zh, "reasons_en": reasons_en}
