"""The enterprise diagnosis workbook (一企一诊断书).

Five sheets, in the order an official or a factory manager reads them: a cover (who, which level,
which assessment), the scores with a native radar chart (the enterprise against the cluster and its
size class), the explanation trail (every answer, the rule that scored it, why the next level was not
reached), a peer benchmark, and recommendations (each weakness carried to the scenarios of the
enterprise's own chain links and the solutions in the taxonomy's pool).

``report_input`` gathers everything into one plain dict; its digest names the file, so an unchanged
enterprise is not written twice, and the same dict always gives the same workbook content.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import pandas as pd

from diagnostics.canonical import jsonable_dict
from diagnostics.portraits import weakness_feeds
from diagnostics.taxonomy import Taxonomy
from diagnostics.workbooks.safe import SheetWriter, Styles, new_workbook, text_of

SIZE_NAMES = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型", "unknown": "未知"}


def peer_benchmark(portraits: pd.DataFrame) -> dict[str, Any]:
    """Mean total and dimension shares for the cluster, each size class and each industry class."""
    if portraits.empty:
        return {"cluster": {"n": 0, "total": None, "dims": {}}, "by_size": {}, "by_industry": {}}
    shares = pd.DataFrame.from_records(
        [{k: v["share"] for k, v in (d or {}).items()} for d in portraits["dimensions"]], index=portraits.index)
    frame = pd.concat([portraits[["total", "size_class", "industry_code"]], shares], axis=1)
    dims = list(shares.columns)

    def stats(g: pd.DataFrame) -> dict[str, Any]:
        return {"n": len(g), "total": float(g["total"].mean()), "dims": {d: float(g[d].mean()) for d in dims}}

    return jsonable_dict({
        "cluster": stats(frame),
        "by_size": {str(k): stats(g) for k, g in frame.groupby("size_class", sort=True)},
        "by_industry": {str(k): stats(g) for k, g in frame.groupby("industry_code", sort=True)},
    })


def recommendations(portrait: Mapping[str, Any], taxonomy: Taxonomy, titles: Mapping[str, Any],
                    feeds: Mapping[str, list[str]], top: int = 8) -> list[dict[str, Any]]:
    """The worst weaknesses first, each with the map scenarios it feeds and the solutions for them."""
    links = set(portrait.get("chain_links") or [])
    by_scenario: dict[str, list[Any]] = {}
    for sol in taxonomy.solutions:
        for code in sol.scenarios:
            by_scenario.setdefault(code, []).append(sol)
    out = []
    for w in (portrait.get("weaknesses") or [])[:top]:
        scen = []
        for feed in weakness_feeds(w, feeds):
            cands = taxonomy.scenarios_for(feed)
            scen += [s for s in cands if s.link in links] or cands
        seen: dict[str, Any] = {s.code: s for s in scen}
        sols: dict[str, Any] = {sol.code: sol for s in seen.values() for sol in by_scenario.get(s.code, [])}
        out.append({
            "weakness": w["code"], "questionnaire": w["q"], "kind": w.get("kind", "indicator"),
            "title": titles.get(f"{w['q']}:{w['code']}") or {"zh": w["code"], "en": w["code"]},
            "severity": w["severity"], "score": w.get("score"), "target": w.get("target"),
            "scenarios": [{"code": s.code, "name": s.name.model_dump(), "link": s.link} for s in seen.values()],
            "solutions": [{"code": s.code, "name": s.name.model_dump(),
                           "provider": s.provider.model_dump() if s.provider else None} for s in sols.values()],
        })
    return out


def report_input(portrait: Mapping[str, Any], explanation: Mapping[str, Any] | None, benchmark: Mapping[str, Any],
                 taxonomy: Taxonomy, titles: Mapping[str, Any], cluster: Mapping[str, Any],
                 feeds: Mapping[str, list[str]], type_names: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything one enterprise's workbook shows, as plain values."""
    link_names = {c.code: c.name.model_dump() for c in taxonomy.chain_links}
    return jsonable_dict({
        "cluster": dict(cluster), "portrait": dict(portrait), "explanation": explanation or {},
        "benchmark": {"cluster": benchmark.get("cluster"),
                      "size": benchmark.get("by_size", {}).get(str(portrait.get("size_class"))),
                      "industry": benchmark.get("by_industry", {}).get(str(portrait.get("industry_code")))},
        "recommendations": recommendations(portrait, taxonomy, titles, feeds),
        "link_names": {c: link_names.get(c, {"zh": c}) for c in portrait.get("chain_links") or []},
        "type_name": (type_names or {}).get(str(portrait.get("type_code"))),
    })


def _answer_text(answer: Any) -> Any:
    if isinstance(answer, list):
        return "、".join(str(a) for a in answer)
    return answer


