"""Programme pages for officials: the programme overview and acceptance sheet, providers, the solution
pool, deployments, cases, 懂行人, the evaluation, and the handbook / research report downloads.

Admins edit; viewers read (the role table's ``programme`` and ``programme_edit`` areas). Every rule
(the programme rules, the "1+N" check, USCC validation, the counts) is a ``diagnostics`` function;
the views ask and render. Projects and their checkpoints are in ``projects.py``.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from diagnostics.pilot import targets_for_cluster
from diagnostics.programme.baseline import pilot_acceptance
from diagnostics.programme.evaluation import evaluate
from diagnostics.programme.handbook import handbook_docx, handbook_xlsx
from diagnostics.programme.provider_import import RowError, parse_providers, read_rows
from diagnostics.programme.rules import check_replication
from diagnostics.settings import settings
from diagnostics.store.models import Cluster, Enterprise
from diagnostics.store.models_programme import Case, Deployment, Expert, PilotProject, PoolSolution, Provider
from diagnostics.store.programme_data import (
    REPORT_KIND,
    dependents,
    evaluation_panel,
    expert_projects,
    expert_visits,
    import_providers,
    programme_counts,
    record_fields,
    seed_pool,
)
from diagnostics.store.programme_documents import (
    SURVEY_KIND,
    handbook_for,
    latest_document,
    reusable_documents,
    write_research_report,
    write_survey_report,
)
from diagnostics.store.repo import audit
from diagnostics.taxonomy import load_taxonomy
from diagnostics.uscc import validate_uscc
from survey_app.access import area_required, valid_id
from survey_app.dashboard.workbooks import report_file
from survey_app.db import db_session
from survey_app.forms import ButtonForm
from survey_app.i18n import pick, tx
from survey_app.programme import bp
from survey_app.programme.common import cluster, cluster_of, clusters, enterprise_by_code, row_or_abort
from survey_app.programme.forms import (
    CASE_NAMES,
    DIRECTION_NAMES,
    KIND_NAMES,
    STATUS_NAMES,
    Bi,
    CaseForm,
    DeploymentForm,
    ExpertForm,
    ProviderForm,
    ProviderImportForm,
    SolutionForm,
    options,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NONE = (0, Bi("（无）", "(none)"))


def names() -> dict[str, dict[str, str]]:
    """Display names of the stored codes, in the page's language."""
    return {group: {k: pick(*v) for k, v in table.items()} for group, table in (
        ("kind", KIND_NAMES), ("direction", DIRECTION_NAMES), ("status", STATUS_NAMES), ("case", CASE_NAMES))}


def scenario_choices(c: Cluster) -> list[tuple[str, str]]:
    return [(s.code, tx(s.name)) for s in load_taxonomy(c.industry).scenarios]


def scenario_names(c: Cluster) -> dict[str, str]:
    return dict(scenario_choices(c))


def _commit(what: str, entity: str, entity_id: int | None, **details: Any) -> None:
    db = db_session()
    audit(db, what, entity, entity_id, user_id=current_user.id, **details)
    db.commit()


@bp.route("/")
@area_required("programme")
def index() -> str:
    if not clusters() and not request.args.get("cluster"):
        return render_template("programme/no_cluster.html")
    c = cluster()
    db = db_session()
    targets = targets_for_cluster(c.pilot_code)
    counts = programme_counts(db, c.id)
    sheet = pilot_acceptance(counts.as_measured(), targets.programme.acceptance)
    projects = list(db.scalars(select(PilotProject).where(PilotProject.cluster_id == c.id).order_by(PilotProject.id)))
    latest = {kind: latest_document(db, c.id, kind) for kind in (REPORT_KIND, SURVEY_KIND)}
    return render_template("programme/index.html", cluster=c, clusters=clusters(), counts=counts, sheet=sheet,
                           projects=projects, names=names(), latest=latest)


# ---- providers ------------------------------------------------------------------------------------------

@bp.route("/providers")
@area_required("programme")
def providers(import_form: ProviderImportForm | None = None, import_errors: list[RowError] | None = None) -> str:
    c = cluster()
    rows = list(db_session().scalars(select(Provider).where(Provider.cluster_id == c.id).order_by(Provider.name)))
    return render_template("programme/providers.html", cluster=c, rows=rows, names=names(),
                           scenarios=scenario_names(c), import_form=import_form or ProviderImportForm(),
                           import_errors=import_errors or [])


