"""Secure messaging in a real browser: live both ways, JavaScript off, and Reply-only's 48-hour close."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from app import clock
from jobs.sweeps import run_sweeps
from tests.browser.conftest import carlos_and_aisha
from tests.browser.test_invite_journey import log_in

pytestmark = pytest.mark.browser
LIVE_MS = 10_000


@pytest.fixture
def brunswick(live_server):
    """Carlos, and Aisha on his roster with a portal account; Reply-only mode (the default)."""
    carlos_and_aisha(live_server.app)


def wait_live(page: Page) -> None:
    """Until the page's socket is listening (its first frame has arrived)."""
    expect(page.locator("html[data-live=ready]")).to_have_count(1, timeout=LIVE_MS)


def compose(staff: Page, body: str) -> str:
    """Carlos writes to Aisha with + Compose; returns the conversation's address."""
    staff.goto("/inbox")
    staff.get_by_role("link", name="+ Compose").click()
    staff.get_by_label("To").select_option(label="Aisha Rahman")
    staff.get_by_label("Message").fill(body)
    staff.get_by_role("button", name="Send").click()
    expect(staff).to_have_url(re.compile(r"/inbox/\d+$"))
    return staff.url.rsplit("/", 1)[1]


def test_messages_arrive_live_on_both_sides(brunswick, live_server, visit):
    staff = visit.page()
    log_in(staff, "carlos@brunswick.example")
    conversation = compose(staff, "Hi Aisha, how did the week go?")
    visit.assert_accessible(staff, "a conversation in the inbox")

    client = visit.page(viewport={"width": 390, "height": 844})
    log_in(client, "aisha@example.com", at="/portal/login")
    expect(client.locator("#messages-badge")).to_contain_text("1")
    client.get_by_role("link", name=re.compile("^Messages")).first.click()
    expect(client.get_by_role("heading", level=1)).to_have_text("Messages")
    visit.assert_accessible(client, "the client's messages")
    client.get_by_role("link", name=re.compile("Carlos Diaz")).click()
    expect(client.get_by_text("Hi Aisha, how did the week go?")).to_be_visible()
    expect(client.locator(f"#messages-{conversation}")).to_be_visible()
    wait_live(client)
    wait_live(staff)

    staff.get_by_label("Message").fill("Remember the stretches twice a day.")
    staff.get_by_role("button", name="Send").click()
    expect(staff.get_by_label("Message")).to_have_value("")
    expect(client.get_by_text("Remember the stretches twice a day.")).to_be_visible(timeout=LIVE_MS)
    staff.wait_for_timeout(500)  # the push to Carlos's own page has arrived by now: it must not double the message
    sent = staff.locator(f"#messages-{conversation}").get_by_text("Remember the stretches twice a day.")
    expect(sent).to_have_count(1)

    client.get_by_label("Message").fill("Will do, thanks!")
    client.get_by_role("button", name="Send").click()
    expect(client.get_by_label("Message")).to_have_value("")
    expect(staff.get_by_text("Will do, thanks!")).to_be_visible(timeout=LIVE_MS)
    visit.assert_accessible(client, "a conversation in the portal")

    inbox = visit.page()
    log_in(inbox, "carlos@brunswick.example")
    inbox.goto("/inbox")
    wait_live(inbox)
    staff.goto("/clients")  # with the conversation open, Carlos would read the next message there and then
    client.get_by_label("Message").fill("One more question")
    client.get_by_role("button", name="Send").click()
    expect(inbox.locator(f"#conversation-{conversation}")).to_contain_text("New", timeout=LIVE_MS)
    visit.assert_accessible(inbox, "the inbox")
    visit.assert_no_csp_reports()


def test_a_client_without_javascript_reads_and_replies(brunswick, live_server, visit):
    staff = visit.page()
    log_in(staff, "carlos@brunswick.example")
    compose(staff, "Your lab results are ready to discuss.")

    client = visit.page(javascript=False)
    log_in(client, "aisha@example.com", at="/portal/login")
    expect(client.get_by_role("heading", level=1)).to_have_text("Welcome, Aisha")
    expect(client.locator("#card-messages")).to_contain_text("1 unread")
    client.get_by_role("link", name="Messages").first.click()
    client.get_by_role("link", name=re.compile("Carlos Diaz")).click()
    expect(client.get_by_text("Your lab results are ready to discuss.")).to_be_visible()
    client.get_by_role("button", name="Send").click()
    expect(client.get_by_text("Write a message first.")).to_be_visible()
    visit.assert_accessible(client, "a reply with an error, without JavaScript")
    client.get_by_label("Message").fill("Can we talk on Tuesday?")
    client.get_by_role("button", name="Send").click()
    expect(client).to_have_url(re.compile(r"/portal/messages/\d+$"))
    expect(client.get_by_text("Can we talk on Tuesday?")).to_be_visible()
    visit.assert_accessible(client, "a conversation without JavaScript")

    staff.reload()
    expect(staff.get_by_text("Can we talk on Tuesday?")).to_be_visible()


