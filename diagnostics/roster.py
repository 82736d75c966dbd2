"""Reading a bureau's enterprise roster (名录) from CSV or XLSX, and planning its import.

Bureaus send rosters as the spreadsheets they already keep: a title row or two above the header
("2026年陶瓷产业集群企业名录"), header cells merged over two rows, full-width brackets and digits
(``营业收入（万元）``, ``１５００``), thousands separators (``1,500``), trailing spaces, lower-case codes and
a total row (合计) at the bottom. This module reads such a file into clean rows and reports every bad row
by its **spreadsheet row number**, column and reason, so a bureau can fix its file; the good rows still
import. It is pure: the database side (which USCCs are already registered, the one transaction) is in
``diagnostics.store.roster``.

The header names bureaus use live in one table, ``HEADER_SYNONYMS``.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from diagnostics.answers import ValueProblem, is_blank, parse_number
from diagnostics.industry_codes import lookup as lookup_industry
from diagnostics.size_class import size_class
from diagnostics.table_files import TableFileProblem, sniff
from diagnostics.text import Text, strip_controls
from diagnostics.uscc import validate_uscc

# ---------------------------------------------------------------- the one table of header synonyms

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    # field: header texts seen in bureau files (compared after NFKC folding, without spaces and brackets)
    "name": ("企业名称", "单位名称", "名称", "企业(单位)名称", "公司名称", "name", "enterprise name"),
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "统一代码", "uscc", "credit code"),
    "industry_code": ("行业代码", "国民经济行业", "国民经济行业代码", "国民经济行业分类", "行业分类代码",
                      "所属行业代码", "industry code"),
    "region": ("所在地区", "区县", "所在区县", "地区", "所属区县", "县(市、区)", "region", "county"),
    "employees": ("从业人员", "从业人员数", "从业人员(人)", "从业人数", "职工人数", "员工人数", "employees"),
    "revenue_10k": ("营业收入(万元)", "营业收入", "主营业务收入(万元)", "主营业务收入", "营收(万元)",
                    "revenue (10k yuan)", "revenue"),
    "chain_link": ("产业链环节", "环节", "所属环节", "产业链", "chain link"),
    "unit_type": ("单位类型", "主体类型", "类型", "unit type"),
    "srdi": ("是否专精特新", "专精特新", "srdi"),
    "chain_leader": ("是否链主", "链主", "是否链主/骨干", "是否链主或骨干企业", "链主/骨干", "骨干企业",
                     "chain leader"),
    "listed": ("是否上市", "上市", "listed"),
    "contact_name": ("联系人", "联系人姓名", "contact"),
    "contact_phone": ("联系电话", "电话", "手机", "联系方式", "phone"),
}

COLUMN_LABELS: dict[str, Text] = {
    "name": Text(zh="企业名称", en="name"),
    "uscc": Text(zh="统一社会信用代码", en="USCC"),
    "industry_code": Text(zh="行业代码", en="industry code"),
    "region": Text(zh="所在地区", en="region"),
    "employees": Text(zh="从业人员", en="employees"),
    "revenue_10k": Text(zh="营业收入(万元)", en="revenue (10k yuan)"),
    "chain_link": Text(zh="产业链环节", en="chain link"),
    "unit_type": Text(zh="单位类型", en="unit type"),
    "srdi": Text(zh="是否专精特新", en="SRDI"),
    "chain_leader": Text(zh="是否链主", en="chain leader"),
    "listed": Text(zh="是否上市", en="listed"),
    "contact_name": Text(zh="联系人", en="contact"),
    "contact_phone": Text(zh="联系电话", en="phone"),
    "size_class": Text(zh="规模", en="size class"),
    "tags": Text(zh="标签", en="tags"),
    "chain_links": Text(zh="产业链环节", en="chain links"),
    "cluster": Text(zh="所属集群", en="cluster"),
}

# Unit types (Shaoguan's "different types": enterprises, associations, research bodies; providers serve them)
UNIT_TYPES: dict[str, Text] = {
    "enterprise": Text(zh="企业", en="Enterprise"),
    "association": Text(zh="行业协会", en="Trade association"),
    "research": Text(zh="科研机构", en="Research body"),
    "provider": Text(zh="服务商", en="Service provider"),
}
_UNIT_TYPE_WORDS: dict[str, str] = {
    "企业": "enterprise", "工业企业": "enterprise", "制造企业": "enterprise", "公司": "enterprise",
    "enterprise": "enterprise",
    "行业协会": "association", "协会": "association", "商会": "association", "产业联盟": "association",
    "association": "association", "trade association": "association",
    "科研机构": "research", "科研院所": "research", "研究机构": "research", "高校": "research",
    "研究院": "research", "research": "research", "research body": "research",
    "服务商": "provider", "服务机构": "provider", "服务提供商": "provider", "解决方案服务商": "provider",
    "provider": "provider", "service provider": "provider",
}

# Tags (DOMAIN.md vocabulary): 专精特新 → srdi, 链主/骨干 → chain_leader, 上市 → listed
TAG_COLUMNS: tuple[str, ...] = ("srdi", "chain_leader", "listed")
TAG_LABELS: dict[str, Text] = {
    "srdi": Text(zh="专精特新", en="SRDI"),
    "chain_leader": Text(zh="链主/骨干", en="Chain leader / backbone"),
    "listed": Text(zh="上市", en="Listed"),
}
_YES = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
_NO = {"否", "n", "no", "false", "0", "×", "无", ""}

TOTAL_WORDS = ("合计", "总计", "小计", "total")
HEADER_SCAN_ROWS = 10
"""How many rows from the top are searched for the header (title rows sit above it)."""

FIELDS: tuple[str, ...] = ("name", "industry_code", "region", "employees", "revenue_10k", "size_class",
                           "chain_links", "unit_type", "tags", "contact_name", "contact_phone")
"""The enterprise fields an import sets (compared on re-import to list what changed)."""


def _key(text: Any) -> str:
    """A header cell as compared: NFKC (full-width brackets and digits folded), no spaces, lower case."""
    folded = unicodedata.normalize("NFKC", str(text)).lower()
    return re.sub(r"\s+", "", folded)


_SYNONYM_INDEX: dict[str, str] = {_key(s): f for f, words in HEADER_SYNONYMS.items() for s in words}
_SYNONYM_INDEX.update({_key(re.sub(r"\(.*?\)", "", s)): f for f, words in HEADER_SYNONYMS.items() for s in words
                       if _key(re.sub(r"\(.*?\)", "", s)) not in _SYNONYM_INDEX})


def match_header(cell: Any) -> str | None:
    """The field a header cell names, or None (``营业收入（万元） `` → ``revenue_10k``)."""
    key = _key(cell)
    if not key:
        return None
    if key in _SYNONYM_INDEX:
        return _SYNONYM_INDEX[key]
    bare = re.sub(r"\(.*?\)", "", key)  # a unit in brackets the table does not list: 从业人员(人数)
    return _SYNONYM_INDEX.get(bare)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class RosterError:
    """A refused row (or file): ``row`` is the spreadsheet's own row number, 0 for the whole file."""

    row: int
    column: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message_en} / {self.message_zh}"


