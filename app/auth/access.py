"""Who may open which side of Porch: staff pages and the client portal."""

from functools import wraps

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_login import current_user

from app.extensions import login_manager
from app.pages import wants_fragment


def staff_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_staff:
            abort(404)
        return view(*args, **kwargs)

    return guarded


def client_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_client:
            abort(404)
        return view(*args, **kwargs)

    return guarded


@login_manager.unauthorized_handler
def ask_to_sign_in():
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if "idle_minutes" in g:
        flash(f"You were signed out after {idle_time(g.idle_minutes)} without activity, to keep your account safe "
              "on a shared or lost device. Sign in again to carry on where you were.")
    response = make_response("", 401, {"HX-Redirect": login_url}) if wants_fragment() else redirect(login_url)
    response.vary.add("HX-Request")
    return response


def idle_time(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'' if hours == 1 else 's'}"
    return f"{minutes} minute{'' if minutes == 1 else 's'}"