@bp.route("/providers/import", methods=["POST"])
@area_required("programme_edit")
def import_providers_view() -> ResponseReturnValue:
    """Import the provider list from Excel: all or nothing, every bad cell named by row and column."""
    c = cluster()
    form = ProviderImportForm()
    if not form.validate_on_submit():
        return providers(form), 400
    try:
        header, rows = read_rows(form.file.data.read())
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        form.file.errors = [pick("无法读取该文件：请上传 Excel .xlsx 文件。",
                                 "Cannot read this file: upload an Excel .xlsx file.")]
        return providers(form), 400
    taxonomy = load_taxonomy(c.industry)
    lookup = {**{s.code: s.code for s in taxonomy.scenarios}, **{s.name.zh: s.code for s in taxonomy.scenarios}}
    parsed, errors = parse_providers(header, rows, lookup)
    if errors:
        return providers(form, errors), 400
    created, updated = import_providers(db_session(), c, parsed)
    _commit("import", "providers", c.id, created=created, updated=updated)
    flash(pick(f"已导入服务商：新增{created}家，更新{updated}家。",
               f"Providers imported: {created} new, {updated} updated."), "success")
    return redirect(url_for("programme.providers", cluster=c.code))


@bp.route("/providers/new", methods=["GET", "POST"], defaults={"provider_id": None})
@bp.route("/providers/<int:provider_id>/edit", methods=["GET", "POST"])
@area_required("programme_edit")
def provider_form(provider_id: int | None) -> ResponseReturnValue:
    row = row_or_abort(Provider, provider_id) if provider_id else None
    c = db_session().get(Cluster, row.cluster_id) if row and row.cluster_id else cluster()
    assert c is not None
    form = ProviderForm(obj=row)
    form.scenarios.choices = options(scenario_choices(c))
    if form.validate_on_submit():
        code = None
        if form.uscc.data:
            result = validate_uscc(form.uscc.data)
            if not result.ok:
                form.uscc.errors = [pick(result.message_zh, result.message_en)]
            code = result.code
        taken = code and db_session().scalar(select(Provider.id).where(Provider.uscc == code,
                                                                       Provider.id != (row.id if row else 0)))
        if taken:
            form.uscc.errors = [pick("该统一社会信用代码已登记为另一家服务商。",
                                     "Another provider has this credit code.")]
        if not form.uscc.errors:
            target = row or Provider(cluster_id=c.id)
            form.populate_obj(target)
            target.uscc = code
            target.scenarios = list(form.scenarios.data or [])
            db_session().add(target)
            db_session().flush()
            _commit("edit" if row else "create", "provider", target.id)
            flash(pick("服务商已保存。", "Provider saved."), "success")
            return redirect(url_for("programme.providers", cluster=c.code))
    return render_template("programme/form.html", cluster=c, form=form,
                           title=pick("编辑服务商", "Edit provider") if row else pick("登记服务商", "New provider"),
                           back=url_for("programme.providers", cluster=c.code))


# ---- the solution pool ----------------------------------------------------------------------------------

@bp.route("/solutions")
@area_required("programme")
def solutions() -> str:
    c = cluster()
    db = db_session()
    rows = list(db.scalars(select(PoolSolution).where(PoolSolution.cluster_id == c.id).order_by(PoolSolution.code)))
    provs = {p.id: p.name for p in db.scalars(select(Provider).where(Provider.cluster_id == c.id))}
    deployments = list(db.execute(
        select(Deployment, Enterprise.name, PoolSolution.name_zh)
        .join(Enterprise, Enterprise.id == Deployment.enterprise_id)
        .join(PoolSolution, PoolSolution.id == Deployment.solution_id).where(PoolSolution.cluster_id == c.id)
        .order_by(Deployment.id.desc())))
    return render_template("programme/solutions.html", cluster=c, rows=rows, providers=provs, names=names(),
                           scenarios=scenario_names(c), deployments=deployments)