@dataclass(frozen=True)
class RosterRow:
    """One good row, clean: what an enterprise record is set to."""

    row: int
    uscc: str
    name: str
    industry_code: str | None = None
    region: str | None = None
    employees: int | None = None
    revenue_10k: float | None = None
    size_class: str | None = None
    chain_links: tuple[str, ...] = ()
    unit_type: str = "enterprise"
    tags: tuple[str, ...] = ()
    contact_name: str | None = None
    contact_phone: str | None = None

    def values(self) -> dict[str, Any]:
        """The enterprise fields this row sets, as stored (lists, not tuples)."""
        out: dict[str, Any] = {}
        for name in FIELDS:
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass
class ParsedRoster:
    rows: list[RosterRow]
    errors: list[RosterError]
    header_row: int  # spreadsheet row number of the header, 0 when none was found
    columns: dict[str, str]  # field -> header text as written in the file
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, reason): total rows, blank rows

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len({e.row for e in self.errors if e.row})


# ---------------------------------------------------------------- reading the grid


def read_grid(data: bytes, filename: str) -> list[list[str]]:
    """Every cell of the first sheet as text, rows as in the file (index 0 = spreadsheet row 1)."""
    # a wrong type, an empty, renamed or damaged file is named (TableFileProblem); Excel 97-2003 (.xls) is
    # no zip, so only calamine can tell
    text = None if Path(filename).suffix.lower() == ".xls" else sniff(data, filename)
    if text is None:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=0, header=None, dtype=str, keep_default_na=False,
                              engine="calamine")
    else:
        frame = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                            skip_blank_lines=False, on_bad_lines="warn")
    return [["" if is_blank(c) else str(c) for c in row] for row in frame.itertuples(index=False)]


