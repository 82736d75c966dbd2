"""The one place the console reads the pipeline's snapshot payloads.

Every page of the dashboard goes through these functions, never through payload keys in a template,
so that when the snapshots change shape (issue 8: cross-tabs by industry class, link, position, size,
tags and region; needs per link and per size with their definition; a best-effort shortlist; a truthful
indicator table) only this file changes. Each function documents the payload keys it reads today and
returns plain values (dataclasses, dicts, lists) the templates and figures use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from diagnostics.industry_map import scenario_practice
from diagnostics.numbers import format_number
from diagnostics.size_class import SIZE_LABELS
from diagnostics.taxonomy import Taxonomy

LEVELS = ("0", "1", "2", "3", "4")
SIZE_CLASSES = tuple(SIZE_LABELS)  # large, medium, small, micro
ELEMENT_KINDS = ("data_elements", "knowledge_models", "tool_software", "talent_skills")

# --------------------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class IndicatorRow:
    name: Mapping[str, str]
    counts: Mapping[str, str] | None  # what the metric counts (its definition), in both languages
    source: Mapping[str, str] | None  # where the target comes from
    unit: str  # "count" | "share"
    value: float | None
    target: float | None
    status: str  # "met" | "not_met" | "no_target" | "no_data"

    @property
    def actual_text(self) -> str:
        return _metric_text(self.value, self.unit)

    @property
    def target_text(self) -> str:
        return "–" if self.target is None else "≥ " + _metric_text(self.target, self.unit)


def _metric_text(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "share":
        return format_number(value * 100, 1) + "%"
    return format_number(value, 0, grouped=True)


def indicator_rows(imap: Mapping[str, Any]) -> list[IndicatorRow]:
    """``industry_map.indicator_table`` rows: ``name, unit, value, target, status, source`` today; issue 8
    adds what each metric counts (read here as ``counts`` or ``definition`` when present)."""
    rows = []
    for r in imap.get("indicator_table") or []:
        value = r.get("value")
        rows.append(IndicatorRow(
            name=r.get("name") or {"zh": r.get("metric", ""), "en": r.get("metric", "")},
            counts=r.get("counts") or r.get("definition"), source=r.get("source"), unit=r.get("unit", "count"),
            value=None if value is None else float(value),
            target=None if r.get("target") is None else float(r["target"]),
            status=r.get("status") or ("no_data" if value is None else "no_target")))
    return rows


# --------------------------------------------------------------------------------------- levels


def level_counts(portraits: Mapping[str, Any]) -> dict[str, int]:
    """``portraits.levels``: {"0".."4": enterprises} over the assessed enterprises."""
    got = portraits.get("levels") or {}
    return {lv: int(got.get(lv, 0)) for lv in LEVELS}


def levels_by_size(portraits: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """``portraits.levels_by_size`` (size class -> level -> n), in size order, sizes with firms only."""
    got = portraits.get("levels_by_size") or {}
    return {s: {lv: int((got.get(s) or {}).get(lv, 0)) for lv in LEVELS} for s in SIZE_CLASSES if s in got}


def levels_by_link(portraits: Mapping[str, Any], frame: pd.DataFrame,
                   link_order: list[str]) -> dict[str, dict[str, int]]:
    """Level counts per chain link (a firm counts in each link it runs). Today computed from the
    portraits rows; issue 8's snapshot carries it as a cross-tab (read when present)."""
    rows = ((portraits.get("cross_tabs") or {}).get("chain_link") or {}).get("rows")
    if isinstance(rows, list):  # issue 8's 分类 x 分级 cross-tab
        return {str(r["value"]): {lv: int((r.get("levels") or {}).get(lv, 0)) for lv in LEVELS} for r in rows}
    out = {code: dict.fromkeys(LEVELS, 0) for code in link_order}
    if frame.empty:
        return {}
    for links, level in zip(frame["chain_links"], frame["level"], strict=True):
        for code in links or []:
            out.setdefault(code, dict.fromkeys(LEVELS, 0))[str(int(level))] += 1
    return {k: v for k, v in out.items() if sum(v.values())}


