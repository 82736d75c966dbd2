"""The industry map: chain link x business activity as a heat map, a cell's detail, the four element
lists, and coverage now and over time (each run's snapshot) against the pilot's target and deadline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import render_template, request
from sqlalchemy import select

from diagnostics.store import cluster_data, programme_data
from diagnostics.store.models import Snapshot
from survey_app.access import area_required
from survey_app.dashboard import adapters, bp, figures
from survey_app.dashboard.common import ClusterView, cluster_name, clusters, current_view
from survey_app.db import db_session
from survey_app.i18n import pick

ELEMENT_TITLES = {"data_elements": ("数据要素清单", "Data elements"),
                  "knowledge_models": ("知识模型清单", "Knowledge models"),
                  "tool_software": ("工具软件清单", "Tool software"),
                  "talent_skills": ("人才技能清单", "Talent skills")}


def coverage_history(view: ClusterView) -> list[tuple[datetime, float]]:
    """(run start, coverage rate) for every completed run that saw an industry-map snapshot, oldest first."""
    runs = [r for r in cluster_data.snapshot_history(db_session(), view.cluster.id, "industry_map", limit=500)
            if r["status"] == "completed"]
    ids = {int(r["snapshots"]["industry_map"]["id"]) for r in runs}
    rates: dict[int, float] = {}
    if ids:
        for sid, payload in db_session().execute(select(Snapshot.id, Snapshot.payload).where(Snapshot.id.in_(ids))):
            rates[int(sid)] = float(((payload or {}).get("coverage") or {}).get("rate") or 0.0)
    points = [(r["started_at"], rates[int(r["snapshots"]["industry_map"]["id"])]) for r in runs
              if int(r["snapshots"]["industry_map"]["id"]) in rates]
    return sorted(points)


@dataclass(frozen=True)
class Deadline:
    """The pilot's deadline and where it comes from (printed beside the chart)."""

    day: datetime | None
    basis: str  # file | start | first_project | none (``PilotPeriod.due``)
    months: int | None
    source: Mapping[str, str] | None


def pilot_deadline(view: ClusterView) -> Deadline:
    """The pilot file's ``period``: its deadline, its start + months, or the first project's start + months."""
    period = view.targets.period
    first = programme_data.first_project_start(db_session(), view.cluster.id) if period.months else None
    day, basis = period.due(first)
    return Deadline(None if day is None else datetime(day.year, day.month, day.day), basis, period.months,
                    period.source.model_dump() if period.source else None)


@bp.route("/map")
@area_required("dashboard")
def industry_map() -> str:
    view = current_view()
    imap, needs = view.payload("industry_map"), view.payload("needs")
    grid = adapters.map_grid(imap, needs)
    history = coverage_history(view)
    cov = adapters.coverage(imap)
    deadline = pilot_deadline(view)
    return render_template(
        "dashboard/industry_map.html", view=view, clusters=clusters(), name=cluster_name(view.cluster), grid=grid,
        fig_map=figures.heat_map(grid) if grid.cells else None, coverage=cov, history=history, deadline=deadline,
        fig_cov=figures.coverage_over_time(history, cov.get("target"), deadline.day) if history else None,
        fig_links=figures.coverage_by_link(adapters.coverage_links(imap)) if imap.get("links") else None,
        elements=adapters.element_lists(imap), element_titles=ELEMENT_TITLES, scenario_names=view.scenario_names,
        solutions=adapters.solutions(imap))


@bp.route("/map/cell")
@area_required("dashboard")
def map_cell() -> str:
    """One cell's scenarios: firms practising each (with levels), needs, elements, solutions, providers.

    Fetched by the map's script into the page (``X-Fragment``); opened directly it is a page of its own.
    """
    view = current_view()
    imap, needs = view.payload("industry_map"), view.payload("needs")
    link, activity = request.args.get("link", ""), request.args.get("activity", "")
    grid = adapters.map_grid(imap, needs)
    codes = next((c.scenarios for row in grid.cells for c in row if c.link == link and c.activity == activity), [])
    detail = adapters.scenario_detail(imap, needs, view.frame, view.taxonomy, codes)
    names = {"link": next((a["name"] for a in grid.links if a["code"] == link), None),
             "activity": next((a["name"] for a in grid.activities if a["code"] == activity), None)}
    element_names = {e["code"]: e["name"] for kind in adapters.element_lists(imap).values() for e in kind}
    template = "dashboard/_cell.html" if request.headers.get("X-Fragment") else "dashboard/cell_page.html"
    return render_template(template, view=view, detail=detail, names=names, element_names=element_names,
                           element_titles=ELEMENT_TITLES, title=pick("场景详情", "Scenario details"))