def test_a_message_arriving_on_the_open_conversation_is_read_there(brunswick, live_server, smtp_server, visit):
    clock.freeze(clock.now())  # Porch's time stands still: no e-mail falls due while the pages work
    staff = visit.page()
    log_in(staff, "carlos@brunswick.example")
    conversation = compose(staff, "Hi Aisha, how did the week go?")
    client = visit.page(viewport={"width": 390, "height": 844})
    log_in(client, "aisha@example.com", at="/portal/login")
    client.goto(f"/portal/messages/{conversation}")
    wait_live(client)
    wait_live(staff)

    with client.expect_request(lambda r: r.method == "POST" and r.url.endswith(f"/{conversation}/seen")) as seen:
        staff.get_by_label("Message").fill("Can you make Thursday at 10?")
        staff.get_by_role("button", name="Send").click()
        expect(client.get_by_text("Can you make Thursday at 10?")).to_be_visible(timeout=LIVE_MS)
    assert seen.value.headers.get("x-csrftoken")
    expect(client.locator("#messages-badge")).to_have_text("")
    client.goto("/portal/messages")
    expect(client.locator(f"#conversation-{conversation}")).not_to_contain_text("New")
    client.goto(f"/portal/messages/{conversation}")
    wait_live(client)

    with staff.expect_request(lambda r: r.method == "POST" and r.url.endswith(f"/inbox/{conversation}/seen")):
        client.get_by_label("Message").fill("Thursday works.")
        client.get_by_role("button", name="Send").click()
        expect(staff.get_by_text("Thursday works.")).to_be_visible(timeout=LIVE_MS)
    expect(staff.locator("#inbox-badge")).to_have_text("")
    staff.goto("/inbox")
    expect(staff.locator(f"#conversation-{conversation}")).not_to_contain_text("New")

    clock.advance(timedelta(hours=1))  # long past the grace an open page has to say it saw a message
    with live_server.app.app_context():
        run_sweeps()
    staff.wait_for_timeout(1000)  # the job thread has run whatever fell due
    assert smtp_server.to("aisha@example.com") == []
    visit.assert_accessible(client, "a conversation read live in the portal")
    visit.assert_no_csp_reports()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_reply_only_closes_48_hours_later_on_both_sides(javascript, brunswick, live_server, visit):
    staff = visit.page()
    log_in(staff, "carlos@brunswick.example")
    conversation = compose(staff, "Checking in after your first week.")

    client = visit.page(javascript=javascript)
    log_in(client, "aisha@example.com", at="/portal/login")
    client.goto("/portal/messages")
    expect(client.get_by_role("link", name="New message")).to_have_count(0)
    expect(client.get_by_text("Brunswick Practice starts conversations here")).to_be_visible()
    client.goto(f"/portal/messages/{conversation}")
    expect(client.get_by_label("Message")).to_be_visible()

    # Nearly 48 hours later Aisha (signed out for being idle meanwhile) is back on the conversation as it closes.
    clock.freeze(clock.now() + timedelta(hours=47, minutes=59))
    log_in(client, "aisha@example.com", at="/portal/login")
    client.goto(f"/portal/messages/{conversation}")
    expect(client.get_by_label("Message")).to_be_visible()
    if javascript:
        wait_live(client)
    clock.freeze(clock.now() + timedelta(minutes=2))
    with live_server.app.app_context():
        run_sweeps()
    closed = re.compile("This conversation closed on .*, 48 hours after Brunswick Practice's last message")
    if not javascript:
        client.reload()
    expect(client.get_by_text(closed)).to_be_visible(timeout=LIVE_MS)
    expect(client.get_by_label("Message")).to_have_count(0)
    visit.assert_accessible(client, "a closed conversation in the portal")

    log_in(staff, "carlos@brunswick.example")
    staff.goto(f"/inbox/{conversation}")
    expect(staff.get_by_text(re.compile("48 hours passed after the practice's last message"))).to_be_visible()
    expect(staff.get_by_role("button", name="Send")).to_be_visible()  # writing opens it again
    visit.assert_accessible(staff, "a closed conversation in the inbox")
