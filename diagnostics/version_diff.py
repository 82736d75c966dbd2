"""What changed between the questionnaire a draft was started on and the one shipped now.

Officials correct definitions during a census; an enterprise that started last week must not find its
answers silently reinterpreted. The survey shows this list (questions added, removed, changed, and how)
and lets the respondent move the draft to the new version, carrying over every answer the new version
still accepts and naming the ones it cannot keep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from diagnostics.answers import check_answers
from diagnostics.questionnaire import Question, Questionnaire
from diagnostics.text import Text


@dataclass(frozen=True)
class Note:
    zh: str
    en: str


@dataclass(frozen=True)
class QuestionChange:
    id: str
    kind: str  # added | removed | changed
    text: Text
    notes: list[Note] = field(default_factory=list)


def _option_notes(old: Question, new: Question) -> list[Note]:
    notes: list[Note] = []
    old_codes = {o.code: o for o in old.options}
    new_codes = {o.code: o for o in new.options}
    for code in new_codes.keys() - old_codes.keys():
        label = new_codes[code].label
        notes.append(Note(f"新增选项 {code}（{label.zh}）", f"option {code} added ({label.get('en')})"))
    for code in old_codes.keys() - new_codes.keys():
        label = old_codes[code].label
        notes.append(Note(f"删除选项 {code}（{label.zh}）", f"option {code} removed ({label.get('en')})"))
    for code in old_codes.keys() & new_codes.keys():
        if old_codes[code].label != new_codes[code].label or old_codes[code].description != new_codes[code].description:
            notes.append(Note(f"选项 {code} 的说明改为“{new_codes[code].label.zh}”",
                              f"option {code} now reads '{new_codes[code].label.get('en')}'"))
    return sorted(notes, key=lambda n: n.en)


def _question_notes(old: Question, new: Question) -> list[Note]:
    notes: list[Note] = []
    if old.type != new.type:
        notes.append(Note(f"题型由 {old.type} 改为 {new.type}", f"type changed from {old.type} to {new.type}"))
    if old.text != new.text:
        notes.append(Note(f"题目文字改为“{new.text.zh}”", f"wording changed to '{new.text.get('en')}'"))
    if old.required != new.required:
        notes.append(Note("改为必答" if new.required else "改为选答",
                          "now required" if new.required else "now optional"))
    if old.relevant != new.relevant:
        notes.append(Note("适用条件（跳题规则）有变化", "the condition for asking it changed"))
    if (old.min, old.max, old.integer) != (new.min, new.max, new.integer):
        notes.append(Note("允许的数值范围有变化", "the allowed range of numbers changed"))
    notes += _option_notes(old, new)
    return notes


def diff(old: Questionnaire, new: Questionnaire) -> list[QuestionChange]:
    """Question-level changes from ``old`` to ``new``, in the new questionnaire's order."""
    old_q = {q.id: q for q in old.questions() if not q.formula}
    new_q = {q.id: q for q in new.questions() if not q.formula}
    changes: list[QuestionChange] = []
    for qid, question in new_q.items():
        if qid not in old_q:
            changes.append(QuestionChange(qid, "added", question.text))
            continue
        notes = _question_notes(old_q[qid], question)
        if notes:
            changes.append(QuestionChange(qid, "changed", question.text, notes))
    changes += [QuestionChange(qid, "removed", q.text) for qid, q in old_q.items() if qid not in new_q]
    return changes


@dataclass(frozen=True)
class CarryOver:
    kept: dict[str, Any]
    dropped: dict[str, Note]  # question id → why its answer cannot move
    trimmed: dict[str, Note] = field(default_factory=dict)  # multiple choices that lost a removed option


def _trim_multi(new: Questionnaire, answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Note]]:
    """Drop only the removed options from a multiple choice, so the rest of the answer survives."""
    out, trimmed = dict(answers), {}
    for question in new.questions():
        value = answers.get(question.id)
        if question.type != "multi" or not isinstance(value, list):
            continue
        gone = [code for code in value if question.option(str(code)) is None]
        if gone:
            out[question.id] = [code for code in value if code not in gone] or None
            listed = "、".join(map(str, gone))
            trimmed[question.id] = Note(f"已删除的选项 {listed} 不再保留，其余选项保留",
                                        f"removed option(s) {', '.join(map(str, gone))} dropped, the rest kept")
    return out, trimmed


def carry_over(new: Questionnaire, answers: dict[str, Any]) -> CarryOver:
    """The answers ``new`` accepts as they are, and why each other one is left behind."""
    known = {q.id for q in new.questions()}
    candidate, trimmed = _trim_multi(new, {k: v for k, v in answers.items() if k in known})
    kept, problems = check_answers(new, candidate, complete=False)
    reasons = {e.question_id: Note(e.message_zh, e.message_en) for e in problems}
    dropped: dict[str, Note] = {}
    for qid in answers:
        if qid in kept:
            continue
        if qid not in known:
            dropped[qid] = Note("新版本已删除此题", "the new version no longer asks this")
        else:
            dropped[qid] = reasons.get(qid, Note("按新版本的跳题规则不再适用", "no longer applies under the new rules"))
    return CarryOver(kept, dropped, {k: v for k, v in trimmed.items() if k in kept})
