"""Pilot projects: list, create/edit under the programme rules, the project page (members, checkpoints,
T0→T1 per participant, acceptance sheet, deployments, 懂行人), checkpoints and acceptance items."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import delete, select
from werkzeug.wrappers import Response

from diagnostics.pilot import targets_for_cluster
from diagnostics.programme.baseline import CHECKPOINT_LABELS, ExtraItem, participant_changes, project_acceptance
from diagnostics.programme.rules import ProjectFacts, RuleError, check_project
from diagnostics.store.models import Cluster, Enterprise
from diagnostics.store.models_programme import (
    CHECKPOINT_KINDS,
    AcceptanceItem,
    Checkpoint,
    Deployment,
    Expert,
    PilotProject,
    PoolSolution,
    ProjectExpert,
    ProjectMember,
    Provider,
)
from diagnostics.store.programme_data import (
    checkpoint_facts,
    link_latest_assessments,
    measurements,
    parties_for,
    project_facts,
    project_members,
)
from diagnostics.store.repo import audit
from survey_app.access import area_required
from survey_app.db import db_session
from survey_app.forms import ButtonForm
from survey_app.i18n import pick
from survey_app.programme import bp
from survey_app.programme.common import cluster, enterprises_by_lines, row_or_abort
from survey_app.programme.forms import AcceptanceItemForm, AttachExpertForm, CheckpointForm, ProjectForm, options
from survey_app.programme.routes import NONE, names, scenario_choices, scenario_names

CHECKPOINT_OFFSETS = {"t0": 0, "half_year": 182, "one_year": 365}  # seed 001 三.(四): 半年期和1年期末验收


@bp.route("/projects")
@area_required("programme")
def projects() -> str:
    c = cluster()
    rows = list(db_session().scalars(select(PilotProject).where(PilotProject.cluster_id == c.id)
                                     .order_by(PilotProject.year.desc(), PilotProject.id)))
    facts = {f.id: f for f in project_facts(db_session(), c.id)}
    return render_template("programme/projects.html", cluster=c, rows=rows, facts=facts, names=names())


def _rule_errors(form: ProjectForm, errors: list[RuleError]) -> list[str]:
    """Show each broken rule at the top and on its field (the members' rules on the enterprise lists)."""
    fields = {"members": form.landing, "landing": form.landing, "planned_investment_10k": form.planned_investment_10k,
              "ends_on": form.ends_on, "lead_kind": form.lead_kind}
    messages = []
    for e in errors:
        text = pick(e.message_zh, e.message_en)
        messages.append(text)
        field = fields.get(e.field)
        if field is not None:
            field.errors = [*field.errors, text]
    return messages


@bp.route("/projects/new", methods=["GET", "POST"], defaults={"project_id": None})
@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@area_required("programme_edit")
def project_form(project_id: int | None) -> ResponseReturnValue:
    db = db_session()
    row = row_or_abort(PilotProject, project_id) if project_id else None
    c = db.get(Cluster, row.cluster_id) if row else cluster()
    assert c is not None
    form = ProjectForm(obj=row)
    form.scenarios.choices = options(scenario_choices(c))
    form.solution_id.choices = options([NONE, *[(s.id, s.name_zh) for s in db.scalars(
        select(PoolSolution).where(PoolSolution.cluster_id == c.id).order_by(PoolSolution.code))]])
    form.providers.choices = options([(p.id, p.name) for p in db.scalars(
        select(Provider).where(Provider.cluster_id == c.id).order_by(Provider.name))])
    if request.method == "GET":
        if row is None:
            form.year.data = datetime.now().year
        else:
            members = project_members(db, row.id)
            form.solution_id.data = row.solution_id or 0
            form.providers.data = [m["provider"].id for m in members if m["provider"] is not None]
            form.landing.data = "\n".join(m["enterprise"].uscc for m in members
                                          if m["enterprise"] is not None and m["member"].role == "landing")
            form.members.data = "\n".join(m["enterprise"].uscc for m in members
                                          if m["enterprise"] is not None and m["member"].role != "landing")
    problems: list[str] = []
    if form.validate_on_submit():
        landing, bad_landing = enterprises_by_lines(form.landing.data, c)
        others, bad_members = enterprises_by_lines(form.members.data, c)
        others = [e for e in others if e not in landing]
        form.landing.errors = list(bad_landing)
        form.members.errors = list(bad_members)
        provider_ids = [int(i) for i in form.providers.data or []]
        if form.lead_kind.data == "provider" and not provider_ids:
            form.providers.errors = [pick("服务商牵头的项目须至少选择一家服务商。",
                                          "A provider-led project needs a provider.")]
        if not form.errors:
            facts = ProjectFacts(form.name.data or "", int(form.year.data or 0), form.lead_kind.data or "",
                                 parties_for(db, provider_ids, [e.id for e in landing + others]),
                                 form.planned_investment_10k.data, form.started_on.data, form.ends_on.data,
                                 tuple(e.id for e in landing), row.id if row else None)
            problems = _rule_errors(form, check_project(facts, project_facts(db), targets_for_cluster(
                c.pilot_code).programme.rules))
        if not form.errors and not problems:
            saved = _save_project(row, c, form, provider_ids, landing, others)
            flash(pick("试点项目已保存。", "Project saved."), "success")
            return redirect(url_for("programme.project", project_id=saved.id))
    return render_template("programme/form.html", cluster=c, form=form, problems=problems,
                           title=pick("编辑试点项目", "Edit project") if row else pick("新建试点项目", "New project"),
                           back=url_for("programme.projects", cluster=c.code))


def _save_project(row: PilotProject | None, c: Cluster, form: ProjectForm, provider_ids: list[int],
                  landing: list[Enterprise], others: list[Enterprise]) -> PilotProject:
    db = db_session()
    target = row or PilotProject(cluster_id=c.id)
    for name in ("name", "year", "lead_kind", "direction", "planned_investment_10k", "started_on", "ends_on"):
        setattr(target, name, getattr(form, name).data)
    target.solution_id = form.solution_id.data or None
    target.scenarios = list(form.scenarios.data or [])
    db.add(target)
    db.flush()
    db.execute(delete(ProjectMember).where(ProjectMember.project_id == target.id))
    lead_firm = form.lead_kind.data == "manufacturer"
    for k, pid in enumerate(provider_ids):
        role = "lead" if k == 0 and not lead_firm else "member"
        db.add(ProjectMember(project_id=target.id, provider_id=pid, role=role))
    for e in landing:
        db.add(ProjectMember(project_id=target.id, enterprise_id=e.id, role="landing"))
    for e in others:
        db.add(ProjectMember(project_id=target.id, enterprise_id=e.id, role="member"))
    have = set(db.scalars(select(Checkpoint.kind).where(Checkpoint.project_id == target.id)))
    wanted = ("t0", *targets_for_cluster(c.pilot_code).programme.rules.acceptance_checkpoints)
    for kind in CHECKPOINT_KINDS:
        if kind in wanted and kind not in have:
            due = target.started_on + timedelta(days=CHECKPOINT_OFFSETS[kind]) if target.started_on else None
            db.add(Checkpoint(project_id=target.id, kind=kind, due_on=due))
    audit(db, "edit" if row else "create", "pilot_project", target.id, user_id=current_user.id)
    db.commit()
    return target


@bp.route("/projects/<int:project_id>")
@area_required("programme")
def project(project_id: int) -> str:
    db = db_session()
    row = row_or_abort(PilotProject, project_id)
    c = db.get(Cluster, row.cluster_id)
    members = project_members(db, row.id)
    participants = [m["enterprise"].id for m in members if m["enterprise"] is not None]
    firm_names = {m["enterprise"].id: m["enterprise"].name for m in members if m["enterprise"] is not None}
    changes = participant_changes(participants, measurements(db, [row.id]).get(row.id, []))
    checkpoints = sorted(db.scalars(select(Checkpoint).where(Checkpoint.project_id == row.id)),
                         key=lambda cp: CHECKPOINT_KINDS.index(cp.kind) if cp.kind in CHECKPOINT_KINDS else 9)
    deployments = list(db.execute(select(Deployment, Enterprise.name, PoolSolution.name_zh)
                                  .join(Enterprise, Enterprise.id == Deployment.enterprise_id)
                                  .join(PoolSolution, PoolSolution.id == Deployment.solution_id)
                                  .where(Deployment.project_id == row.id).order_by(Deployment.id)))
    landing = {m["enterprise"].id for m in members if m["enterprise"] is not None and m["member"].role == "landing"}
    items = list(db.scalars(select(AcceptanceItem).where(AcceptanceItem.project_id == row.id)
                            .order_by(AcceptanceItem.id)))
    sheet = project_acceptance(
        planned_investment_10k=row.planned_investment_10k, participants=len(participants),
        checkpoints=checkpoint_facts(db, row.id),
        landing_deployments_done=len({d.enterprise_id for d, _, _ in deployments
                                      if d.enterprise_id in landing and d.status == "done" and not d.replication}),
        landing_sites=len(landing), replications=sum(1 for d, _, _ in deployments if d.replication),
        changes=changes, extra=[ExtraItem(i.indicator, i.target, i.actual, i.evidence) for i in items])
    experts = list(db.scalars(select(Expert).join(ProjectExpert, ProjectExpert.expert_id == Expert.id)
                              .where(ProjectExpert.project_id == row.id)))
    attach = AttachExpertForm()
    attach.expert_id.choices = options([(e.id, e.name) for e in db.scalars(
        select(Expert).where(Expert.cluster_id == row.cluster_id).order_by(Expert.name)) if e not in experts])
    solution = db.get(PoolSolution, row.solution_id) if row.solution_id else None
    return render_template("programme/project.html", cluster=c, project=row, members=members, changes=changes,
                           firm_names=firm_names, checkpoints=checkpoints, labels=CHECKPOINT_LABELS,
                           deployments=deployments, sheet=sheet, experts=experts, attach=attach,
                           item_form=AcceptanceItemForm(), names=names(), scenarios=scenario_names(c) if c else {},
                           solution=solution)


@bp.route("/projects/<int:project_id>/checkpoints/<kind>", methods=["GET", "POST"])
@area_required("programme_edit")
def checkpoint(project_id: int, kind: str) -> ResponseReturnValue:
    db = db_session()
    row = row_or_abort(PilotProject, project_id)
    cp = db.scalar(select(Checkpoint).where(Checkpoint.project_id == row.id, Checkpoint.kind == kind))
    if cp is None:
        abort(404)
    c = db.get(Cluster, row.cluster_id)
    assert c is not None
    form = CheckpointForm(obj=cp)
    if form.validate_on_submit():
        cp.due_on, cp.held_on = form.due_on.data, form.held_on.data
        cp.actual_investment_10k, cp.notes = form.actual_investment_10k.data, form.notes.data or None
        linked = 0
        if form.link.data:
            day = cp.held_on or cp.due_on
            up_to = datetime.combine(day, time.max) if day else None
            ids = [m["enterprise"].id for m in project_members(db, row.id) if m["enterprise"] is not None]
            linked = link_latest_assessments(db, cp, ids, targets_for_cluster(c.pilot_code).questionnaire, up_to)
        audit(db, "edit", "checkpoint", cp.id, user_id=current_user.id, linked=linked)
        db.commit()
        flash(pick(f"检查点已保存，关联评估{linked}份。", f"Checkpoint saved; {linked} assessment(s) linked."),
              "success")
        return redirect(url_for("programme.project", project_id=row.id))
    label = CHECKPOINT_LABELS.get(kind)
    return render_template("programme/form.html", cluster=c, form=form,
                           title=f"{row.name} · {pick(label.zh, label.en or label.zh) if label else kind}",
                           back=url_for("programme.project", project_id=row.id))


@bp.route("/projects/<int:project_id>/items", methods=["POST"])
@area_required("programme_edit")
def add_item(project_id: int) -> Response:
    row = row_or_abort(PilotProject, project_id)
    form = AcceptanceItemForm()
    if form.validate_on_submit():
        db = db_session()
        item = AcceptanceItem(project_id=row.id, indicator=form.indicator.data, target=form.target.data,
                              actual=form.actual.data, evidence=form.evidence.data or None)
        db.add(item)
        db.flush()
        audit(db, "create", "acceptance_item", item.id, user_id=current_user.id)
        db.commit()
        flash(pick("验收指标已添加。", "Acceptance item added."), "success")
    else:
        flash(pick("请填写指标名称。", "Give the indicator a name."), "error")
    return redirect(url_for("programme.project", project_id=row.id))


@bp.route("/projects/<int:project_id>/experts", methods=["POST"])
@area_required("programme_edit")
def attach_expert(project_id: int) -> Response:
    db = db_session()
    row = row_or_abort(PilotProject, project_id)
    form = AttachExpertForm()
    form.expert_id.choices = options([(e.id, e.name) for e in db.scalars(
        select(Expert).where(Expert.cluster_id == row.cluster_id))])
    if form.validate_on_submit() and db.scalar(select(ProjectExpert.id).where(
            ProjectExpert.project_id == row.id, ProjectExpert.expert_id == form.expert_id.data)) is None:
        db.add(ProjectExpert(project_id=row.id, expert_id=form.expert_id.data))
        audit(db, "attach_expert", "pilot_project", row.id, user_id=current_user.id, expert=form.expert_id.data)
        db.commit()
        flash(pick("懂行人已加入项目。", "Person attached to the project."), "success")
    return redirect(url_for("programme.project", project_id=row.id))


@bp.route("/projects/<int:project_id>/experts/remove", methods=["POST"])
@area_required("programme_edit")
def detach_expert(project_id: int) -> Response:
    """Take a person off the project (what a refused delete of the person asks for first)."""
    db = db_session()
    row = row_or_abort(PilotProject, project_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    link = db.scalar(select(ProjectExpert).where(ProjectExpert.project_id == row.id,
                                                 ProjectExpert.expert_id == request.form.get("expert_id", type=int)))
    if link is None:  # a second click, or a stale page: say so, as the attach form does for a duplicate
        flash(pick("该懂行人已不在此项目中。", "That person is no longer on the project."), "info")
        return redirect(url_for("programme.project", project_id=row.id))
    db.delete(link)
    audit(db, "detach_expert", "pilot_project", row.id, user_id=current_user.id, expert=link.expert_id)
    db.commit()
    flash(pick("已将懂行人移出项目。", "Person removed from the project."), "success")
    return redirect(url_for("programme.project", project_id=row.id))
