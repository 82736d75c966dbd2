"""The capability handbook and the research report open in python-docx / openpyxl and hold what they promise."""

from __future__ import annotations

import io

import docx
import openpyxl
import pandas as pd
import pytest
from docx.oxml.ns import qn

from diagnostics.programme import docx_parts
from diagnostics.programme.config import EvaluationSettings
from diagnostics.programme.docx_parts import save, table
from diagnostics.programme.evaluation import evaluate
from diagnostics.programme.handbook import (
    CaseInfo,
    ProviderInfo,
    SolutionInfo,
    build_handbook,
    handbook_docx,
    handbook_xlsx,
)
from diagnostics.programme.report import ProjectChange, ReportInputs, Source, levels_by, research_report_docx
from diagnostics.programme.survey_report import SurveyFirm, survey_report_docx
from diagnostics.taxonomy import load_taxonomy
from tests.programme.test_evaluation import constructed

TAX = load_taxonomy("ceramics")
KILN = TAX.scenarios[0].code
PROVIDERS = [ProviderInfo(1, "=景德镇窑联科技", "specialised", "景德镇", None, (KILN,), "窑炉温控", "三家瓷厂"),
             ProviderInfo(2, "中国电信景德镇分公司", "telecom", "景德镇", None, (), "5G专网", None)]
SOLUTIONS = [SolutionInfo(7, "窑炉智能温控方案", (KILN,), 1, True, True, False, "10-30万元", 2)]
CASES = [CaseInfo("红叶陶瓷窑炉改造", "benchmark", "红叶陶瓷", KILN, 7, (("合格率", "%", 88.0, 94.5),), "验收报告")]


def headings(document: docx.document.Document) -> list[str]:
    return [p.text for p in document.paragraphs
            if p.style is not None and p.style.name.startswith(("Heading", "Title"))]


def test_handbook_docx_runs_scenario_to_providers_solutions_and_cases() -> None:
    hb = build_handbook("景德镇陶瓷产业集群", TAX, PROVIDERS, SOLUTIONS, CASES)
    assert [e.code for e in hb.served] == [KILN] and len(hb.unserved) == len(TAX.scenarios) - 1
    document = docx.Document(io.BytesIO(handbook_docx(hb)))
    heads = headings(document)
    assert heads[0] == "景德镇陶瓷产业集群服务商能力手册"
    assert "一、服务商名录" in heads and "三、尚无服务商或方案的场景" in heads
    assert any(h.startswith(TAX.scenarios[0].name.zh) for h in heads)
    texts = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    assert ["窑炉智能温控方案", "=景德镇窑联科技", "标准化、可复用", "10-30万元", "2"] in texts
    assert any(r[0] == "红叶陶瓷窑炉改造" and "88→94.5%" in r[3] for r in texts)
    assert len(document.tables[0].rows) == 3  # header + two providers


def test_handbook_xlsx_has_the_same_content_and_never_a_formula() -> None:
    hb = build_handbook("景德镇陶瓷产业集群", TAX, PROVIDERS, SOLUTIONS, CASES)
    wb = openpyxl.load_workbook(io.BytesIO(handbook_xlsx(hb)))
    assert wb.sheetnames == ["服务商", "分场景能力", "待补场景"]
    providers = wb["服务商"]
    assert providers["A2"].value == "=景德镇窑联科技" and providers["A2"].data_type == "s"
    kinds = [row[3] for row in wb["分场景能力"].iter_rows(min_row=2, values_only=True)]
    assert kinds == ["服务商", "解决方案", "案例"]
    assert wb["待补场景"].max_row == len(TAX.scenarios)  # header + every unserved scenario


def portraits(n: int = 40) -> pd.DataFrame:
    links = [c.code for c in TAX.chain_links]
    return pd.DataFrame({"enterprise_id": range(1, n + 1), "level": [i % 5 for i in range(n)],
                         "total": [20.0 + i for i in range(n)],
                         "size_class": [("large", "medium", "small", "micro")[i % 4] for i in range(n)],
                         "chain_links": [[links[i % len(links)]] for i in range(n)]})


def test_levels_by_link_and_size_count_every_enterprise() -> None:
    p = portraits()
    by_link = levels_by(p, "chain_links", [c.code for c in TAX.chain_links])
    assert int(by_link.to_numpy().sum()) == 40
    by_size = levels_by(p, "size_class", ["large", "medium", "small", "micro"])
    assert by_size.loc["large"].sum() == 10 and by_size.loc["large", 0] == 2  # levels 0 and 4 for ids 1, 5, ...