def write_enterprise_report(target: str | Path | IO[bytes], data: Mapping[str, Any], locale: str = "zh") -> None:
    """Write the five-sheet diagnosis workbook for one enterprise (``data`` from ``report_input``)."""
    p, exp, bench = data["portrait"], data.get("explanation") or {}, data["benchmark"]
    wb = new_workbook(target, title=f"{p['name']} 数字化诊断书", subject="一企一诊断书", small=True)
    st = Styles(wb)
    def t(v: Any) -> str:
        return text_of(v, locale)

    cover = SheetWriter(wb, "封面 Cover", (26, 60), locale)
    cover.row(["企业数字化诊断书 Enterprise digital diagnosis"], st.title)
    cover.blank()
    level = p.get("level")
    for label, value in [
        ("企业名称 Enterprise", p.get("name")), ("统一社会信用代码 USCC", p.get("uscc")),
        ("产业集群 Cluster", data["cluster"].get("name")),
        ("企业规模 Size class", SIZE_NAMES.get(p.get("size_class") or "", p.get("size_class"))),
        ("产业链环节 Chain links", "、".join(t(v) for v in data.get("link_names", {}).values())),
        ("标签 Tags", "、".join(p.get("tags") or [])),
        ("数字化水平等级 Digital level", f"{level} 级" if level else "未达一级 below level 1"),
        ("总分 Total points", p.get("total")),
        ("画像类型 Portrait type", t(data.get("type_name")) or p.get("type_code")),
        ("评定方式 Assessment", "现场评定 verified on site" if p.get("trusted") else "企业自评 self-assessed"),
        ("集群百分位 Cluster percentile", p.get("percentile_cluster")),
        ("行业百分位 Industry percentile", p.get("percentile_industry")),
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
        scores.row([t(names.get(code)) or code, d["score"], d["max"], d["share"],
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
            status = "短板 weak" if ind.get("weak") else ("优势 strong" if ind.get("strong") else "")
            scores.row([t(ind.get("title")), ind.get("score"), ind.get("max"), ind.get("target"), status],
                       formats=[None, st.num, st.num, st.num, st.bad if ind.get("weak") else
                                (st.good if ind.get("strong") else None)])

    trail = SheetWriter(wb, "计分说明 Explanation", (14, 18, 22, 30, 8, 60), locale)
    trail.row(["维度 Dimension", "指标 Indicator", "题目 Question", "回答 Answer", "得分 Points", "计分规则 Rule"],
              st.head)
    for dim in exp.get("dimensions", []):
        for ind in dim.get("indicators", []):
            for q in ind.get("questions", []):
                trail.row([t(dim.get("title")), t(ind.get("title")), q.get("id"), _answer_text(q.get("answer")),
                           q.get("points"), q.get("rule_zh" if locale == "zh" else "rule_en")], st.wrap)
            if ind.get("capped"):
                trail.row(["", t(ind.get("title")), "", "", ind.get("score"),
                           f"合计 {ind.get('raw')} 分，封顶 {ind.get('cap')} 分 / capped at {ind.get('cap')}"], st.wrap)
    trail.blank()
    trail.row(["等级 Level", "分数线 Min points", "分数达到 Points ok", "门槛 Gates", "", "是否获得 Granted"], st.head)
    for lv in exp.get("levels", []):
        gates = "；".join(g.get("text_zh" if locale == "zh" else "text_en", "") for g in lv.get("gates", []))
        trail.row([lv.get("level"), lv.get("min_score"), "是 yes" if lv.get("score_ok") else "否 no", gates, "",
                   "获得 granted" if lv.get("granted") else "未获得 not granted"], st.wrap)
    nxt = exp.get("next_level")
    if nxt:
        trail.blank()
        trail.row([f"为什么还不是 {nxt['level']} 级 Why not level {nxt['level']}"], st.bold)
        for zh, en in zip(nxt.get("reasons_zh", []), nxt.get("reasons_en", []), strict=False):
            trail.row(["", zh if locale == "zh" else en], st.wrap)

    peer = SheetWriter(wb, "同行对标 Benchmark", (26, 14, 14, 14, 14), locale)
    peer.row(["项目 Item", "本企业 Enterprise", "集群平均 Cluster", "同规模平均 Size peers", "同行业平均 Industry"],
             st.head)
    groups = [bench.get("cluster") or {}, bench.get("size") or {}, bench.get("industry") or {}]
    peer.row(["总分 Total", p.get("total"), *[g.get("total") for g in groups]], st.num)
    for code, d in dims.items():
        peer.row([f"{t(names.get(code)) or code} 得分率", d["share"], *[g.get("dims", {}).get(code) for g in groups]],
                 st.pct)
    peer.row(["样本数 Peers", None, *[g.get("n") for g in groups]])
    peer.row(["集群百分位 Cluster percentile", p.get("percentile_cluster")])
    peer.row(["行业百分位 Industry percentile", p.get("percentile_industry")])

    rec = SheetWriter(wb, "改进建议 Recommendations", (6, 26, 10, 36, 40, 30), locale)
    rec.row(["序号 #", "短板 Weakness", "严重度 Severity", "对应场景 Scenarios", "推荐方案 Solutions",
             "服务商 Providers"], st.head)
    for i, r in enumerate(data.get("recommendations", []), start=1):
        rec.row([i, t(r["title"]), r["severity"], "、".join(t(s["name"]) for s in r["scenarios"]),
                 "、".join(t(s["name"]) for s in r["solutions"]),
                 "、".join(sorted({t(s["provider"]) for s in r["solutions"] if s.get("provider")}))],
                st.wrap, formats=[None, None, st.pct])
    if not data.get("recommendations"):
        rec.row(["", "各计分指标均达到目标 All scored indicators reach their targets"])
    wb.close()