def cross_tabs(portraits: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``portraits.cross_tabs[axis] = {name, rows: [{value, name, n, levels, types, mean_total}]}``:
    分类 (industry class, chain link, position, size, tags, region) x 分级 (level), one table per axis."""
    out = []
    for axis, tab in (portraits.get("cross_tabs") or {}).items():
        rows = [{"name": r.get("name"), "n": int(r.get("n", 0)), "mean_total": r.get("mean_total"),
                 "levels": {lv: int((r.get("levels") or {}).get(lv, 0)) for lv in LEVELS}}
                for r in tab.get("rows") or []]
        if rows:
            out.append({"axis": axis, "name": tab.get("name"), "rows": rows})
    return out


def portrait_types(portraits: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``portraits.types``: [{code, name, count}]."""
    return [{"code": t.get("code"), "name": t.get("name"), "count": int(t.get("count", 0))}
            for t in portraits.get("types") or []]


# --------------------------------------------------------------------------------------- industry map


@dataclass
class MapCell:
    link: str
    activity: str
    scenarios: list[str]
    practice: float | None  # mean practice level of the cell's scenarios among firms in the link
    need_share: float | None  # highest share of firms needing one of the cell's scenarios


@dataclass
class MapGrid:
    links: list[dict[str, Any]]  # {code, name}
    activities: list[dict[str, Any]]
    cells: list[list[MapCell]]  # [link][activity]
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)


def map_grid(imap: Mapping[str, Any], needs: Mapping[str, Any] | None) -> MapGrid:
    """``industry_map.links / activities / grid[link].cells[activity].scenarios / scenarios[].practice``
    and ``needs.scenarios[].share`` -> the heat-map grid."""
    scen = {s["code"]: s for s in imap.get("scenarios") or []}
    share = {n.get("scenario"): float(n.get("share") or 0) for n in (needs or {}).get("scenarios") or []}
    cells: list[list[MapCell]] = []
    for row in imap.get("grid") or []:
        line = []
        for cell in row.get("cells") or []:
            codes = list(cell.get("scenarios") or [])
            means = [float(scen[c]["practice"]["mean_level"]) for c in codes
                     if c in scen and (scen[c].get("practice") or {}).get("mean_level") is not None]
            needs_here = [share[c] for c in codes if c in share]
            line.append(MapCell(row["link"], cell["activity"], codes, sum(means) / len(means) if means else None,
                                max(needs_here) if needs_here else None))
        cells.append(line)
    return MapGrid(list(imap.get("links") or []), list(imap.get("activities") or []), cells, scen)


