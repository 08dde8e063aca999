import re
from datetime import UTC, date, datetime, timedelta

from app import clock
from app.appointments.models import Appointment
from app.billing.models import Invoice
from app.db import db
from app.demo import DEMO_PASSWORD, load_demo_practice
from app.forms.models import FormRequest
from app.inbox.models import Conversation, ConversationClient, Message
from tests.conftest import Visitor, make_client, make_portal_account

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def portal_of(client, as_user):
    make_portal_account(client)
    return as_user(client.account)


def test_it_greets_the_client_with_four_friendly_empty_cards(practice, as_user):
    page = portal_of(practice.aisha, as_user).get("/portal").get_data(as_text=True)
    assert "<h1>Welcome, Aisha</h1>" in page
    assert "Nothing booked" in page
    assert "Nothing to fill in" in page
    assert "No unread messages" in page
    assert "No invoices yet" in page


def test_it_shows_the_next_appointment_in_the_clients_time_zone(practice, as_user):
    clock.freeze(NOW)
    london = make_client(practice.workspace, "Lena", "London", "lena@example.com", time_zone="Europe/London")
    for starts in (NOW - timedelta(days=1), NOW + timedelta(days=6), NOW + timedelta(days=2)):
        db.session.add(Appointment(workspace_id=practice.workspace.id, client_id=london.id,
                                   practitioner_id=practice.carlos.id, starts_at=starts, duration_minutes=50,
                                   kind="in_person", created_at=NOW))
    db.session.commit()
    page = portal_of(london, as_user).get("/portal/cards/upcoming", htmx=True).get_data(as_text=True)
    assert "Friday 27 November, 3:00 PM" in page  # 15:00 UTC is 15:00 in London in November
    assert "With Carlos Diaz · In person · 50 min" in page


def test_it_leaves_out_cancelled_and_finished_appointments(practice, as_user):
    clock.freeze(NOW)
    db.session.add_all([
        Appointment(workspace_id=practice.workspace.id, client_id=practice.aisha.id,
                    practitioner_id=practice.carlos.id, starts_at=NOW + timedelta(hours=1), duration_minutes=30,
                    kind="telehealth", cancelled_at=NOW, created_at=NOW),
        Appointment(workspace_id=practice.workspace.id, client_id=practice.aisha.id,
                    practitioner_id=practice.carlos.id, starts_at=NOW - timedelta(hours=2), duration_minutes=60,
                    kind="telehealth", created_at=NOW),
    ])
    db.session.commit()
    assert "Nothing booked" in portal_of(practice.aisha, as_user).get("/portal").get_data(as_text=True)


def test_it_counts_waiting_forms_and_names_the_first(practice, as_user):
    for hours, title in ((3, "PHQ-9 weekly check-in"), (1, "GAD-7")):
        db.session.add(FormRequest(workspace_id=practice.workspace.id, client_id=practice.aisha.id, title=title,
                                   sent_at=clock.now() - timedelta(hours=hours)))
    db.session.commit()
    page = portal_of(practice.aisha, as_user).get("/portal/cards/forms", htmx=True).get_data(as_text=True)
    assert "2 waiting" in page
    assert "PHQ-9 weekly check-in and 1 more" in page


def test_it_counts_unread_messages_and_says_from_whom(practice, as_user):
    chat = Conversation(workspace_id=practice.workspace.id, created_at=clock.now())
    db.session.add(chat)
    db.session.flush()
    db.session.add(ConversationClient(conversation_id=chat.id, client_id=practice.aisha.id,
                                      last_read_at=clock.now() - timedelta(hours=1)))
    for minutes, sender in ((90, practice.carlos), (30, practice.carlos), (10, practice.priya)):
        db.session.add(Message(workspace_id=practice.workspace.id, conversation_id=chat.id, sender_id=sender.id,
                               body="hello", created_at=clock.now() - timedelta(minutes=minutes)))
    db.session.commit()
    page = portal_of(practice.aisha, as_user).get("/portal/cards/messages", htmx=True).get_data(as_text=True)
    assert "2 unread" in page
    assert "From Carlos Diaz, Priya Shah" in page


