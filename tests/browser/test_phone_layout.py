"""Every page of the journeys on a 320 px phone and a 1280 px laptop, JavaScript on and off: nothing scrolls
sideways, everything a client taps is at least 44 px tall, and axe-core finds nothing."""

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth.models import User
from app.clients.models import Client
from app.db import db
from app.demo import DEMO_PASSWORD, load_demo_practice
from app.documents.service import share_document
from app.forms.builder import create_template
from app.forms.models import FormQuestion
from app.forms.service import send_form
from app.inbox.models import ConversationClient
from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.test_invite_journey import log_in
from tests.conftest import make_client

pytestmark = pytest.mark.browser

TAP = 44
LONG_ADDRESS = "bartholomew.featherstonehaugh-worthington@physiotherapy-and-rehabilitation.example"

at_both_widths = pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["320px", "1280px"])
javascript_on_and_off = pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])

# The boxes a finger aims at: links, buttons, and for a radio button or checkbox the label around or beside it.
TAP_TARGETS = """tap => {
  const seen = el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden';
  const labelOf = el => el.closest('label') || document.querySelector(`label[for="${el.id}"]`) || el;
  return [...document.querySelectorAll('a[href], button, input[type=radio], input[type=checkbox]')]
    .filter(el => seen(el) && !el.closest('.sr-only'))
    .map(el => [el, (el.matches('input') ? labelOf(el) : el).getBoundingClientRect()])
    .filter(([el, box]) => box.height < tap)
    .map(([el, box]) => `${el.outerHTML.slice(0, 90)}: ${Math.round(box.width)}x${Math.round(box.height)} px`);
}"""

@pytest.fixture
def brunswick(live_server) -> dict:
    """The demo practice; a handout and a custom form (a scale, several choices) for Aisha; and a client whose
    e-mail address is very long."""
    with live_server.app.app_context():
        load_demo_practice()
        aisha = db.session.scalar(select(Client).where(Client.email == "aisha@example.com"))
        carlos = db.session.scalar(select(User).where(User.email == "carlos@brunswick.example"))
        share_document(aisha, carlos, title="Knee exercises for the first weeks after physiotherapy", kind="handout",
                       request_key=str(uuid.uuid4()), note="Ten slow squats, morning and evening.")
        template = create_template(aisha.workspace_id, carlos, "Knee check-in", str(uuid.uuid4()))
        db.session.add_all([
            FormQuestion(template_id=template.id, position=0, kind="scale", prompt="How much does the knee hurt?",
                         scale_min=0, scale_max=10, min_label="Not at all", max_label="Worst imaginable"),
            FormQuestion(template_id=template.id, position=1, kind="multiple_choice", prompt="When does it hurt?",
                         options_json='["Walking", "Climbing stairs", "Kneeling or squatting for a long time"]')])
        db.session.flush()
        send_form(aisha, carlos, f"template:{template.id}")
        long_address = make_client(aisha.workspace, "Bartholomew", "Featherstonehaugh-Worthington", LONG_ADDRESS,
                                   care_team=[carlos])
        conversation = db.session.scalar(select(ConversationClient.conversation_id)
                                         .where(ConversationClient.client_id == aisha.id))
        db.session.commit()
        return {"aisha": aisha.id, "long_address": long_address.id, "conversation": conversation}


def choose(page: Page, javascript: bool, choice) -> None:
    """Tick a choice; with JavaScript on, wait for the draft it saves (the form is greyed while it goes)."""
    if javascript:
        with page.expect_response(lambda r: r.url.endswith("/draft") and r.status == 200):
            choice.check()
        expect(page.locator("form.htmx-request")).to_have_count(0)
    else:
        choice.check()


def check(visit, page: Page, what: str, client_side: bool) -> None:
    """No sideways scroll and no axe-core finding (assert_accessible checks both); big tap targets for clients."""
    width = page.viewport_size["width"]
    if client_side:
        small = page.evaluate(TAP_TARGETS, TAP)
        if small:
            pytest.fail(f"{what} at {width} px has tap targets under {TAP} px tall:\n" + "\n".join(small),
                        pytrace=False)
    visit.assert_accessible(page, f"{what} at {width} px")


