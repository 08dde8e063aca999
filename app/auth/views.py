from collections.abc import Callable

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.audit.trail import record
from app.auth.access import ask_to_sign_in  # noqa: F401  (registers the handler)
from app.auth.forms import CodeForm, ForgotPasswordForm, LoginForm, NewPasswordForm
from app.auth.lockout import LockedOut, count_sign_in_try, forgive_sign_in_tries
from app.auth.mfa import TooManyCodes, challenge_for, code_accepted, end_challenge, start_challenge
from app.auth.models import User
from app.auth.resets import LinkProblem, complete_password_reset, request_password_reset, reset_for
from app.auth.sessions import authenticate, sign_in, sign_out, signed_in_user
from app.branding.brand import brand_of, remember_practice
from app.db import db
from app.extensions import limiter, login_manager
from app.pages import render, safe_next, see_other

bp = Blueprint("auth", __name__)
login_manager.request_loader(signed_in_user)

# Per network address, across both login URLs: high enough for a practice's staff behind one NAT;
# guessing one account is slowed by its own count of failures (app.auth.lockout).
SIGN_IN_LIMIT_PER_ADDRESS = "30 per minute;300 per hour"
RESET_LIMIT = "5 per minute;30 per hour"
CHALLENGE = "sign_in_challenge"  # the session key of a sign-in waiting for its code


def home_for(user) -> str:
    return url_for("portal.home") if user.is_client else url_for("clients.index")


@bp.get("/")
def index():
    return redirect(home_for(current_user) if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@bp.route("/portal/login", methods=["GET", "POST"], endpoint="portal_login")
@limiter.shared_limit(SIGN_IN_LIMIT_PER_ADDRESS, scope="sign-in", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if not form.validate_on_submit():
        return render("auth/login.html", form=form, http_status=422 if form.is_submitted() else 200)
    try:
        count_sign_in_try(form.email.data)
    except LockedOut as lockout:
        form.password.errors.append(str(lockout))
        response = render("auth/login.html", form=form, http_status=429)
        response.headers["Retry-After"] = str(lockout.retry_after)
        return response
    user, password_ok = authenticate(form.email.data, form.password.data)
    if not (password_ok and user.is_active):
        record("login.failed", workspace_id=user.workspace_id if user else None,
               actor_user_id=user.id if user else None)
        db.session.commit()
        form.password.errors.append(
            "Your portal access is turned off. Contact your practice to turn it back on."
            if password_ok else "That e-mail address and password don't match an account.")
        return render("auth/login.html", form=form, http_status=422)
    forgive_sign_in_tries(form.email.data)
    if user.uses_mfa:
        session[CHALLENGE] = start_challenge(user)
        db.session.commit()
        return see_other(url_for("auth.sign_in_code", next=safe_next(request.args.get("next"))))
    return finish_sign_in(user)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.shared_limit(SIGN_IN_LIMIT_PER_ADDRESS, scope="sign-in", methods=["POST"])
def sign_in_code():
    """The second step: the session is not signed in until a code from the app (or a recovery code) is right."""
    challenge = challenge_for(session.get(CHALLENGE))
    if challenge is None:
        flash("Signing in took too long, so it started over. Enter your e-mail address and password again.")
        return see_other(url_for("auth.login", next=safe_next(request.args.get("next"))))
    user, form = db.session.get(User, challenge.user_id), CodeForm()
    if not form.validate_on_submit():
        return render("auth/sign_in_code.html", form=form, http_status=422 if form.is_submitted() else 200)
    try:
        accepted = code_accepted(user, form.code.data)
    except TooManyCodes as too_many:
        form.code.errors.append(str(too_many))
        response = render("auth/sign_in_code.html", form=form, http_status=429)
        response.headers["Retry-After"] = str(too_many.retry_after)
        return response
    if not (accepted and user.is_active):
        record("login.code_failed", workspace_id=user.workspace_id, actor_user_id=user.id)
        db.session.commit()
        form.code.errors.append("That code isn't right. Use the newest code your app shows, or a recovery code "
                                "you haven't used yet.")
        return render("auth/sign_in_code.html", form=form, http_status=422)
    end_challenge(challenge)
    return finish_sign_in(user)


def finish_sign_in(user: User):
    sign_in(user)
    record("login", workspace_id=user.workspace_id, actor_user_id=user.id)
    db.session.commit()
    return see_other(safe_next(request.args.get("next")) or home_for(user))


@bp.post("/logout")
def logout():
    workspace_id = current_user.workspace_id if current_user.is_authenticated else None
    sign_out()
    if workspace_id is not None:
        remember_practice(workspace_id)
    db.session.commit()
    return see_other(url_for("auth.login"))


@bp.get("/login/help")
def login_help():
    return render("auth/login_help.html")


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(RESET_LIMIT, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render("auth/forgot_password.html", form=form, http_status=422 if form.is_submitted() else 200)
    request_password_reset(form.email.data)
    db.session.commit()
    return see_other(url_for("auth.reset_sent"))


@bp.get("/password/forgot/sent")
def reset_sent():
    return render("auth/reset_sent.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(RESET_LIMIT, methods=["POST"])
def reset_password(token: str):
    try:
        reset, user = reset_for(token)
    except LinkProblem as problem:
        return render("auth/link_problem.html", message=str(problem), http_status=problem.status)
    form = NewPasswordForm()
    form.account_email = user.email
    if not form.validate_on_submit():
        return render("auth/reset_password.html", form=form, http_status=422 if form.is_submitted() else 200)
    try:
        complete_password_reset(reset, user, form.password.data)
    except LinkProblem as problem:
        db.session.rollback()
        return render("auth/link_problem.html", message=str(problem), http_status=problem.status)
    sign_in(user)
    record("password.reset", workspace_id=user.workspace_id, actor_user_id=user.id)
    db.session.commit()
    return see_other(home_for(user))


def invite_link_page(token: str, *, find: Callable, accept: Callable, page: str, ready: str, login_endpoint: str,
                     home: Callable[[User], str]):
    """The page behind an invite link (a client's or a colleague's): choose a password, get a login, signed in.

    `find(token)` and `accept(invite, password)` raise LinkProblem for a link that can't be used; when a second
    post of the same form made the login meanwhile, the person is sent to sign in with `ready` as the notice.
    """
    try:
        invite = find(token)
    except LinkProblem as problem:
        return render("auth/link_problem.html", message=str(problem), http_status=problem.status)
    form = NewPasswordForm()
    form.account_email = invite.email
    if not form.validate_on_submit():
        return render(page, form=form, invite=invite, workspace=invite.workspace, brand=brand_of(invite.workspace),
                      http_status=422 if form.is_submitted() else 200)
    try:
        user = accept(invite, form.password.data)
        sign_in(user)
        db.session.commit()
    except LinkProblem as problem:
        db.session.rollback()
        return render("auth/link_problem.html", message=str(problem), http_status=problem.status)
    except IntegrityError:
        db.session.rollback()
        flash(ready)
        return see_other(url_for(login_endpoint))
    return see_other(home(user))
