"""The industry research report (行业数字化转型研究报告) of a cluster, as a Word document with charts.

Every sentence states a figure taken from the inputs, and every table and chart names the snapshot
(id and content hash) or the records it comes from: the report invents nothing. Sections follow seed
000 §四.4 (the chain's transformation status, typical cases, pain points, the transformation path):
levels by chain link and by size, common needs, coverage of the chain, the pilot projects' T0→T1
change and the evaluation against comparable firms, and the cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from diagnostics.programme.docx_parts import (
    chart_style,
    cjk_font,
    figure,
    fmt,
    label,
    new_document,
    new_figure,
    pct,
    save,
    table,
)
from diagnostics.programme.evaluation import Estimate, Evaluation
from diagnostics.programme.handbook import CaseInfo
from diagnostics.size_class import SIZE_CLASSES, SIZE_LABELS
from diagnostics.taxonomy import Taxonomy
from diagnostics.text import Text

LEVELS = (0, 1, 2, 3, 4)
LEVEL_NAMES = {0: Text(zh="未达一级", en="Below 1"), 1: Text(zh="一级", en="Level 1"), 2: Text(zh="二级", en="Level 2"),
               3: Text(zh="三级", en="Level 3"), 4: Text(zh="四级", en="Level 4")}
@dataclass(frozen=True)
class Source:
    kind: str
    snapshot_id: int
    content_hash: str

    def cite(self) -> str:
        return f"{self.kind} 快照 #{self.snapshot_id}（{self.content_hash[:12]}）"


@dataclass(frozen=True)
class ProjectChange:
    name: str
    participants: int
    compared: int  # pairs on the same version
    flagged: int  # pairs across versions (shown, not compared)
    mean_t0: float | None
    mean_t1: float | None


@dataclass(frozen=True)
class ReportInputs:
    """``portraits`` has one row per assessed enterprise: ``level``, ``total``, ``size_class``,
    ``chain_links`` (list of codes) — the portraits snapshot's rows."""

    cluster: str
    pilot: str
    taxonomy: Taxonomy
    portraits: pd.DataFrame
    portraits_source: Source
    needs: Mapping[str, Any] | None = None
    needs_source: Source | None = None
    industry_map: Mapping[str, Any] | None = None
    map_source: Source | None = None
    projects: Sequence[ProjectChange] = ()
    evaluation: Evaluation | None = None
    cases: Sequence[CaseInfo] = ()
    counts: Mapping[str, float | None] = field(default_factory=dict)
    outcome_names: Mapping[str, str] = field(default_factory=dict)  # indicator code -> its title


def levels_by(portraits: pd.DataFrame, column: str, keys: Sequence[str]) -> pd.DataFrame:
    """Rows ``keys`` (chain links or size classes), columns levels 0..4: counts of enterprises."""
    frame = portraits[[column, "level"]]
    if column == "chain_links":
        frame = frame.explode("chain_links")
    table_ = pd.crosstab(frame[column], frame["level"].astype(int)) if len(frame) else pd.DataFrame()
    return table_.reindex(index=list(keys), columns=list(LEVELS), fill_value=0).fillna(0).astype(int)


def _count_rows(counts: pd.DataFrame, names: Sequence[str]) -> list[list[object]]:
    values = counts.to_numpy(dtype=int)
    return [[name, *[int(v) for v in row], int(row.sum())] for name, row in zip(names, values, strict=True)]


def _stacked(counts: pd.DataFrame, names: Sequence[str], title: str) -> Any:
    fig = new_figure()
    ax = fig.add_subplot()
    left = np.zeros(len(counts))
    colours = ("#c9c9c9", "#9ecae1", "#4292c6", "#2171b5", "#08306b")
    y = np.arange(len(counts))
    for level, colour in zip(LEVELS, colours, strict=True):
        values = counts[level].to_numpy(dtype=float)
        ax.barh(y, values, left=left, color=colour, label=label(LEVEL_NAMES[level]))
        left += values
    ax.set_yticks(y, list(names))
    ax.invert_yaxis()
    ax.set_xlabel(label(Text(zh="企业数（家）", en="Enterprises")))
    ax.set_title(title)
    ax.legend(ncols=5, fontsize=7, loc="lower right")
    return fig


