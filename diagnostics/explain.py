"""The explanation trail of one scored submission: from each answer to the level.

A respondent, a commissioner or an auditor must be able to follow every point: which answer, which rule
of the questionnaire file gave it, where an indicator cap cut it, how weights apply, and why the next
level was not reached (not enough points, or which gate). The trail is plain JSON (stored with every
assessment, in compact form: ``diagnostics.scoring.compact_row``) and adds up exactly to the stored
scores; ``expand`` rebuilds the readable trail from it for pages and workbooks, without scoring anything
again. This module reads scoring's results; scoring never imports it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from diagnostics.answers import encode_row
from diagnostics.questionnaire import Gate, Question, Questionnaire
from diagnostics.scoring import ScoreResult, compact_row


def _fmt(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")


def _rule(question: Question, answer: Any, points: float) -> tuple[str, str]:
    """The rule that gave ``points`` for ``answer``, in Chinese and English."""
    p = _fmt(points)
    if answer is None:
        return "未作答，0 分", "not answered: 0 points"
    t = question.type
    if t in ("single", "level"):  # names, not option codes: the trail is read by people
        opt = question.option(str(answer))
        zh = opt.label.get("zh") if opt else str(answer)
        en = (opt.label.get("en") or opt.label.get("zh")) if opt else str(answer)
        return f"选择“{zh}”，得 {p} 分", f"'{en}' gives {p} points"
    if t == "multi":
        parts = [f"“{opt.label.get('zh')}” {_fmt(opt.points)}" for c in answer if (opt := question.option(c))]
        parts_en = [f"'{opt.label.get('en') or opt.label.get('zh')}' {_fmt(opt.points)}" for c in answer
                    if (opt := question.option(c))]
        capped = f"，封顶 {_fmt(question.max_points)}" if question.max_points is not None else ""
        capped_en = f", capped at {_fmt(question.max_points)}" if question.max_points is not None else ""
        return (f"所选 {' + '.join(parts)}{capped}，得 {p} 分",
                f"selected {' + '.join(parts_en)}{capped_en}: {p} points")
    if t == "number":
        upper = question.bands_include == "upper"
        for band in question.bands:
            lo = -np.inf if band.min is None else band.min
            hi = np.inf if band.max is None else band.max
            if (lo < answer <= hi) if upper else (lo <= answer < hi):
                left, right = ("(", "]") if upper else ("[", ")")
                lo_s = "" if band.min is None else _fmt(band.min)
                hi_s = "" if band.max is None else _fmt(band.max)
                rng = f"{left}{lo_s}, {hi_s}{right}"
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


EPS = 1e-9


def _applies_text(q: Questionnaire, source: str) -> tuple[str, str]:
    """A condition in words: ``selected(segments_operated, 'smelting')`` reads as the option's label."""
    names_zh, names_en = [], []
    for qid, code in re.findall(r"selected\(\s*([a-z][a-z0-9_]*)\s*,\s*'([^']+)'\s*\)", source):
        question = q.question(qid)
        opt = question.option(code) if question else None
        if opt is not None:
            names_zh.append(f"“{opt.label.zh}”")
            names_en.append(f"'{opt.label.get('en')}'")
    if names_zh:
        return "、".join(names_zh), ", ".join(names_en)
    return source, source


def _exclusion(q: Questionnaire, dim: Any, ind: Any) -> tuple[str, str]:
    """Why an indicator left the points and the maximum, in Chinese and English."""
    source = " and ".join(p for p in (dim.applies, ind.applies) if p)
    if not source:
        return "所答“不适用”，不计分也不计满分", "answered 'not applicable': no points, and out of the maximum"
    zh, en = _applies_text(q, source)
    return (f"不适用：仅适用于开展{zh}的企业，本企业未开展，不计分也不计满分",
            f"not applicable: applies only to enterprises running {en}, which this one does not; "
            "no points, and out of the maximum")


def explain_row(result: ScoreResult, i: int) -> dict[str, Any]:
    """The full trail of submission ``i`` (what ``expand`` gives for its stored record)."""
    c = result.compiled
    record = {
        "total": float(result.total[i]), "level": int(result.level[i]), "band_level": int(result.band_level[i]),
        "dimension_scores": {d.code: float(result.dimension[i, k]) for k, d in enumerate(c.dimensions)},
        "indicator_scores": {ind.code: float(result.indicator[i, j]) for j, ind in enumerate(c.indicators)},
        "explanation": compact_row(result, i),
    }
    return expand(c.q, record, encode_row(c.q, result.arrays, i))


