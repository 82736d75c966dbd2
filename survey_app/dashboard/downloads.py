"""Downloads for officials: the cluster workbook, 诊断书 (one or a zip of a filtered selection), the
answers export for Excel/SPSS users, and the participant list in the pilot's format."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pandas as pd
from flask import render_template, request, send_file
from sqlalchemy import select
from werkzeug.wrappers import Response

from diagnostics.questionnaire import Question, Questionnaire
from diagnostics.shortlist import participant_list
from diagnostics.store import cluster_data, report_data
from diagnostics.store.models import Enterprise, QuestionnaireVersion, Submission
from diagnostics.store.repo import definition_of
from diagnostics.workbooks.safe import write_frames
from survey_app.access import area_required
from survey_app.dashboard import bp, figures
from survey_app.dashboard.common import ClusterView, cluster_name, clusters, current_view, view_for
from survey_app.dashboard.directory import _views, apply_filters, directory_rows, send_table
from survey_app.dashboard.workbooks import workbooks_zip
from survey_app.db import db_session

PARTICIPANT_COLUMNS = ["序号", "企业名称", "统一社会信用代码", "制造业数字化水平等级", "拟改造场景", "是否上市"]
MAX_ZIP = 500  # workbooks per zip: beyond that, filter further (each takes ~50 ms to build)


@bp.route("/downloads")
@area_required("dashboard")
def downloads() -> str:
    view = current_view()
    return render_template("dashboard/downloads.html", view=view, clusters=clusters(), name=cluster_name(view.cluster),
                           has_reports="reports" in view.snapshots, has_shortlist="shortlist" in view.snapshots,
                           max_zip=MAX_ZIP)


@bp.route("/workbooks.zip", endpoint="workbooks_zip")
@area_required("dashboard")
def workbooks_zip_download() -> Response:
    """The 诊断书 of the directory's filtered selection (assessed enterprises only), as one zip."""
    views = _views()
    rows = apply_filters(directory_rows(views), request.args)
    rows = rows[rows["level"].notna()].head(MAX_ZIP)
    buffer = io_zip(views, rows)
    return send_file(buffer, mimetype="application/zip", as_attachment=True, download_name="诊断书.zip")


def io_zip(views: list[ClusterView], rows: pd.DataFrame) -> Any:
    by_cluster = {v.cluster.id: v for v in views}
    if len(views) == 1:
        return workbooks_zip(views[0], rows["enterprise_id"].astype(int).tolist())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as merged:
        for cid, part in rows.groupby("cluster_id"):
            view = by_cluster.get(int(cid))  # type: ignore[arg-type]
            if view is None:
                continue
            with zipfile.ZipFile(workbooks_zip(view, part["enterprise_id"].astype(int).tolist())) as one:
                for name in one.namelist():
                    merged.writestr(f"{view.cluster.code}/{name}", one.read(name))
    out.seek(0)
    return out


