"""The live socket: one per open page of a signed-in user. It only pushes; everything a user writes goes by HTTP."""

import queue
from contextlib import suppress
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from flask_sock import Sock

from app import clock
from app.auth.sessions import signed_in_user
from app.db import db
from app.inbox.live import channels_for

bp = Blueprint("live", __name__)
sock = Sock()

WAIT_SECONDS = 5
RECHECK_SESSION_EVERY = timedelta(minutes=5)
BATCH_MAX = 20


@bp.before_request
def refuse_foreign_or_anonymous():
    """Cross-site WebSocket hijacking: only pages of this site may open a socket, and only when signed in."""
    if request.headers.get("Origin") not in allowed_origins():
        abort(403)
    if not current_user.is_authenticated:
        abort(401)


def allowed_origins() -> set[str]:
    base = urlsplit(current_app.config["PORCH_BASE_URL"])
    return {f"{base.scheme}://{base.netloc}", request.host_url.rstrip("/")}


@sock.route("/live", bp=bp)
def live(ws):
    user = current_user._get_current_object()
    channels = channels_for(user, request.args.get("topics", "").split(","))
    recheck_at = clock.now() + RECHECK_SESSION_EVERY
    with current_app.extensions["porch.hub"].listening(channels) as inbox:
        # Listening from here on; the badges as they are now catch up a page whose socket was down.
        ws.send(render_template("inbox/live/badges.html", viewer=user, live=True))
        db.session.close()  # a socket may stay open for hours: don't hold a database connection meanwhile
        while ws.connected:
            with suppress(queue.Empty):
                ws.send(_together(inbox.get(timeout=WAIT_SECONDS), inbox))
            if clock.now() >= recheck_at:
                if signed_in_user(request) is None:
                    break  # signed out elsewhere, or disabled
                db.session.close()
                recheck_at = clock.now() + RECHECK_SESSION_EVERY


def _together(first: str, inbox: queue.Queue) -> str:
    """One frame for the fragments already waiting (a message and its badge are published back to back)."""
    waiting = [first]
    with suppress(queue.Empty):
        while len(waiting) < BATCH_MAX:
            waiting.append(inbox.get_nowait())
    return "".join(waiting)
