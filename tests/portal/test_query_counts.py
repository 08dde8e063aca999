"""What a portal home and a card cost the database, with every card filled (the demo practice)."""

from datetime import UTC, datetime

from app import clock
from app.demo import DEMO_PASSWORD, load_demo_practice
from tests.conftest import Visitor, counting_queries

# The session (with its user, client, practice and branding, in one query), the four cards and the form alerts:
# nothing asked twice, the unread count shared by the Messages card and the navigation badge, whether the client
# signed in before noted in the session when it began; and for the Upcoming card's "Book an appointment", the
# practice's booking rules and whether she was seen before.
HOME_QUERIES = 8
# The session and the card's own query (and the Upcoming card's two booking questions).
CARD_QUERIES = 2
BOOKING_QUERIES = 2


def aisha_signed_in(app) -> Visitor:
    clock.freeze(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    load_demo_practice()
    aisha = Visitor(app.test_client())
    aisha.login("aisha@example.com", DEMO_PASSWORD)
    aisha.get("/portal")  # the first page after signing in notes the session's last activity
    return aisha


def test_it_shows_the_portal_home_in_a_fixed_small_number_of_queries(app):
    aisha = aisha_signed_in(app)
    with counting_queries() as statements:
        page = aisha.get("/portal").get_data(as_text=True)
    assert "2 unread" in page and "With Carlos Diaz" in page
    assert len(statements) == HOME_QUERIES, statements


def test_it_refreshes_a_card_in_a_fixed_small_number_of_queries(app):
    aisha = aisha_signed_in(app)
    for name in ("upcoming", "forms", "messages", "invoices"):
        with counting_queries() as statements:
            assert aisha.get(f"/portal/cards/{name}", htmx=True).status_code == 200
        assert len(statements) <= CARD_QUERIES + (BOOKING_QUERIES if name == "upcoming" else 0), (name, statements)
    with counting_queries() as statements:
        assert "With Carlos Diaz" in aisha.get("/portal/cards/upcoming", htmx=True).get_data(as_text=True)
    assert len(statements) == CARD_QUERIES + BOOKING_QUERIES, statements
