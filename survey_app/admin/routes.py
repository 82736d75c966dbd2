"""Bureau officials: every enterprise of the roster, commissioner assignments, staff accounts.

Viewers (other officials, experts) may read the enterprise list; only admins change assignments or
create accounts. Enterprises register themselves, so there is no "create enterprise" form here.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from diagnostics.roles import LABELS, Role
from diagnostics.size_class import SIZE_LABELS
from diagnostics.store.models import Assessment, Assignment, Enterprise, User
from diagnostics.store.repo import audit
from survey_app.access import area_required, enterprise_or_abort, visible_enterprises
from survey_app.accounts.passwords import hash_password
from survey_app.admin import bp
from survey_app.admin.forms import AssignForm, StaffUserForm
from survey_app.db import db_session
from survey_app.forms import ButtonForm
from survey_app.i18n import tx

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


@bp.route("/users", methods=["GET", "POST"])
@area_required("accounts")
def users() -> ResponseReturnValue:
    db = db_session()
    form = StaffUserForm()
    if form.validate_on_submit():
        if db.scalar(select(User.id).where(func.lower(User.username) == form.username.data.lower())):
            form.username.errors.append(_("This user name is taken; choose another."))
        else:
            user = User(username=form.username.data, display_name=form.display_name.data or None,
                        role=form.role.data, password_hash=hash_password(form.password.data))
            db.add(user)
            db.flush()
            audit(db, "create", "user", user.id, user_id=current_user.id, role=user.role)
            db.commit()
            flash(_("Account created."), "success")
            return redirect(url_for("admin.users"))
    staff = list(db.scalars(select(User).where(User.role != Role.ENTERPRISE).order_by(User.role, User.username)))
    role_names = {role.value: tx(label) for role, label in LABELS.items()}
    return render_template("admin/users.html", form=form, staff=staff, role_labels=role_names)
