"""One of every kind of thing in the demo practice, and another practice beside it, for the sweeps over all pages."""

import io
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import clock
from app.appointments.models import Appointment
from app.appointments.setup import AvailabilityException, Service
from app.auth.models import User, UserSession
from app.billing.models import Invoice, Payment
from app.billing.service import customer_for, save_card
from app.billing.test_mode import TestModeProcessor, TestProcessorCard, TestProcessorSetup
from app.clients.models import Client
from app.db import db
from app.demo import DEMO_PASSWORD, DEMO_PRACTICE, load_demo_practice
from app.documents.service import receive_upload_part, share_document, start_upload
from app.exports.models import DataExport
from app.exports.service import request_export
from app.forms.builder import create_template
from app.forms.models import FormAlert, FormQuestion, FormRequest
from app.forms.service import send_form, submit_form
from app.inbox.models import Conversation, ConversationClient
from app.inbox.service import start_conversation
from app.mail import OutboxEmail
from app.team.invites import invite_staff
from app.tenancy import Workspace
from tests.conftest import make_client, make_portal_account, make_staff, make_workspace, run_jobs
from tests.documents.files import png

PERSONAS = {  # the demo logins the README prints (and someone not signed in), and the page each one lands on
    "nobody": (None, "/login"),
    "owner": ("owner@brunswick.example", "/clients"),
    "carlos": ("carlos@brunswick.example", "/clients"),
    "priya": ("priya@brunswick.example", "/clients"),
    "aisha": ("aisha@example.com", "/portal"),
}


@dataclass
class World:
    ids: dict[str, object]  # url argument name -> the demo practice's object to put there
    aisha_secrets: list[str] = field(default_factory=list)  # text only Aisha and her practice may see
    other_owner: User | None = None  # owner of another practice on the same Porch
    ben: User | None = None  # another client of the demo practice, with a portal account
    password: str = DEMO_PASSWORD


def key() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def world(app) -> World:
    """The demo practice (as `flask porch demo` loads it) plus a form template, a check-in, a submitted form, a
    shared document, a client upload (finished and one in progress), a group conversation and the e-mails all
    that sends, and an invite to a new colleague; beside it Elsewhere Clinic, and Ben of the demo practice with a
    portal account."""
    load_demo_practice()
    practice = db.session.scalar(select(Workspace).where(Workspace.name == DEMO_PRACTICE))
    owner, carlos, aisha_account = (db.session.scalar(select(User).where(User.email == email))
                                    for email in ("owner@brunswick.example", "carlos@brunswick.example",
                                                  "aisha@example.com"))
    aisha = aisha_account.client
    ben, chloe = (db.session.scalar(select(Client).where(Client.workspace_id == practice.id,
                                                          Client.first_name == name)) for name in ("Ben", "Chloe"))

    template = create_template(practice.id, owner, "Sleep diary", key())
    question = FormQuestion(template_id=template.id, position=0, kind="short_text", prompt="How did you sleep?",
                            required=True)
    db.session.add(question)
    check_in = send_form(aisha, carlos, "builtin:gad7", every_days=14, request_key=key())
    phq9 = db.session.scalar(select(FormRequest).where(FormRequest.client_id == aisha.id,
                                                       FormRequest.template_key == "builtin:phq9"))
    answers = MultiDict({f"shown-q{n}": "" for n in range(1, 10)})
    answers.update({f"answer-q{n}": "1" for n in range(1, 10)})
    submit_form(phq9, answers)
    document = share_document(aisha, carlos, title="Breathing exercise", kind="handout", request_key=key(),
                              note="Breathe in for four counts, out for six.")
    db.session.commit()
    picture = png()
    finished = start_upload(aisha, aisha_account, length=len(picture), file_name="knee-scan.png")
    db.session.commit()
    receive_upload_part(finished, 0, io.BytesIO(picture), len(picture))
    in_progress = start_upload(aisha, aisha_account, length=1000, file_name="earlier-records.pdf")
    start_conversation(carlos, [aisha, chloe], "Welcome to the sleep group.", key(), title="Sleep group")
    db.session.commit()
    request_export(aisha, aisha_account)
    db.session.commit()
    run_jobs(app)
    run_jobs(app)
    export = db.session.scalar(select(DataExport).where(DataExport.client_id == aisha.id))
    chat = db.session.scalar(select(Conversation).join(ConversationClient).where(
        ConversationClient.client_id == aisha.id, Conversation.title.is_(None)))
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == aisha.email)
                              .order_by(OutboxEmail.id.desc()))
    assert email is not None, "the world's sends left no e-mail in the outbox"

    staff_invite = invite_staff(practice, owner, email="dana@brunswick.example", name="Dana Lee", role="admin")
    owners_laptop = UserSession(user_id=owner.id, token_hash=uuid.uuid4().hex, user_agent="Mozilla/5.0 (X11; Linux "
                                "x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", created_at=clock.now(),
                                last_seen_at=clock.now())
    db.session.add(owners_laptop)
    carlos_day_off = AvailabilityException(workspace_id=practice.id, practitioner_id=carlos.id, kind="off",
                                           day=clock.now().date() + timedelta(days=30))
    db.session.add(carlos_day_off)
    db.session.commit()
    run_jobs(app)

    test_processor = TestModeProcessor()
    card_setup = test_processor.start_card_setup(customer=customer_for(aisha, test_processor),
                                                 return_url="/portal")
    saved_setup = test_processor.start_card_setup(customer=customer_for(aisha, test_processor),
                                                  return_url="/portal")
    db.session.add(TestProcessorCard(id="pm_world", customer_id=customer_for(aisha, test_processor),
                                     behaviour="succeeds", brand="Visa", last4="4242", exp_month=12, exp_year=2039))
    db.session.get(TestProcessorSetup, saved_setup.reference).card_id = "pm_world"
    db.session.commit()
    saved_card = save_card(aisha, test_processor, saved_setup.reference)
    db.session.commit()
    due_invoice = db.session.scalar(select(Invoice).where(Invoice.client_id == aisha.id, Invoice.paid_at.is_(None)))

    paid = db.session.scalar(select(Invoice).where(Invoice.client_id == aisha.id, Invoice.paid_at.is_not(None)))

    elsewhere = make_workspace("Elsewhere Clinic")
    other_owner = make_staff(elsewhere, "boss@elsewhere.example", "owner", "Olu Boss")
    make_client(elsewhere, "Olu", "Other", "olu@example.org", care_team=[other_owner])
    return World(
        ids={
            "client_id": aisha.id,
            "appointment_id": db.session.scalar(select(Appointment.id).where(Appointment.client_id == aisha.id)),
            "service_id": db.session.scalar(select(Service.id).where(Service.workspace_id == practice.id)
                                            .order_by(Service.id)),  # a service booked online (not by Ben: new)
            "conversation_id": chat.id,
            "document_id": document.id,
            "template_id": template.id,
            "question_id": question.id,
            "form_id": phq9.id,
            "alert_id": db.session.scalar(select(FormAlert.id).where(FormAlert.form_request_id == phq9.id)),
            "schedule_id": check_in.schedule_id,
            "email_id": email.id,
            "token": in_progress.token,  # a tus upload's address
            "user_id": carlos.id,  # a colleague's page under Settings → Team, and his availability
            "exception_id": carlos_day_off.id,  # a day off of Carlos's
            "invite_id": staff_invite.id,
            "device_id": owners_laptop.id,  # another signed-in device of the owner's
            "workspace_id": practice.id,  # its logo and stylesheet (public, see PUBLIC_BY_DESIGN)
            "export_token": export.sealed_token,  # the one download of Aisha's data export
            "reference": card_setup.reference,  # the test-mode processor's page where Aisha adds a card
            "invoice_id": due_invoice.id,  # Aisha's invoice still to pay (the demo's BP-1002): pay, void, record
            # a payment of her paid invoice, for the refund form
            "payment_id": db.session.scalar(select(Payment.id).where(Payment.invoice_id == paid.id)),
            "method_id": saved_card.id,  # a card Aisha saved
            "processor": "test",  # the processor whose webhooks this Porch takes (public, see PUBLIC_BY_DESIGN)
        },
        aisha_secrets=["Rahman", "Aisha", "Breathing exercise", "thanks for today", "knee-scan", "PHQ-9",
                       "Sleep diary", "How did you sleep", "meet.example", "+1 207 555 0134"],
        other_owner=other_owner,
        ben=make_portal_account(ben),
    )


