"""Plotly figures of the console, built on the server as JSON for ``static/dashboard.js`` to draw.

The page embeds each figure in a ``<script type="application/json" data-figure>`` block beside an empty
holder (no inline script: the CSP allows none); the script draws it with the Plotly bundle served from
the installed package (``diagnosis.plotly_js``). Labels arrive already in the page's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
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
    """The console's common look. A legend goes below everything, in the figure's own bottom margin
    (container coordinates), so it never sits on the axis title or tick labels whatever the height."""
    legend = len(fig.data) > 1 and extra.get("showlegend", True) is not False
    fig.update_layout(height=height + (48 if legend else 0),
                      margin={"l": 8, "r": 8, "t": 28, "b": 8 + (48 if legend else 0)}, font=FONT,
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                      legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0,
                              "traceorder": "normal"}, **extra)
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
        fig.add_hline(y=100 * target, line_dash="dash", line_color="#5b6475", annotation_position="bottom left",
                      annotation_text=pick("目标", "target") + f" {100 * target:g}%")
    xaxis: dict[str, Any] = {"type": "date"}
    if deadline is not None:
        day = deadline.strftime("%Y-%m-%d")
        # a shape and an annotation rather than add_vline's annotation, which cannot place text on a date axis
        fig.add_shape(type="line", x0=day, x1=day, y0=0, y1=1, yref="paper",
                      line={"dash": "dot", "color": "#5b6475"})
        fig.add_annotation(x=day, y=1, yref="paper", text=pick("截止", "deadline") + " " + day, showarrow=False,
                           xanchor="right", yanchor="bottom", font={"size": 11})
        first, last = min([p[0] for p in points] + [deadline]), max([p[0] for p in points] + [deadline])
        pad = max((last - first) * 0.05, timedelta(days=7))
        xaxis["range"] = [(first - pad).strftime("%Y-%m-%d"), (last + pad).strftime("%Y-%m-%d")]
    return _layout(fig, 260, yaxis={"range": [0, 105], "ticksuffix": "%"}, xaxis=xaxis)


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


def stage_bars(rows: Mapping[str, Mapping[str, int]], names: Mapping[str, str], stage_names: Mapping[str, str],
               title: str) -> str:
    """Survey progress per group (district, chain link), stacked by stage."""
    groups = list(rows)
    colours = {"registered": "#c9ced8", "drafting": "#f1c27d", "submitted": "#e8925b", "verified": "#2f7d4f"}
    fig = go.Figure()
    for stage, label in stage_names.items():
        fig.add_trace(go.Bar(y=[names.get(g, g) for g in groups], x=[rows[g].get(stage, 0) for g in groups],
                             orientation="h", name=label, marker={"color": colours.get(stage, "#999")},
                             hovertemplate="%{y} · " + label + ": %{x}<extra></extra>"))
    return _layout(fig, 90 + 30 * max(len(groups), 1), barmode="stack", title={"text": title, "font": {"size": 14}},
                   yaxis={"autorange": "reversed", "automargin": True}, xaxis={"title": pick("企业数", "Enterprises")})


def need_matrix(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str], common_share: float,
                common_intensity: float) -> str:
    """Each scenario's need as a point: how many of its link's firms need it (x) and how far they are from
    the target on average (y, the intensity). Both thresholds of the pilot file are drawn; the shaded
    corner is "common" (共性需求), exactly the rule the needs stage applies."""
    rows = list(rows)
    common = [bool(r.get("common")) for r in rows]
    labels = [f"{tx(r.get('name'))} · {names.get(str(r.get('link')), str(r.get('link')))}" for r in rows]
    fig = go.Figure()
    fig.add_shape(type="rect", x0=100 * common_share, x1=102, y0=100 * common_intensity, y1=102,
                  fillcolor="rgba(181,71,44,0.08)", line={"width": 0}, layer="below")
    for flag, colour, name in ((True, "#b5472c", pick("共性需求", "common need")),
                               (False, "#8a94a6", pick("非共性", "not common"))):
        pts = [i for i, c in enumerate(common) if c is flag]
        if not pts:
            continue
        fig.add_trace(go.Scatter(
            x=[round(100 * float(rows[i].get("share_in_link") or 0), 1) for i in pts],
            y=[round(100 * float(rows[i].get("intensity") or 0), 1) for i in pts],
            mode="markers", name=name, marker={"color": colour, "size": 9, "opacity": 0.85},
            customdata=[[labels[i], int(rows[i].get("enterprises") or 0), int(rows[i].get("enterprises_in_link") or 0)]
                        for i in pts],
            hovertemplate="%{customdata[0]}<br>%{customdata[1]} / %{customdata[2]} " + pick("家", "firms")
                          + " = %{x}%<br>" + pick("强度", "intensity") + " %{y}%<extra></extra>"))
    fig.add_shape(type="line", x0=100 * common_share, x1=100 * common_share, y0=0, y1=102,
                  line={"dash": "dash", "color": "#5b6475", "width": 1})
    fig.add_shape(type="line", x0=0, x1=102, y0=100 * common_intensity, y1=100 * common_intensity,
                  line={"dash": "dash", "color": "#5b6475", "width": 1})
    return _layout(fig, 340, xaxis={"range": [0, 102], "ticksuffix": "%",
                                    "title": pick("本环节企业中有此需求的占比", "share of the link's firms in need")},
                   yaxis={"range": [0, 102], "ticksuffix": "%",
                          "title": pick("强度（与目标的平均差距）", "intensity (mean gap to target)")})


def link_need_bars(rows: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> str:
    """Per chain link: firms with at least one need, as a share of the link's assessed firms."""
    rows = list(rows)
    fig = go.Figure(go.Bar(
        y=[names.get(str(r.get("link")), str(r.get("link"))) for r in rows],
        x=[round(100 * float(r.get("share_in_link") or 0), 1) for r in rows], orientation="h",
        marker={"color": "#2f6f9f"},
        customdata=[[int(r.get("enterprises") or 0), int(r.get("enterprises_in_link") or 0)] for r in rows],
        hovertemplate="%{y}: %{customdata[0]} / %{customdata[1]} " + pick("家", "firms") + " = %{x}%<extra></extra>"))
    return _layout(fig, 90 + 30 * max(len(rows), 1), showlegend=False,
                   yaxis={"autorange": "reversed", "automargin": True},
                   xaxis={"range": [0, 105], "ticksuffix": "%",
                          "title": pick("有需求企业占本环节企业", "firms in need / firms in the link")})


def coverage_by_link(rows: Sequence[Mapping[str, Any]]) -> str:
    """Per chain link: its typical scenarios on the map and how many of them the cluster practises
    (at the pilot's practice level); a link is covered when it has a typical scenario."""
    rows = list(rows)
    y = [tx(r.get("name")) for r in rows]
    fig = go.Figure()
    typical = pick("典型场景", "typical scenarios")
    fig.add_trace(go.Bar(y=y, x=[int(r["typical"]) for r in rows], orientation="h", name=typical,
                         marker={"color": "#c9ced8"}, hovertemplate="%{y}: %{x}<extra>" + typical + "</extra>"))
    fig.add_trace(go.Bar(y=y, x=[int(r["practised"]) for r in rows], orientation="h",
                         name=pick("其中集群已实践", "of which practised"), marker={"color": "#2f7d4f"},
                         hovertemplate="%{y}: %{x}<extra>" + pick("已实践", "practised") + "</extra>"))
    return _layout(fig, 110 + 44 * max(len(rows), 1), barmode="group",
                   yaxis={"autorange": "reversed", "automargin": True},
                   xaxis={"title": pick("场景数", "Scenarios"), "dtick": 1})
