"""The cluster workbook: what a bureau hands in and reads (levels, needs, map, four lists, shortlist).

Sheets follow the pilot's deliverables: the performance table against targets, the levels and
portrait types (分类分级画像), the participating-enterprise list (name, USCC, digital level, what to
transform, listed or not: seed 000's list), the ranked common needs, the scenario map grid with
coverage, the four element lists, and the shortlist with every pick's reasons and every near miss's
"why not". All content comes from the snapshot payloads and the portraits frame; nothing is computed
here except layout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from diagnostics.portraits import PortraitSet, as_set
from diagnostics.recommend import weakness_key
from diagnostics.size_class import size_label
from diagnostics.workbooks.safe import SheetWriter, Styles, new_workbook, text_of

KIND_NAMES = {"data_elements": "数据要素 Data elements", "knowledge_models": "知识模型 Knowledge models",
              "tool_software": "工具软件 Tool software", "talent_skills": "人才技能 Talent skills"}
STATUS = {"met": "达标 met", "not_met": "未达标 not met", "no_target": "未设目标 no target",
          "no_data": "暂无数据 no data"}


POSITION_NAMES = {"upstream": "上游", "midstream": "中游", "downstream": "下游"}


def _column_chart(wb: Any, sheet: SheetWriter, title: str, first: int, last: int, series: list[tuple[int, str]],
                  *, stacked: bool = False, anchor: tuple[int, int] = (0, 9), pct: bool = False) -> None:
    """A native column chart of rows ``first..last`` (categories in column 0) on ``sheet``."""
    if last < first:
        return
    chart = wb.add_chart({"type": "column", **({"subtype": "stacked"} if stacked else {})})
    for col, name in series:
        chart.add_series({"name": name, "categories": [sheet.name, first, 0, last, 0],
                          "values": [sheet.name, first, col, last, col]})
    chart.set_title({"name": title})
    if pct:
        chart.set_y_axis({"num_format": "0%"})
    chart.set_size({"width": 620, "height": 340})
    sheet.ws.insert_chart(anchor[0], anchor[1], chart)


def write_cluster_report(target: str | Path | IO[bytes], cluster: Mapping[str, Any], payloads: Mapping[str, Any],
                         portraits: pd.DataFrame | PortraitSet, locale: str = "zh",
                         participants: Sequence[Mapping[str, Any]] | None = None,
                         names: Mapping[str, Any] | None = None) -> None:
    """Write the cluster workbook from the snapshot ``payloads`` (kind -> payload) and portraits.

    ``participants`` is seed 000's list of participating enterprises for the shortlist
    (``diagnostics.shortlist.participant_list``); without it the list sheet shows the picks' names only.
    ``names`` names weaknesses (``recommend.names_of``), so no code is printed.
    """
    wb = new_workbook(target, title=f"{cluster.get('name')} 集群诊断", subject="产业集群数字化诊断")
    st = Styles(wb)
    def t(v: Any) -> str:
        return text_of(v, locale)

    imap = payloads.get("industry_map") or {}
    scen_names = {s["code"]: s["name"] for s in imap.get("scenarios", [])}
    link_names = {c["code"]: c["name"] for c in imap.get("links", [])}
    pp = payloads.get("portraits") or {}
    type_names = {ty["code"]: ty["name"] for ty in pp.get("types", []) if ty.get("code")}

    ind = SheetWriter(wb, "绩效指标 Indicators", (40, 14, 14, 14, 46, 46), locale)
    ind.row([f"{cluster.get('name')} · 绩效目标表 Performance table"], st.title)
    ind.row(["指标 Metric", "实际 Measured", "目标 Target", "状态 Status", "依据 Source", "统计口径 What it counts"],
            st.head)
    for r in imap.get("indicator_table", []):
        fmt = st.pct if r["unit"] == "share" else None
        value = r["value"] if r["value"] is not None else t(r.get("value_text") or {"zh": "暂无数据"})
        ind.row([t(r["name"]), value, r["target"], STATUS.get(r["status"], r["status"]), t(r.get("source")),
                 t(r.get("counts"))],
                formats=[None, fmt, fmt, st.good if r["status"] == "met" else (st.bad if r["status"] == "not_met"
                                                                              else None), st.wrap, st.wrap])
    cov = imap.get("coverage") or {}
    if cov:
        ind.blank()
        ind.row(["覆盖率 Coverage", cov.get("rate"), f"{cov.get('links_covered')}/{cov.get('links_total')} 个环节"],
                formats=[st.bold, st.pct])
        ind.row(["环节取值依据 Basis of the link list", t(cov.get("basis"))], formats=[st.bold, st.wrap])
        ind.row(["未覆盖环节 Links without a typical scenario",
                 "、".join(t(link_names.get(c, c)) for c in cov.get("uncovered", [])) or "无 none"])
        ind.blank()
        ind.row(["环节 Link", "典型场景数 Typical scenarios", "已实践企业 Firms practising"], st.head)
        c_first = ind.row_index
        for row in imap.get("grid", []):
            codes = [c for cell in row["cells"] for c in cell["scenarios"]]
            practising = max((next((s["practice"]["enterprises"] for s in imap.get("scenarios", [])
                                    if s["code"] == c), 0) for c in codes), default=0)
            ind.row([t(link_names.get(row["link"], row["link"])), len(codes), practising])
        _column_chart(wb, ind, "各环节典型场景与实践企业 Coverage by link", c_first, ind.row_index - 1,
                      [(1, "典型场景数"), (2, "实践企业（最多的场景）")], anchor=(2, 7))

    levels = list((pp.get("levels") or {}).keys())
    level_heads = [f"{k} 级" if k != "0" else "未达一级" for k in levels]
    lv = SheetWriter(wb, "等级画像 Levels", (22, 10, 10, 10, 10, 10, 10), locale)
    lv.row([f"已诊断 {pp.get('assessed', 0)} 家 / 集群 {pp.get('enterprises', 0)} 家"
            f"（现场评定 {pp.get('trusted', 0)} 家）"], st.bold)
    lv.row(["规模 Size", *level_heads, "合计 Total"], st.head)
    lv.row(["全部 All", *[pp["levels"][k] for k in levels], pp.get("assessed")])
    s_first = lv.row_index
    for size, counts in (pp.get("levels_by_size") or {}).items():
        lv.row([size_label(size), *[counts.get(k, 0) for k in levels], sum(counts.values())])
    _column_chart(wb, lv, "各规模企业的等级分布 Levels by size", s_first, lv.row_index - 1,
                  [(i + 1, h) for i, h in enumerate(level_heads)], stacked=True, anchor=(0, 9))
    lv.blank()
    lv.row(["画像类型 Type", "企业数 Count", "说明 Meaning"], st.head)
    for ty in pp.get("types", []):
        lv.row([t(ty["name"]), ty["count"], t((pp.get("type_descriptions") or {}).get(ty.get("code") or ""))],
               st.wrap)
    tabs = pp.get("cross_tabs") or {}
    link_tab = (tabs.get("chain_link") or {}).get("rows", [])
    if link_tab:
        lv.blank()
        lv.row(["环节 Link", *level_heads, "合计 Total"], st.head)
        l_first = lv.row_index
        for r in link_tab:
            lv.row([t(r["name"]), *[r["levels"].get(k, 0) for k in levels], r["n"]])
        _column_chart(wb, lv, "各环节企业的等级分布 Levels by chain link", l_first, lv.row_index - 1,
                      [(i + 1, h) for i, h in enumerate(level_heads)], stacked=True, anchor=(20, 9))

    ct = SheetWriter(wb, "分类分级 Classification", (28, 8, *[9] * len(levels), 10,
                                                     *[10] * len(type_names)), locale)
    ct.row(["分类分级画像：按分类维度统计各等级、各画像类型的企业数 Classified and graded portraits"], st.title)
    for axis in ("industry_code", "chain_link", "position", "size_class", "tag", "region"):
        tab = tabs.get(axis) or {}
        if not tab.get("rows"):
            continue
        ct.blank()
        ct.row([t(tab.get("name")), "企业数 n", *level_heads, "平均分 Mean",
                *[t(type_names.get(c, {"zh": c})) for c in type_names]], st.head)
        for r in tab["rows"]:
            ct.row([t(r["name"]), r["n"], *[r["levels"].get(k, 0) for k in levels], r["mean_total"],
                    *[r["types"].get(c, 0) for c in type_names]], formats=[None, None, *[None] * len(levels), st.num])

    ent = SheetWriter(wb, "企业清单 Enterprises", (34, 22, 8, 8, 8, 12, 22, 40, 8, 10), locale)
    ent.row(["企业名称 Name", "统一社会信用代码 USCC", "规模 Size", "等级 Level", "总分 Total", "类型 Type",
             "产业链环节 Links", "主要短板 Main gaps", "上市 Listed", "评定 Verified"], st.head)
    weak_names = dict(names or {})
    feed_names = {k.split(":scenario:", 1)[1]: v for k, v in weak_names.items() if ":scenario:" in k}
    feed_names.update(scen_names)
    prow: Any  # an itertuples row: its fields are the portrait columns, typed only at run time
    for part in as_set(portraits).parts(["weaknesses"]):  # a part's weaknesses at a time
        for prow in part.itertuples(index=False):
            gaps = "、".join(t(weak_names.get(weakness_key(w)) or {"zh": "—"}) for w in (prow.weaknesses or [])[:3])
            ent.row([prow.name, prow.uscc, size_label(prow.size_class), int(prow.level), float(prow.total),
                     t(type_names.get(prow.type_code or "", {"zh": "未分类"})),
                     "、".join(t(link_names.get(c, c)) for c in prow.chain_links or []), gaps,
                     "是" if prow.listed else "否", "现场" if prow.trusted else "自评"])

    needs = payloads.get("needs") or {}
    nd = SheetWriter(wb, "共性需求 Needs", (6, 26, 14, 10, 10, 10, 26, 10, 10, 8), locale)
    nd.row([t(needs.get("definition")) or "共性需求 Common needs"], st.wrap)
    nd.ws.set_row(0, 60)
    nd.row(["排名 #", "场景 Scenario", "环节 Link", "企业数 Firms", "占比 Share", "环节内占比 In link",
            "规模 Sizes", "平均严重度 Mean severity", "需求分 Need score", "共性 Common"], st.head)
    n_first = nd.row_index
    for r in needs.get("scenarios", []):
        sizes = "、".join(f"{size_label(k)}{v}" for k, v in r["sizes"].items())
        nd.row([r["rank"], t(r["name"]), t(link_names.get(r["link"], r["link"])), r["enterprises"], r["share"],
                r.get("share_in_link"), sizes, r["severity_mean"], r["need_score"], "是" if r["common"] else ""],
               formats=[None, None, None, None, st.pct, st.pct, None, st.num, st.num])
    n_last = min(nd.row_index - 1, n_first + 9)
    if needs.get("scenarios"):
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": "需求分 Need score", "categories": [nd.name, n_first, 1, n_last, 1],
                          "values": [nd.name, n_first, 8, n_last, 8]})
        chart.set_title({"name": "需求最多的十个场景 Top needs"})
        chart.set_y_axis({"reverse": True})
        chart.set_size({"width": 620, "height": 380})
        nd.ws.insert_chart(1, 11, chart)
    nd.blank()
    nd.row(["排名 #", "环节 Link", "位置 Position", "有需求企业 Firms", "开展该环节 In link", "环节内占比 Share",
            "前三需求 Top 3 needs", "", "需求分 Need score", "共性需求 Common"], st.head)
    for r in needs.get("links", []):
        nd.row([r["rank"], t(r["name"]), POSITION_NAMES.get(r["position"], r["position"]), r["enterprises"],
                r.get("enterprises_in_link"), r.get("share_in_link"),
                "、".join(t(scen_names.get(c, c)) for c in r["top_scenarios"]), "", r["need_score"],
                "、".join(t(scen_names.get(c, c)) for c in r.get("common", []))],
               formats=[None, None, None, None, None, st.pct, st.wrap, None, st.num, st.wrap])
    if needs.get("by_size"):
        nd.blank()
        nd.row(["规模 Size", "排名 #", "场景 Scenario", "环节 Link", "企业数 Firms", "同规模占比 Share in size"],
               st.head)
        for size, rows in needs["by_size"].items():
            for i, r in enumerate(rows, start=1):
                nd.row([size_label(size), i, t(r["name"]), t(link_names.get(r["link"], r["link"])), r["enterprises"],
                        r["share_in_size"]], formats=[None, None, None, None, None, st.pct])
    if needs.get("unmapped"):
        nd.blank()
        nd.row(["未落到本企业环节场景的短板 Needs with no scenario in the firms' own links", "企业数 Firms"], st.head)
        for r in needs["unmapped"]:
            nd.row([t(feed_names.get(r["feed"]) or {"zh": r["feed"]}), r["enterprises"]])

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

    fl = SheetWriter(wb, "四清单 Four lists", (26, 30, 50), locale)
    fl.row(["清单 List", "名称 Name", "关联场景 Scenarios"], st.head)
    for kind, items in (imap.get("element_lists") or {}).items():
        for e in items:
            fl.row([KIND_NAMES.get(kind, kind), t(e["name"]),
                    "、".join(t(scen_names.get(c, c)) for c in e["scenarios"])], st.wrap)

    _shortlist_sheet(wb, st, payloads.get("shortlist") or {}, link_names, locale)
    _participants_sheet(wb, st, payloads.get("shortlist") or {}, participants, locale)
    wb.close()


def _participants_sheet(wb: Any, st: Styles, sl: Mapping[str, Any], participants: Sequence[Mapping[str, Any]] | None,
                        locale: str) -> None:
    """Seed 000's participating-enterprise list: name, USCC, manufacturing digital level, what is to be
    transformed, listed or not (the shortlist's picks until the programme records its participants)."""
    def t(v: Any) -> str:
        return text_of(v, locale)

    ps = SheetWriter(wb, "参与企业名单 Participants", (34, 22, 16, 50, 10), locale)
    ps.row(["试点参与企业名单（拟）Participating enterprises (proposed, from the shortlist)"], st.title)
    ps.row(["企业名称 Name", "统一社会信用代码 USCC", "制造业数字化水平 Digital level",
            "拟改造内容（场景）To transform", "是否上市 Listed"], st.head)
    rows = participants if participants is not None else [
        {"name": p["name"], "uscc": p["uscc"], "level_name": {"zh": f"{p['level']} 级"}, "scenarios": [],
         "listed": False} for p in sl.get("picks", [])]
    for r in rows:
        ps.row([r["name"], r["uscc"], t(r["level_name"]), "、".join(t(s["name"]) for s in r["scenarios"]) or "—",
                "是" if r["listed"] else "否"], st.wrap)


def _shortlist_sheet(wb: Any, st: Styles, sl: Mapping[str, Any], link_names: Mapping[str, Any], locale: str) -> None:
    def t(v: Any) -> str:
        return text_of(v, locale)

    sh = SheetWriter(wb, "试点名单 Shortlist", (34, 22, 8, 8, 8, 10, 10, 70), locale)
    status = {"optimal": "全部配额满足 all quotas met", "best_effort": "尽力而为：部分配额无法满足 best effort",
              "no_candidates": "无候选企业 no candidates", "infeasible": "无法选出 infeasible"}
    sh.row([f"试点企业名单（{len(sl.get('picks', []))} 家）Pilot shortlist · {status.get(sl.get('status', ''), '')}"],
           st.title)
    sh.row([t((sl.get("objective") or {}).get("definition"))], st.wrap)
    for v in sl.get("violations", []):
        sh.row(["未满足的配额 Quota not met", v["zh"] if locale == "zh" else v["en"]], st.bad)
    for prob in sl.get("problems", []):
        sh.row(["原因 Why", prob["zh"] if locale == "zh" else prob["en"]], st.wrap)
    sh.row(["配额 Quota", "要求 Required", "实际 Actual", "满足 Met"], st.head)
    for c in sl.get("checks", []):
        sh.row([t(c["label"]), c["required"], c["actual"], "是" if c["met"] else "否"])
    sh.blank()
    sh.row(["企业名称 Name", "统一社会信用代码 USCC", "规模 Size", "等级 Level", "链主 Leader", "得分 Score",
            "排名 Rank", "入选理由 Reasons"], st.head)
    for p in sl.get("picks", []):
        reasons = "；".join(p["reasons_zh"] if locale == "zh" else p["reasons_en"])
        sh.row([p["name"], p["uscc"], size_label(p["size_class"]), p["level"],
                "是" if p["chain_leader"] else "", p["score"], p["rank"], reasons], st.wrap)
    sh.blank()
    sh.row(["未入选但接近 Near misses", "", "", "", "", "得分 Score", "排名 Rank", "原因 Why not"], st.head)
    for p in [*sl.get("near_misses", []), *sl.get("excluded_notable", [])]:
        sh.row([p["name"], p["uscc"], size_label(p["size_class"]), p["level"],
                "是" if p["chain_leader"] else "", p["score"], p["rank"] or None,
                p["why_not_zh"] if locale == "zh" else p["why_not_en"]], st.wrap)
    links = sl.get("links") or {}
    if links:
        sh.blank()
        sh.row(["覆盖环节 Links covered", "、".join(t(link_names.get(c, c)) for c in links.get("covered", []))])
        sh.row(["无候选企业的环节 Links without candidates",
                "、".join(t(link_names.get(c, c)) for c in links.get("no_candidate", [])) or "无 none"])
