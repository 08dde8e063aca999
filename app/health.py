"""/healthz: the process answers. /readyz: what it depends on answers too."""

from flask import Blueprint, current_app
from sqlalchemy import text

from app.db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    down = []
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        down.append("database")
    queue = current_app.extensions["porch.queue"]
    if hasattr(queue, "redis"):
        try:
            queue.redis.ping()
        except Exception:
            down.append("redis")
    if down:
        return {"status": "unavailable", "down": down}, 503
    return {"status": "ok"}
