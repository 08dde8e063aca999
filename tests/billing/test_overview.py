"""Practice → Billing: due and overdue per currency, what came in each month where the practice is, open invoices."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from app import clock
from app.billing import service
from app.billing.models import Invoice
from app.billing.overview import month_starts, owed_by_currency, received_by_month
from app.billing.policy import may_see_practice_billing
from app.billing.service import Line
from app.billing.test_mode import TestModeProcessor
from app.db import db
from tests.billing.test_service import saved_card
from tests.conftest import counting_queries, make_client, make_portal_account

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in New York, where the practice is
TODAY = date(2026, 12, 3)


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(NOW)


def invoice(client, cents=9500, due_on=date(2026, 12, 17), sent=True, issued_on=date(2026, 10, 1)) -> Invoice:
    made = service.create_invoice(client, "USD", issued_on, due_on, [Line("Individual session", 1, cents)])
    if sent:
        service.send_invoice(made)
    db.session.commit()
    return made


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.mark.parametrize("role, may", [("owner", True), ("admin", True), ("carlos", False), ("priya", False)])
def test_it_lets_owners_and_admins_see_the_practices_money(practice, role, may):
    assert may_see_practice_billing(getattr(practice, role)) is may


def test_it_keeps_a_client_out_of_the_practices_money(practice):
    account = make_portal_account(practice.aisha)
    assert may_see_practice_billing(account) is False


def test_it_shows_what_is_due_and_overdue_across_clients(practice, outsider, as_user):
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com")
    invoice(practice.aisha, 9500)  # due in two weeks
    late = invoice(ben, 5000, due_on=date(2026, 11, 30))
    service.record_outside_payment(late, "cash", 2000, "cash-1")
    invoice(ben, 7000, due_on=date(2026, 11, 25))
    invoice(practice.aisha, 1234, sent=False)  # a draft is not owed yet
    service.void_invoice(invoice(practice.aisha, 4321))
    service.record_outside_payment(invoice(ben, 800), "cash", 800, "cash-2")  # paid
    invoice(outsider.client, 99_999)
    db.session.commit()

    owed = owed_by_currency(practice.workspace.id, TODAY)
    assert [(o.currency, o.due_cents, o.overdue_cents, o.open_invoices, o.overdue_invoices) for o in owed] == [
        ("USD", 9500, 10_000, 3, 2)]
    page = text_of(as_user(practice.admin).get("/billing"))
    assert "USD $95.00 $100.00 2 overdue 3" in page


def test_it_sums_each_currency_on_its_own(practice):
    invoice(practice.aisha, 9500)
    other = invoice(practice.aisha, 3000, due_on=date(2026, 11, 1))
    other.currency = "CAD"  # an invoice from before the practice changed currency
    db.session.commit()
    owed = owed_by_currency(practice.workspace.id, TODAY)
    assert [(o.currency, o.due_cents, o.overdue_cents) for o in owed] == [("CAD", 0, 3000), ("USD", 9500, 0)]


def test_it_counts_money_in_the_month_it_was_where_the_practice_is(practice, visitor):
    processor = TestModeProcessor()
    clock.freeze(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))  # still 30 November in New York
    service.record_outside_payment(invoice(practice.aisha, 5000), "bank_transfer", 5000, "bank-1")
    db.session.commit()
    clock.freeze(datetime(2025, 12, 15, 12, 0, tzinfo=UTC))  # a year ago: not among the last twelve months
    service.record_outside_payment(invoice(practice.aisha, 700), "cash", 700, "cash-old")
    db.session.commit()
    clock.freeze(NOW)
    card = saved_card(practice, processor, visitor)
    paid = service.pay_by_card(invoice(practice.aisha), card, processor, "pay-1", "/portal/billing")
    service.refund_payment(paid, processor, 2500, "refund-1")

    months = received_by_month(practice.workspace)
    assert [m.label for m in months][:2] == ["December 2026", "November 2026"]
    assert len(months) == 12 and months[-1].label == "January 2026"
    assert (months[0].received, months[0].refunded) == ({"USD": 9500}, {"USD": 2500})
    assert (months[1].received, months[1].refunded) == ({"USD": 5000}, {})
    assert all(not m.received and not m.refunded for m in months[2:])


def test_it_starts_each_month_at_local_midnight():
    starts = month_starts("America/New_York", NOW, count=2)
    assert starts == [datetime(2026, 11, 1, 4, 0, tzinfo=UTC), datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
                      datetime(2027, 1, 1, 5, 0, tzinfo=UTC)]


def test_it_lists_open_invoices_due_first_a_page_at_a_time(practice, as_user):
    for n in range(30):
        invoice(practice.aisha, 1000 + n, due_on=date(2026, 12, 1) + timedelta(days=n))
    admin = as_user(practice.admin)
    first = admin.get("/billing")
    assert first.status_code == 200
    rows = re.findall(r"INV-\d+", first.get_data(as_text=True))
    assert len(rows) == 25 and rows[0] == "INV-00001"
    assert "Overdue" in text_of(first) and "Due" in text_of(first)
    after = re.search(r'href="(/billing\?after=[^"]+)" hx-get', first.get_data(as_text=True)).group(1)
    second = admin.get(after.replace("&amp;", "&"), htmx=True)
    body = second.get_data(as_text=True)
    assert body.lstrip().startswith("<") and "<html" not in body and 'id="open-invoices"' in body
    assert re.findall(r"INV-\d+", body) == [f"INV-{n:05d}" for n in range(26, 31)]


def test_it_asks_the_same_number_of_queries_for_3_or_60_invoices(practice, as_user):
    admin = as_user(practice.admin)
    clients = [make_client(practice.workspace, f"Client{n}", "Test", f"c{n}@example.com") for n in range(6)]

    def queries_with(count: int) -> int:
        while db.session.query(Invoice).count() < count:
            made = invoice(clients[db.session.query(Invoice).count() % len(clients)],
                           due_on=date(2026, 11, 1) + timedelta(days=db.session.query(Invoice).count()))
            service.record_outside_payment(made, "cash", 1000, f"cash-{made.id}")
            db.session.commit()
        admin.get("/billing")
        with counting_queries() as statements:
            assert admin.get("/billing").status_code == 200
        return len(statements)

    assert queries_with(3) == queries_with(60)


def test_it_is_linked_from_the_staff_navigation_only_for_those_who_may_see_it(practice, as_user):
    assert 'href="/billing"' in as_user(practice.owner).get("/clients").get_data(as_text=True)
    carlos = as_user(practice.carlos)
    assert 'href="/billing"' not in carlos.get("/clients").get_data(as_text=True)
    assert carlos.get("/billing").status_code == 403


def test_it_is_not_found_for_a_client_and_asks_a_stranger_to_sign_in(practice, as_user, visitor):
    assert as_user(make_portal_account(practice.aisha)).get("/billing").status_code == 404
    response = visitor.get("/billing")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_it_shows_another_practices_invoices_to_nobody(practice, outsider, as_user):
    invoice(outsider.client, 4242)
    page = as_user(practice.owner).get("/billing").get_data(as_text=True)
    assert "Olu" not in page and "$42.42" not in page and "No open invoices." in page
