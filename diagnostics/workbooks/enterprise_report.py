"""The enterprise diagnosis workbook (一企一诊断书).

Sheets, in the order an official or a factory manager reads them: a cover (who, which level, which
assessment), the scores with a native radar chart (the enterprise against the cluster and its size
class), the explanation trail (every answer, the rule that scored it, what did not apply and why, why
the next level was not reached; one block per questionnaire), strengths and weaknesses, a peer
benchmark, recommendations (the one rule of ``diagnostics.recommend``) and a transformation plan
(scenarios in order, their solutions, the expected level after, a three-step roadmap, a native chart).

``report_input`` gathers everything into one plain dict: the trail must be the expanded one
(``diagnostics.explain.expand``); its digest names the file, so an unchanged enterprise is not written
twice, and the same dict always gives the same workbook content. Names, never codes, are printed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from diagnostics.canonical import Canonical, canonical, jsonable, jsonable_dict
from diagnostics.portraits import PortraitSet, as_set
from diagnostics.questionnaire import Questionnaire
from diagnostics.recommend import Recommendation, recommend_portrait, weakness_key
from diagnostics.size_class import size_label
from diagnostics.taxonomy import Taxonomy
from diagnostics.workbooks.safe import SheetWriter, Styles, new_workbook, text_of

TAG_NAMES = {"chain_leader": "链主/骨干企业", "srdi": "专精特新", "listed": "上市企业"}
POSITION_NAMES = {"upstream": "上游", "midstream": "中游", "downstream": "下游"}
PLAN_STEPS = (
    ("第一步（0–6个月）夯实基础 Step 1 (0-6 months): foundations",
     "上系统、规范数据：先补最严重的短板，数据能自动采集、业务有系统管理 / systems and clean data first"),
    ("第二步（6–12个月）集成协同 Step 2 (6-12 months): integration",
     "系统打通、数据共享：把已上线的系统连起来，跨部门实时协同 / connect the systems, share data"),
    ("第三步（12–24个月）数据驱动 Step 3 (12-24 months): data-driven",
     "模型优化、智能决策：用数据和模型优化关键工序，形成可复制的案例 / models optimise; a replicable case"),
)


def peer_benchmark(portraits: pd.DataFrame | PortraitSet) -> dict[str, Any]:
    """Mean total and dimension shares for the cluster, each size class and each industry class."""
    everyone = as_set(portraits)
    if everyone.empty:
        return {"cluster": {"n": 0, "total": None, "dims": {}}, "by_size": {}, "by_industry": {}}
    shares = everyone.dimension_shares()
    frame = pd.concat([everyone.light[["total", "size_class", "industry_code"]], shares], axis=1)
    dims = list(shares.columns)

    def stats(g: pd.DataFrame) -> dict[str, Any]:
        return {"n": len(g), "total": float(g["total"].mean()), "dims": {d: float(g[d].mean()) for d in dims}}

    return jsonable_dict({
        "cluster": stats(frame),
        "by_size": {str(k): stats(g) for k, g in frame.groupby("size_class", sort=True)},
        "by_industry": {str(k): stats(g) for k, g in frame.groupby("industry_code", sort=True)},
    })


def readable_trail(definition: Questionnaire, trail: Mapping[str, Any]) -> dict[str, Any]:
    """The expanded trail with each question's text and each answer in words (option labels, not codes)."""
    out = jsonable_dict(trail)
    for dim in out.get("dimensions", []):
        for ind in dim.get("indicators", []):
            for q in ind.get("questions", []):
                question = definition.question(q["id"])
                if question is None:
                    continue
                q["text"] = question.text.model_dump()
                answer = q.get("answer")
                values = answer if isinstance(answer, list) else [answer]
                if question.options and answer is not None:
                    labels = []
                    for v in values:
                        opt = question.option(str(v))
                        labels.append(opt.label.model_dump() if opt else {"zh": str(v)})
                    q["answer_text"] = {"zh": "、".join(lb.get("zh") or "" for lb in labels),
                                        "en": ", ".join(lb.get("en") or lb.get("zh") or "" for lb in labels)}
                elif answer is not None:
                    unit = question.unit.zh if question.unit else ""
                    number = f"{answer:g}" if isinstance(answer, float) else str(answer)
                    shown = ("是" if answer else "否") if question.type == "yesno" else f"{number}{unit}"
                    q["answer_text"] = {"zh": shown, "en": shown}
    out["title"] = definition.title.model_dump()
    out["q"] = definition.code
    out["level_table"] = [{"level": lv.level, "name": lv.name.model_dump(), "min_score": jsonable(lv.min_score)}
                          for lv in sorted(definition.levels, key=lambda v: v.level)]
    return Canonical(out)  # every value added above is already canonical: texts, codes, ints, a rounded float