def _find_header(grid: list[list[str]]) -> tuple[int, dict[int, str]]:
    """The header row (0-based) and which column holds which field.

    The header is the row among the first few that names the most known fields; merged header cells
    (a group title over sub-headers, or one cell over two rows) leave a cell empty in one of the two
    rows, so an empty or unknown cell is looked up in the row above too.
    """
    best, best_map = -1, dict[int, str]()
    for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        mapping: dict[int, str] = {}
        for c, cell in enumerate(row):
            found = match_header(cell)
            if found is None and r > 0 and c < len(grid[r - 1]):
                found = match_header(grid[r - 1][c])
            if found is not None and found not in mapping.values():
                mapping[c] = found
        if len(mapping) > len(best_map) and ("name" in mapping.values() or "uscc" in mapping.values()):
            best, best_map = r, mapping
    return best, best_map


# ---------------------------------------------------------------- cleaning cells


def clean_text(value: str) -> str:
    """Full-width folded (NFKC), control characters dropped, trimmed, inner runs of spaces collapsed."""
    return re.sub(r"\s+", " ", strip_controls(unicodedata.normalize("NFKC", value))).strip()


def _is_total(cells: Mapping[str, str]) -> bool:
    label = _key(cells.get("name", "")) or _key(cells.get("uscc", ""))
    if not label:
        first = next((v for v in cells.values() if v.strip()), "")
        label = _key(first)
    return any(label.startswith(w) for w in TOTAL_WORDS) and not cells.get("uscc", "").strip()[:1].isdigit()


def _number(value: str, *, integer: bool) -> float | int | None:
    if not value.strip():
        return None
    number = parse_number(value)
    if number < 0:
        raise ValueProblem(f"不能为负数（{value}）", f"must not be negative ({value})")
    if integer:
        if not float(number).is_integer():
            raise ValueProblem(f"应为整数（{value}）", f"must be a whole number ({value})")
        return int(number)
    return float(number)


def _flag(value: str) -> bool:
    key = _key(value)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueProblem(f"“{value}”应为“是”或“否”", f"'{value}' should be 是 (yes) or 否 (no)")


def _industry(value: str) -> str | None:
    text = clean_text(value).upper()
    if not text:
        return None
    code = re.match(r"^[A-Z]?\d{2,4}", text.replace(" ", ""))
    entry = lookup_industry(code.group(0)) if code else None
    if entry is None:
        raise ValueProblem(f"行业代码“{value}”不在本平台的国民经济行业分类（GB/T 4754-2017）代码表中",
                           f"industry code '{value}' is not a GB/T 4754-2017 code this platform knows")
    return entry.code


def _unit_type(value: str) -> str:
    key = _key(value)
    if not key:
        return "enterprise"
    if key in _UNIT_TYPE_WORDS:
        return _UNIT_TYPE_WORDS[key]
    names = "、".join(t.zh for t in UNIT_TYPES.values())
    raise ValueProblem(f"单位类型“{value}”不认识（可填：{names}）",
                       f"unknown unit type '{value}' (use one of: {', '.join(UNIT_TYPES)})")


def _chain_links(value: str, links: Mapping[str, str] | None) -> tuple[str, ...]:
    parts = [p for p in re.split(r"[、,;/]+", clean_text(value)) if p.strip()]
    if links is None:
        return tuple(p.strip() for p in parts)
    out: list[str] = []
    for part in parts:
        code = links.get(_key(part))
        if code is None:
            raise ValueProblem(f"产业链环节“{part}”不在本集群的环节表中",
                               f"chain link '{part}' is not a link of this cluster")
        out.append(code)
    return tuple(out)


