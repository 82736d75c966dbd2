"""Bureau officials: every enterprise of the roster, commissioner assignments, staff accounts.

Viewers (other officials, experts) may read the enterprise list; only admins change assignments or
create accounts. Enterprises register themselves, so there is no "create enterprise" form here.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from diagnostics.roles import LABELS, Role, grantable_roles
from diagnostics.size_class import SIZE_LABELS
from diagnostics.store.models import Assessment, Assignment, Cluster, Enterprise, User
from diagnostics.store.repo import audit
from survey_app.access import account_or_abort, area_required, enterprise_or_abort, visible_enterprises
from survey_app.accounts.passwords import hash_password
from survey_app.accounts.users import end_all_sessions
from survey_app.admin import bp
from survey_app.admin.forms import AssignForm, PasswordResetForm, StaffUserForm, UserEditForm
from survey_app.db import db_session
from survey_app.forms import ButtonForm
from survey_app.i18n import pick, tx

PAGE_SIZE = 100


@bp.route("/enterprises")
@area_required("enterprise_list")
def enterprises() -> str:
    db = db_session()
    search = (request.args.get("q") or "").strip()
    page = max(1, request.args.get("page", 1, type=int))
    stmt = visible_enterprises(select(Enterprise), current_user)
    if search:
        like = f"%{search}%"
        stmt = stmt.where(or_(Enterprise.name.like(like), Enterprise.uscc.like(like.upper())))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(db.scalars(stmt.order_by(Enterprise.name).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    ids = [e.id for e in rows]
    latest: dict[int, Assessment] = {}
    for a in db.scalars(select(Assessment).where(Assessment.enterprise_id.in_(ids))
                        .order_by(Assessment.created_at, Assessment.id)) if ids else []:
        latest[a.enterprise_id] = a
    assigned: dict[int, list[str]] = {}
    for eid, name in db.execute(select(Assignment.enterprise_id, func.coalesce(User.display_name, User.username)).join(
            User, User.id == Assignment.user_id).where(Assignment.enterprise_id.in_(ids))) if ids else []:
        assigned.setdefault(eid, []).append(name)
    return render_template("admin/enterprises.html", rows=rows, latest=latest, assigned=assigned, search=search,
                           page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total, size_labels=SIZE_LABELS)


def _commissioners() -> list[User]:
    return list(db_session().scalars(select(User).where(User.role == Role.COMMISSIONER, User.active.is_(True))
                                     .order_by(User.username)))


@bp.route("/enterprises/<int:enterprise_id>/assignments", methods=["GET", "POST"])
@area_required("assignments")
def assignments(enterprise_id: int) -> ResponseReturnValue:
    enterprise = enterprise_or_abort(enterprise_id, "manage")
    db = db_session()
    form = AssignForm()
    form.commissioner_id.choices = [SelectChoice(u.id, u.display_name or u.username) for u in _commissioners()]
    if form.validate_on_submit():
        if db.scalar(select(Assignment.id).where(Assignment.user_id == form.commissioner_id.data,
                                                 Assignment.enterprise_id == enterprise.id)) is None:
            db.add(Assignment(user_id=form.commissioner_id.data, enterprise_id=enterprise.id))
            audit(db, "assign", "enterprise", enterprise.id, user_id=current_user.id,
                  commissioner=form.commissioner_id.data)
            try:
                db.commit()
            except IntegrityError:
                db.rollback()
        flash(_("Commissioner assigned."), "success")
        return redirect(url_for("admin.assignments", enterprise_id=enterprise.id))
    current = list(db.execute(select(Assignment.id, User).join(User, User.id == Assignment.user_id)
                              .where(Assignment.enterprise_id == enterprise.id)))
    return render_template("admin/assignments.html", enterprise=enterprise, form=form, current=current,
                           button=ButtonForm())


@bp.route("/enterprises/<int:enterprise_id>/assignments/<int:assignment_id>/remove", methods=["POST"])
@area_required("assignments")
def unassign(enterprise_id: int, assignment_id: int) -> Response:
    enterprise = enterprise_or_abort(enterprise_id, "manage")
    if not ButtonForm().validate_on_submit():
        abort(400)
    db = db_session()
    row = db.get(Assignment, assignment_id)
    if row is None or row.enterprise_id != enterprise.id:
        abort(404)
    db.delete(row)
    audit(db, "unassign", "enterprise", enterprise.id, user_id=current_user.id, commissioner=row.user_id)
    db.commit()
    flash(_("Assignment removed."), "success")
    return redirect(url_for("admin.assignments", enterprise_id=enterprise.id))


def _account_scope(stmt: Select[User]) -> Select[User]:
    """The accounts the current admin may see: all (province), or its cluster's (city)."""
    scope = current_user.cluster_id
    if scope is None:
        return stmt
    in_cluster = select(Enterprise.id).where(Enterprise.cluster_id == scope)
    return stmt.where(or_(and_(User.role != Role.ENTERPRISE, User.cluster_id == scope),
                          and_(User.role == Role.ENTERPRISE, User.enterprise_id.in_(in_cluster))))


def _clusters() -> list[Cluster]:
    return list(db_session().scalars(select(Cluster).order_by(Cluster.name_zh)))


def _scope_problem(role: str, cluster_id: int | None) -> str | None:
    """Why the current admin may not give ``role`` in ``cluster_id`` (the form's choices say the same)."""
    if role not in grantable_roles(current_user.role):
        return _("You may not give this role.")
    if current_user.cluster_id is not None and cluster_id != current_user.cluster_id:
        return _("You may only manage accounts of your own cluster.")
    if cluster_id is not None and db_session().get(Cluster, cluster_id) is None:
        return _("Unknown cluster.")
    return None


