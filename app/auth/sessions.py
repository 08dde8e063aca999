"""Signing in and out. Each sign-in is a row (a device); the cookie carries only a random token."""

from datetime import timedelta

from flask import current_app, g, request, session
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from app import clock
from app.auth.models import User, UserSession
from app.auth.passwords import hash_password, needs_rehash, verify_password
from app.auth.tokens import digest, new_token
from app.clients.models import Client
from app.db import db, prepared
from app.realtime import publish
from app.tenancy import Workspace

LAST_SEEN_RESOLUTION = timedelta(minutes=1)
SESSIONS_ENDED = "sessions-ended"
# An open page's live socket re-checks its session now and then; that is not activity, or no tab left open
# would ever be signed out for being idle.
SILENT_ENDPOINTS = frozenset({"live.live"})
# Whether the user had signed in before this session began: asked once when it begins, kept in the signed
# cookie, so the portal home doesn't ask the database again on every visit.
RETURNING = "returning"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> tuple[User | None, bool]:
    """(the user the address belongs to, whether the password is right and the account may sign in)."""
    user = find_user(email)
    ok = verify_password(user.password_hash if user else None, password)
    if ok and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user, ok and user is not None and user.is_active


def sign_in(user: User) -> None:
    """Start a fresh session: nothing from before the sign-in survives (no fixation), CSRF token included."""
    session.clear()
    token, token_hash = new_token()
    now = clock.now()
    session[RETURNING] = db.session.scalar(select(UserSession.id).where(UserSession.user_id == user.id)
                                           .limit(1)) is not None
    db.session.add(UserSession(
        user_id=user.id, token_hash=token_hash, created_at=now, last_seen_at=now,
        user_agent=request.user_agent.string[:200], ip_address=request.remote_addr,
    ))
    user.last_seen_at = now
    session["sid"] = token


def sign_out() -> None:
    token = session.get("sid")
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == digest(token),
                                                      UserSession.ended_at.is_(None))) if token else None
    if row is not None:
        end_session(row)
    session.clear()


def end_session(row: UserSession) -> None:
    """Sign one device out; its open pages' live sockets close once the transaction commits."""
    row.ended_at = clock.now()
    publish(sessions_channel(row.user_id), SESSIONS_ENDED)


def end_other_sessions_of(user: User) -> None:
    """Sign every device of `user` out but this one (a password change, "sign out all other devices")."""
    current = current_session()
    db.session.execute(update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None),
        UserSession.id != (current.id if current is not None else -1)).values(ended_at=clock.now()))
    publish(sessions_channel(user.id), SESSIONS_ENDED)


def current_session() -> UserSession | None:
    """This device's session row, while it is live, with what every page then shows of the user: the client
    record and the practice with its branding (the page chrome), in the one query."""
    token = session.get("sid")
    if not token:
        return None
    return db.session.scalar(_live_session(), {"token_hash": digest(token)})


@prepared
def _live_session():
    # Encrypted columns no page chrome shows wait until a page asks for them: no decrypting on every request.
    user = joinedload(UserSession.user).defer(User.phone).defer(User.totp_secret)
    return (select(UserSession)
            .options(user.joinedload(User.client).defer(Client.phone).defer(Client.birth_date),
                     user.joinedload(User.workspace).joinedload(Workspace.branding))
            .where(UserSession.token_hash == bindparam("token_hash"), UserSession.ended_at.is_(None)))


def idle_limit(user: User) -> timedelta:
    """How long a session of `user` may go without a request (PORCH_CLIENT_IDLE_MINUTES / PORCH_STAFF_IDLE_MINUTES)."""
    setting = "PORCH_CLIENT_IDLE_MINUTES" if user.is_client else "PORCH_STAFF_IDLE_MINUTES"
    return timedelta(minutes=current_app.config[setting])


def end_sessions_of(user: User) -> None:
    """Sign every device of `user` out (password reset, portal disabled, staff deactivated), live sockets included."""
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                       .values(ended_at=clock.now()))
    publish(sessions_channel(user.id), SESSIONS_ENDED)


def signed_in_before(user: User) -> bool:
    """Whether `user` had a session before this one: a first visit is welcomed, a later one welcomed back."""
    token = session.get("sid")
    if token and isinstance(session.get(RETURNING), bool):
        return session[RETURNING]  # noted when this session began
    known = g.get("live_session")
    if token and known and known[0] == digest(token):
        current = known[1]  # this request's own session, as the request loader found it
    else:
        current = token and db.session.scalar(select(UserSession.id).where(UserSession.token_hash == digest(token)))
    earlier = select(UserSession.id).where(UserSession.user_id == user.id)
    if current:
        earlier = earlier.where(UserSession.id < current)
    return db.session.scalar(earlier.limit(1)) is not None


def sessions_channel(user_id: int) -> str:
    """Where a user's live sockets hear that some of the user's sessions ended; each then re-checks its own."""
    return f"user:{user_id}:sessions"


def signed_in_user(_request) -> User | None:
    """flask-login's request loader: the user behind this cookie's session, if it is still live.

    A session left idle past its limit ends here; `g.idle_minutes` tells the sign-in page why.
    """
    row = current_session()
    if row is None:
        session.pop("sid", None)
        return None
    now = clock.now()
    limit = idle_limit(row.user)
    if now - row.last_seen_at > limit:
        end_session(row)
        db.session.commit()
        g.idle_minutes = int(limit.total_seconds() // 60)
        session.pop("sid", None)
        return None
    if not row.user.is_active:
        session.pop("sid", None)
        return None
    g.live_session = (row.token_hash, row.id)  # read before any commit expires the row
    if now - row.last_seen_at > LAST_SEEN_RESOLUTION and request.endpoint not in SILENT_ENDPOINTS:
        row.last_seen_at = row.user.last_seen_at = now
        db.session.commit()
    return row.user