def chain_link_index(links: list[tuple[str, str, str | None]]) -> dict[str, str]:
    """``{folded name or code: code}`` for (code, name_zh, name_en) triples of a taxonomy's chain links."""
    index: dict[str, str] = {}
    for code, zh, en in links:
        for word in (code, zh, en):
            if word:
                index[_key(word)] = code
    return index


# ---------------------------------------------------------------- parsing


def parse_roster(data: bytes, filename: str, *, chain_links: Mapping[str, str] | None = None) -> ParsedRoster:
    """Read a roster file into clean rows and row-numbered errors.

    ``chain_links`` maps folded link names and codes to the cluster's link codes (``chain_link_index``);
    without it the link column is kept as written.
    """
    try:
        grid = read_grid(data, filename)
    except TableFileProblem as problem:
        return ParsedRoster([], [RosterError(0, "", problem.zh, problem.en)], 0, {})
    except (ValueError, UnicodeDecodeError) as exc:
        return ParsedRoster([], [RosterError(0, "", f"无法读取文件：{exc}", f"cannot read the file: {exc}")], 0, {})
    except Exception as exc:  # noqa: BLE001  (pandas and calamine raise many kinds on a corrupt file)
        return ParsedRoster([], [RosterError(0, "", f"无法读取文件（{type(exc).__name__}）",
                                             f"cannot read the file ({type(exc).__name__}: {exc})")], 0, {})
    header, mapping = _find_header(grid)
    if header < 0 or "uscc" not in mapping.values() or "name" not in mapping.values():
        wanted = "企业名称、统一社会信用代码"
        return ParsedRoster([], [RosterError(0, "", f"前{HEADER_SCAN_ROWS}行中找不到表头（至少需要：{wanted}）",
                                             f"no header row in the first {HEADER_SCAN_ROWS} rows "
                                             "(needs at least 企业名称 and 统一社会信用代码)")], 0, {})
    columns = {f: (grid[header][c] or grid[header - 1][c]).strip() for c, f in mapping.items()}
    result = ParsedRoster([], [], header + 1, columns)
    seen: dict[str, int] = {}
    for r in range(header + 1, len(grid)):
        number = r + 1  # spreadsheet row number
        raw = grid[r]
        cells = {f: (raw[c] if c < len(raw) else "") for c, f in mapping.items()}
        if not any(v.strip() for v in raw):
            continue
        if _is_total(cells) or not (cells.get("name", "").strip() or cells.get("uscc", "").strip()):
            result.skipped.append((number, "total"))  # 合计 rows, and unlabelled rows of sums
            continue
        row, errors = _parse_row(number, cells, columns, chain_links)
        if row is not None and row.uscc in seen:
            errors.append(_error(number, "uscc", columns, f"与第{seen[row.uscc]}行的统一社会信用代码重复",
                                 f"duplicate of row {seen[row.uscc]} (same USCC)"))
        if errors:
            result.errors.extend(errors)
            continue
        assert row is not None
        seen[row.uscc] = number
        result.rows.append(row)
    return result


def _error(row: int, name: str, columns: Mapping[str, str], zh: str, en: str) -> RosterError:
    return RosterError(row, columns.get(name) or COLUMN_LABELS[name].zh, zh, en)