@at_both_widths
@javascript_on_and_off
def test_it_fits_every_portal_page_to_the_screen_with_large_tap_targets(javascript, viewport, brunswick, visit):
    aisha = visit.page(javascript, viewport=viewport)
    log_in(aisha, "aisha@example.com", DEMO_PASSWORD, at="/portal/login")
    expect(aisha.get_by_role("heading", level=1)).to_have_text("Welcome back, Aisha")
    check(visit, aisha, "the portal home", client_side=True)

    main = aisha.get_by_role("navigation", name="Main")
    for section, heading in (("Appointments", "Appointments"), ("Forms", "Forms"), ("Documents", "Documents"),
                             ("Messages", "Messages"), ("Billing", "Billing"), ("Account", "Account")):
        main.get_by_role("link", name=re.compile(rf"^{section}")).click()
        expect(aisha.get_by_role("heading", level=1)).to_have_text(heading)
        expect(main.get_by_role("link", name=re.compile(rf"^{section}"))).to_have_attribute("aria-current", "page")
        check(visit, aisha, f"the client's {section.lower()}", client_side=True)
        if section == "Forms":
            aisha.get_by_role("link", name="PHQ-9 weekly check-in").click()
            expect(aisha.get_by_role("heading", level=1)).to_have_text("PHQ-9 weekly check-in")
            choose(aisha, javascript, aisha.get_by_role("group", name=re.compile(r"^1\. "))
                   .get_by_label("Several days", exact=True))
            check(visit, aisha, "the PHQ-9", client_side=True)
            aisha.go_back()
            aisha.get_by_role("link", name="Knee check-in").click()
            pain = aisha.get_by_role("group", name=re.compile(r"^1\. "))
            choose(aisha, javascript, pain.get_by_label("7", exact=True))
            choose(aisha, javascript, aisha.get_by_label("Climbing stairs"))
            check(visit, aisha, "a custom form", client_side=True)
        elif section == "Documents":
            expect(aisha.get_by_role("link", name="Download Knee exercises for the first weeks after physiotherapy"))\
                .to_be_visible()
            aisha.get_by_role("link", name="Upload a file").click()
            expect(aisha.get_by_role("heading", level=1)).to_have_text("Upload a file")
            check(visit, aisha, "the upload page", client_side=True)
        elif section == "Billing":
            aisha.get_by_role("link", name="Invoice BP-1002").click()
            expect(aisha.get_by_role("heading", level=1)).to_contain_text("Invoice BP-1002")
            check(visit, aisha, "an invoice to pay", client_side=True)
            aisha.get_by_role("link", name="← All invoices").click()
            aisha.get_by_role("link", name="Payment methods").click()
            expect(aisha.get_by_role("heading", level=1)).to_have_text("Payment methods")
            check(visit, aisha, "the payment methods", client_side=True)
        elif section == "Messages":
            aisha.goto(f"/portal/messages/{brunswick['conversation']}")
            expect(aisha.get_by_role("link", name="← Messages")).to_be_visible()
            check(visit, aisha, "a conversation", client_side=True)


@at_both_widths
@javascript_on_and_off
def test_it_fits_every_staff_page_to_the_screen(javascript, viewport, brunswick, visit):
    carlos = visit.page(javascript, viewport=viewport)
    log_in(carlos, "owner@brunswick.example", DEMO_PASSWORD)
    for path, heading in (("/clients", "Clients"),
                          (f"/clients/{brunswick['aisha']}", "Aisha Rahman"),
                          (f"/clients/{brunswick['long_address']}", "Bartholomew Featherstonehaugh-Worthington"),
                          ("/inbox", "Inbox"),
                          (f"/inbox/{brunswick['conversation']}", None),
                          ("/settings/communications", "Communications"),
                          ("/settings/workflows", "Workflows"),
                          ("/forms", None)):
        carlos.goto(path)
        if heading:
            expect(carlos.get_by_role("heading", level=1)).to_have_text(heading)
        check(visit, carlos, path, client_side=False)
