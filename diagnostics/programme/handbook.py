"""The capability handbook (服务商能力手册) of a cluster: scenario → providers → solutions → cases.

Assembled from the records only (plain values handed in by the store): for each scenario of the
taxonomy that any provider serves, any pool solution addresses or any case shows, who can do it, with
what, and where it has been done. Scenarios nobody serves yet are listed at the end, as the gap the joint
team should fill. Written as Word (to print and hand out) and Excel (to filter and sort).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from diagnostics.programme.config import PROVIDER_KIND_NAMES
from diagnostics.programme.docx_parts import fmt, new_document, save, table
from diagnostics.taxonomy import Taxonomy
from diagnostics.workbooks.safe import SheetWriter, Styles, new_workbook

KIND_LABELS = {k: v.zh for k, v in PROVIDER_KIND_NAMES.items()}


@dataclass(frozen=True)
class ProviderInfo:
    id: int
    name: str
    kind: str
    region: str | None
    uscc: str | None
    scenarios: tuple[str, ...]
    capability: str | None
    references: str | None


@dataclass(frozen=True)
class SolutionInfo:
    id: int
    name: str
    scenarios: tuple[str, ...]
    provider_id: int | None
    standardised: bool
    reusable: bool
    low_cost: bool
    price_band: str | None
    deployments: int


@dataclass(frozen=True)
class CaseInfo:
    title: str
    kind: str  # typical | benchmark
    enterprise: str
    scenario: str | None
    solution_id: int | None
    figures: tuple[tuple[str, str, float | None, float | None], ...]  # (name, unit, before, after)
    evidence: str | None


@dataclass(frozen=True)
class ScenarioEntry:
    code: str
    name: str
    link: str
    activity: str
    providers: list[ProviderInfo] = field(default_factory=list)
    solutions: list[SolutionInfo] = field(default_factory=list)
    cases: list[CaseInfo] = field(default_factory=list)


@dataclass(frozen=True)
class Handbook:
    cluster: str
    taxonomy: str
    served: list[ScenarioEntry]
    unserved: list[ScenarioEntry]
    providers: list[ProviderInfo]


def build_handbook(cluster: str, taxonomy: Taxonomy, providers: Sequence[ProviderInfo],
                   solutions: Sequence[SolutionInfo], cases: Sequence[CaseInfo]) -> Handbook:
    links = {c.code: c.name.zh for c in taxonomy.chain_links}
    acts = {a.code: a.name.zh for a in taxonomy.activities}
    served: list[ScenarioEntry] = []
    unserved: list[ScenarioEntry] = []
    for s in taxonomy.scenarios:
        entry = ScenarioEntry(s.code, s.name.zh, links.get(s.link, s.link), acts.get(s.activity, s.activity),
                              [p for p in providers if s.code in p.scenarios],
                              [x for x in solutions if s.code in x.scenarios],
                              [c for c in cases if c.scenario == s.code])
        (served if entry.providers or entry.solutions or entry.cases else unserved).append(entry)
    return Handbook(cluster, f"{taxonomy.title.zh}（{taxonomy.code}@{taxonomy.version}）", served, unserved,
                    sorted(providers, key=lambda p: p.name))


def _flags(s: SolutionInfo) -> str:
    names = [n for n, on in (("标准化", s.standardised), ("可复用", s.reusable), ("低成本", s.low_cost)) if on]
    return "、".join(names) or "–"


def _figures(c: CaseInfo) -> str:
    return "；".join(f"{n}：{fmt(b)}→{fmt(a)}{u}" for n, u, b, a in c.figures) or "–"


def handbook_docx(hb: Handbook) -> bytes:
    doc = new_document(f"{hb.cluster}服务商能力手册",
                       f"依据：{hb.taxonomy}。内容全部来自平台登记的服务商、解决方案池与案例记录。")
    names = {p.id: p.name for p in hb.providers}
    doc.add_heading("一、服务商名录", level=1)
    table(doc, ["服务商", "类型", "地区", "统一社会信用代码", "服务场景数"],
          [[p.name, KIND_LABELS.get(p.kind, p.kind), p.region, p.uscc, len(p.scenarios)] for p in hb.providers])
    doc.add_heading("二、分场景能力", level=1)
    for entry in hb.served:
        doc.add_heading(f"{entry.name}（{entry.link} · {entry.activity}）", level=2)
        if entry.providers:
            doc.add_paragraph("服务商")
            table(doc, ["服务商", "类型", "能力介绍", "业绩与参考"],
                  [[p.name, KIND_LABELS.get(p.kind, p.kind), p.capability, p.references] for p in entry.providers])
        if entry.solutions:
            doc.add_paragraph("解决方案")
            table(doc, ["解决方案", "服务商", "特性", "价格区间", "应用实施（个）"],
                  [[s.name, names.get(s.provider_id or -1), _flags(s), s.price_band, s.deployments]
                   for s in entry.solutions])
        if entry.cases:
            doc.add_paragraph("案例")
            table(doc, ["案例", "类型", "企业", "改造前后", "佐证"],
                  [[c.title, "标杆案例" if c.kind == "benchmark" else "典型案例", c.enterprise, _figures(c),
                    c.evidence] for c in entry.cases])
    doc.add_heading("三、尚无服务商或方案的场景", level=1)
    table(doc, ["场景", "环节", "业务活动"], [[e.name, e.link, e.activity] for e in hb.unserved])
    return save(doc)


def handbook_xlsx(hb: Handbook) -> bytes:
    """The handbook as a workbook (safe writer: a name starting with "=" stays text)."""
    buf = io.BytesIO()
    wb = new_workbook(buf, title=f"{hb.cluster}服务商能力手册", subject=hb.taxonomy)
    styles = Styles(wb)
    names = {p.id: p.name for p in hb.providers}

    def sheet(title: str, header: list[str], rows: list[list[object]]) -> None:
        ws = SheetWriter(wb, title, widths=[24] * len(header))
        ws.row(header, styles.head)
        for row in rows:
            ws.row(row)

    sheet("服务商", ["服务商", "类型", "地区", "统一社会信用代码", "能力介绍", "业绩与参考"],
          [[p.name, KIND_LABELS.get(p.kind, p.kind), p.region, p.uscc, p.capability, p.references]
           for p in hb.providers])
    rows: list[list[object]] = []
    for e in hb.served:
        for p in e.providers:
            rows.append([e.name, e.link, e.activity, "服务商", p.name, KIND_LABELS.get(p.kind, p.kind), p.capability])
        for s in e.solutions:
            rows.append([e.name, e.link, e.activity, "解决方案", s.name, names.get(s.provider_id or -1), _flags(s)])
        for c in e.cases:
            rows.append([e.name, e.link, e.activity, "案例", c.title, c.enterprise, _figures(c)])
    sheet("分场景能力", ["场景", "环节", "业务活动", "类别", "名称", "服务商/企业", "说明"], rows)
    sheet("待补场景", ["场景", "环节", "业务活动"], [[e.name, e.link, e.activity] for e in hb.unserved])
    wb.close()
    return buf.getvalue()