def _parse_row(number: int, cells: Mapping[str, str], columns: Mapping[str, str],
               links: Mapping[str, str] | None) -> tuple[RosterRow | None, list[RosterError]]:
    errors: list[RosterError] = []
    values: dict[str, Any] = {}

    def take(name: str, parse: Any) -> None:
        try:
            values[name] = parse(cells.get(name, ""))
        except ValueProblem as problem:
            errors.append(_error(number, name, columns, problem.zh, problem.en))

    name = clean_text(cells.get("name", ""))
    if not name:
        errors.append(_error(number, "name", columns, "企业名称为空", "the name is empty"))
    checked = validate_uscc(cells.get("uscc", ""))
    if not checked.ok:
        errors.append(_error(number, "uscc", columns, checked.message_zh, checked.message_en))
    take("industry_code", _industry)
    take("employees", lambda v: _number(v, integer=True))
    take("revenue_10k", lambda v: _number(v, integer=False))
    take("unit_type", _unit_type)
    take("chain_links", lambda v: _chain_links(v, links))
    tags: list[str] = []
    for tag in TAG_COLUMNS:
        try:
            if _flag(cells.get(tag, "")):
                tags.append(tag)
        except ValueProblem as problem:
            errors.append(_error(number, tag, columns, problem.zh, problem.en))
    if errors:
        return (RosterRow(number, checked.code, name) if checked.ok else None), errors
    return RosterRow(
        row=number, uscc=checked.code, name=name, industry_code=values["industry_code"],
        region=clean_text(cells.get("region", "")) or None, employees=values["employees"],
        revenue_10k=values["revenue_10k"], size_class=size_class(values["employees"], values["revenue_10k"]),
        chain_links=values["chain_links"], unit_type=values["unit_type"], tags=tuple(tags),
        contact_name=clean_text(cells.get("contact_name", "")) or None,
        contact_phone=clean_text(cells.get("contact_phone", "")).replace(" ", "") or None,
    ), []


# ---------------------------------------------------------------- planning against what is registered


@dataclass(frozen=True)
class Registered:
    """What the database holds for a USCC or a name found in the file (plain values, no ORM row)."""

    id: int
    uscc: str
    cluster_id: int | None
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class PlannedRow:
    row: RosterRow
    action: str  # create | update | unchanged
    enterprise_id: int | None = None
    changes: tuple[Change, ...] = ()


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    errors: list[RosterError]
    skipped: list[tuple[int, str]]

    def count(self, action: str) -> int:
        return sum(1 for p in self.rows if p.action == action)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, (list, tuple)) or isinstance(new, (list, tuple)):
        return sorted(old or []) == sorted(new or [])
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return abs(float(old) - float(new)) < 1e-9
    return bool(old == new)


def plan_import(parsed: ParsedRoster, by_uscc: Mapping[str, Registered], by_name: Mapping[str, Registered], *,
                cluster_id: int | None) -> ImportPlan:
    """What importing ``parsed`` into ``cluster_id`` would do: create, update (fields listed) or nothing.

    A row conflicts with the register (and is refused, the rest still import) when its USCC belongs to
    an enterprise of another cluster, or its name is registered under another USCC. A blank cell never
    erases a stored value: bureaus often send partial lists.
    """
    plan = ImportPlan([], list(parsed.errors), list(parsed.skipped))
    columns = parsed.columns
    for row in parsed.rows:
        known = by_uscc.get(row.uscc)
        namesake = by_name.get(row.name)
        if namesake is not None and namesake.uscc != row.uscc:
            plan.errors.append(_error(row.row, "name", columns,
                                      f"与已登记企业同名，但统一社会信用代码不同（已登记：{namesake.uscc}）",
                                      f"an enterprise of this name is registered with another USCC "
                                      f"({namesake.uscc})"))
            continue
        if known is None:
            plan.rows.append(PlannedRow(row, "create"))
            continue
        if cluster_id is not None and known.cluster_id is not None and known.cluster_id != cluster_id:
            plan.errors.append(_error(row.row, "uscc", columns, "该企业已登记在另一个产业集群",
                                      "this enterprise is registered in another cluster"))
            continue
        changes: list[Change] = []
        for name, new in row.values().items():
            if new is None or new == [] and name != "tags":
                continue  # blank cell: keep what is stored
            old = known.values.get(name)
            if not _same(old, new):
                changes.append(Change(name, old, new))
        if cluster_id is not None and known.cluster_id is None:
            changes.append(Change("cluster", None, cluster_id))
        plan.rows.append(PlannedRow(row, "update" if changes else "unchanged", known.id, tuple(changes)))
    plan.errors.sort(key=lambda e: (e.row, e.column))
    return plan


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet program would read ``text`` as a formula (names are stored as text anyway)."""
    return text.startswith(FORMULA_PREFIXES)
