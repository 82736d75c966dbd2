"""The survey and diagnosis report (调研诊断报告) of the firms surveyed in depth, one section each.

"Deep survey" means the firm's diagnosis was verified on site by a commissioner (seed 002 五.(一): 深调研
及企业数字化水平评价诊断); its portrait is the one the portraits snapshot holds, so every figure in a
section comes from that snapshot, which the report names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from docx.document import Document as DocumentObject

from diagnostics.programme.docx_parts import Appender, fmt, new_document, pct, save, table
from diagnostics.programme.report import LEVEL_NAMES, Source


@dataclass(frozen=True)
class SurveyFirm:
    name: str
    uscc: str
    size: str
    links: tuple[str, ...]
    level: int
    total: float
    dimensions: tuple[tuple[str, float], ...]  # (name, share of the dimension's points)
    weaknesses: tuple[tuple[str, float], ...]  # (name, severity 0..1), worst first
    strengths: tuple[str, ...]
    scenarios: tuple[str, ...]  # map scenarios the weaknesses point to


def survey_report_docx(cluster: str, source: Source, firms: Sequence[SurveyFirm], *, sections: int = 300) -> bytes:
    """The report: every firm in the overview table, the first ``sections`` firms (in the order given:
    highest level and score first) with a section each. A census can verify thousands of firms on
    site; a Word document of thousands of sections is read by nobody, and each firm has its own
    diagnosis workbook, so the report says how many sections it holds and where the others are."""
    shown = list(firms[:max(0, sections)])
    rest = len(firms) - len(shown)
    note = (f"逐家分析的为等级、总分最高的{len(shown)}家；其余{rest}家列于一览表，详见各自的一企一诊断书。"
            if rest else "")
    doc = new_document(f"{cluster}企业调研诊断报告",
                       f"现场深度调研并评定的企业{len(firms)}家。{note}数据来源：{source.cite()}。")
    doc.add_heading("调研企业一览", level=1)
    table(doc, ["企业", "统一社会信用代码", "规模", "环节", "等级", "总分"],
          [[f.name, f.uscc, f.size, "、".join(f.links) or "–", LEVEL_NAMES.get(f.level, LEVEL_NAMES[0]).zh,
            fmt(f.total)] for f in firms])
    appender = Appender(doc)  # one section per firm, appended in linear time
    for f in shown:
        _section(appender.scratch, f, source)
        appender.flush()
    return save(doc)


def _section(doc: DocumentObject, f: SurveyFirm, source: Source) -> None:
    """One firm's section: level, dimension profile, strengths, weaknesses and the scenarios they point to."""
    doc.add_heading(f.name, level=1)
    level = LEVEL_NAMES.get(f.level, LEVEL_NAMES[0]).zh
    doc.add_paragraph(f"{f.size}企业，{'、'.join(f.links) or '环节未填'}；现场评定{level}，"
                      f"总分{fmt(f.total)}分。（{source.cite()}）")
    if f.dimensions:
        table(doc, ["维度", "得分率"], [[name, pct(share)] for name, share in f.dimensions])
    doc.add_paragraph("优势：" + ("、".join(f.strengths) if f.strengths else "无达到优势线的指标"))
    if f.weaknesses:
        table(doc, ["薄弱项", "差距"], [[name, pct(sev)] for name, sev in f.weaknesses])
    else:
        doc.add_paragraph("薄弱项：无")
    doc.add_paragraph("建议优先改造的场景：" + ("、".join(f.scenarios) if f.scenarios else "（无对应场景）"))