def _label(question: Question, value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    if question.type in ("single", "level"):
        opt = question.option(str(value))
        return opt.label.zh if opt else str(value)
    if question.type == "multi":
        found = [question.option(str(v)) for v in value]
        return "、".join(o.label.zh if o else str(v) for o, v in zip(found, value, strict=True))
    if question.type == "yesno":
        return "是" if value else "否"
    return str(value)


def _code(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return 1 if value else 0
    return value


def answers_frame(session: Any, view: ClusterView) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per enterprise: its latest submitted (or verified) answers of the primary questionnaire,
    each question as its code (``qid``) and its label (``qid_标签``); and the codebook."""
    code = view.targets.questionnaire
    S, QV, E = Submission, QuestionnaireVersion, Enterprise
    rows = session.execute(
        select(E.name, E.uscc, S.status, S.submitted_at, S.answers, S.questionnaire_version_id)
        .join(S, S.enterprise_id == E.id).join(QV, QV.id == S.questionnaire_version_id)
        .where(E.cluster_id == view.cluster.id, QV.code == code, S.status.in_(("submitted", "verified")))
        .order_by(E.id, S.submitted_at.desc(), S.id.desc())).all()
    defs: dict[int, Questionnaire] = {}
    latest: dict[str, Any] = {}
    for r in rows:
        latest.setdefault(r.uscc, r)
    questions: dict[str, Question] = {}
    for r in latest.values():
        if r.questionnaire_version_id not in defs:
            defs[r.questionnaire_version_id] = definition_of(session.get(QV, r.questionnaire_version_id))
        for q in defs[r.questionnaire_version_id].questions():
            questions.setdefault(q.id, q)
    records = []
    for r in latest.values():
        rec: dict[str, Any] = {"企业名称": r.name, "统一社会信用代码": r.uscc,
                               "状态": "现场核验" if r.status == "verified" else "已提交",
                               "作答日期": r.submitted_at.strftime("%Y-%m-%d") if r.submitted_at else ""}
        answers = r.answers or {}
        for qid, q in questions.items():
            rec[qid] = _code(answers.get(qid))
            if q.options or q.type == "yesno":
                rec[f"{qid}_标签"] = _label(q, answers.get(qid))
        records.append(rec)
    codebook = pd.DataFrame([{"变量": qid, "题目": q.text.zh, "题型": q.type,
                              "选项编码": "；".join(f"{o.code}={o.label.zh}" for o in q.options)}
                             for qid, q in questions.items()])
    columns = ["企业名称", "统一社会信用代码", "状态", "作答日期"]
    for qid, q in questions.items():
        columns += [qid, f"{qid}_标签"] if q.options or q.type == "yesno" else [qid]
    return pd.DataFrame.from_records(records, columns=columns), codebook


@bp.route("/<cluster_code>/answers.<fmt>")
@area_required("dashboard")
def answers_export(cluster_code: str, fmt: str) -> Response:
    view = view_for(cluster_code)
    if fmt not in ("csv", "xlsx"):
        return Response(status=404)
    frame, codebook = answers_frame(db_session(), view)
    if fmt == "csv":
        return send_table(frame, "csv", f"{view.cluster.code}-问卷答案")
    buffer = io.BytesIO()
    write_frames(buffer, {"答案": frame, "编码表": codebook})
    buffer.seek(0)
    return send_file(buffer, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     as_attachment=True, download_name=f"{view.cluster.code}-问卷答案.xlsx")


def participants_frame(view: ClusterView) -> pd.DataFrame:
    """The shortlist in the pilot's participant format (seed 000): 序号, 企业名称, 统一社会信用代码,
    制造业数字化水平等级, 拟改造场景, 是否上市, from ``diagnostics.shortlist.participant_list`` (what is to be
    transformed comes from the one recommendation rule, as in the cluster workbook)."""
    db = db_session()
    payload = view.payload("shortlist")
    frame = view.frame
    if not payload.get("picks") or frame.empty or view.taxonomy is None:
        return pd.DataFrame(columns=PARTICIPANT_COLUMNS)
    snap = view.snapshots.get("portraits")
    feeds = cluster_data.portrait_feeds(db, snap.id) if snap is not None else {}
    defs = list(cluster_data.definitions(db, frame["questionnaire_version_id"].dropna().astype(int).unique()).values())
    rows = participant_list(payload, frame, view.taxonomy, feeds, report_data.titles(defs))
    return pd.DataFrame([{"序号": i, "企业名称": r["name"], "统一社会信用代码": r["uscc"],
                          "制造业数字化水平等级": figures.level_name(int(r["level"])),
                          "拟改造场景": "、".join(str(s["name"]["zh"]) for s in r["scenarios"]),
                          "是否上市": "是" if r["listed"] else "否"} for i, r in enumerate(rows, start=1)],
                        columns=PARTICIPANT_COLUMNS)


@bp.route("/<cluster_code>/participants.<fmt>")
@area_required("dashboard")
def participants_export(cluster_code: str, fmt: str) -> Response:
    view = view_for(cluster_code)
    if fmt not in ("csv", "xlsx"):
        return Response(status=404)
    return send_table(participants_frame(view), fmt, f"{view.cluster.code}-试点企业名单")
