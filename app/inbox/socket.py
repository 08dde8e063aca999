"""The live socket: one per open page of a signed-in user. It only pushes; everything a user writes goes by HTTP."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from flask_sock import Sock

from app import clock
from app.auth.sessions import sessions_channel, signed_in_user
from app.db import db
from app.inbox.live import channels_for
from app.realtime import Listener, text_frame

bp = Blueprint("live", __name__)
sock = Sock()

WAIT_SECONDS = 5
RECHECK_SESSION_EVERY = timedelta(minutes=5)
SIGNED_OUT_CLOSE_CODE = 1008  # policy violation: htmx does not reconnect, and the page's polls meet the login page
CATCH_UP_CLOSE_CODE = 1012  # service restart: htmx reconnects, and the page asks for what it missed (live.js)


@bp.before_request
def refuse_foreign_or_anonymous():
    """Cross-site WebSocket hijacking: only pages of this site may open a socket, and only when signed in."""
    if request.headers.get("Origin") not in allowed_origins():
        abort(403)
    if not current_user.is_authenticated:
        abort(401)


@bp.before_request
def refuse_while_paused():
    """While this process can't hear the others (Redis is down) a socket would miss updates: refuse it, so that
    the page keeps polling, and htmx tries again later, each time waiting longer."""
    if not current_app.extensions["porch.hub"].is_live():
        abort(503)


def allowed_origins() -> set[str]:
    base = urlsplit(current_app.config["PORCH_BASE_URL"])
    return {f"{base.scheme}://{base.netloc}", request.host_url.rstrip("/")}


@sock.route("/live", bp=bp)
def live(ws):
    user = current_user._get_current_object()
    channels = channels_for(user, request.args.get("topics", "").split(","))
    signed_out = sessions_channel(user.id)
    recheck_at = clock.now() + RECHECK_SESSION_EVERY
    hub = current_app.extensions["porch.hub"]
    with hub.listening([*channels, signed_out], ws.sock, alerts=[signed_out]) as listener:
        ws.sock = _WritesInLine(ws.sock, listener)
        # Listening from here on: a sign-out from now on reaches this socket; one just before is caught here.
        if signed_in_user(request) is None:
            _close_signed_out(ws, listener)
            return
        # The badges as they are now catch up a page whose socket was down.
        listener.send(text_frame(render_template("inbox/live/badges.html", viewer=user, live=True)))
        db.session.close()  # a socket may stay open for hours: don't hold a database connection meanwhile
        while ws.connected:
            listener.wait(WAIT_SECONDS)  # the hub writes the frames; this writes those the socket could not take
            if listener.missed:
                listener.stopped = True
                ws.close(CATCH_UP_CLOSE_CODE, "Catch up")
                return
            if listener.alerted or clock.now() >= recheck_at:
                if signed_in_user(request) is None:
                    _close_signed_out(ws, listener)  # the page falls back to polling
                    return
                db.session.close()
                listener.alerted = False
                listener.flush()  # what waited while it looked
                recheck_at = clock.now() + RECHECK_SESSION_EVERY


def _close_signed_out(ws, listener: Listener) -> None:
    listener.stopped = True  # nothing after the close frame
    ws.close(SIGNED_OUT_CLOSE_CODE, "Signed out")


class _WritesInLine:
    """simple-websocket's socket, with its own writes (pings, pongs, the close) put in line behind the hub's frames."""

    def __init__(self, sock, listener: Listener):
        self._sock = sock
        self._listener = listener

    def send(self, data: bytes) -> int:
        return self._listener.send(data)

    def close(self) -> None:
        self._listener.stopped = True
        self._sock.close()

    def __getattr__(self, name: str):
        return getattr(self._sock, name)