def _rec_row(rec: Recommendation, link_names: Mapping[str, Any]) -> dict[str, Any]:
    return {"scenario": rec.scenario.code, "name": rec.scenario.name.model_dump(), "link": rec.scenario.link,
            "link_name": link_names.get(rec.scenario.link, {"zh": rec.scenario.link}),
            "severity": round(rec.severity, 4), "reasons": [r.model_dump() for r in rec.reasons],
            "weaknesses": list(rec.weaknesses),
            "solutions": [{"code": s.code, "name": s.name.model_dump(),
                           "provider": s.provider.model_dump() if s.provider else None} for s in rec.solutions]}


def transformation_plan(portrait: Mapping[str, Any], explanation: Mapping[str, Any], recs: Sequence[dict[str, Any]]
                        ) -> dict[str, Any]:
    """Scenarios in order, the expected points and level after, a three-step roadmap.

    Expected points: every weak indicator that feeds a planned scenario is closed to its target (no more:
    the plan is what the diagnosis supports, not a promise of the maximum). The expected level is read
    from the questionnaire's score thresholds; its scenario gates still have to be met and are named in
    the explanation sheet.
    """
    planned = {w for r in recs for w in r["weaknesses"]}
    q = explanation.get("q") or ""
    gain: dict[str, float] = {}
    total_gain = 0.0
    for w in portrait.get("weaknesses") or []:
        if w.get("kind") == "scenario" or weakness_key(w) not in planned or (q and w.get("q") != q):
            continue
        delta = max(0.0, float(w.get("target") or 0) - float(w.get("score") or 0))
        total_gain += delta
        for dim in explanation.get("dimensions", []):
            if any(i["code"] == w["code"] for i in dim.get("indicators", [])):
                gain[dim["code"]] = gain.get(dim["code"], 0.0) + delta
    total = float(portrait.get("total") or 0.0)
    expected = min(float(explanation.get("max_score") or 100.0), total + total_gain)
    levels = explanation.get("level_table") or []
    reached = [lv for lv in levels if expected >= float(lv["min_score"]) - 1e-9]
    expected_level = int(reached[-1]["level"]) if reached else 0
    third = max(1, -(-len(recs) // 3))
    steps = []
    for k, (title, what) in enumerate(PLAN_STEPS):
        chunk = list(recs[k * third:(k + 1) * third])
        steps.append({"title": title, "what": what, "scenarios": [r["name"] for r in chunk]})
    dims = []
    for dim in explanation.get("dimensions", []):
        if dim.get("scored") and dim.get("max"):
            now = float(dim.get("score") or 0.0)
            dims.append({"code": dim["code"], "title": dim["title"], "now": round(now / dim["max"], 4),
                         "after": round(min(1.0, (now + gain.get(dim["code"], 0.0)) / dim["max"]), 4)})
    return canonical({"scenarios": list(recs), "total_now": total, "total_after": round(expected, 4),
                      "level_now": int(portrait.get("level") or 0), "level_after": expected_level,
                      "steps": steps, "dimensions": dims})


def report_input(portrait: Mapping[str, Any], explanation: Mapping[str, Any] | None, benchmark: Mapping[str, Any],
                 taxonomy: Taxonomy, names: Mapping[str, Any], cluster: Mapping[str, Any],
                 feeds: Mapping[str, list[str]], type_names: Mapping[str, Any] | None = None, *,
                 modules: Sequence[Mapping[str, Any]] = (), limit: int = 8) -> dict[str, Any]:
    """Everything one enterprise's workbook shows, as plain values.

    ``explanation`` is the expanded trail of the portrait's primary assessment (``readable_trail`` adds
    texts when the definition is at hand), ``modules`` the expanded trails of its module assessments,
    ``names`` the weakness names (``recommend.names_of``).
    """
    link_names = {c.code: c.name.model_dump() for c in taxonomy.chain_links}
    # canonical once: the plan and the input both hold these rows, and each would convert them again
    recs = [canonical(_rec_row(r, link_names))
            for r in recommend_portrait(portrait, taxonomy, feeds, names, limit=limit)]
    exp = Canonical(explanation) if type(explanation) is Canonical else dict(explanation or {})
    strengths = [{"name": names.get(f"{s['q']}:{s['code']}") or {"zh": s["code"]}, "score": s.get("score"),
                  "max": s.get("max")} for s in portrait.get("strengths") or []]
    weaknesses = [{"name": names.get(weakness_key(w)) or {"zh": w["code"]}, "kind": w.get("kind", "indicator"),
                   "score": w.get("score"), "level": w.get("level"), "target": w.get("target"),
                   "severity": w["severity"]} for w in portrait.get("weaknesses") or []]
    return jsonable_dict({
        "cluster": dict(cluster), "portrait": dict(portrait), "explanation": exp, "modules": list(modules),
        "benchmark": {"cluster": benchmark.get("cluster"),
                      "size": benchmark.get("by_size", {}).get(str(portrait.get("size_class"))),
                      "industry": benchmark.get("by_industry", {}).get(str(portrait.get("industry_code")))},
        "recommendations": recs,
        "plan": transformation_plan(portrait, exp, recs),
        "strengths": strengths, "weaknesses": weaknesses,
        "link_names": {c: link_names.get(c, {"zh": c}) for c in portrait.get("chain_links") or []},
        "type_name": (type_names or {}).get(str(portrait.get("type_code"))),
    })


def _answer_text(q: Mapping[str, Any]) -> Any:
    if q.get("answer_text") is not None:
        return q["answer_text"]
    answer = q.get("answer")
    if isinstance(answer, list):
        return "、".join(str(a) for a in answer)
    return answer


def trail_rows(exp: Mapping[str, Any], locale: str = "zh") -> list[list[Any]]:
    """The explanation rows the 计分说明 sheet prints for one trail (the test compares them to the trail)."""
    def t(v: Any) -> str:
        return text_of(v, locale)

    rows: list[list[Any]] = []
    for dim in exp.get("dimensions", []):
        for ind in dim.get("indicators", []):
            for q in ind.get("questions", []):
                rows.append([t(dim.get("title")), t(ind.get("title")), t(q.get("text")) or q.get("id"),
                             _answer_text(q), q.get("points"), q.get("rule_zh" if locale == "zh" else "rule_en")])
            if ind.get("capped"):
                rows.append(["", t(ind.get("title")), "", "", ind.get("score"),
                             f"合计 {ind.get('raw')} 分，封顶 {ind.get('cap')} 分 / capped at {ind.get('cap')}"])
    return rows


def _trail_block(trail: SheetWriter, st: Styles, exp: Mapping[str, Any], locale: str) -> None:
    def t(v: Any) -> str:
        return text_of(v, locale)

    if exp.get("title"):
        trail.row([t(exp.get("title"))], st.bold)
    trail.row(["维度 Dimension", "指标 Indicator", "题目 Question", "回答 Answer", "得分 Points", "计分规则 Rule"],
              st.head)
    for row in trail_rows(exp, locale):
        trail.row(row, st.wrap)
    if exp.get("excluded"):
        trail.blank()
        trail.row(["不适用、未计入满分的指标 Not applicable (out of the maximum)"], st.bold)
        for e in exp["excluded"]:
            trail.row(["", t(e.get("title")), "", "", e.get("max"), e.get("reason_zh" if locale == "zh" else
                                                                          "reason_en")], st.wrap)
    if exp.get("rescale_zh"):
        trail.row(["折算 Rescaled", exp.get("rescale_zh" if locale == "zh" else "rescale_en")], st.wrap)
    trail.blank()
    trail.row(["等级 Level", "分数线 Min points", "分数达到 Points ok", "门槛 Gates", "", "是否获得 Granted"], st.head)
    for lv in exp.get("levels", []):
        gates = "；".join(g.get("text_zh" if locale == "zh" else "text_en", "") for g in lv.get("gates", []))
        ok = "是 yes" if lv.get("score_ok") else "否 no"
        granted = "获得 granted" if lv.get("granted") else "未获得 not granted"
        trail.row([t(lv.get("name")) or lv.get("level"), lv.get("min_score"), ok, gates or "无门槛 no gate", "",
                   granted], st.wrap)
    nxt = exp.get("next_level")
    if nxt:
        trail.blank()
        trail.row([f"为什么还不是 {nxt['level']} 级 Why not level {nxt['level']}"], st.bold)
        for zh, en in zip(nxt.get("reasons_zh", []), nxt.get("reasons_en", []), strict=False):
            trail.row(["", zh if locale == "zh" else en], st.wrap)
    trail.blank(2)


def write_enterprise_report(target: str | Path | IO[bytes], data: Mapping[str, Any], locale: str = "zh") -> None:
    """Write the diagnosis workbook for one enterprise (``data`` from ``report_input``)."""
    p, exp, bench = data["portrait"], data.get("explanation") or {}, data["benchmark"]
    wb = new_workbook(target, title=f"{p['name']} 数字化诊断书", subject="一企一诊断书", small=True)
    st = Styles(wb)
    def t(v: Any) -> str:
        return text_of(v, locale)


    cover = SheetWriter(wb, "封面 Cover", (26, 60), locale)
    cover.row(["企业数字化诊断书 Enterprise digital diagnosis"], st.title)
    cover.blank()
    level = p.get("level")
    plan = data.get("plan") or {}
    for label, value in [
        ("企业名称 Enterprise", p.get("name")), ("统一社会信用代码 USCC", p.get("uscc")),
        ("产业集群 Cluster", data["cluster"].get("name")),
        ("企业规模 Size class", size_label(p.get("size_class"))),
        ("产业链环节 Chain links", "、".join(t(v) for v in data.get("link_names", {}).values())),
        ("链上位置 Chain position", "、".join(POSITION_NAMES.get(x, x) for x in p.get("positions") or [])),
        ("标签 Tags", "、".join(TAG_NAMES.get(x, x) for x in p.get("tags") or []) or "无"),
        ("数字化水平等级 Digital level", f"{level} 级" if level else "未达一级 below level 1"),
        ("总分 Total points", p.get("total")),
        ("画像类型 Portrait type", t(data.get("type_name")) or "未分类"),
        ("评定方式 Assessment", "现场评定 verified on site" if p.get("trusted") else "企业自评 self-assessed"),
        ("集群百分位 Cluster percentile", p.get("percentile_cluster")),
        ("行业百分位 Industry percentile", p.get("percentile_industry")),
        ("优势 / 短板 Strengths / weaknesses", f"{len(data.get('strengths', []))} / {len(data.get('weaknesses', []))}"),
        ("改造后预期等级 Expected level after the plan", f"{plan.get('level_after', level)} 级"),
        ("评估编号 Assessment id", p.get("assessment_id")),
    ]:
        cover.row([label, value], formats=[st.bold, None])

    scores = SheetWriter(wb, "得分 Scores", (22, 10, 10, 12, 14, 14), locale)
    scores.row(["维度 Dimension", "得分 Score", "满分 Max", "得分率 Share", "集群平均 Cluster",
                "同规模平均 Size peers"], st.head)
    dims = p.get("dimensions") or {}
    names = {d["code"]: d.get("title") for d in exp.get("dimensions", [])}
    first = scores.row_index
    for code, d in dims.items():
        scores.row([t(names.get(code)) or "—", d["score"], d["max"], d["share"],
                    (bench.get("cluster") or {}).get("dims", {}).get(code),
                    (bench.get("size") or {}).get("dims", {}).get(code)],
                   formats=[None, st.num, st.num, st.pct, st.pct, st.pct])
    last = scores.row_index - 1
    if dims:
        chart = wb.add_chart({"type": "radar", "subtype": "filled"})
        for col, name in ((3, "本企业 Enterprise"), (4, "集群平均 Cluster"), (5, "同规模 Size peers")):
            chart.add_series({"name": name, "categories": [scores.name, first, 0, last, 0],
                              "values": [scores.name, first, col, last, col]})
        chart.set_title({"name": "维度得分率 Dimension shares"})
        chart.set_size({"width": 520, "height": 360})
        scores.ws.insert_chart(0, 7, chart)
    scores.blank()
    scores.row(["指标 Indicator", "得分 Score", "满分 Max", "目标 Target", "状态 Status"], st.head)
    for dim in exp.get("dimensions", []):
        if not dim.get("scored"):
            continue
        for ind in dim.get("indicators", []):
            status = ("不适用 n/a" if not ind.get("applicable", True) else "短板 weak" if ind.get("weak")
                      else ("优势 strong" if ind.get("strong") else ""))
            scores.row([t(ind.get("title")), ind.get("score"), ind.get("max"), ind.get("target"), status],
                       formats=[None, st.num, st.num, st.num, st.bad if ind.get("weak") else
                                (st.good if ind.get("strong") else None)])

    trail = SheetWriter(wb, "计分说明 Explanation", (14, 18, 34, 26, 8, 60), locale)
    for block in [exp, *data.get("modules", [])]:
        if block:
            _trail_block(trail, st, block, locale)

    sw = SheetWriter(wb, "优势与短板 Strengths", (8, 34, 12, 12, 12), locale)
    sw.row(["优势 Strengths", "指标 Indicator", "得分 Score", "满分 Max"], st.head)
    for s in data.get("strengths", []):
        sw.row(["优势", t(s["name"]), s.get("score"), s.get("max")], formats=[st.good, None, st.num, st.num])
    if not data.get("strengths"):
        sw.row(["", "暂无达到优势线的指标 No indicator at the strength line"])
    sw.blank()
    sw.row(["短板 Weaknesses", "指标或场景 Indicator or scenario", "现状 Now", "目标 Target", "严重度 Severity"],
           st.head)
    for w in data.get("weaknesses", []):
        now = f"{w['level'] or 0} 级" if w["kind"] == "scenario" else w.get("score")
        target = f"{w['target']} 级" if w["kind"] == "scenario" else w.get("target")
        sw.row(["短板", t(w["name"]), now, target, w["severity"]], formats=[st.bad, None, None, None, st.pct])
    if not data.get("weaknesses"):
        sw.row(["", "各项均达到目标 Every item reaches its target"])

    peer = SheetWriter(wb, "同行对标 Benchmark", (26, 14, 14, 14, 14), locale)
    peer.row(["项目 Item", "本企业 Enterprise", "集群平均 Cluster", "同规模平均 Size peers", "同行业平均 Industry"],
             st.head)
    groups = [bench.get("cluster") or {}, bench.get("size") or {}, bench.get("industry") or {}]
    peer.row(["总分 Total", p.get("total"), *[g.get("total") for g in groups]], st.num)
    for code, d in dims.items():
        peer.row([f"{t(names.get(code)) or '—'} 得分率", d["share"], *[g.get("dims", {}).get(code) for g in groups]],
                 st.pct)
    peer.row(["样本数 Peers", None, *[g.get("n") for g in groups]])
    peer.row(["集群百分位 Cluster percentile", p.get("percentile_cluster")])
    peer.row(["行业百分位 Industry percentile", p.get("percentile_industry")])

    rec = SheetWriter(wb, "改进建议 Recommendations", (6, 26, 14, 10, 44, 36, 30), locale)
    rec.row(["序号 #", "推荐场景 Scenario", "环节 Link", "严重度 Severity", "原因 Why", "推荐方案 Solutions",
             "服务商 Providers"], st.head)
    for i, r in enumerate(data.get("recommendations", []), start=1):
        rec.row([i, t(r["name"]), t(r["link_name"]), r["severity"], "；".join(t(x) for x in r["reasons"]),
                 "、".join(t(s["name"]) for s in r["solutions"]) or "方案池暂无 none in the pool yet",
                 "、".join(sorted({t(s["provider"]) for s in r["solutions"] if s.get("provider")}))],
                st.wrap, formats=[None, None, None, st.pct])
    if not data.get("recommendations"):
        rec.row(["", "本企业所在环节没有需要改进的场景 No scenario of the enterprise's links needs work"])

    pl = SheetWriter(wb, "转型计划 Plan", (8, 30, 40, 30), locale)
    pl.row(["数字化转型计划 Transformation plan"], st.title)
    pl.row(["当前 Now", f"{plan.get('level_now', 0)} 级，{plan.get('total_now')} 分"], formats=[st.bold])
    pl.row(["改造后预期 Expected after", f"{plan.get('level_after', 0)} 级，约 {plan.get('total_after')} 分"
            "（补齐计划所涉短板至目标；场景门槛另需满足）"], formats=[st.bold])
    pl.blank()
    pl.row(["顺序 #", "场景 Scenario", "解决方案 Solutions", "原因 Why"], st.head)
    for i, r in enumerate(plan.get("scenarios", []), start=1):
        pl.row([i, t(r["name"]), "、".join(t(s["name"]) for s in r["solutions"]) or "方案池暂无",
                "；".join(t(x) for x in r["reasons"][:2])], st.wrap)
    pl.blank()
    pl.row(["路线图 Roadmap", "阶段 Step", "做什么 What", "场景 Scenarios"], st.head)
    for k, step in enumerate(plan.get("steps", []), start=1):
        pl.row([k, step["title"], step["what"], "、".join(t(n) for n in step["scenarios"]) or "巩固提升"], st.wrap)
    pl.blank()
    pl.row(["维度 Dimension", "当前得分率 Now", "预期得分率 After"], st.head)
    d_first = pl.row_index
    for d in plan.get("dimensions", []):
        pl.row([t(d["title"]), d["now"], d["after"]], formats=[None, st.pct, st.pct])
    d_last = pl.row_index - 1
    if plan.get("dimensions"):
        chart = wb.add_chart({"type": "column"})
        for col, name in ((1, "当前 Now"), (2, "预期 After")):
            chart.add_series({"name": name, "categories": [pl.name, d_first, 0, d_last, 0],
                              "values": [pl.name, d_first, col, d_last, col]})
        chart.set_title({"name": "改造前后维度得分率 Dimension shares before and after"})
        chart.set_y_axis({"num_format": "0%", "max": 1})
        pl.ws.insert_chart(0, 5, chart)
    wb.close()
