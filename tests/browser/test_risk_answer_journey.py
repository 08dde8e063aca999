"""A risk answer in a real browser: Aisha answers PHQ-9 item 9 with "Several days" on her phone and sees the
practice's crisis text; Carlos gets the e-mail, signs in, finds "Needs attention" and acknowledges it; the marker
and Aisha's crisis text are gone. JavaScript on and off, axe on every page."""

import re

import pytest
from playwright.sync_api import expect

from app.auth.models import User
from app.clients.models import Client
from app.db import db
from app.forms.service import send_form
from tests.browser.conftest import PHONE, carlos_and_aisha, wait_until
from tests.browser.test_forms_journey import item
from tests.browser.test_invite_journey import log_in

pytestmark = pytest.mark.browser
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])


@pytest.fixture
def phq9_waiting(live_server) -> None:
    carlos_id, aisha_id = carlos_and_aisha(live_server.app)
    with live_server.app.app_context():
        send_form(db.session.get(Client, aisha_id), db.session.get(User, carlos_id), "builtin:phq9")
        db.session.commit()


@javascript_on_and_off
def test_a_risk_answer_reaches_carlos_and_aisha_sees_the_crisis_text_until_he_acknowledges_it(
        javascript, phq9_waiting, live_server, smtp_server, visit):
    client = visit.page(javascript, viewport=PHONE)
    log_in(client, "aisha@example.com", at="/portal/login")
    expect(client.get_by_role("region", name="If you need help now")).to_have_count(0)
    client.get_by_role("link", name="Fill in your forms").click()
    client.get_by_role("link", name="PHQ-9").click()
    for number in range(1, 9):
        item(client, number).get_by_label("Not at all", exact=True).check()
    item(client, 9).get_by_label("Several days", exact=True).check()
    client.get_by_role("button", name="Send to Brunswick Practice").click()

    expect(client.get_by_role("heading", level=1)).to_have_text("PHQ-9 sent")
    expect(client.get_by_text("Thank you. PHQ-9 was sent to Brunswick Practice.")).to_be_visible()
    help_now = client.get_by_role("region", name="If you need help now")
    expect(help_now).to_contain_text("call your local emergency number now")
    expect(client.get_by_text("Several days")).to_have_count(0)
    visit.assert_accessible(client, "the thank-you page with the crisis text")
    client.get_by_role("link", name="Back to home").click()
    expect(client.get_by_role("region", name="If you need help now")).to_be_visible()
    visit.assert_accessible(client, "the portal home with the crisis text")

    [message] = wait_until(lambda: smtp_server.to("carlos@brunswick.example"), "the alert e-mail to Carlos")
    assert message["Subject"] == "A form answer from one of your clients needs your attention"
    link = re.search(r"https?://\S+/clients/\d+#needs-attention", message.get_body(("plain",)).get_content()).group(0)

    staff = visit.page(javascript)
    log_in(staff, "carlos@brunswick.example")
    attention = staff.get_by_role("region", name=re.compile("Needs attention"))
    expect(attention).to_contain_text("Aisha Rahman")
    expect(staff.get_by_role("row", name=re.compile("Aisha Rahman"))).to_contain_text("Needs attention")
    visit.assert_accessible(staff, "the client list with a client who needs attention")
    staff.goto(link)
    record = staff.get_by_role("region", name=re.compile("Needs attention"))
    expect(record).to_contain_text("Thoughts that you would be better off dead")
    expect(record).to_contain_text("Several days")
    visit.assert_accessible(staff, "the client record with an answer that needs attention")
    record.get_by_label("Note (optional)").fill("Called her; safety plan agreed.")
    record.get_by_role("button", name=re.compile("^Acknowledge")).click()

    expect(staff.get_by_text("Acknowledged. The “Needs attention” marker is gone.")).to_be_visible()
    history = staff.get_by_role("region", name="Answers that needed attention")
    expect(history).to_contain_text("Acknowledged by Carlos Diaz on")
    expect(history).to_contain_text("“Called her; safety plan agreed.”")
    visit.assert_accessible(staff, "the client record after acknowledging")
    staff.get_by_role("link", name="← All clients").click()
    expect(staff.get_by_text("Needs attention")).to_have_count(0)

    client.reload()
    expect(client.get_by_role("region", name="If you need help now")).to_have_count(0)
    visit.assert_no_csp_reports()