@bp.route("/solutions/seed", methods=["POST"])
@area_required("programme_edit")
def seed_solutions() -> Response:
    c = cluster()
    added = seed_pool(db_session(), c, load_taxonomy(c.industry))
    _commit("seed_pool", "cluster", c.id, added=added)
    flash(pick(f"已从产业分类导入{added}个解决方案。", f"{added} solutions added from the taxonomy."), "success")
    return redirect(url_for("programme.solutions", cluster=c.code))


@bp.route("/solutions/new", methods=["GET", "POST"], defaults={"solution_id": None})
@bp.route("/solutions/<int:solution_id>/edit", methods=["GET", "POST"])
@area_required("programme_edit")
def solution_form(solution_id: int | None) -> ResponseReturnValue:
    db = db_session()
    row = row_or_abort(PoolSolution, solution_id) if solution_id else None
    c = db.get(Cluster, row.cluster_id) if row else cluster()
    assert c is not None
    form = SolutionForm(obj=row)
    form.scenarios.choices = options(scenario_choices(c))
    form.provider_id.choices = options([NONE, *[(p.id, p.name) for p in db.scalars(
        select(Provider).where(Provider.cluster_id == c.id).order_by(Provider.name))]])
    if request.method == "GET" and row is not None:
        form.provider_id.data = row.provider_id or 0
    if form.validate_on_submit():
        clash = db.scalar(select(PoolSolution.id).where(PoolSolution.cluster_id == c.id,
                                                        PoolSolution.code == form.code.data,
                                                        PoolSolution.id != (row.id if row else 0)))
        if clash:
            form.code.errors = [pick("本集群已有该代码的解决方案。",
                                     "This cluster already has a solution with this code.")]
        else:
            target = row or PoolSolution(cluster_id=c.id)
            form.populate_obj(target)
            target.provider_id = form.provider_id.data or None
            target.scenarios = list(form.scenarios.data or [])
            db.add(target)
            db.flush()
            _commit("edit" if row else "create", "pool_solution", target.id)
            flash(pick("解决方案已保存。", "Solution saved."), "success")
            return redirect(url_for("programme.solutions", cluster=c.code))
    return render_template("programme/form.html", cluster=c, form=form,
                           title=pick("编辑解决方案", "Edit solution") if row else pick("新增解决方案", "New solution"),
                           back=url_for("programme.solutions", cluster=c.code))


def deployment_or_abort(deployment_id: int) -> tuple[Deployment, Cluster]:
    """A deployment and its cluster (through its solution); the same 404 for missing and not the official's."""
    db = db_session()
    row = db.get(Deployment, deployment_id) if valid_id(deployment_id) else None
    solution = db.get(PoolSolution, row.solution_id) if row is not None else None
    if row is None or solution is None:
        abort(404)
    return row, cluster_of(row_or_abort(PoolSolution, solution.id))


@bp.route("/deployments/new", methods=["GET", "POST"], defaults={"deployment_id": None})
@bp.route("/deployments/<int:deployment_id>/edit", methods=["GET", "POST"])
@area_required("programme_edit")
def deployment_form(deployment_id: int | None) -> ResponseReturnValue:
    db = db_session()
    row, c = deployment_or_abort(deployment_id) if deployment_id else (None, cluster())
    form = DeploymentForm(obj=row)
    pool = list(db.scalars(select(PoolSolution).where(PoolSolution.cluster_id == c.id).order_by(PoolSolution.code)))
    form.solution_id.choices = options([(s.id, s.name_zh) for s in pool])
    form.provider_id.choices = options([NONE, *[(p.id, p.name) for p in db.scalars(
        select(Provider).where(Provider.cluster_id == c.id).order_by(Provider.name))]])
    projects = list(db.scalars(select(PilotProject).where(PilotProject.cluster_id == c.id)))
    form.project_id.choices = options([NONE, *[(p.id, p.name) for p in projects]])
    if request.method == "GET" and row is None:
        form.project_id.data = request.args.get("project", 0, type=int)
        form.solution_id.data = request.args.get("solution", 0, type=int)
    elif request.method == "GET" and row is not None:
        form.enterprise_uscc.data = _firm_field(form, row.enterprise_id)
        form.provider_id.data, form.project_id.data = row.provider_id or 0, row.project_id or 0
    elif row is not None:
        _firm_field(form, row.enterprise_id)
    if form.validate_on_submit():
        enterprise, error = enterprise_by_code(form.enterprise_uscc.data or "", c)
        if error:
            form.enterprise_uscc.errors = [error]
        project = next((p for p in projects if p.id == form.project_id.data), None)
        if enterprise is not None and form.replication.data:
            if project is None:
                form.project_id.errors = [pick("“1+N”复制推广须选择所属试点项目。",
                                               "A '1+N' replication belongs to a project.")]
            else:
                landed = list(db.scalars(select(Deployment.enterprise_id).where(
                    Deployment.project_id == project.id, Deployment.solution_id == project.solution_id,
                    Deployment.id != (row.id if row else 0))))
                for e in check_replication(project.solution_id, form.solution_id.data, enterprise.id, landed):
                    getattr(form, e.field, form.solution_id).errors = [pick(e.message_zh, e.message_en)]
        if enterprise is not None and not form.errors:
            target = row or Deployment()
            before = record_fields(row) if row else None
            target.solution_id, target.provider_id = form.solution_id.data, form.provider_id.data or None
            target.enterprise_id, target.project_id = enterprise.id, project.id if project else None
            target.replication, target.status = bool(form.replication.data), form.status.data or "planned"
            target.started_on, target.finished_on = form.started_on.data, form.finished_on.data
            _save(target, "deployment", before, ("应用实施已保存。", "Deployment saved."))
            if project is not None:
                return redirect(url_for("programme.project", project_id=project.id))
            return redirect(url_for("programme.solutions", cluster=c.code))
    return _edit_page(c, form, row, "deployments", ("编辑应用实施", "Edit deployment"),
                      ("记录应用实施", "Record a deployment"))


