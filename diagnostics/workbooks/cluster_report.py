"""The cluster workbook: what a bureau hands in and reads (levels, needs, map, four lists, shortlist).

Sheets follow the pilot's deliverables: the performance table against targets, the levels and
portrait types (分类分级画像), the participating-enterprise list (name, USCC, digital level, what to
transform, listed or not: seed 000's list), the ranked common needs, the scenario map grid with
coverage, the four element lists, and the shortlist with every pick's reasons and every near miss's
"why not". All content comes from the snapshot payloads and the portraits frame; nothing is computed
here except layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import pandas as pd

from diagnostics.workbooks.safe import SheetWriter, Styles, new_workbook, text_of

SIZE_NAMES = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型", "unknown": "未知"}
KIND_NAMES = {"data_elements": "数据要素 Data elements", "knowledge_models": "知识模型 Knowledge models",
              "tool_software": "工具软件 Tool software", "talent_skills": "人才技能 Talent skills"}
STATUS = {"met": "达标 met", "not_met": "未达标 not met", "no_target": "—"}


def write_cluster_report(target: str | Path | IO[bytes], cluster: Mapping[str, Any], payloads: Mapping[str, Any],
                         portraits: pd.DataFrame, locale: str = "zh") -> None:
    """Write the cluster workbook from the snapshot ``payloads`` (kind -> payload) and portraits."""
    wb = new_workbook(target, title=f"{cluster.get('name')} 集群诊断", subject="产业集群数字化诊断")
    st = Styles(wb)
    def t(v: Any) -> str:
        return text_of(v, locale)
    imap = payloads.get("industry_map") or {}
    scen_names = {s["code"]: s["name"] for s in imap.get("scenarios", [])}
    link_names = {c["code"]: c["name"] for c in imap.get("links", [])}

    ind = SheetWriter(wb, "绩效指标 Indicators", (40, 14, 14, 14, 46), locale)
    ind.row([f"{cluster.get('name')} · 绩效目标表 Performance table"], st.title)
    ind.row(["指标 Metric", "实际 Measured", "目标 Target", "状态 Status", "依据 Source"], st.head)
    for r in imap.get("indicator_table", []):
        fmt = st.pct if r["unit"] == "share" else None
        ind.row([t(r["name"]), r["value"], r["target"], STATUS.get(r["status"], r["status"]), t(r.get("source"))],
                formats=[None, fmt, fmt, st.good if r["status"] == "met" else (st.bad if r["status"] == "not_met"
                                                                              else None), st.wrap])
    cov = imap.get("coverage") or {}
    if cov:
        ind.blank()
        ind.row(["覆盖率 Coverage", cov.get("rate"), f"{cov.get('links_covered')}/{cov.get('links_total')} 个环节"],
                formats=[st.bold, st.pct])
        ind.row(["环节取值依据 Basis of the link list", t(cov.get("basis"))], formats=[st.bold, st.wrap])
        ind.row(["未覆盖环节 Links without a typical scenario",
                 "、".join(t(link_names.get(c, c)) for c in cov.get("uncovered", [])) or "无 none"])

    pp = payloads.get("portraits") or {}
    lv = SheetWriter(wb, "等级画像 Levels", (22, 10, 10, 10, 10, 10, 10), locale)
    lv.row([f"已诊断 {pp.get('assessed', 0)} 家 / 集群 {pp.get('enterprises', 0)} 家"
            f"（现场评定 {pp.get('trusted', 0)} 家）"], st.bold)
    levels = list((pp.get("levels") or {}).keys())
    lv.row(["规模 Size", *[f"{k} 级" if k != "0" else "未达一级" for k in levels], "合计 Total"], st.head)
    lv.row(["全部 All", *[pp["levels"][k] for k in levels], pp.get("assessed")])
    for size, counts in (pp.get("levels_by_size") or {}).items():
        lv.row([SIZE_NAMES.get(size, size), *[counts.get(k, 0) for k in levels], sum(counts.values())])
    lv.blank()
    lv.row(["画像类型 Type", "企业数 Count"], st.head)
    for ty in pp.get("types", []):
        lv.row([t(ty["name"]), ty["count"]])

    ent = SheetWriter(wb, "企业清单 Enterprises", (34, 22, 8, 8, 8, 10, 22, 40, 8, 10), locale)
    ent.row(["企业名称 Name", "统一社会信用代码 USCC", "规模 Size", "等级 Level", "总分 Total", "类型 Type",
             "产业链环节 Links", "主要短板（改造方向）Main gaps", "上市 Listed", "评定 Verified"], st.head)
    row: Any  # an itertuples row: its fields are the portrait columns, typed only at run time
    for row in portraits.itertuples(index=False):
        gaps = "、".join(w["code"] for w in (row.weaknesses or [])[:3])
        ent.row([row.name, row.uscc, SIZE_NAMES.get(row.size_class, row.size_class), int(row.level), float(row.total),
                 row.type_code, "、".join(t(link_names.get(c, c)) for c in row.chain_links or []), gaps,
                 "是" if row.listed else "否", "现场" if row.trusted else "自评"])

    needs = payloads.get("needs") or {}
    nd = SheetWriter(wb, "共性需求 Needs", (6, 26, 14, 10, 10, 26, 10, 10, 8), locale)
    nd.row(["排名 #", "场景 Scenario", "环节 Link", "企业数 Firms", "占比 Share", "规模 Sizes",
            "平均严重度 Mean severity", "需求分 Need score", "共性 Common"], st.head)
    for r in needs.get("scenarios", []):
        sizes = "、".join(f"{SIZE_NAMES.get(k, k)}{v}" for k, v in r["sizes"].items())
        nd.row([r["rank"], t(r["name"]), t(link_names.get(r["link"], r["link"])), r["enterprises"], r["share"], sizes,
                r["severity_mean"], r["need_score"], "是" if r["common"] else ""],
               formats=[None, None, None, None, st.pct, None, st.num, st.num])
    nd.blank()
    nd.row(["排名 #", "环节 Link", "位置 Position", "企业数 Firms", "占比 Share", "主要场景 Top scenarios", "",
            "需求分 Need score"], st.head)
    for r in needs.get("links", []):
        nd.row([r["rank"], t(r["name"]), r["position"], r["enterprises"], r["share"],
                "、".join(t(scen_names.get(c, c)) for c in r["top_scenarios"]), "", r["need_score"]],
               formats=[None, None, None, None, st.pct, None, None, st.num])

    acts = imap.get("activities", [])
    mp = SheetWriter(wb, "场景图谱 Map", (18, *[30] * len(acts)), locale)
    mp.row(["环节 \\ 业务活动", *[t(a["name"]) for a in acts]], st.head)
    scen = {s["code"]: s for s in imap.get("scenarios", [])}
    for row in imap.get("grid", []):
        cells = []
        for cell in row["cells"]:
            parts = []
            for code in cell["scenarios"]:
                pr = scen[code]["practice"]
                parts.append(f"{t(scen[code]['name'])}（{pr['enterprises']}家实践，{pr['practised']}家达标）")
            cells.append("\n".join(parts))
        mp.row([t(link_names.get(row["link"], row["link"])), *cells], st.wrap)

    fl = SheetWriter(wb, "四清单 Four lists", (26, 16, 30, 50), locale)
    fl.row(["清单 List", "编码 Code", "名称 Name", "关联场景 Scenarios"], st.head)
    for kind, items in (imap.get("element_lists") or {}).items():
        for e in items:
            fl.row([KIND_NAMES.get(kind, kind), e["code"], t(e["name"]),
                    "、".join(t(scen_names.get(c, c)) for c in e["scenarios"])], st.wrap)

    _shortlist_sheet(wb, st, payloads.get("shortlist") or {}, link_names, locale)
    wb.close()


def _shortlist_sheet(wb: Any, st: Styles, sl: Mapping[str, Any], link_names: Mapping[str, Any], locale: str) -> None:
    def t(v: Any) -> str:
        return text_of(v, locale)
    sh = SheetWriter(wb, "试点名单 Shortlist", (34, 22, 8, 8, 8, 10, 10, 70), locale)
    sh.row([f"试点企业名单（{len(sl.get('picks', []))} 家）Pilot shortlist"], st.title)
    sh.row([t((sl.get("objective") or {}).get("definition"))], st.wrap)
    for prob in sl.get("problems", []):
        sh.row(["无法选出名单 Infeasible", prob["zh"] if locale == "zh" else prob["en"]], st.bad)
    sh.row(["配额 Quota", "要求 Required", "实际 Actual", "满足 Met"], st.head)
    for c in sl.get("checks", []):
        sh.row([t(c["label"]), c["required"], c["actual"], "是" if c["met"] else "否"])
    sh.blank()
    sh.row(["企业名称 Name", "统一社会信用代码 USCC", "规模 Size", "等级 Level", "链主 Leader", "得分 Score",
            "排名 Rank", "入选理由 Reasons"], st.head)
    for p in sl.get("picks", []):
        reasons = "；".join(p["reasons_zh"] if locale == "zh" else p["reasons_en"])
        sh.row([p["name"], p["uscc"], SIZE_NAMES.get(p["size_class"], p["size_class"]), p["level"],
                "是" if p["chain_leader"] else "", p["score"], p["rank"], reasons], st.wrap)
    sh.blank()
    sh.row(["未入选但接近 Near misses", "", "", "", "", "得分 Score", "排名 Rank", "原因 Why not"], st.head)
    for p in [*sl.get("near_misses", []), *sl.get("excluded_notable", [])]:
        sh.row([p["name"], p["uscc"], SIZE_NAMES.get(p["size_class"], p["size_class"]), p["level"],
                "是" if p["chain_leader"] else "", p["score"], p["rank"] or None,
                p["why_not_zh"] if locale == "zh" else p["why_not_en"]], st.wrap)
    links = sl.get("links") or {}
    if links:
        sh.blank()
        sh.row(["覆盖环节 Links covered", "、".join(t(link_names.get(c, c)) for c in links.get("covered", []))])
        sh.row(["无候选企业的环节 Links without candidates",
                "、".join(t(link_names.get(c, c)) for c in links.get("no_candidate", [])) or "无 none"])
