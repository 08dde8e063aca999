"""Account pages for clients and staff alike; each page wears the layout of the side the person belongs to."""

from flask import Blueprint, Response, abort, flash, g, redirect, request, url_for
from flask_login import current_user

from app.audit.trail import record
from app.auth.account import (
    ask_email_change,
    change_password,
    change_profile,
    confirm_email_change,
    devices_of,
    email_change_for,
    own_device_or_none,
    pending_email_change,
    profile_of,
    sign_out_device,
    sign_out_other_devices,
)
from app.auth.forms import (
    EmailChangeForm,
    NewRecoveryCodesForm,
    PasswordChangeForm,
    ProfileForm,
    TurnOffMfaForm,
    TurnOnMfaForm,
)
from app.auth.mfa import (
    TooManyCodes,
    app_code_accepted,
    are_current_recovery_codes,
    new_recovery_codes,
    provisioning_uri,
    qr_code_svg,
    secret_for_setup,
    spaced,
    turn_off,
    turn_on,
    unused_recovery_codes,
)
from app.auth.passwords import verify_password
from app.auth.policy import may_turn_off_mfa, must_set_up_mfa
from app.auth.resets import LinkProblem
from app.db import db
from app.extensions import login_manager
from app.form_base import ButtonForm
from app.pages import render, see_other, wants_fragment

bp = Blueprint("my_account", __name__, url_prefix="/account")

# What someone who must set up MFA first may still open: signing in and out, and setting it up.
OPEN_BEFORE_MFA = frozenset({"my_account.mfa_setup", "my_account.download_codes", "static"})
OPEN_BLUEPRINTS_BEFORE_MFA = frozenset({"auth", "errors", "health", "live"})


@bp.context_processor
def account_chrome() -> dict:
    if not current_user.is_authenticated:
        return {"account_layout": "base.html"}
    return {"account_layout": "portal/layout.html" if current_user.is_client else "staff/layout.html"}


@bp.before_app_request
def send_to_mfa_setup():
    """Staff of a practice that requires MFA go to set it up before any other page."""
    if request.endpoint in OPEN_BEFORE_MFA or request.blueprint in OPEN_BLUEPRINTS_BEFORE_MFA:
        return None
    if not current_user.is_authenticated:
        return None
    if not must_set_up_mfa(current_user):
        return None
    setup = url_for("my_account.mfa_setup")
    if wants_fragment():
        return Response("", 401, {"HX-Redirect": setup, "Vary": "HX-Request"})
    return redirect(setup, code=303)


def account_home() -> str:
    return url_for("account.index") if current_user.is_client else url_for("my_account.index")


@bp.before_request
def signed_in_only():
    """Every page here is the signed-in person's own, but the link that confirms a new address (it may be opened
    on another device)."""
    if request.endpoint != "my_account.confirm_email" and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def account_sections(page: int = 1, **forms) -> dict:
    """What the account page's sections show; both sides' Account pages include them."""
    user = current_user
    devices, more_devices = devices_of(user, page)
    return {
        "profile_form": forms.get("profile_form") or ProfileForm(data=profile_of(user)),
        "email_form": forms.get("email_form") or EmailChangeForm(formdata=None),
        "password_form": forms.get("password_form") or PasswordChangeForm(formdata=None),
        "codes_form": forms.get("codes_form") or NewRecoveryCodesForm(formdata=None),
        "off_form": forms.get("off_form") or TurnOffMfaForm(formdata=None),
        "pending_change": pending_email_change(user),
        "recovery_codes_left": unused_recovery_codes(user) if user.uses_mfa else 0,
        "may_turn_off_mfa": may_turn_off_mfa(user),
        "devices": devices, "devices_page": page, "more_devices": more_devices,
    }


@bp.get("")
def index():
    if current_user.is_client:
        return redirect(url_for("account.index"))
    return render("account/index.html", **account_sections(request.args.get("devices", 1, type=int) or 1))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    form = ProfileForm(data=profile_of(current_user))
    if not form.validate_on_submit():
        return render("account/profile.html", profile_form=form, http_status=422 if form.is_submitted() else 200)
    change_profile(current_user, preferred_name=form.preferred_name.data or "", phone=form.phone.data or "",
                   time_zone=form.time_zone.data)
    record("profile.changed", workspace_id=current_user.workspace_id, client_id=current_user.client_id)
    db.session.commit()
    flash("Profile saved.")
    return see_other(account_home())