def test_research_report_holds_its_sections_tables_figures_and_sources() -> None:
    needs = {"scenarios": [{"rank": 1, "scenario": KILN, "name": TAX.scenarios[0].name.model_dump(),
                            "enterprises": 12, "share": 0.3, "common": True}]}
    imap = {"coverage": {"links_total": 8, "links_covered": 7, "rate": 0.875, "uncovered": ["cultural_creative"]}}
    inputs = ReportInputs(
        cluster="景德镇陶瓷产业集群", pilot="景德镇试点", taxonomy=TAX, portraits=portraits(),
        portraits_source=Source("portraits", 11, "a" * 64), needs=needs, needs_source=Source("needs", 12, "b" * 64),
        industry_map=imap, map_source=Source("industry_map", 13, "c" * 64),
        projects=[ProjectChange("窑炉智能控制", 3, 2, 1, 41.0, 55.5)],
        evaluation=evaluate(constructed(), EvaluationSettings(min_firms=5)), cases=CASES,
        counts={"providers": 2.0, "solutions": 1.0, "deployments": 2.0})
    data = research_report_docx(inputs)
    assert data == research_report_docx(inputs)  # same records, same bytes: the file name is its hash
    document = docx.Document(io.BytesIO(data))
    heads = headings(document)
    assert heads[0] == "景德镇陶瓷产业集群数字化转型研究报告"
    for h in ("数据来源", "一、产业链数字化水平", "二、共性需求与痛点", "三、图谱覆盖", "四、试点项目与成效（T0→T1）",
              "五、典型案例", "六、转型路径"):
        assert h in heads
    assert len(document.inline_shapes) == 4  # levels by link, by size, needs, T0/T1
    captions = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Caption"]
    assert len(captions) == 4 and all("数据来源" in c for c in captions)
    assert "portraits 快照 #11（aaaaaaaaaaaa）" in captions[0]
    body = "\n".join(p.text for p in document.paragraphs)
    assert "已诊断企业40家" in body and "覆盖率87.5%" in body and "服务商2家" in body
    sources = [[c.text for c in r.cells] for r in document.tables[0].rows]
    assert ["needs", "#12", "b" * 64] in sources
    rows = [[c.text for c in r.cells] for t in document.tables for r in t.rows]
    assert ["窑炉智能控制", "3", "2", "1", "41", "55.5"] in rows
    assert any(r[0] == "总分" and r[5] != "–" for r in rows)  # the evaluation's interval is printed


def test_survey_report_has_one_section_per_deep_survey_firm() -> None:
    firms = [SurveyFirm("红叶陶瓷", "91360200MA35XXXX0X", "中型", ("成型",), 2, 52.5, (("数字化基础", 0.6),),
                        (("设备联网", 0.5),), ("信息系统",), ("窑炉智能控制",)),
             SurveyFirm("青花瓷厂", "91360200MA35YYYY0Y", "小型", (), 1, 31.0, (), (), (), ())]
    data = survey_report_docx("景德镇陶瓷产业集群", Source("portraits", 3, "d" * 64), firms)
    document = docx.Document(io.BytesIO(data))
    heads = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert heads == ["调研企业一览", "红叶陶瓷", "青花瓷厂"]
    body = "\n".join(p.text for p in document.paragraphs)
    assert "现场评定二级，总分52.5分。（portraits 快照 #3（dddddddddddd））" in body
    assert "建议优先改造的场景：窑炉智能控制" in body and "薄弱项：无" in body
    first = [c.text for c in document.tables[0].rows[1].cells]
    assert first == ["红叶陶瓷", "91360200MA35XXXX0X", "中型", "成型", "二级", "52.5"]


