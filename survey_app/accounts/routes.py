"""Accounts: the start page by role, self-registration of an enterprise, log-in with throttling, log-out,
and the language switch.

Registration creates the account and its enterprise in one step because the person registering is the
one who will fill the questionnaire, usually on a phone, and a second form is where people give up.
Log-in is throttled in the database (see ``throttle``): per name (5 failures lock it for 15 minutes, for
names without an account too), per name and address, and per address (slowed, not refused); the message
says when to try again. Log-out and a password change end every session of the account.
"""

from __future__ import annotations

import time

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from diagnostics.industry_codes import industry_of
from diagnostics.roles import Role
from diagnostics.size_class import SIZE_LABELS, size_class
from diagnostics.store.models import Cluster, Enterprise, User
from diagnostics.store.repo import audit
from survey_app.accounts import bp, throttle
from survey_app.accounts.forms import LoginForm, PasswordChangeForm, RegistrationForm
from survey_app.accounts.passwords import hash_password, verify_password
from survey_app.accounts.urls import home_for, safe_next
from survey_app.accounts.users import SESSION_VERSION_KEY, SessionUser, end_all_sessions
from survey_app.db import db_session
from survey_app.forms import ButtonForm, LanguageForm
from survey_app.i18n import LANG_SESSION_KEY, supported, tx


@bp.route("/")
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("accounts.login"))


@bp.route("/lang", methods=["POST"])
def set_language() -> Response:
    """Switch language; remembered in the session and, when logged in, on the account."""
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in supported():
        session[LANG_SESSION_KEY] = form.lang.data
        if current_user.is_authenticated:
            row = db_session().get(User, current_user.id)
            if row is not None:
                row.locale = form.lang.data
                db_session().commit()
    return redirect(safe_next(form.next.data) or url_for("accounts.index"))


@bp.route("/size-class")
def size_class_json() -> Response:
    """The size class for employees and revenue, so the registration form can show it as typed."""
    try:
        employees = int(request.args.get("employees", ""))
        revenue = float(request.args.get("revenue", ""))
        found = size_class(employees, revenue)
    except ValueError:
        found = None
    return jsonify({"size_class": found, "label": tx(SIZE_LABELS[found]) if found else ""})


# Compared against when the user name does not exist, so both answers take the same time.
_DUMMY_HASH = hash_password("not-a-real-password")


def duplicate_uscc_message() -> str:
    return _("This unified social credit code is already registered. If your enterprise already has an "
             "account, log in with it; if nobody knows its password, ask your local industry bureau to "
             "reset it.")


def _cluster_for(industry_code: str) -> int | None:
    """The cluster of the enterprise's industry when exactly one exists (the usual pilot set-up)."""
    industry = industry_of(industry_code)
    ids = list(db_session().scalars(select(Cluster.id).where(Cluster.industry == industry)))
    return ids[0] if len(ids) == 1 else None


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = RegistrationForm(min_password=current_app.config["MIN_PASSWORD_LENGTH"])
    if form.validate_on_submit():
        db = db_session()
        if db.scalar(select(User.id).where(func.lower(User.username) == form.username.data.lower())):
            form.username.errors.append(_("This user name is taken; choose another."))
        if db.scalar(select(Enterprise.id).where(Enterprise.uscc == form.uscc.data)):
            form.uscc.errors.append(duplicate_uscc_message())
        if not form.username.errors and not form.uscc.errors:
            enterprise = Enterprise(uscc=form.uscc.data, cluster_id=_cluster_for(form.industry_code.data))
            form.apply_to(enterprise)
            db.add(enterprise)
            try:
                db.flush()
                user = User(username=form.username.data, password_hash=hash_password(form.password.data),
                            role=Role.ENTERPRISE, enterprise_id=enterprise.id,
                            display_name=form.contact_name.data or None,
                            locale=session.get(LANG_SESSION_KEY) or current_app.config["BABEL_DEFAULT_LOCALE"])
                db.add(user)
                db.flush()
                audit(db, "register", "enterprise", enterprise.id, user_id=user.id, uscc=enterprise.uscc)
                db.commit()
            except IntegrityError:  # a simultaneous registration took the code or the name
                db.rollback()
                form.uscc.errors.append(duplicate_uscc_message())
            else:
                _start_session(user)
                flash(_("Welcome! Your enterprise is registered. Start the self-assessment below."), "success")
                return redirect(url_for("enterprise.show", enterprise_id=enterprise.id))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/register.html", form=form), status


def _start_session(user: User, version: int | None = None) -> None:
    """A fresh session (no fixation) that expires after PERMANENT_SESSION_LIFETIME of inactivity.

    It records the account's session version; log-out and a password change bump it (see
    ``users.load_user``), which ends this session wherever its cookie has been copied.
    """
    lang = session.get(LANG_SESSION_KEY)
    session.clear()
    if lang:
        session[LANG_SESSION_KEY] = lang
    session.permanent = True
    session[SESSION_VERSION_KEY] = user.session_version if version is None else version
    login_user(SessionUser.of(user))


def _locked_message(minutes: int) -> str:
    return _("This account is locked after repeated wrong passwords. Try again in %(minutes)d minute(s).",
             minutes=minutes)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log in; every path through here costs one password check, so answers take the same time."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    error: str | None = None
    status = 200
    if form.validate_on_submit():
        limits = throttle.Limits.of(current_app.config)
        address = request.remote_addr or "?"
        name = form.username.data.strip()
        db = db_session()
        if throttle.address_is_busy(db, address, limits):
            time.sleep(limits.address_delay)  # many failures from this network: slow every try down
        user = db.scalar(select(User).where(User.username == name))
        wait = throttle.pair_wait(db, name, address, limits)
        minutes = throttle.locked_for(db, user, name)
        good = verify_password(user.password_hash if user else _DUMMY_HASH, form.password.data)
        if minutes:
            error, status = _locked_message(minutes), 429
        elif wait:
            error = _("Too many failed log-ins for this account from your network. Try again in %(minutes)d "
                      "minute(s).", minutes=max(1, -(-wait // 60)))
            status = 429
        elif user is not None and user.active and good:
            throttle.record_success(db, user, address)
            audit(db, "login", "user", user.id, user_id=user.id)
            db.commit()
            db.refresh(user)
            _start_session(user)
            return redirect(safe_next(form.next.data) or home_for(current_user))
        else:
            locked = throttle.record_failure(db, user, name, address, limits)
            if locked:
                if user is not None:
                    audit(db, "locked", "user", user.id, user_id=user.id, address=address)
                error, status = _locked_message(limits.lock_minutes), 429
            else:
                error, status = _("Wrong user name or password."), 401
            db.commit()
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """End the session here and everywhere its cookie may have been copied (the version is bumped)."""
    if ButtonForm().validate_on_submit():
        end_all_sessions(current_user.id)
        db_session().commit()
        logout_user()
        lang = session.get(LANG_SESSION_KEY)
        session.clear()
        if lang:
            session[LANG_SESSION_KEY] = lang
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Every user may change their own password; other sessions of the account end, this one goes on."""
    form = PasswordChangeForm(username=current_user.username, min_password=current_app.config["MIN_PASSWORD_LENGTH"])
    db = db_session()
    if form.validate_on_submit():
        user = db.get(User, current_user.id)
        if user is None or not verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            user.password_hash = hash_password(form.password.data)
            version = end_all_sessions(user.id)
            audit(db, "password_change", "user", user.id, user_id=user.id)
            db.commit()
            _start_session(user, version)
            flash(_("Your password is changed. Other devices must log in again."), "success")
            return redirect(home_for(current_user))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/password.html", form=form), status