@bp.route("/email", methods=["GET", "POST"])
def email():
    form = EmailChangeForm()
    valid = form.validate_on_submit()
    if valid and not verify_password(current_user.password_hash, form.email_password.data):
        form.email_password.errors.append("That isn't your current password.")
    elif valid and form.new_email.data.lower() == current_user.email:
        form.new_email.errors.append("That is the address you sign in with now.")
    elif valid:
        ask_email_change(current_user, form.new_email.data)
        record("email.change_asked", workspace_id=current_user.workspace_id, client_id=current_user.client_id)
        db.session.commit()
        flash("We sent a link to the new address. Open it to start signing in with that address; "
              "until then your current address stays in use.")
        return see_other(account_home())
    return render("account/email.html", email_form=form, http_status=422 if form.is_submitted() else 200)


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    try:
        change = email_change_for(token)
        if request.method == "GET":
            return render("account/confirm_email.html", form=ButtonForm(), new_email=change.new_email)
        if not ButtonForm().validate_on_submit():
            abort(400)
        user = confirm_email_change(change)
    except LinkProblem as problem:
        db.session.rollback()
        return render("auth/link_problem.html", message=str(problem), http_status=problem.status)
    record("email.changed", workspace_id=user.workspace_id, client_id=user.client_id, actor_user_id=user.id)
    db.session.commit()
    flash("Your sign-in address is changed: sign in with the new one from now on.")
    return see_other(account_home() if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    form = PasswordChangeForm()
    form.account_email = current_user.email
    valid = form.validate_on_submit()
    if valid and not verify_password(current_user.password_hash, form.current_password.data):
        form.current_password.errors.append("That isn't your current password.")
    elif valid:
        change_password(current_user, form.new_password.data)
        record("password.changed", workspace_id=current_user.workspace_id, client_id=current_user.client_id)
        db.session.commit()
        flash("Password changed. Every other device you were signed in on is signed out.")
        return see_other(account_home())
    return render("account/password.html", password_form=form, http_status=422 if form.is_submitted() else 200)


@bp.route("/mfa/setup", methods=["GET", "POST"])
def mfa_setup():
    if current_user.uses_mfa:
        return see_other(account_home())
    secret = secret_for_setup(current_user)
    db.session.commit()
    form = TurnOnMfaForm()
    page = {"form": form, "qr_code": qr_code_svg(provisioning_uri(current_user)), "secret": spaced(secret),
            "required": must_set_up_mfa(current_user)}
    if not form.validate_on_submit():
        return render("account/mfa_setup.html", **page, http_status=422 if form.is_submitted() else 200)
    try:
        codes = turn_on(current_user, form.code.data)
    except TooManyCodes as too_many:
        form.code.errors.append(str(too_many))
        return render("account/mfa_setup.html", **page, http_status=429)
    if codes is None:
        db.session.commit()
        form.code.errors.append("That code isn't right. Check that your phone's clock is right, and enter the "
                                "newest code the app shows.")
        return render("account/mfa_setup.html", **page, http_status=422)
    record("mfa.enabled", workspace_id=current_user.workspace_id, client_id=current_user.client_id)
    db.session.commit()
    return show_codes(codes, "Your authenticator app is set up")


@bp.post("/mfa/recovery-codes")
def new_codes():
    form = NewRecoveryCodesForm()
    if not current_user.uses_mfa:
        return see_other(account_home())
    valid = form.validate_on_submit()
    if valid and not app_code_accepted_or_error(form.codes_code):
        db.session.commit()
    elif valid:
        codes = new_recovery_codes(current_user)
        record("mfa.recovery_codes_renewed", workspace_id=current_user.workspace_id, client_id=current_user.client_id)
        db.session.commit()
        return show_codes(codes, "Your new recovery codes")
    return render("account/new_codes.html", codes_form=form, http_status=g.get("code_status", 422))


@bp.post("/mfa/recovery-codes.txt")
def download_codes():
    codes = request.form.getlist("code")
    if not ButtonForm().validate_on_submit() or not are_current_recovery_codes(current_user, codes):
        return render("account/codes_gone.html", http_status=410)
    text = "".join(f"{code}\n" for code in codes)
    body = (f"Recovery codes for {current_user.email} at {current_user.workspace.name}\n"
            f"Each works once, instead of a code from your authenticator app.\n\n{text}")
    return Response(body, mimetype="text/plain", headers={
        "Content-Disposition": 'attachment; filename="recovery-codes.txt"', "Cache-Control": "no-store"})


@bp.post("/mfa/off")
def mfa_off():
    form = TurnOffMfaForm()
    if not (current_user.uses_mfa and may_turn_off_mfa(current_user)):
        abort(403)
    valid = form.validate_on_submit()
    if valid and not verify_password(current_user.password_hash, form.off_password.data):
        form.off_password.errors.append("That isn't your current password.")
    elif valid and not app_code_accepted_or_error(form.off_code):
        db.session.commit()
    elif valid:
        turn_off(current_user)
        record("mfa.disabled", workspace_id=current_user.workspace_id, client_id=current_user.client_id)
        db.session.commit()
        flash("Two-step sign-in is off. You sign in with your password alone.")
        return see_other(account_home())
    return render("account/mfa_off.html", off_form=form, http_status=g.get("code_status", 422))


@bp.post("/devices/<int:device_id>/sign-out")
def sign_out_one(device_id: int):
    device = own_device_or_none(current_user, device_id)
    if device is None or not ButtonForm().validate_on_submit():
        abort(404)
    sign_out_device(device)
    record("device.signed_out", workspace_id=current_user.workspace_id, client_id=current_user.client_id)
    db.session.commit()
    flash("That device is signed out.")
    return see_other(account_home() + "#devices")


@bp.post("/devices/sign-out-others")
def sign_out_others():
    if not ButtonForm().validate_on_submit():
        abort(400)
    sign_out_other_devices(current_user)
    record("device.signed_out_all_others", workspace_id=current_user.workspace_id, client_id=current_user.client_id)
    db.session.commit()
    flash("Every other device is signed out.")
    return see_other(account_home() + "#devices")


def app_code_accepted_or_error(field) -> bool:
    try:
        if app_code_accepted(current_user, field.data):
            return True
        field.errors.append("That code isn't right. Enter the newest code your app shows.")
    except TooManyCodes as too_many:
        field.errors.append(str(too_many))
        g.code_status = 429
    return False


def show_codes(codes: list[str], title: str):
    """The codes, shown this once (they are stored only as hashes), with a download that posts them back."""
    return render("account/recovery_codes.html", codes=codes, title=title, form=ButtonForm(),
                  continue_to=url_for("auth.index") if current_user.is_staff else account_home())
