"""A card typed in to pay an invoice is kept by the processor only: after paying over real HTTP, the number is in no
table of the database, no log line (every logger at DEBUG, SQL parameters included) and no e-mail."""

import logging
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text

from app import clock
from app.billing import service
from app.billing.models import Invoice
from app.db import db
from app.mail import OutboxEmail
from tests.conftest import PASSWORD, HttpVisitor, make_portal_account

TYPED = "4242 4242 4242 4242"
FORMS_OF_THE_NUMBER = (TYPED, TYPED.replace(" ", ""), "4242-4242-4242-4242")


@pytest.fixture
def every_log_line(caplog):
    names = ("", "werkzeug", "sqlalchemy.engine", "app", "jobs")
    levels = {name: logging.getLogger(name).level for name in names}
    disabled = [logger for logger in logging.root.manager.loggerDict.values()
                if isinstance(logger, logging.Logger) and logger.disabled]  # by the migrations' fileConfig
    for logger in disabled:
        logger.disabled = False
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield caplog
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for logger in disabled:
        logger.disabled = True


def database_dump() -> str:
    """Every row of every table, as text."""
    db.session.commit()
    lines = []
    for table in inspect(db.engine).get_table_names():
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
            lines.append(f"{table}: {tuple(row)!r}")
    return "\n".join(lines)


def test_it_keeps_the_card_number_out_of_the_database_the_logs_and_the_outbox(app, practice, served,
                                                                             every_log_line):
    make_portal_account(practice.aisha)
    today = clock.now().date()
    invoice = service.create_invoice(practice.aisha, "USD", today, today + timedelta(days=14),
                                     [service.Line("Individual session", 1, 9500)])
    service.send_invoice(invoice)
    db.session.commit()

    aisha = HttpVisitor(served)
    assert aisha.post("/login", {"email": practice.aisha.email, "password": PASSWORD})[0] == 200
    status, page, url = aisha.post(f"/portal/billing/{invoice.id}/pay", {"key": "a" * 32, "card": "new"})
    assert status == 200 and "/test-processor/cards/" in url and "Test mode" in page
    card_page = url.removeprefix(served)
    status, page, url = aisha.post(card_page, {"number": TYPED, "expiry": "12/39", "cvc": "123", "action": "save"})
    assert status == 200 and url == f"{served}/portal/billing/{invoice.id}", page
    assert "Thank you: your payment went through." in page
    db.session.expire_all()
    assert db.session.get(Invoice, invoice.id).paid_at is not None

    dump = database_dump()
    assert "Visa" in dump and "4242" in dump  # the label is kept: brand and last four digits
    logs = "\n".join(record.getMessage() + repr(getattr(record, "args", "")) for record in every_log_line.records)
    assert "POST /portal/billing" in logs  # the logs were listened to
    mail = "\n".join(f"{m.subject}\n{m.body_text}" for m in db.session.scalars(select(OutboxEmail)))
    for number in FORMS_OF_THE_NUMBER:
        assert number not in dump
        assert number not in logs
        assert number not in mail
