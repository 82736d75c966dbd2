"""Plotly figures of the console, built on the server as JSON for ``static/dashboard.js`` to draw.

The page embeds each figure in a ``<script type="application/json" data-figure>`` block beside an empty
holder (no inline script: the CSP allows none); the script draws it with the Plotly bundle served from
the installed package (``diagnosis.plotly_js``). Labels arrive already in the page's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from survey_app.dashboard.adapters import LEVELS, MapGrid
from survey_app.i18n import pick, tx

FONT = {"family": "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"}
LEVEL_COLOURS = ("#c9ced8", "#f1c27d", "#e8925b", "#c8553d", "#7a2e1f")


def level_name(level: str | int) -> str:
    n = int(level)
    if n == 0:
        return pick("未达一级", "Below level 1")
    return pick(f"{'一二三四五'[n - 1]}级", f"Level {n}")


def _layout(fig: go.Figure, height: int, **extra: Any) -> str:
    fig.update_layout(height=height, margin={"l": 8, "r": 8, "t": 28, "b": 8}, font=FONT,
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                      legend={"orientation": "h", "y": -0.18, "x": 0}, **extra)
    return str(fig.to_json())


def level_bars(rows: Mapping[str, Mapping[str, int]], names: Mapping[str, str], title: str) -> str:
    """Stacked horizontal bars: one bar per group (size class or chain link), one segment per level."""
    groups = list(rows)
    labels = [names.get(g, g) for g in groups]
    fig = go.Figure()
    for i, lv in enumerate(LEVELS):
        fig.add_trace(go.Bar(y=labels, x=[rows[g].get(lv, 0) for g in groups], name=level_name(lv), orientation="h",
                             marker={"color": LEVEL_COLOURS[i]},
                             hovertemplate="%{y} · " + level_name(lv) + ": %{x}<extra></extra>"))
    return _layout(fig, 90 + 34 * max(len(groups), 1), barmode="stack", title={"text": title, "font": {"size": 14}},
                   yaxis={"autorange": "reversed", "automargin": True}, xaxis={"title": pick("企业数", "Enterprises")})


def heat_map(grid: MapGrid) -> str:
    """Chain link x business activity; two traces (practice level, need share), one shown at a time.

    Each cell's ``customdata`` is ``[link code, activity code, scenario names]`` so a click can open it.
    """
    y = [tx(link.get("name")) for link in grid.links]
    x = [tx(a.get("name")) for a in grid.activities]
    custom = [[[c.link, c.activity, "<br>".join(tx(grid.scenarios[s]["name"]) for s in c.scenarios
                                                 if s in grid.scenarios) or pick("（无场景）", "(no scenario)")]
               for c in row] for row in grid.cells]
    practice = [[None if c.practice is None else round(c.practice, 2) for c in row] for row in grid.cells]
    need = [[None if c.need_share is None else round(100 * c.need_share, 1) for c in row] for row in grid.cells]
    fig = go.Figure()
    fig.add_trace(go.Heatmap(z=practice, x=x, y=y, customdata=custom, zmin=0, zmax=4, colorscale="YlOrRd",
                             name=pick("实践水平", "Practice level"), xgap=2, ygap=2,
                             colorbar={"title": {"text": pick("平均等级", "Mean level")}, "thickness": 10},
                             hovertemplate="%{y} × %{x}<br>%{customdata[2]}<br>" + pick("平均实践等级", "mean level")
                             + " %{z}<extra></extra>"))
    fig.add_trace(go.Heatmap(z=need, x=x, y=y, customdata=custom, zmin=0, zmax=100, colorscale="Blues", visible=False,
                             name=pick("需求占比", "Need share"), xgap=2, ygap=2,
                             colorbar={"title": {"text": "%"}, "thickness": 10},
                             hovertemplate="%{y} × %{x}<br>%{customdata[2]}<br>" + pick("需求企业占比", "firms in need")
                             + " %{z}%<extra></extra>"))
    return _layout(fig, 120 + 44 * max(len(y), 1), xaxis={"side": "top", "automargin": True},
                   yaxis={"autorange": "reversed", "automargin": True})


def coverage_over_time(points: Sequence[tuple[datetime, float]], target: float | None,
                       deadline: datetime | None) -> str:
    """Coverage rate (%) at each run, with the pilot's target (and its deadline when the pilot gives one)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[p[0].strftime("%Y-%m-%d %H:%M") for p in points],
                             y=[round(100 * p[1], 1) for p in points],
                             mode="lines+markers", name=pick("覆盖率", "Coverage"), line={"color": "#b5472c"},
                             hovertemplate="%{x}: %{y}%<extra></extra>"))
    if target is not None:
        fig.add_hline(y=100 * target, line_dash="dash", line_color="#5b6475",
                      annotation_text=pick("目标", "target") + f" {100 * target:g}%")
    if deadline is not None:
        fig.add_vline(x=deadline.strftime("%Y-%m-%d"), line_dash="dot", line_color="#5b6475")
    return _layout(fig, 260, yaxis={"range": [0, 105], "ticksuffix": "%"})


def radar(axes: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]]) -> str:
    """Dimension shares (%) of an enterprise against medians: one closed polygon per series."""
    fig = go.Figure()
    for name, values, colour in series:
        if not values:
            continue
        vals = [round(100 * v, 1) for v in values]
        fig.add_trace(go.Scatterpolar(r=[*vals, vals[0]], theta=[*axes, axes[0]], name=name, mode="lines+markers",
                                      line={"color": colour},
                                      hovertemplate="%{theta}: %{r}%<extra>" + name + "</extra>"))
    return _layout(fig, 320, polar={"radialaxis": {"range": [0, 100], "ticksuffix": "%"}}, showlegend=True)


def stage_bars(rows: Mapping[str, Mapping[str, int]], names: Mapping[str, str], stage_names: Mapping[str, str]) -> str:
    """Survey progress per group, stacked by stage."""
    groups = list(rows)
    colours = {"registered": "#c9ced8", "drafting": "#f1c27d", "submitted": "#e8925b", "verified": "#2f7d4f"}
    fig = go.Figure()
    for stage, label in stage_names.items():
        fig.add_trace(go.Bar(y=[names.get(g, g) for g in groups], x=[rows[g].get(stage, 0) for g in groups],
                             orientation="h", name=label, marker={"color": colours.get(stage, "#999")}))
    return _layout(fig, 90 + 30 * max(len(groups), 1), barmode="stack",
                   yaxis={"autorange": "reversed", "automargin": True})
