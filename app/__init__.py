"""Porch: a self-hostable client portal for health and wellness practices."""

import os
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from app import compression, formatting, mail, pages, queue, realtime, security
from app.config import load_settings
from app.db import db as database
from app.extensions import csrf, limiter, login_manager, migrate
from app.logs import configure_logging

LARGEST_ROW_ID = 2**31 - 1  # PostgreSQL's integer; SQLite overflows only past 2**63, but one rule for both


def numbers_up_to(largest: int) -> str:
    """A regex that matches the decimal numbers 0..largest and no others."""
    digits = str(largest)
    shorter = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    same_length = [digits[:i] + f"[0-{int(digit) - 1}]" + rf"\d{{{len(digits) - i - 1}}}"
                   for i, digit in enumerate(digits) if digit != "0"]
    return "|".join([*shorter, *same_length, digits])


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every route: an id no row can have doesn't even match the path, so it is a 404 (not a 500
    from the database, nor the 405 a sibling route with another method would give if only to_python refused it)."""

    regex = numbers_up_to(LARGEST_ROW_ID)

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_ROW_ID)
        super().__init__(map, *args, **kwargs)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("PORCH_INSTANCE_PATH") or None,
                instance_relative_config=True)
    app.config.update(load_settings(dict(os.environ), Path(app.instance_path)))
    app.config.update(overrides or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure_logging()

    compression.init_app(app)  # first: its after_request then runs last, on the finished response
    database.init_app(app)
    migrate.init_app(app, database, directory=str(Path(__file__).parent.parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)
    queue.init_app(app)
    realtime.init_app(app)
    security.init_app(app)
    formatting.init_app(app)
    app.url_map.converters["int"] = RowIdConverter
    _register_blueprints(app)
    _register_commands(app)
    _register_page_context(app)
    pages.remember_links(app)
    return app


def _register_page_context(app: Flask) -> None:
    from flask import has_request_context
    from flask_login import current_user

    from app.billing.policy import may_see_practice_billing
    from app.branding.brand import brand_context
    from app.settings.policy import may_change_workspace_settings

    @app.context_processor
    def page_chrome() -> dict:
        if not has_request_context():
            return {}  # e-mails rendered by jobs carry their own branding
        return {
            **brand_context(),
            "may_change_settings": current_user.is_authenticated and may_change_workspace_settings(current_user),
            "may_see_billing": current_user.is_authenticated and may_see_practice_billing(current_user),
            "show_outbox": "dev" in app.blueprints,
        }


def _register_blueprints(app: Flask) -> None:
    from app.account.views import bp as my_account
    from app.activity.views import bp as activity
    from app.appointments.booking_portal import bp as portal_booking
    from app.appointments.portal import bp as portal_appointments
    from app.appointments.practice_setup import bp as practice_setup
    from app.appointments.requests import bp as booking_requests
    from app.appointments.views import bp as appointments
    from app.audit.portal import bp as portal_record_views
    from app.audit.views import bp as audit
    from app.auth.views import bp as auth
    from app.billing.overview import bp as billing_overview
    from app.billing.portal import bp as portal_billing
    from app.billing.test_mode import bp as test_processor
    from app.billing.views import bp as billing
    from app.billing.webhooks import bp as billing_webhooks
    from app.branding.views import bp as branding
    from app.calendar.views import bp as calendar
    from app.clients.views import bp as clients
    from app.documents.portal import bp as portal_documents
    from app.documents.tus import bp as document_uploads
    from app.documents.views import bp as documents
    from app.errors import bp as errors
    from app.exports.portal import bp as portal_export
    from app.forms.portal import bp as portal_forms
    from app.forms.views import bp as forms
    from app.getting_started.views import bp as getting_started
    from app.health import bp as health
    from app.inbox.portal import bp as portal_messages
    from app.inbox.socket import bp as live
    from app.inbox.socket import sock
    from app.inbox.views import bp as inbox
    from app.portal.account import bp as account
    from app.portal.views import bp as portal
    from app.settings.views import bp as settings
    from app.team.views import bp as team

    for blueprint in (errors, health, auth, clients, portal, settings, inbox, portal_messages, account, live,
                      appointments, portal_appointments, forms, portal_forms, activity, documents, portal_documents,
                      document_uploads, team, my_account, branding, getting_started, audit, portal_record_views,
                      portal_export, test_processor, calendar, portal_billing, billing_webhooks, billing,
                      billing_overview, practice_setup, booking_requests, portal_booking):
        app.register_blueprint(blueprint)
    sock.init_app(app)
    if app.config["PORCH_ENV"] != "production":
        from app.dev.views import bp as dev

        app.register_blueprint(dev)


def _register_commands(app: Flask) -> None:
    from app.commands import porch

    app.cli.add_command(porch)


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