def test_survey_report_lists_every_firm_and_spells_out_the_first_ones() -> None:
    """A census verifies thousands of firms on site: each is a row of the overview table, the first
    ``sections`` (highest level and score first, the order given) get a section, and the report says
    how many did and where the others' diagnoses are."""
    firms = [SurveyFirm(f"企业{i:02d}", f"91360200MA35{i:04d}0X", "小型", ("成型",), 2, 60.0 - i,
                        (("数字化基础", 0.5),), (("设备联网", 0.5),), (), ()) for i in range(12)]
    data = survey_report_docx("景德镇陶瓷产业集群", Source("portraits", 3, "d" * 64), firms, sections=5)
    document = docx.Document(io.BytesIO(data))
    heads = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert heads == ["调研企业一览", *[f"企业{i:02d}" for i in range(5)]]
    assert [r.cells[0].text for r in document.tables[0].rows[1:]] == [f.name for f in firms]
    body = "\n".join(p.text for p in document.paragraphs)
    assert "现场深度调研并评定的企业12家。逐家分析的为等级、总分最高的5家；其余7家列于一览表" in body
    # every section's blocks sit in front of the document's closing section properties, in order
    blocks = list(document.element.body)
    assert blocks[-1].tag.endswith("}sectPr")
    assert len(document.tables) == 1 + 5 * 2


def test_a_long_table_copies_its_rows_without_repeating_each_cells_width() -> None:
    """Every row of a long table reads back with its texts; rows copied from the first (all but the
    header, the first data row and any row python-docx must build itself) carry no cell properties,
    which held only the width the table's grid already gives each column (half the table's memory)."""
    document = docx.Document()
    rows = [[f"企业{i}", f"9136{i:04d}", "小型", "烧成", "二级", f"{50 + i}.5"] for i in range(40)]
    rows[7][0] = "带\t制表符的企业"  # a tab: python-docx's own path, with its properties
    table(document, ["企业", "代码", "规模", "环节", "等级", "总分"], rows)
    read = docx.Document(io.BytesIO(save(document))).tables[0]
    assert [[c.text for c in r.cells] for r in read.rows] == [["企业", "代码", "规模", "环节", "等级", "总分"], *rows]
    with_props = [k for k, tr in enumerate(read._tbl.tr_lst) if tr.find(f"{qn('w:tc')}/{qn('w:tcPr')}") is not None]
    assert with_props == [0, 1, 8]
    assert [col.w for col in read._tbl.tblGrid.gridCol_lst] == [1440 * 635] * 6  # six equal columns, in EMU


def test_a_table_too_long_to_hold_is_written_into_the_file_as_it_is_saved_and_the_file_is_the_same(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The survey report lists every firm verified on site (75 000 in a 300 000-firm census): past
    ``STREAM_ROWS`` the rows are written as text when the file is saved instead of held as XML elements,
    and the file is the same byte for byte: escaped text, rows python-docx builds itself (a tab, edge
    spaces), blanks, two long tables in one document, text before, between and after them."""
    header = ["企业", "代码", "规模", "环节", "等级", "总分"]
    rows: list[list[object]] = [[f"企业{i}", f"9136{i:04d}", "小型", "烧成", "二级", f"{50 + i}.5"] for i in range(60)]
    rows[0][3] = " 成型"  # the first data row is python-docx's own: the copied row is a later one
    rows[5][0] = "A&B <青花> \"瓷\" 'Ltd' >"
    rows[9][0] = "带\t制表符的企业"
    rows[12][4] = None
    rows[40][5] = "行一\n行二"
    other = [[f"服务商{i}", i] for i in range(30)]

    def build(limit: int) -> bytes:
        monkeypatch.setattr(docx_parts, "STREAM_ROWS", limit)
        document = docx_parts.new_document("景德镇企业调研诊断报告", "现场深度调研并评定的企业60家。")
        document.add_paragraph("调研企业一览")
        table(document, header, rows)
        document.add_paragraph("服务商")
        table(document, ["服务商", "方案数"], other)
        document.add_paragraph("完")
        held_rows.append([len(t.rows) for t in document.tables])
        return save(document)

    held_rows: list[list[int]] = []
    held, streamed = build(10_000), build(5)
    # in the tree until saved: every row, against the header, the data rows up to the first plain one (the
    # row copied) and one placeholder
    assert held_rows == [[61, 31], [4, 3]]
    assert streamed == held
    read = docx.Document(io.BytesIO(streamed))
    assert [[c.text for c in r.cells] for r in read.tables[0].rows[1:]] == [
        ["–" if v is None else str(v) for v in row] for row in rows]
    assert [[c.text for c in r.cells] for r in read.tables[1].rows[1:]] == [[n, str(k)] for n, k in other]