# --- walking the pages a persona can reach ---------------------------------------------------------

@dataclass
class Page:
    status: int
    content_type: str
    body: str
    found_on: str | None  # the page that linked here

    @property
    def is_full_html(self) -> bool:
        return self.content_type.startswith("text/html") and "<html" in self.body[:500]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.h1s = 0

    def handle_starttag(self, tag, attrs):
        if tag == "a" and (href := dict(attrs).get("href")):
            self.hrefs.append(href)
        elif tag == "h1":
            self.h1s += 1


def parsed(body: str) -> _Links:
    links = _Links()
    links.feed(body)
    return links


NOT_PAGES = ("/logout", "/live", "/static/")  # a form's action, the socket, fingerprinted assets
MOST_PAGES = 250


def same_site_path(base_path: str, href: str) -> str | None:
    """The path and query a link points to on this site, or None for another site, a mailto: or the like."""
    target = urlsplit(urljoin("http://porch.test" + base_path, href))
    if target.scheme not in ("http", "https") or target.netloc != "porch.test":
        return None
    path = target.path + (f"?{target.query}" if target.query else "")
    return None if path.startswith(NOT_PAGES) else path


def walk(fetch: Callable[[str], tuple[int, str, str, str | None]], home: str) -> dict[str, Page]:
    """Breadth-first over same-site links (and redirects) from `home`; `fetch(path)` answers
    (status, content type, body, Location)."""
    queue, seen, pages = deque([(home, None)]), {home}, {}
    while queue and len(pages) < MOST_PAGES:
        path, found_on = queue.popleft()
        status, content_type, body, location = fetch(path)
        pages[path] = Page(status, content_type, body, found_on)
        found = [location] if location else []
        if content_type.startswith("text/html"):
            found += parsed(body).hrefs
        for href in found:
            target = same_site_path(path, href)
            if target and target not in seen:
                seen.add(target)
                queue.append((target, path))
    return pages