def _firm_field(form: DeploymentForm | CaseForm, enterprise_id: int) -> str:
    """Name the stored enterprise under its credit-code field (people read names); returns its code."""
    firm = db_session().get(Enterprise, enterprise_id)
    if firm is None:
        return ""
    form.enterprise_uscc.description = pick(f"现为：{firm.name}", f"Now: {firm.name}")
    return firm.uscc


def _save(target: Deployment | Case | Expert, entity: str, before: dict[str, Any] | None,
          message: tuple[str, str]) -> None:
    """Store a created (``before`` None) or edited record, audited with the fields it changed."""
    db = db_session()
    db.add(target)
    db.flush()
    _commit("create" if before is None else "edit", entity, target.id, **_changes(before, target))
    flash(pick(*message), "success")


def _edit_page(c: Cluster, form: FlaskForm, row: Deployment | Case | Expert | None, kind: str,
               edit: tuple[str, str], new: tuple[str, str]) -> str:
    """The form page of a deployment, case or person, with the way to its delete page when it exists."""
    return render_template("programme/form.html", cluster=c, form=form, title=pick(*edit) if row else pick(*new),
                           back=url_for(DELETABLE[kind][1], cluster=c.code),
                           delete=url_for("programme.delete_record", kind=kind, row_id=row.id) if row else None)


def _changes(before: dict[str, Any] | None, after: Deployment | Case | Expert) -> dict[str, Any]:
    """The audit details of an edit: each changed field as (old, new), the shape the trail reads."""
    if before is None:
        return {}
    now = record_fields(after)
    return {"changes": {k: [before.get(k), v] for k, v in now.items() if before.get(k) != v}}


# ---- cases and people -----------------------------------------------------------------------------------

@bp.route("/cases")
@area_required("programme")
def cases() -> str:
    c = cluster()
    db = db_session()
    rows = list(db.execute(select(Case, Enterprise.name).join(Enterprise, Enterprise.id == Case.enterprise_id)
                           .where(Case.cluster_id == c.id).order_by(Case.kind.desc(), Case.id)))
    sols = {s.id: s.name_zh for s in db.scalars(select(PoolSolution).where(PoolSolution.cluster_id == c.id))}
    return render_template("programme/cases.html", cluster=c, rows=rows, solutions=sols, names=names(),
                           scenarios=scenario_names(c))


