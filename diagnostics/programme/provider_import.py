"""Importing the provider registry from a spreadsheet, as the roster is imported: every bad cell is
reported with its row and column, in Chinese and English, and nothing is saved from a file with errors.

The first sheet's first row names the columns (Chinese or English): 服务商名称 / name (required),
统一社会信用代码 / uscc, 类型 / kind (a code or its Chinese name), 地区 / region, 所属集团 / group,
服务场景 / scenarios (codes or names, separated by 、 , ; or new lines), 能力介绍 / capability,
业绩与参考 / references.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl

from diagnostics.programme.config import PROVIDER_KIND_NAMES
from diagnostics.uscc import validate_uscc

COLUMNS = {
    "服务商名称": "name", "name": "name", "统一社会信用代码": "uscc", "uscc": "uscc", "类型": "kind", "kind": "kind",
    "地区": "region", "region": "region", "所属集团": "group_name", "group": "group_name",
    "服务场景": "scenarios", "scenarios": "scenarios", "能力介绍": "capability", "capability": "capability",
    "业绩与参考": "references", "references": "references",
}
SPLIT = re.compile(r"[、,，;；\n]+")
MAX_ROWS = 5000
KIND_NAMES_ZH = {k: v.zh for k, v in PROVIDER_KIND_NAMES.items()}


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row number (the header is row 1)
    column: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class ProviderRow:
    row: int
    name: str
    uscc: str | None
    kind: str
    region: str | None
    group_name: str | None
    scenarios: tuple[str, ...]
    capability: str | None
    references: str | None


def read_rows(data: bytes) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the first sheet of an .xlsx file."""
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True, max_row=MAX_ROWS + 1)]
    finally:
        wb.close()
    if not rows:
        return [], []
    return [str(h or "").strip() for h in rows[0]], rows[1:]


def _text(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def parse_providers(header: Sequence[str], rows: Sequence[Sequence[Any]],
                    scenarios: Mapping[str, str]) -> tuple[list[ProviderRow], list[RowError]]:
    """Validated rows and every error. ``scenarios`` maps each scenario code and name to its code."""
    errors: list[RowError] = []
    index = {COLUMNS[h.lower() if h.lower() in COLUMNS else h]: i for i, h in enumerate(header)
             if (h.lower() if h.lower() in COLUMNS else h) in COLUMNS}
    if "name" not in index:
        return [], [RowError(1, "服务商名称", "缺少“服务商名称”列。", "The 'name' (服务商名称) column is missing.")]
    kinds = {**{k: k for k in KIND_NAMES_ZH}, **{v: k for k, v in KIND_NAMES_ZH.items()}}
    out: list[ProviderRow] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(rows, start=2):
        cell = {key: _text(raw[i]) if i < len(raw) else None for key, i in index.items()}
        if not any(cell.values()):
            continue
        name = cell.get("name")
        if not name:
            errors.append(RowError(n, "服务商名称", "服务商名称为空。", "The provider's name is empty."))
            continue
        code = None
        if cell.get("uscc"):
            result = validate_uscc(cell["uscc"] or "")
            if not result.ok:
                errors.append(RowError(n, "统一社会信用代码", result.message_zh, result.message_en))
            else:
                code = result.code
                if code in seen:
                    errors.append(RowError(n, "统一社会信用代码", f"与第{seen[code]}行重复。",
                                           f"Same code as row {seen[code]}."))
                seen[code] = n
        kind_text = cell.get("kind") or "specialised"
        kind = kinds.get(kind_text)
        if kind is None:
            errors.append(RowError(n, "类型", f"未知类型“{kind_text}”（可填：{'、'.join(KIND_NAMES_ZH.values())}）。",
                                   f"Unknown kind '{kind_text}' (use one of {', '.join(KIND_NAMES_ZH)})."))
            kind = "specialised"
        served: list[str] = []
        for part in SPLIT.split(cell.get("scenarios") or ""):
            part = part.strip()
            if not part:
                continue
            if part not in scenarios:
                errors.append(RowError(n, "服务场景", f"产业分类中没有场景“{part}”。",
                                       f"No scenario '{part}' in the taxonomy."))
            elif scenarios[part] not in served:
                served.append(scenarios[part])
        out.append(ProviderRow(n, name, code, kind, cell.get("region"), cell.get("group_name"), tuple(served),
                               cell.get("capability"), cell.get("references")))
    if len(rows) > MAX_ROWS:
        errors.append(RowError(MAX_ROWS + 2, "", f"一次最多导入{MAX_ROWS}行。", f"At most {MAX_ROWS} rows at a time."))
    return out, errors
