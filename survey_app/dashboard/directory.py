"""The enterprise directory (filter, sort, export) and each enterprise's portrait page.

The directory joins the roster (``console.directory_frame``) with each cluster's latest portraits
(level, score, portrait type, percentile). Filters are query parameters, so a filtered list can be
bookmarked, exported (CSV for Excel/SPSS, XLSX, Chinese headers) or downloaded as a zip of 诊断书.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pandas as pd
from flask import abort, render_template, request, send_file
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from diagnostics.roles import may_open
from diagnostics.store import console
from diagnostics.store.models import Assessment, Cluster, QuestionnaireVersion
from diagnostics.store.repo import definition_of
from diagnostics.workbooks.safe import write_frames
from survey_app.access import area_required, enterprise_or_abort
from survey_app.dashboard import adapters, bp, figures
from survey_app.dashboard.common import ClusterView, cluster_name, clusters, size_names
from survey_app.dashboard.workbooks import XLSX, fresh_portraits
from survey_app.db import db_session
from survey_app.diagnosis.history import answered_at
from survey_app.forms import ButtonForm
from survey_app.i18n import industry_label, pick, tx

FILTERS = ("cluster", "level", "size", "industry", "link", "region", "tag", "verified", "commissioner", "q")
SORTS = {"name": "name", "level": "level", "total": "total", "percentile": "percentile_cluster"}
TAG_NAMES = {"srdi": ("专精特新", "SRDI"), "chain_leader": ("链主/骨干", "Chain leader"), "listed": ("上市", "Listed")}


def _portrait_columns(view: ClusterView) -> pd.DataFrame:
    frame = view.frame
    cols = ["enterprise_id", "level", "total", "type_code", "percentile_cluster"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    return frame[cols]


def directory_rows(views: list[ClusterView]) -> pd.DataFrame:
    """Roster rows of the given clusters with their latest portrait columns (NaN when not assessed)."""
    base = console.directory_frame(db_session(), [v.cluster.id for v in views])
    parts = [_portrait_columns(v) for v in views]
    found = [p for p in parts if not p.empty]
    portraits = pd.concat(found) if found else pd.DataFrame(columns=["enterprise_id", "level", "total", "type_code",
                                                                     "percentile_cluster"])
    portraits = portraits.astype({"enterprise_id": int})
    return base.merge(portraits, on="enterprise_id", how="left")


def apply_filters(rows: pd.DataFrame, args: Mapping[str, str]) -> pd.DataFrame:
    """Keep the rows matching every given filter; sort by ``sort`` (``-`` prefix: descending)."""
    out = rows
    if args.get("level", "") != "":
        wanted = int(args["level"]) if args["level"].isdigit() else -2
        out = out[out["level"].fillna(-1).astype(int) == wanted]
    if args.get("size"):
        out = out[out["size_class"] == args["size"]]
    if args.get("industry"):
        out = out[out["industry_code"].fillna("").str.startswith(args["industry"])]
    if args.get("link"):
        out = out[out["chain_links"].map(lambda v: args["link"] in v)]
    if args.get("region"):
        out = out[out["region"] == args["region"]]
    if args.get("tag"):
        out = out[out["tags"].map(lambda v: args["tag"] in v)]
    if args.get("verified") in ("yes", "no"):
        out = out[out["verified"] == (args["verified"] == "yes")]
    if args.get("commissioner"):
        if args["commissioner"] == "none":
            out = out[out["commissioner_ids"].map(len) == 0]
        elif args["commissioner"].isdigit():
            out = out[out["commissioner_ids"].map(lambda v: int(args["commissioner"]) in v)]
    if args.get("q"):
        q = args["q"].strip().lower()
        names, usccs = out["name"].str.lower(), out["uscc"].str.lower()
        out = out[names.str.contains(q, regex=False) | usccs.str.contains(q, regex=False)]
    key = args.get("sort") or "name"
    column = SORTS.get(key.lstrip("-"), "name")
    return out.sort_values([column, "enterprise_id"], ascending=[not key.startswith("-"), True], na_position="last",
                           kind="stable")


def _views() -> list[ClusterView]:
    code = request.args.get("cluster")
    allowed = clusters()
    chosen = [c for c in allowed if c.code == code] if code else allowed
    if code and not chosen:
        abort(404)  # another city's cluster answers as a missing one (access.py)
    return [ClusterView(c) for c in chosen]


def export_frame(rows: pd.DataFrame, views: list[ClusterView]) -> pd.DataFrame:
    """The filtered list as people read it: Chinese headers, names instead of codes."""
    links: dict[str, str] = {}
    types: dict[str, str] = {}
    cluster_names = {v.cluster.id: v.cluster.name_zh for v in views}
    for v in views:
        links.update({lk.code: lk.name.zh for lk in v.taxonomy.chain_links} if v.taxonomy else {})
        types.update({t.code: t.name.zh for t in v.taxonomy.portrait_types} if v.taxonomy else {})
    sizes = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
    return pd.DataFrame({
        "企业名称": rows["name"], "统一社会信用代码": rows["uscc"],
        "产业集群": rows["cluster_id"].map(cluster_names), "行业代码": rows["industry_code"],
        "区县": rows["region"], "企业规模": rows["size_class"].map(sizes),
        "产业链环节": rows["chain_links"].map(lambda v: "、".join(links.get(c, c) for c in v)),
        "标签": rows["tags"].map(lambda v: "、".join(TAG_NAMES.get(t, (t,))[0] for t in v)),
        "数字化水平等级": rows["level"].map(lambda v: "" if pd.isna(v) else int(v)),
        "总分": rows["total"].map(lambda v: "" if pd.isna(v) else round(float(v), 1)),
        "画像类型": rows["type_code"].map(lambda v: types.get(v, "") if isinstance(v, str) else ""),
        "集群内百分位": rows["percentile_cluster"].map(lambda v: "" if pd.isna(v) else round(float(v), 1)),
        "是否现场核验": rows["verified"].map({True: "是", False: "否"}),
        "数字专员": rows["commissioners"].map("、".join),
    })


def send_table(frame: pd.DataFrame, fmt: str, stem: str) -> Response:
    """A table as CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX."""
    if fmt == "csv":
        data = frame.to_csv(index=False).encode("utf-8-sig")
        return send_file(io.BytesIO(data), mimetype="text/csv", as_attachment=True, download_name=f"{stem}.csv")
    buffer = io.BytesIO()
    write_frames(buffer, {"Sheet1": frame})
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=f"{stem}.xlsx")


def filter_choices(rows: pd.DataFrame, views: list[ClusterView]) -> dict[str, list[tuple[str, str]]]:
    """The options of each filter, named (only values that occur)."""
    link_names: dict[str, str] = {}
    for v in views:
        link_names.update(v.link_names)
    sizes = size_names()
    regions = sorted({r for r in rows["region"].dropna()})
    industries = sorted({c for c in rows["industry_code"].dropna()})
    people: dict[str, str] = {}
    for ids, names in zip(rows["commissioner_ids"], rows["commissioners"], strict=True):
        people.update({str(i): n for i, n in zip(ids, names, strict=True)})
    return {
        "level": [(str(n), figures.level_name(n)) for n in range(5)],
        "size": [(k, sizes[k]) for k in sizes if k in set(rows["size_class"].dropna())],
        "industry": [(c, industry_label(c)) for c in industries],
        "link": [(k, n) for k, n in link_names.items()],
        "region": [(r, r) for r in regions],
        "tag": [(k, pick(*v)) for k, v in TAG_NAMES.items()],
        "verified": [("yes", pick("已现场核验", "verified on site")), ("no", pick("未核验", "not verified"))],
        "commissioner": [("none", pick("未分配", "unassigned")), *sorted(people.items(), key=lambda kv: kv[1])],
    }


@bp.route("/enterprises")
@area_required("dashboard")
def directory() -> str:
    views = _views()
    rows = directory_rows(views)
    shown = apply_filters(rows, request.args)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    per_page = 50
    pages = max(1, -(-len(shown) // per_page))
    types: dict[str, Any] = {}
    for v in views:
        types.update({t.code: t.name for t in v.taxonomy.portrait_types} if v.taxonomy else {})
    link_names: dict[str, str] = {}
    for v in views:
        link_names.update(v.link_names)
    view = views[0] if len(views) == 1 else ClusterView(clusters()[0])
    args = {k: request.args.get(k, "") for k in (*FILTERS, "sort")}
    return render_template(
        "dashboard/directory.html", view=view, views=views, clusters=clusters(), rows=shown.iloc[(page - 1) * per_page:
                                                                                          page * per_page],
        total=len(rows), matched=len(shown), page=page, pages=pages, args=args, choices=filter_choices(rows, views),
        types=types, link_names=link_names, size_names=size_names(), level_name=figures.level_name,
        cluster_names={v.cluster.id: cluster_name(v.cluster) for v in views}, form=ButtonForm())


@bp.route("/enterprises/export.<fmt>")
@area_required("dashboard")
def directory_export(fmt: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        abort(404)
    views = _views()
    shown = apply_filters(directory_rows(views), request.args)
    return send_table(export_frame(shown, views), fmt, "企业名录")


# --------------------------------------------------------------------------------------- portrait page


def question_names(defs: list[Any]) -> dict[str, Any]:
    """Weakness/strength names: ``q:indicator`` -> title, ``q:scenario:code`` -> the scenario question."""
    out: dict[str, Any] = {}
    for q in defs:
        out.update({f"{q.code}:{ind.code}": ind.title for ind in q.indicators()})
        out.update({f"{q.code}:scenario:{s.scenario or s.id}": s.text for s in q.scenario_questions()})
    return out


@bp.route("/enterprises/<int:enterprise_id>")
@login_required
def portrait(enterprise_id: int) -> str:
    """Where an enterprise stands: radar against the cluster median and its size peers, percentile,
    portrait type, strengths, weaknesses, assessment history (answering dates), self vs verified."""
    enterprise = enterprise_or_abort(enterprise_id, "view")
    db = db_session()
    cluster = db.get(Cluster, enterprise.cluster_id) if enterprise.cluster_id else None
    view = ClusterView(cluster) if cluster else None
    frame = view.frame if view else pd.DataFrame()
    row = adapters.portrait_row(frame, enterprise.id) if view and not frame.empty else None
    fresh = False
    if view is not None and cluster is not None and row is None:
        frame, _feeds = fresh_portraits(cluster, view)  # submitted after the last run: computed now
        row = adapters.portrait_row(frame, enterprise.id) if not frame.empty else None
        fresh = row is not None
    history = list(db.scalars(select(Assessment).where(Assessment.enterprise_id == enterprise.id)
                              .order_by(Assessment.created_at.desc(), Assessment.id.desc())))
    versions = {v.id: v for v in db.scalars(select(QuestionnaireVersion).where(
        QuestionnaireVersion.id.in_({a.questionnaire_version_id for a in history})))} if history else {}
    defs = [definition_of(v) for v in versions.values()]
    primary = view.targets.questionnaire if view else None
    own = [a for a in history if primary and versions[a.questionnaire_version_id].code == primary]
    latest_self = next((a for a in own if not a.trusted), None)
    latest_verified = next((a for a in own if a.trusted), None)
    fig = None
    dims: list[tuple[str, str]] = []
    if row is not None:
        pdef = next((d for d in defs if d.code == primary), None)
        dims = [(d.code, tx(d.title)) for d in pdef.dimensions if d.scored] if pdef else []
        mine = adapters.dimension_shares(row)
        cluster_med = adapters.median_shares(frame)
        peers = adapters.median_shares(frame[frame["size_class"] == row.get("size_class")])
        axes = [name for code, name in dims if code in mine]
        codes = [code for code, _ in dims if code in mine]
        fig = figures.radar(axes, [
            (pick("集群中位数", "Cluster median"), [cluster_med.get(c, 0.0) for c in codes], "#8a94a6"),
            (pick("同规模中位数", "Size peers' median"), [peers.get(c, 0.0) for c in codes], "#2f7d4f"),
            (enterprise.name, [mine[c] for c in codes], "#b5472c")])
    types = {t.code: t for t in view.taxonomy.portrait_types} if view and view.taxonomy else {}
    return render_template(
        "dashboard/portrait.html", enterprise=enterprise, view=view, row=row, fresh=fresh, fig=fig,
        type=types.get(str(row.get("type_code"))) if row else None, names=question_names(defs), history=history,
        versions=versions, titles={vid: tx(definition_of(v).title) for vid, v in versions.items()},
        latest_self=latest_self, latest_verified=latest_verified, answered_at=answered_at,
        size_names=size_names(), level_name=figures.level_name,
        officials=may_open(current_user.role, "dashboard"),
        peers=int((frame["size_class"] == row.get("size_class")).sum()) if row is not None else 0,
        cluster_size=len(frame))