def element_lists(imap: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``industry_map.element_lists[kind]``: [{code, name, certification, scenarios}] per element kind."""
    got = imap.get("element_lists") or {}
    return {k: list(got.get(k) or []) for k in ELEMENT_KINDS}


def solutions(imap: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``industry_map.solutions``: {code: {name, scenarios, provider}}."""
    return {s["code"]: s for s in imap.get("solutions") or []}


def scenario_detail(imap: Mapping[str, Any], needs: Mapping[str, Any] | None, frame: pd.DataFrame,
                    taxonomy: Taxonomy | None, codes: list[str]) -> list[dict[str, Any]]:
    """What a click on a map cell opens: per scenario, the firms practising it with their level, how
    many firms need it, its elements, solutions and providers."""
    grid = map_grid(imap, needs)
    sols = solutions(imap)
    need_rows = {n.get("scenario"): n for n in (needs or {}).get("scenarios") or []}
    practice = scenario_practice(frame, taxonomy) if taxonomy is not None and not frame.empty else pd.DataFrame()
    out = []
    for code in codes:
        s = grid.scenarios.get(code)
        if s is None:
            continue
        firms = []
        if code in practice.columns:
            levels = practice[code]
            for idx in levels[levels > 0].sort_values(ascending=False).index:
                firms.append({"enterprise_id": int(frame.loc[idx, "enterprise_id"]),
                              "name": frame.loc[idx, "name"], "level": int(levels[idx])})
        need = need_rows.get(code) or {}
        out.append({"code": code, "name": s.get("name"), "practice": s.get("practice") or {}, "firms": firms,
                    "need_enterprises": need.get("enterprises"), "need_share": need.get("share"),
                    "elements": s.get("elements") or {},
                    "solutions": [sols[c] for c in s.get("solutions") or [] if c in sols]})
    return out


def coverage(imap: Mapping[str, Any]) -> dict[str, Any]:
    """``industry_map.coverage``: rate, links covered/total, practised share, basis; target from the table."""
    cov = dict(imap.get("coverage") or {})
    cov["target"] = coverage_target(imap)
    return cov


def coverage_links(imap: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per chain link (``industry_map.links`` order): its typical scenarios (``scenarios[].typical``) and
    how many of them at least one firm practises at the map's practice level (``practice.practised``).

    The same definition as ``coverage``: a link is covered when it has a typical scenario, practised when
    one of them is practised; the chart shows where the rate comes from, link by link.
    """
    typical: dict[str, int] = {}
    practised: dict[str, int] = {}
    for s in imap.get("scenarios") or []:
        if not s.get("typical"):
            continue
        link = str(s.get("link"))
        typical[link] = typical.get(link, 0) + 1
        if int((s.get("practice") or {}).get("practised") or 0) > 0:
            practised[link] = practised.get(link, 0) + 1
    return [{"code": link["code"], "name": link.get("name"), "typical": typical.get(link["code"], 0),
             "practised": practised.get(link["code"], 0), "covered": typical.get(link["code"], 0) > 0}
            for link in imap.get("links") or []]


def _metric(imap: Mapping[str, Any], metric: str) -> IndicatorRow | None:
    for raw, row in zip(imap.get("indicator_table") or [], indicator_rows(imap), strict=True):
        if raw.get("metric") == metric:
            return row
    return None


def coverage_target(imap: Mapping[str, Any]) -> float | None:
    row = _metric(imap, "coverage")
    return row.target if row else None


# --------------------------------------------------------------------------------------- needs


def needs_definition(needs: Mapping[str, Any]) -> dict[str, str]:
    """What "need" and "common" mean for this table (issue 8 stores its own ``definition``)."""
    if isinstance(needs.get("definition"), Mapping):
        return dict(needs["definition"])
    pct = format_number(float(needs.get("common_share") or 0) * 100, 0)
    return {"zh": f"企业在某场景上存在短板（相关指标低于目标或场景自评低于目标等级）即计为该场景的需求；"
                  f"需求企业占已诊断企业 {pct}% 及以上的场景标为“共性”。",
            "en": f"A firm needs a scenario when an indicator feeding it is below target or the scenario is rated "
                  f"below its target level; a scenario needed by {pct} % or more of the assessed firms is 'common'."}


def needs_overall(needs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``needs.scenarios``: [{scenario, name, link, enterprises, share, sizes, severity_mean, need_score,
    common, rank}], ranked."""
    return list(needs.get("scenarios") or [])


def needs_by_link(needs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``needs.links``: per chain link its firms in need and top scenarios (issue 8: ranked needs per link)."""
    return list(needs.get("links") or [])


def needs_by_size(needs: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Needs ranked within each size class: issue 8's ``by_size`` when present, else from ``sizes`` counts."""
    if isinstance(needs.get("by_size"), Mapping):
        return {k: list(v) for k, v in needs["by_size"].items()}
    out: dict[str, list[dict[str, Any]]] = {}
    for row in needs_overall(needs):
        for size, n in (row.get("sizes") or {}).items():
            out.setdefault(size, []).append({"scenario": row.get("scenario"), "name": row.get("name"),
                                             "link": row.get("link"), "enterprises": int(n)})
    return {s: sorted(out[s], key=lambda r: (-r["enterprises"], str(r["scenario"]))) for s in SIZE_CLASSES if s in out}


# --------------------------------------------------------------------------------------- shortlist


def shortlist_view(sl: Mapping[str, Any]) -> dict[str, Any]:
    """``shortlist``: status, objective.definition, checks[{label, required, actual, met}], problems
    [{zh, en}], picks[{enterprise_id, name, uscc, size_class, level, score, reasons_zh/en, chain_leader}],
    near_misses / excluded_notable [{..., why_not_zh/en}], pinned, excluded_by_official."""
    return {"status": sl.get("status"), "definition": (sl.get("objective") or {}).get("definition"),
            "checks": list(sl.get("checks") or []), "problems": list(sl.get("problems") or []),
            "picks": list(sl.get("picks") or []),
            "near": list(sl.get("near_misses") or []) + list(sl.get("excluded_notable") or []),
            "violations": list(sl.get("violations") or []), "candidates": sl.get("candidates"),
            "excluded_by_official": list(sl.get("excluded_by_official") or [])}


# --------------------------------------------------------------------------------------- portraits


def portrait_row(frame: pd.DataFrame, enterprise_id: int) -> dict[str, Any] | None:
    """One enterprise's row of a portraits frame (``portraits.PORTRAIT_COLUMNS``)."""
    found = frame[frame["enterprise_id"] == enterprise_id]
    return None if found.empty else {str(k): v for k, v in found.iloc[0].to_dict().items()}


def dimension_shares(row: Mapping[str, Any]) -> dict[str, float]:
    """Each dimension's score as a share of its maximum (``data.dimensions[code].share``)."""
    return {k: float(v.get("share") or 0) for k, v in (row.get("dimensions") or {}).items()}


def median_shares(frame: pd.DataFrame) -> dict[str, float]:
    """Median share per dimension over a set of portraits (the cluster, or a size class)."""
    if frame.empty:
        return {}
    shares = pd.DataFrame([dimension_shares({str(k): v for k, v in r.items()})
                           for r in frame.to_dict(orient="records")])
    return {str(k): float(v) for k, v in shares.median().items()}