@bp.route("/cases/new", methods=["GET", "POST"], defaults={"case_id": None})
@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@area_required("programme_edit")
def case_form(case_id: int | None) -> ResponseReturnValue:
    db = db_session()
    row = row_or_abort(Case, case_id) if case_id else None
    c = cluster_of(row)
    form = CaseForm(obj=row)
    form.scenario.choices = options([("", pick("（无）", "(none)")), *scenario_choices(c)])
    form.solution_id.choices = options([NONE, *[(s.id, s.name_zh) for s in db.scalars(
        select(PoolSolution).where(PoolSolution.cluster_id == c.id).order_by(PoolSolution.code))]])
    if row is not None:
        code = _firm_field(form, row.enterprise_id)
    if request.method == "GET" and row is not None:
        form.enterprise_uscc.data = code
        form.scenario.data, form.solution_id.data = row.scenario or "", row.solution_id or 0
        first = (row.figures or [{}])[0]
        form.figure_name.data, form.figure_unit.data = first.get("name"), first.get("unit")
        form.before.data, form.after.data = first.get("before"), first.get("after")
    if form.validate_on_submit():
        enterprise, error = enterprise_by_code(form.enterprise_uscc.data or "", c)
        if error:
            form.enterprise_uscc.errors = [error]
        else:
            assert enterprise is not None
            before = record_fields(row) if row else None
            figures = ([{"name": form.figure_name.data, "unit": form.figure_unit.data or "",
                         "before": form.before.data, "after": form.after.data}] if form.figure_name.data else [])
            target = row or Case(cluster_id=c.id)
            target.kind, target.title = form.kind.data or "typical", form.title.data
            target.enterprise_id = enterprise.id
            target.scenario, target.solution_id = form.scenario.data or None, form.solution_id.data or None
            target.figures = [*figures, *(row.figures or [])[1:]] if row else figures
            target.evidence = form.evidence.data or None
            _save(target, "case", before, ("案例已保存。", "Case saved."))
            return redirect(url_for("programme.cases", cluster=c.code))
    return _edit_page(c, form, row, "cases", ("编辑案例", "Edit case"), ("登记案例", "New case"))


@bp.route("/experts")
@area_required("programme")
def experts() -> str:
    c = cluster()
    rows = list(db_session().scalars(select(Expert).where(Expert.cluster_id == c.id).order_by(Expert.name)))
    links = {lk.code: tx(lk.name) for lk in load_taxonomy(c.industry).chain_links}
    return render_template("programme/experts.html", cluster=c, rows=rows, links=links)


@bp.route("/experts/<int:expert_id>")
@area_required("programme")
def expert(expert_id: int) -> str:
    """A person's record: who they are, and the projects and site visits of their cluster they joined."""
    db = db_session()
    row = row_or_abort(Expert, expert_id)
    c = cluster_of(row)
    links = {lk.code: tx(lk.name) for lk in load_taxonomy(c.industry).chain_links}
    return render_template("programme/expert.html", cluster=c, person=row, links=links,
                           projects=expert_projects(db, row), visits=expert_visits(db, row))


@bp.route("/experts/new", methods=["GET", "POST"], defaults={"expert_id": None})
@bp.route("/experts/<int:expert_id>/edit", methods=["GET", "POST"])
@area_required("programme_edit")
def expert_form(expert_id: int | None) -> ResponseReturnValue:
    row = row_or_abort(Expert, expert_id) if expert_id else None
    c = cluster_of(row)
    form = ExpertForm(obj=row)
    form.chain_link.choices = options([("", pick("（无）", "(none)")),
                               *[(lk.code, tx(lk.name)) for lk in load_taxonomy(c.industry).chain_links]])
    if request.method == "GET" and row is not None:
        form.chain_link.data = row.chain_link or ""
    if form.validate_on_submit():
        before = record_fields(row) if row else None
        target = row or Expert(cluster_id=c.id)
        form.populate_obj(target)
        target.chain_link = form.chain_link.data or None
        _save(target, "expert", before, ("懂行人已保存。", "Person saved."))
        return redirect(url_for("programme.expert", expert_id=target.id))
    return _edit_page(c, form, row, "experts", ("编辑懂行人", "Edit person"), ("登记懂行人", "New 懂行人"))


DELETABLE: dict[str, tuple[str, str, str]] = {  # kind in the URL -> (audit entity, list page, name of the kind)
    "deployments": ("deployment", "programme.solutions", "应用实施|deployment"),
    "cases": ("case", "programme.cases", "案例|case"),
    "experts": ("expert", "programme.experts", "懂行人|person"),
}


