"""Settings → Billing: the practice's currency and how its amounts are written, wherever staff and clients see them."""

from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.billing import service
from app.db import db
from app.formatting import money
from tests.conftest import make_portal_account


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_it_lets_an_owner_choose_the_currency_and_the_way_amounts_are_written(practice, as_user):
    owner = as_user(practice.owner)
    page = owner.get("/settings/billing")
    assert page.status_code == 200
    assert "English (United States): $95.00" in text_of(page)
    response = owner.post("/settings/billing", {"currency": "EUR", "locale": "de_DE"})
    assert response.status_code == 303
    db.session.refresh(practice.workspace)
    assert (practice.workspace.currency, practice.workspace.locale) == ("EUR", "de_DE")
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "settings.billing_changed")) == \
        "EUR de_DE"


@pytest.mark.parametrize("fields", [{"currency": "XYZ", "locale": "en_GB"}, {"currency": "GBP", "locale": "xx_YY"},
                                    {"currency": "GBP", "locale": ""}])
def test_it_refuses_what_is_not_in_the_lists_and_changes_nothing(practice, as_user, fields):
    response = as_user(practice.owner).post("/settings/billing", fields)
    assert response.status_code == 422
    assert "Choose one of the" in text_of(response)
    db.session.refresh(practice.workspace)
    assert (practice.workspace.currency, practice.workspace.locale) == ("USD", "en_US")


def test_it_forbids_a_practitioner(practice, as_user):
    carlos = as_user(practice.carlos)
    assert carlos.get("/settings/billing").status_code == 403
    assert carlos.post("/settings/billing", {"currency": "EUR", "locale": "de_DE"}).status_code == 403
    db.session.refresh(practice.workspace)
    assert practice.workspace.locale == "en_US"


def test_staff_and_clients_see_amounts_written_the_practices_way(practice, as_user):
    practice.workspace.currency, practice.workspace.locale = "EUR", "de_DE"
    make_portal_account(practice.aisha)
    invoice = service.create_invoice(practice.aisha, "EUR", date.today(), date.today() + timedelta(days=14),
                                     [service.Line("Individual session", 1, 9500)])
    service.send_invoice(invoice)
    db.session.commit()
    written = money(9500, "EUR", "de_DE")
    assert written == "95,00\xa0€"
    staff_page = as_user(practice.carlos).get(f"/clients/{practice.aisha.id}/invoices/{invoice.id}")
    assert staff_page.status_code == 200 and written in text_of(staff_page)
    portal_page = as_user(practice.aisha.account).get(f"/portal/billing/{invoice.id}")
    assert portal_page.status_code == 200 and written in text_of(portal_page)
