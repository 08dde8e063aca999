"""A PHQ-9 in a real browser: the client fills in half on a phone, reloads, finds the draft, sends it; the
practitioner sees the score and band. JavaScript on (saved as you go) and off (Save draft), axe on every page."""

import re

import pytest
from playwright.sync_api import expect

from app.auth.models import User
from app.clients.models import Client
from app.db import db
from app.forms.service import send_form
from tests.browser.conftest import PHONE, carlos_and_aisha
from tests.browser.test_invite_journey import log_in

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])

ANSWERS = ["Several days", "More than half the days", "Nearly every day", "Several days", "Not at all",
           "Several days", "Not at all", "Several days", "Not at all"]  # 1+2+3+1+0+1+0+1+0 = 9: mild


@pytest.fixture
def aisha_with_a_phq9(live_server):
    carlos_id, aisha_id = carlos_and_aisha(live_server.app)
    with live_server.app.app_context():
        send_form(db.session.get(Client, aisha_id), db.session.get(User, carlos_id), "builtin:phq9")
        db.session.commit()
    return aisha_id


def item(page, number: int):
    return page.get_by_role("group", name=re.compile(rf"^{number}\. "))


@javascript_on_and_off
def test_a_client_fills_in_a_phq9_over_two_visits_and_the_practitioner_sees_the_score(
        javascript, aisha_with_a_phq9, live_server, visit):
    client = visit.page(javascript, viewport=PHONE)
    log_in(client, "aisha@example.com", at="/portal/login")
    expect(client.get_by_role("region", name="Forms")).to_contain_text("1 waiting")
    client.get_by_role("link", name="Fill in your forms").click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Forms")
    visit.assert_accessible(client, "the client's forms")
    client.get_by_role("link", name="PHQ-9").click()
    expect(client.get_by_role("heading", level=1)).to_have_text("PHQ-9")
    visit.assert_accessible(client, "the PHQ-9, empty")

    for number, answer in enumerate(ANSWERS[:5], start=1):
        if javascript:
            with client.expect_response(lambda r: r.url.endswith("/draft") and r.status == 200):
                item(client, number).get_by_label(answer, exact=True).check()
        else:
            item(client, number).get_by_label(answer, exact=True).check()
    if javascript:
        expect(client.locator("#draft-status")).to_contain_text("Draft saved at")
    else:
        client.get_by_role("button", name="Save draft").click()
        expect(client.get_by_text("Draft saved.")).to_be_visible()
    visit.assert_accessible(client, "the PHQ-9, half filled in")

    client.reload()
    for number, answer in enumerate(ANSWERS[:5], start=1):
        expect(item(client, number).get_by_label(answer, exact=True)).to_be_checked()
    expect(item(client, 6).get_by_role("radio").first).not_to_be_checked()

    client.get_by_role("button", name="Send to Brunswick Practice").click()
    expect(client).to_have_title(re.compile(r"^Error: "))
    expect(item(client, 6)).to_contain_text("Answer this question to send the form.")
    expect(item(client, 6)).to_have_accessible_description("Answer this question to send the form.")
    visit.assert_accessible(client, "the PHQ-9 with missing answers")

    for number, answer in enumerate(ANSWERS[5:], start=6):
        item(client, number).get_by_label(answer, exact=True).check()
    client.get_by_role("button", name="Send to Brunswick Practice").click()
    expect(client.get_by_text("Thank you. PHQ-9 was sent to Brunswick Practice.")).to_be_visible()
    visit.assert_accessible(client, "the thank-you page")
    client.get_by_role("link", name="See what you sent").click()
    expect(client.get_by_text("This is what you sent.")).to_be_visible()
    expect(client.get_by_role("radio")).to_have_count(0)
    visit.assert_accessible(client, "the PHQ-9 as sent")

    staff = visit.page(javascript)
    log_in(staff, "carlos@brunswick.example")
    staff.goto(f"/clients/{aisha_with_a_phq9}")
    forms = staff.get_by_role("region", name="Forms")
    expect(forms).to_contain_text("9 / 27 · Mild")
    expect(forms.get_by_text(re.compile(r"^PHQ-9 score 9 / 27 on .*The trend shows from the second one\.$")))\
        .to_be_visible()
    expect(forms.get_by_role("img")).to_have_count(0)  # no chart of a single dot
    visit.assert_accessible(staff, "the client record with a scored PHQ-9")
    forms.get_by_role("link", name="PHQ-9").click()
    expect(staff.get_by_text("Score 9 / 27 · Mild")).to_be_visible()
    visit.assert_accessible(staff, "the PHQ-9 response")
    visit.assert_no_csp_reports()
