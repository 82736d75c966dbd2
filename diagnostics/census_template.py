"""The census workbook a bureau sends to enterprises (``shuzhen questionnaire template``).

Sheet ``answers``: row 1 holds the machine column names (``uscc``, ``name``, one per question id) that
``shuzhen score`` reads back; row 2 the question text for people (``read_census`` skips it); choice
columns carry dropdowns. Sheet ``codebook`` lists every question with its type, options, unit and range.
Computed (formula) and evidence questions are not asked in a spreadsheet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter

from diagnostics.questionnaire import Question, Questionnaire

HEADER_MARK = "统一社会信用代码"  # row 2, column A: marks the human header row
TYPE_LABELS = {"single": "单选 single", "multi": "多选 multi（用 ; 分隔）", "number": "数值 number",
               "yesno": "是/否 yes/no", "text": "文本 text", "level": "等级 level", "evidence": "附件 evidence"}
DATA_ROWS = 2000  # rows that carry dropdown validation


def census_questions(q: Questionnaire) -> list[Question]:
    """Questions that have a column in the census sheet."""
    return [qq for qq in q.questions() if not qq.formula and qq.type != "evidence"]


def write_template(q: Questionnaire, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
    human = wb.add_format({"italic": True, "text_wrap": True, "valign": "top", "bg_color": "#F2F2F2", "border": 1})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    answers = wb.add_worksheet("answers")
    codebook = wb.add_worksheet("codebook")
    lists = wb.add_worksheet("lists")
    questions = census_questions(q)
    answers.write_string(0, 0, "uscc", head)
    answers.write_string(0, 1, "name", head)
    answers.write_string(1, 0, HEADER_MARK, human)
    answers.write_string(1, 1, "企业名称", human)
    answers.set_column(0, 0, 22)
    answers.set_column(1, 1, 28)
    answers.set_row(1, 60)
    answers.freeze_panes(2, 2)
    for col, question in enumerate(questions, start=2):
        answers.write_string(0, col, question.id, head)
        label = question.text.zh + (f"（{question.unit.zh}）" if question.unit else "")
        answers.write_string(1, col, label, human)
        answers.set_column(col, col, 16)
        note = _note(question)
        if note:
            answers.write_comment(0, col, note, {"x_scale": 2, "y_scale": 2})
        choices = _choices(question)
        if choices:
            lists.write_string(0, col, question.id)
            for r, code in enumerate(choices, start=1):
                lists.write_string(r, col, code)
            ref = f"=lists!${_col(col)}$2:${_col(col)}${len(choices) + 1}"
            answers.data_validation(2, col, DATA_ROWS, col, {
                "validate": "list", "source": ref, "error_title": "无效选项 / invalid option",
                "error_message": "请从下拉列表中选择 / pick a value from the list"})
        elif question.type == "number":
            criteria: dict[str, Any] = {"validate": "decimal", "criteria": "between",
                              "minimum": question.min if question.min is not None else -1e15,
                              "maximum": question.max if question.max is not None else 1e15,
                              "error_message": f"应为 {question.min}–{question.max} 之间的数字"}
            answers.data_validation(2, col, DATA_ROWS, col, criteria)
    lists.hide()
    for c, title in enumerate(("question_id", "text", "type", "required", "options (code = label: points)",
                               "unit", "min", "max", "relevant (skip logic)", "help")):
        codebook.write_string(0, c, title, head)
    codebook.set_column(0, 0, 24)
    codebook.set_column(1, 1, 40, wrap)
    codebook.set_column(4, 4, 60, wrap)
    codebook.set_column(9, 9, 50, wrap)
    for r, question in enumerate(questions, start=1):
        codebook.write_string(r, 0, question.id)
        codebook.write_string(r, 1, question.text.zh + (f"\n{question.text.en}" if question.text.en else ""))
        codebook.write_string(r, 2, TYPE_LABELS[question.type])
        codebook.write_string(r, 3, "是" if question.required else "否")
        codebook.write_string(r, 4, _options_text(question))
        codebook.write_string(r, 5, question.unit.zh if question.unit else "")
        if question.min is not None:
            codebook.write_number(r, 6, question.min)
        if question.max is not None:
            codebook.write_number(r, 7, question.max)
        codebook.write_string(r, 8, question.relevant or "")
        codebook.write_string(r, 9, question.help.zh if question.help else "")
    wb.close()
    return path


def _choices(question: Question) -> list[str]:
    if question.type in ("single", "level"):
        return [o.code for o in question.options]
    if question.type == "yesno":
        return ["是", "否"]
    return []


def _options_text(question: Question) -> str:
    if question.type == "yesno":
        return f"是 = {question.yes_points:g} 分; 否 = {question.no_points:g} 分"
    if question.type == "number" and question.bands:
        return "; ".join(f"[{'' if b.min is None else f'{b.min:g}'}, {'' if b.max is None else f'{b.max:g}'}) = "
                         f"{b.points:g} 分" for b in question.bands)
    return "\n".join(f"{o.code} = {o.label.zh}: {o.points:g} 分" for o in question.options)


def _note(question: Question) -> str:
    parts = [question.text.zh]
    if question.type == "multi":
        parts.append("多选：填选项编码，用 ; 分隔，如 A;B")
    if question.options:
        parts.append(_options_text(question))
    if question.relevant:
        parts.append(f"仅当 {question.relevant} 时作答")
    return "\n".join(parts)


def _col(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name