def test_it_shows_the_latest_invoice_as_paid_due_or_overdue(practice, as_user):
    clock.freeze(NOW)
    aisha = portal_of(practice.aisha, as_user)
    invoice = Invoice(workspace_id=practice.workspace.id, client_id=practice.aisha.id, number="1", currency="USD",
                      total_cents=16000, issued_on=date(2026, 11, 20), due_on=date(2026, 11, 30))
    db.session.add(invoice)
    db.session.commit()
    assert "$160.00" in aisha.get("/portal/cards/invoices", htmx=True).get_data(as_text=True)
    assert ">Due<" in aisha.get("/portal/cards/invoices", htmx=True).get_data(as_text=True)
    invoice.due_on = date(2026, 11, 24)
    db.session.commit()
    assert ">Overdue<" in aisha.get("/portal/cards/invoices", htmx=True).get_data(as_text=True)
    invoice.paid_at = NOW
    db.session.commit()
    page = aisha.get("/portal/cards/invoices", htmx=True).get_data(as_text=True)
    assert ">Paid<" in page and "Paid on 25 November 2026" in page


def test_it_answers_an_unknown_card_with_404(practice, as_user):
    assert portal_of(practice.aisha, as_user).get("/portal/cards/secrets", htmx=True).status_code == 404


def test_it_renders_the_whole_page_for_a_card_url_without_htmx(practice, as_user):
    page = portal_of(practice.aisha, as_user).get("/portal/cards/forms").get_data(as_text=True)
    assert "<h1>Welcome, Aisha</h1>" in page


def test_it_welcomes_a_new_client_and_welcomes_them_back_from_the_second_visit(practice, as_user):
    first_visit = portal_of(practice.aisha, as_user)
    for _ in range(2):
        assert "<h1>Welcome, Aisha</h1>" in first_visit.get("/portal").get_data(as_text=True)
    second_visit = as_user(practice.aisha.account)
    assert "<h1>Welcome back, Aisha</h1>" in second_visit.get("/portal").get_data(as_text=True)


def test_it_shows_a_client_only_their_own_portal(practice, as_user):
    other = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com")
    db.session.add(FormRequest(workspace_id=practice.workspace.id, client_id=other.id, title="Ben's intake",
                               sent_at=clock.now()))
    db.session.commit()
    page = portal_of(practice.aisha, as_user).get("/portal").get_data(as_text=True)
    assert "Ben" not in page


def test_it_keeps_staff_out_of_the_portal(practice, as_user):
    assert as_user(practice.carlos).get("/portal").status_code == 404


def test_the_demo_practice_fills_one_of_each_card(app):
    clock.freeze(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))  # a Wednesday
    assert load_demo_practice() is True
    assert load_demo_practice() is False
    aisha = Visitor(app.test_client())
    aisha.login("aisha@example.com", DEMO_PASSWORD)
    page = aisha.get("/portal").get_data(as_text=True)
    assert "Welcome back, Aisha" in page
    assert "Tuesday 1 December, 10:00 AM" in page
    assert "With Carlos Diaz · Telehealth · 50 min" in page
    assert "PHQ-9 weekly check-in" in page
    assert "2 unread" in page and "From Carlos Diaz" in page
    assert "$95.00" in page and "Due on 7 December 2026" in page  # the paid $160.00 one is older
    staff = Visitor(app.test_client())
    staff.login("owner@brunswick.example", DEMO_PASSWORD)
    clients = staff.get("/clients").get_data(as_text=True)
    for label in ("Not invited", "Invited", "Invite expired", "Invite not delivered", "Active", "Disabled"):
        assert f">{label}<" in clients


def test_the_demo_phq9_opens_as_a_form_to_fill_in(app):
    load_demo_practice()
    aisha = Visitor(app.test_client())
    aisha.login("aisha@example.com", DEMO_PASSWORD)
    forms = aisha.get("/portal/forms").get_data(as_text=True)
    link = re.search(r'href="(/portal/forms/\d+)"', forms).group(1)
    page = aisha.get(link).get_data(as_text=True)
    assert "PHQ-9 weekly check-in" in page
    assert "Little interest or pleasure in doing things" in page