def _bars(names: Sequence[str], values: Sequence[float], title: str, xlabel: str) -> Any:
    fig = new_figure(height=max(2.4, 0.32 * len(names) + 1))
    ax = fig.add_subplot()
    y = np.arange(len(names))
    ax.barh(y, list(values), color="#4292c6")
    ax.set_yticks(y, list(names))
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return fig


def _estimate_name(e: Estimate, data: ReportInputs) -> str:
    if e.group is not None:
        scenario = next((s for s in data.taxonomy.scenarios if s.code == e.group), None)
        return f"场景：{scenario.name.zh}" if scenario else f"方案：{e.group}"
    return {"total": "总分", "level": "等级"}.get(e.outcome) or data.outcome_names.get(e.outcome, e.outcome)


def research_report_docx(data: ReportInputs) -> bytes:
    """The report as .docx bytes."""
    with chart_style():
        return _build(data)


def _build(data: ReportInputs) -> bytes:
    t = data.taxonomy
    p = data.portraits
    doc = new_document(f"{data.cluster}数字化转型研究报告", f"{data.pilot} · 行业数字化转型研究报告")
    n = len(p)
    fig_no = 0
    doc.add_heading("数据来源", level=1)
    sources = [s for s in (data.portraits_source, data.needs_source, data.map_source) if s is not None]
    table(doc, ["数据", "快照", "内容哈希"], [[s.kind, f"#{s.snapshot_id}", s.content_hash] for s in sources])
    doc.add_paragraph("本报告的数字全部来自上表所列快照和平台登记的试点项目、案例记录，未引用其他来源。"
                      + ("" if cjk_font() else "（本机未安装中文字体，图中文字以英文显示。）"))

    doc.add_heading("一、产业链数字化水平", level=1)
    if n:
        mean = float(p["total"].mean())
        by_level = p["level"].astype(int).value_counts()
        parts = "，".join(f"{LEVEL_NAMES[lv].zh}{int(by_level.get(lv, 0))}家" for lv in LEVELS)
        doc.add_paragraph(f"已诊断企业{n}家，平均总分{fmt(mean)}分；{parts}。（{data.portraits_source.cite()}）")
        links = [c.code for c in t.chain_links]
        by_link = levels_by(p, "chain_links", links)
        table(doc, ["环节", *[LEVEL_NAMES[lv].zh for lv in LEVELS], "合计"],
              _count_rows(by_link, [c.name.zh for c in t.chain_links]))
        fig_no += 1
        figure(doc, _stacked(by_link, [label(c.name) for c in t.chain_links], label(Text(zh="各环节数字化等级",
                                                                                       en="Levels by chain link"))),
               f"图{fig_no} 各环节企业数字化等级分布。数据来源：{data.portraits_source.cite()}")
        by_size = levels_by(p, "size_class", SIZE_CLASSES)
        by_size = by_size[by_size.sum(axis=1) > 0]
        table(doc, ["规模", *[LEVEL_NAMES[lv].zh for lv in LEVELS], "合计"],
              _count_rows(by_size, [SIZE_LABELS[str(s)]["zh"] if s in SIZE_LABELS else str(s)
                                    for s in by_size.index]))
        fig_no += 1
        size_names = [label(SIZE_LABELS[str(s)]) if s in SIZE_LABELS else str(s) for s in by_size.index]
        figure(doc, _stacked(by_size, size_names,
                             label(Text(zh="各规模企业数字化等级", en="Levels by size class"))),
               f"图{fig_no} 不同规模企业数字化等级分布。数据来源：{data.portraits_source.cite()}")
    else:
        doc.add_paragraph("尚无已诊断企业。")

    doc.add_heading("二、共性需求与痛点", level=1)
    rows = list((data.needs or {}).get("scenarios") or [])[:10]
    if rows and data.needs_source:
        common = [r for r in rows if r.get("common")]
        doc.add_paragraph(f"按需求强度排序的前{len(rows)}个场景中，{len(common)}个为共性需求（达到共性门槛的企业占比）。"
                          f"（{data.needs_source.cite()}）")
        table(doc, ["排名", "场景", "有需求企业（家）", "占比", "共性需求"],
              [[r.get("rank"), Text.model_validate(r.get("name") or {"zh": r.get("scenario", "")}).zh,
                r.get("enterprises"), pct(r.get("share")), "是" if r.get("common") else "否"] for r in rows])
        fig_no += 1
        figure(doc, _bars([label(r.get("name") or r.get("scenario")) for r in rows],
                          [100 * float(r.get("share") or 0) for r in rows],
                          label(Text(zh="需求最集中的场景", en="Scenarios most in need")), "%"),
               f"图{fig_no} 需求最集中的场景（有需求企业占已诊断企业的百分比）。数据来源：{data.needs_source.cite()}")
    else:
        doc.add_paragraph("尚无需求快照。")

    doc.add_heading("三、图谱覆盖", level=1)
    coverage = (data.industry_map or {}).get("coverage") or {}
    if coverage and data.map_source:
        names = {c.code: c.name.zh for c in t.chain_links}
        uncovered = "、".join(names.get(c, c) for c in coverage.get("uncovered") or [])
        doc.add_paragraph(
            f"产业链{coverage.get('links_total')}个环节中，{coverage.get('links_covered')}个已有典型场景，覆盖率"
            f"{pct(coverage.get('rate'))}；未覆盖：{uncovered or '无'}。"
            f"（{data.map_source.cite()}）")
    else:
        doc.add_paragraph("尚无图谱快照。")

    doc.add_heading("四、试点项目与成效（T0→T1）", level=1)
    if data.projects:
        table(doc, ["项目", "参与企业", "可比对（同版本）", "跨版本（不比较）", "T0平均分", "T1平均分"],
              [[pr.name, pr.participants, pr.compared, pr.flagged, fmt(pr.mean_t0), fmt(pr.mean_t1)]
               for pr in data.projects])
        shown = [pr for pr in data.projects if pr.mean_t0 is not None and pr.mean_t1 is not None]
        if shown:
            fig_no += 1
            fig = new_figure()
            ax = fig.add_subplot()
            x = np.arange(len(shown))
            ax.bar(x - 0.2, [pr.mean_t0 or 0 for pr in shown], 0.4, label="T0", color="#9ecae1")
            ax.bar(x + 0.2, [pr.mean_t1 or 0 for pr in shown], 0.4, label="T1", color="#2171b5")
            ax.set_xticks(x, [pr.name if cjk_font() else f"P{i + 1}" for i, pr in enumerate(shown)], fontsize=7)
            ax.set_ylabel(label(Text(zh="平均总分", en="Mean total")))
            ax.legend()
            figure(doc, fig, f"图{fig_no} 试点项目参与企业T0与T1平均总分（仅同一问卷版本的配对）。"
                             "数据来源：项目检查点评估记录")
    else:
        doc.add_paragraph("尚无试点项目。")
    ev = data.evaluation
    if ev is not None:
        doc.add_paragraph(f"评估：{ev.participants}家参与企业与{ev.comparison_pool}家有两次评估的非参与企业比较"
                          "（同环节、同规模，按T0等级和总分匹配，双重差分，自助法区间）。")
        table(doc, ["指标/分组", "参与企业（家）", "参与企业变化", "可比企业变化", "估计效果", "区间", "说明"],
              [[_estimate_name(e, data), e.participants, fmt(e.participant_change), fmt(e.control_change),
                fmt(e.effect),
                "–" if e.low is None else f"{fmt(e.low)} ~ {fmt(e.high)}", e.note.zh]
               for e in [*ev.overall, *ev.by_scenario, *ev.by_solution]])

    doc.add_heading("五、典型案例", level=1)
    if data.cases:
        table(doc, ["案例", "类型", "企业", "改造前后", "佐证"],
              [[c.title, "标杆案例" if c.kind == "benchmark" else "典型案例", c.enterprise,
                "；".join(f"{nm}：{fmt(b)}→{fmt(a)}{u}" for nm, u, b, a in c.figures) or "–", c.evidence]
               for c in data.cases])
    else:
        doc.add_paragraph("尚无登记的案例。")

    doc.add_heading("六、转型路径", level=1)
    common_names = [Text.model_validate(r.get("name") or {"zh": r.get("scenario", "")}).zh
                    for r in rows if r.get("common")][:5]
    doc.add_paragraph("依据以上数据，优先推进的场景为共性需求最集中的场景："
                      + ("、".join(common_names) if common_names else "（尚无共性需求）")
                      + f"；平台登记服务商{fmt(data.counts.get('providers'), 0)}家、解决方案"
                      f"{fmt(data.counts.get('solutions'), 0)}个、应用实施{fmt(data.counts.get('deployments'), 0)}个。")
    return save(doc)
