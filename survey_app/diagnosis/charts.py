"""Plotly figures for the diagnosis page, drawn from stored scores, and Plotly's own JavaScript.

The radar shows each scored dimension as a percentage of that dimension's maximum, so a 30-point and a
20-point dimension read on the same scale. Its JavaScript comes from the installed ``plotly`` package
(no CDN: bureau networks often block them and a phone on a factory floor may have no outside access),
served gzip-compressed and cached for a year under a versioned URL.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib.metadata import version
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from survey_app.i18n import tx

PLOTLY_VERSION = version("plotly")


def dimension_percentages(explanation: dict[str, Any]) -> list[tuple[str, float]]:
    """(dimension title, % of its maximum) for every scored dimension of a stored explanation."""
    out = []
    for dim in explanation.get("dimensions", []):
        if dim.get("scored") and dim.get("max"):
            out.append((tx(dim["title"]), round(100.0 * dim["score"] / dim["max"], 1)))
    return out


def wrap(label: str, width: int = 12) -> str:
    """Break a long English label into lines (Plotly's ``<br>``) so a phone-width radar does not clip it."""
    if len(label) <= width or " " not in label:
        return label
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _trace(points: list[tuple[str, float]], name: str, colour: str, fill: str) -> go.Scatterpolar:
    labels = [wrap(p[0]) for p in points]
    values = [p[1] for p in points]
    return go.Scatterpolar(r=[*values, values[0]], theta=[*labels, labels[0]], name=name, fill="toself",
                           line={"color": colour, "width": 2}, fillcolor=fill, mode="lines+markers",
                           hovertemplate="%{r:.1f}%<extra>" + name + "</extra>")


def radar_json(current: list[tuple[str, float]], previous: list[tuple[str, float]] | None,
               current_name: str, previous_name: str) -> str:
    """The radar as Plotly JSON (T1 over T0 when there is a previous assessment)."""
    fig = go.Figure()
    if previous:
        fig.add_trace(_trace(previous, previous_name, "#8a94a6", "rgba(138,148,166,0.15)"))
    fig.add_trace(_trace(current, current_name, "#b5472c", "rgba(181,71,44,0.25)"))
    fig.update_layout(
        polar={"radialaxis": {"range": [0, 100], "ticksuffix": "%", "tickfont": {"size": 9, "color": "#5b6475"},
                              "dtick": 50, "angle": 90 - 180 / max(len(current), 1), "tickangle": 0},  # between spokes
               "angularaxis": {"tickfont": {"size": 11.5}, "direction": "clockwise", "rotation": 90}},
        showlegend=bool(previous), legend={"orientation": "h", "y": -0.12, "x": 0.5, "xanchor": "center"},
        margin={"l": 72, "r": 72, "t": 36, "b": 28}, height=310, paper_bgcolor="rgba(0,0,0,0)",
        font={"family": "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"},
    )
    return fig.to_json()


@cache
def plotly_js() -> bytes:
    return get_plotlyjs().encode("utf-8")


@cache
def plotly_js_gzip() -> bytes:
    return gzip.compress(plotly_js(), compresslevel=6, mtime=0)