def _deletable(kind: str, row_id: int) -> tuple[Deployment | Case | Expert, Cluster, str]:
    """The record, its cluster and how a person names it; 404 for missing and other clusters alike."""
    db = db_session()
    if kind == "deployments":
        dep, c = deployment_or_abort(row_id)
        firm = db.get(Enterprise, dep.enterprise_id)
        sol = db.get(PoolSolution, dep.solution_id)
        return dep, c, f"{sol.name_zh if sol else ''} → {firm.name if firm else ''}"
    row = row_or_abort(Case, row_id) if kind == "cases" else row_or_abort(Expert, row_id)
    return row, cluster_of(row), row.title if isinstance(row, Case) else row.name


@bp.route("/<any(deployments, cases, experts):kind>/<int:row_id>/delete", methods=["GET", "POST"])
@area_required("programme_edit")
def delete_record(kind: str, row_id: int) -> ResponseReturnValue:
    """Ask, then delete a record nothing refers to; name what refers to it otherwise. Audited with the
    deleted fields, so the trail keeps what was removed."""
    db = db_session()
    row, c, label = _deletable(kind, row_id)
    entity, back, kind_names = DELETABLE[kind]
    reasons = [pick(zh, en) for zh, en in dependents(db, row)]
    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if not reasons:
            audit(db, "delete", entity, row.id, user_id=current_user.id, record=record_fields(row))
            db.delete(row)
            db.commit()
            zh, en = kind_names.split("|")
            flash(pick(f"已删除{zh}：{label}", f"Deleted the {en}: {label}"), "success")
            return redirect(url_for(back, cluster=c.code))
    return render_template("programme/delete.html", cluster=c, form=form, label=label, reasons=reasons,
                           kind_name=pick(*kind_names.split("|")), back=url_for(back, cluster=c.code)
                           ), 409 if reasons and request.method == "POST" else 200


# ---- evaluation and documents ---------------------------------------------------------------------------

@bp.route("/evaluation")
@area_required("programme")
def evaluation() -> str:
    c = cluster()
    targets = targets_for_cluster(c.pilot_code)
    panel, by_scenario, by_solution = evaluation_panel(db_session(), c.id, targets.questionnaire)
    result = evaluate(panel, targets.programme.evaluation, scenarios=by_scenario, solutions=by_solution)
    return render_template("programme/evaluation.html", cluster=c, result=result, settings=targets.programme.evaluation,
                           scenarios=scenario_names(c))


@bp.route("/handbook.<fmt>")
@area_required("programme")
def handbook(fmt: str) -> Response:
    c = cluster()
    hb = handbook_for(db_session(), c)
    if fmt == "docx":
        data, mime = handbook_docx(hb), DOCX
    elif fmt == "xlsx":
        data, mime = handbook_xlsx(hb), XLSX
    else:
        return Response(status=404)
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True,
                     download_name=f"{c.code}-capability-handbook.{fmt}")


@bp.route("/research-report.docx", defaults={"kind": "research"})
@bp.route("/survey-report.docx", defaults={"kind": "survey"})
@area_required("programme")
def report_download(kind: str) -> Response:
    """The cluster's latest research report or survey report, as the nightly pipeline wrote it; written
    now (the flow's function) only when the records changed since, or none was written yet."""
    c = cluster()
    db = db_session()
    found = reusable_documents(db, c, settings.report_dir)
    if found is None:
        try:
            found = {REPORT_KIND: write_research_report(db, c, settings.report_dir),
                     SURVEY_KIND: write_survey_report(db, c, settings.report_dir)}
        except LookupError:
            flash(pick("该集群尚无画像快照：请先运行流水线（shuzhen pipeline run）。",
                       "No portraits snapshot for this cluster yet: run the pipeline first."), "error")
            return redirect(url_for("programme.index", cluster=c.code))
        try:
            db.commit()
        except IntegrityError:  # the flow stored the same report at the same moment
            db.rollback()
    research = kind == "research"
    name = pick("行业数字化转型研究报告", "research-report") if research else pick("企业调研诊断报告", "survey-report")
    return send_file(report_file(found[REPORT_KIND if research else SURVEY_KIND]["file"]), mimetype=DOCX,
                     as_attachment=True, download_name=f"{c.name_zh}{name}.docx")
