"""The audit trail as people read it: who, when, what (old → new) and why, and its XLSX export.

Entries are written by ``diagnostics.store.repo.audit`` with free-form details; this module turns them
into rows with a readable action name and the change spelled out. The export goes through the
workbooks' ``SheetWriter``, so every text (names, reasons) is stored as text, never as a formula.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from diagnostics.text import Text
from diagnostics.workbooks.safe import SheetWriter, Styles, new_workbook

ACTIONS: dict[str, Text] = {
    "roster_create": Text(zh="名录导入：新增企业", en="Roster: enterprise created"),
    "roster_update": Text(zh="名录导入：更新企业", en="Roster: enterprise updated"),
    "roster_import": Text(zh="名录导入", en="Roster import"),
    "assign": Text(zh="分派数字专员", en="Commissioner assigned"),
    "unassign": Text(zh="移除分派", en="Assignment removed"),
    "start": Text(zh="开始填写问卷", en="Questionnaire started"),
    "submit": Text(zh="提交问卷", en="Submitted"),
    "commit_authenticity": Text(zh="真实性承诺", en="Authenticity commitment"),
    "review": Text(zh="审核状态变更", en="Review state changed"),
    "visit_open": Text(zh="开始走访", en="Visit opened"),
    "answer_confirmed": Text(zh="确认答案", en="Answer confirmed"),
    "answer_corrected": Text(zh="更正答案", en="Answer corrected"),
    "evidence_add": Text(zh="上传证据", en="Evidence added"),
    "visit_notes": Text(zh="走访记录", en="Visit notes"),
    "visit_expert_add": Text(zh="走访加入懂行人", en="Person added to the visit"),
    "visit_expert_remove": Text(zh="走访移除懂行人", en="Person removed from the visit"),
    "visit_sign": Text(zh="走访签字确认", en="Visit signed off"),
    "verify": Text(zh="现场核实", en="Verified"),
    "create": Text(zh="创建账号", en="Account created"),
    "edit": Text(zh="修改记录", en="Record edited"),
    "delete": Text(zh="删除记录", en="Record deleted"),
}


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    who: str
    action: str
    enterprise: str
    entity: str
    what: str  # "field: old → new", or the details in short
    why: str


def _short(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def describe(action: str, details: Mapping[str, Any]) -> tuple[str, str]:
    """(what changed, why) of one entry's details."""
    why = str(details.get("reason") or details.get("why") or details.get("note") or "")
    if "changes" in details and isinstance(details["changes"], Mapping):
        what = "; ".join(f"{k}: {_short(v[0])} → {_short(v[1])}" for k, v in details["changes"].items())
    elif "old" in details or "new" in details:
        prefix = f"{details['question']}: " if details.get("question") else ""
        what = f"{prefix}{_short(details.get('old'))} → {_short(details.get('new'))}"
    else:
        rest = {k: v for k, v in details.items() if k not in ("reason", "why", "note")}
        what = ", ".join(f"{k}={_short(v)}" for k, v in sorted(rest.items()))
    return what, why


def action_label(action: str, locale: str = "zh") -> str:
    label = ACTIONS.get(action)
    return label.get(locale) if label else action


def write_audit_xlsx(rows: Iterable[AuditRow], target: IO[bytes], *, locale: str = "zh") -> int:
    """The trail as one sheet; returns the rows written. All texts are inert (no formulas)."""
    wb = new_workbook(target, title="审计记录 Audit trail")
    styles = Styles(wb)
    sheet = SheetWriter(wb, "审计记录", widths=(18, 14, 18, 28, 16, 60, 40), locale=locale)
    head = ("时间 When", "人员 Who", "操作 Action", "企业 Enterprise", "对象 Entity", "内容 What (old → new)",
            "原因 Why")
    sheet.row(head, styles.head)
    n = 0
    for row in rows:
        sheet.row((row.at.strftime("%Y-%m-%d %H:%M:%S"), row.who, action_label(row.action, locale), row.enterprise,
                   row.entity, row.what, row.why))
        n += 1
    wb.close()
    return n