def expand(q: Questionnaire, record: Mapping[str, Any], answers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The full explanation trail from a stored assessment record and the submission's answers.

    ``record`` has the assessment's ``total``, ``level``, ``band_level``, ``dimension_scores``,
    ``indicator_scores`` and compact ``explanation``; the answers stored in that explanation are used
    when present (they are what was scored), else ``answers``.
    Layout: ``dimensions`` -> ``indicators`` -> ``questions`` (answer, points, rule_zh/rule_en, skipped),
    ``levels`` with their gates, and ``next_level`` with the reasons it was not reached.
    """
    compact = record["explanation"]
    answers = compact.get("answers", answers or {})
    na, avail = set(compact.get("na", ())), compact.get("avail", {})
    excluded: list[dict[str, Any]] = []
    skipped = set(compact.get("skipped", ()))
    computed = compact.get("computed", {})
    points = compact.get("points", {})
    weak, strong = set(compact.get("weak", ())), set(compact.get("strong", ()))
    ind_scores, dim_scores = record["indicator_scores"], record["dimension_scores"]
    dims = []
    for dim in q.dimensions:
        inds = []
        dim_max = 0.0
        for ind in dim.indicators:
            questions = []
            applicable = ind.code not in na
            why = _exclusion(q, dim, ind) if not applicable else None
            for question in ind.questions:
                qid = question.id
                answer = computed.get(qid) if question.formula else answers.get(qid)
                if qid in skipped:
                    answer = None
                pts = float(points.get(qid, 0.0))
                entry: dict[str, Any] = {"id": qid, "answer": answer, "points": pts, "scored": qid in points,
                                         "skipped": qid in skipped}
                if why is not None:
                    entry["rule_zh"], entry["rule_en"] = why
                    entry["not_applicable"] = True
                elif qid in skipped:
                    entry["rule_zh"] = "按跳题规则不适用，0 分"
                    entry["rule_en"] = "skipped by its relevance rule: 0 points"
                elif qid in points or question.type == "level":
                    entry["rule_zh"], entry["rule_en"] = _rule(question, answer, pts)
                if question.formula:
                    entry["formula"] = question.formula
                questions.append(entry)
            raw = float(compact.get("raw", {}).get(ind.code, 0.0))
            full = ind.max_score
            ind_max = 0.0 if not applicable else float(avail.get(ind.code, full))
            share = ind_max / full if full else 1.0
            dim_max += ind_max
            entry_ind: dict[str, Any] = {
                "code": ind.code, "title": ind.title.model_dump(), "raw": raw, "cap": ind.max_points,
                "capped": raw > ind.max_points + 1e-9, "weight": ind.weight,
                "score": float(ind_scores.get(ind.code) or 0.0), "max": ind_max, "full_max": full,
                "target": round(q.indicator_target(ind) * share, 4), "weak": ind.code in weak,
                "strong": ind.code in strong, "applicable": applicable,
                "feeds": list(ind.feeds), "questions": questions,
            }
            if why is not None:
                entry_ind["reason_zh"], entry_ind["reason_en"] = why
                if dim.scored:
                    excluded.append({"dimension": dim.code, "indicator": ind.code, "title": ind.title.model_dump(),
                                     "max": full, "reason_zh": why[0], "reason_en": why[1]})
            inds.append(entry_ind)
        dims.append({
            "code": dim.code, "title": dim.title.model_dump(), "scored": dim.scored, "weight": dim.weight,
            "score": float(dim_scores.get(dim.code) or 0.0), "max": round(dim_max * dim.weight, 4),
            "applicable": dim_max > 0 or not any(i.max_score for i in dim.indicators), "indicators": inds,
        })
    total = float(record["total"])
    levels = []
    for lv in sorted(q.levels, key=lambda v: v.level):
        gates = []
        for gate in lv.gates:
            ok, actual = compact.get("gates", {}).get(f"{lv.level}/{gate.id}", [False, 0.0])
            zh, en = _gate_text(gate, actual, ok)
            gates.append({"id": gate.id, "kind": gate.kind, "ok": ok, "actual": actual,
                          "required": gate.at_least, "text_zh": zh, "text_en": en})
        score_ok = total >= lv.min_score - 1e-9
        levels.append({"level": lv.level, "name": lv.name.model_dump(), "min_score": lv.min_score,
                       "meaning": lv.meaning.model_dump() if lv.meaning else None,
                       "score_ok": score_ok, "granted": score_ok and all(g["ok"] for g in gates),
                       "gates": gates})
    level = int(record["level"])
    out: dict[str, Any] = {
        "total": total, "max_score": q.max_score, "level": level, "band_level": int(record["band_level"]),
        "dimensions": dims, "levels": levels, "next_level": _next_level(levels, level, total),
        "excluded": excluded,
    }
    if "applicable_max" in compact:
        raw_total, app_max = float(compact["raw_total"]), float(compact["applicable_max"])
        out["raw_total"], out["applicable_max"] = raw_total, app_max
        out["rescale_zh"] = (f"总分按适用部分折算：得分 {_fmt(raw_total)} ÷ 适用满分 {_fmt(app_max)} × "
                             f"{_fmt(q.max_score)} = {_fmt(total)} 分；不适用的 {len(excluded)} 项指标不计分也不计满分")
        out["rescale_en"] = (f"total rescaled to what applies: {_fmt(raw_total)} / applicable maximum "
                             f"{_fmt(app_max)} x {_fmt(q.max_score)} = {_fmt(total)}; {len(excluded)} indicator(s) "
                             "not applicable leave both the points and the maximum")
    return out


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
