"""What is asked of the site itself rather than of a page: /healthz (the process answers), /readyz (what it
depends on answers too) and /favicon.ico (asked by browsers whatever the page's <link rel="icon"> says)."""

from flask import Blueprint, current_app, send_from_directory
from sqlalchemy import text

from app.db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


FAVICON_MAX_AGE = 30 * 24 * 3600


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml",
                               max_age=FAVICON_MAX_AGE)


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