@bp.route("/users", methods=["GET", "POST"])
@area_required("accounts")
def users() -> ResponseReturnValue:
    """Staff accounts in the admin's scope, enterprise accounts on search, and the new-account form."""
    db = db_session()
    form = StaffUserForm(min_password=current_app.config["MIN_PASSWORD_LENGTH"])
    form.scope(current_user.role, current_user.cluster_id, _clusters())
    status = 200
    if form.validate_on_submit():
        cluster_id = form.cluster_id()
        problem = _scope_problem(form.role.data, cluster_id)
        if problem:
            form.role.errors.append(problem)
        elif db.scalar(select(User.id).where(func.lower(User.username) == form.username.data.lower())):
            form.username.errors.append(_("This user name is taken; choose another."))
        else:
            user = User(username=form.username.data, display_name=form.display_name.data or None,
                        role=form.role.data, cluster_id=cluster_id, password_hash=hash_password(form.password.data))
            db.add(user)
            try:
                db.flush()
                audit(db, "create", "user", user.id, user_id=current_user.id, role=user.role, cluster=cluster_id)
                db.commit()
            except IntegrityError:  # the same name created at the same moment
                db.rollback()
                form.username.errors.append(_("This user name is taken; choose another."))
            else:
                flash(_("Account created."), "success")
                return redirect(url_for("admin.users"))
    if request.method == "POST":
        status = 400
    staff = list(db.scalars(_account_scope(select(User).where(User.role != Role.ENTERPRISE))
                            .order_by(User.role, User.username)))
    search = (request.args.get("q") or "").strip()[:100]
    found: list[User] = []
    if search:
        like = f"%{search}%"
        found = list(db.scalars(_account_scope(select(User).where(User.role == Role.ENTERPRISE).outerjoin(
            Enterprise, Enterprise.id == User.enterprise_id).where(or_(User.username.like(like),
                                                                       Enterprise.name.like(like))))
            .order_by(User.username).limit(50)))
    role_names = {role.value: tx(label) for role, label in LABELS.items()}
    clusters = {c.id: pick(c.name_zh, c.name_en or c.name_zh) for c in _clusters()}
    return render_template("admin/users.html", form=form, staff=staff, found=found, search=search,
                           role_labels=role_names, clusters=clusters), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@area_required("accounts")
def edit_user(user_id: int) -> ResponseReturnValue:
    """Change an account's name, role, cluster or whether it may log in (disabling ends its sessions)."""
    db = db_session()
    user = account_or_abort(user_id)
    own = user.id == current_user.id
    form = UserEditForm()
    form.scope(current_user.role, current_user.cluster_id, _clusters())
    if user.role == Role.ENTERPRISE:  # an enterprise account stays one; only its name and state change
        form.role.choices = [SelectChoice(Role.ENTERPRISE.value, tx(LABELS[Role.ENTERPRISE]))]
    if request.method == "GET":
        form.display_name.data = user.display_name
        form.role.data = user.role
        form.cluster.data = str(user.cluster_id) if user.cluster_id is not None else ""
        form.active.data = user.active
    status = 200
    if form.validate_on_submit():
        cluster_id = form.cluster_id() if user.role != Role.ENTERPRISE else user.cluster_id
        problem = None if user.role == Role.ENTERPRISE else _scope_problem(form.role.data, cluster_id)
        if own and (form.role.data != user.role or cluster_id != user.cluster_id or not form.active.data):
            problem = _("You cannot change your own role, cluster or access; ask another admin.")
        if problem:
            form.role.errors.append(problem)
        else:
            was_active = user.active
            user.display_name = form.display_name.data or None
            user.role = form.role.data
            user.cluster_id = cluster_id
            user.active = bool(form.active.data)
            if was_active and not user.active:
                end_all_sessions(user.id)
            audit(db, "edit", "user", user.id, user_id=current_user.id, role=user.role, cluster=cluster_id,
                  active=user.active)
            db.commit()
            flash(_("Account saved."), "success")
            return redirect(url_for("admin.users"))
    if request.method == "POST":
        status = 400
    reset = PasswordResetForm(username=user.username, min_password=current_app.config["MIN_PASSWORD_LENGTH"],
                              formdata=None)
    return render_template("admin/user_edit.html", user=user, form=form, reset=reset, own=own), status


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@area_required("accounts")
def reset_password(user_id: int) -> ResponseReturnValue:
    """Set a new password for someone who lost theirs; every session of the account ends."""
    db = db_session()
    user = account_or_abort(user_id)
    reset = PasswordResetForm(username=user.username, min_password=current_app.config["MIN_PASSWORD_LENGTH"])
    if reset.validate_on_submit():
        user.password_hash = hash_password(reset.password.data)
        user.failed_logins = 0
        user.locked_until = None
        end_all_sessions(user.id)
        audit(db, "password_reset", "user", user.id, user_id=current_user.id)
        db.commit()
        flash(_("The password is reset. Tell the person the new password; they should change it."), "success")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    form = UserEditForm(formdata=None, obj=user)
    form.scope(current_user.role, current_user.cluster_id, _clusters())
    form.cluster.data = str(user.cluster_id) if user.cluster_id is not None else ""
    return render_template("admin/user_edit.html", user=user, form=form, reset=reset,
                           own=user.id == current_user.id), 400
