"""The demo practice: Brunswick Practice, with one of everything a portal shows."""

import io
import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw
from sqlalchemy import select

from app import clock
from app.appointments.models import Appointment
from app.auth.models import User, UserSession
from app.auth.passwords import hash_password
from app.auth.tokens import digest, new_token
from app.billing.models import Invoice, InvoiceLine, Payment
from app.branding.logo import prepare_logo
from app.branding.models import Branding
from app.branding.service import set_logo
from app.clients.invites import INVITE_TTL
from app.clients.models import Client, PortalInvite
from app.db import db
from app.forms.models import FormNotice, FormRequest
from app.forms.questionnaires import PHQ9
from app.inbox.models import Conversation, ConversationClient, Message
from app.tenancy import Workspace

DEMO_PRACTICE = "Brunswick Practice"
DEMO_PASSWORD = "brunswick-demo-2026"
DEMO_TIME_ZONE = "America/New_York"
DEMO_LOGINS = [
    ("owner@brunswick.example", "owner (Maya Brennan)"),
    ("carlos@brunswick.example", "practitioner (Carlos Diaz)"),
    ("priya@brunswick.example", "practitioner (Priya Shah), her own roster"),
    ("aisha@example.com", "client (Aisha Rahman), portal active"),
]


DEMO_COLOUR = "#2e6b4f"


def _brand(practice: Workspace, now: datetime) -> None:
    """A logo drawn at load time (a house under a roof, in the practice's colour) and a welcome."""
    drawing = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    pen = ImageDraw.Draw(drawing)
    pen.rounded_rectangle((0, 0, 127, 127), radius=28, fill=DEMO_COLOUR)
    pen.polygon([(24, 64), (64, 26), (104, 64)], fill="white")
    pen.rectangle((38, 62, 90, 102), fill="white")
    pen.rectangle((57, 76, 71, 102), fill=DEMO_COLOUR)
    png = io.BytesIO()
    drawing.save(png, "PNG")
    branding = Branding(workspace_id=practice.id, updated_at=now,
                        portal_welcome="Welcome to Brunswick Practice. Your appointments, forms and messages "
                                       "are all here.",
                        email_signature="Brunswick Practice · 12 Sydney Road, Brunswick · (03) 9555 0100")
    set_logo(branding, prepare_logo(png.getvalue()))
    db.session.add(branding)


def coming_tuesday(now: datetime, zone: ZoneInfo) -> date:
    today = now.astimezone(zone).date()
    return today + timedelta(days=(1 - today.weekday()) % 7 or 7)


def load_demo_practice() -> bool:
    """Create the demo practice unless it is there already; True if it was created."""
    if db.session.scalar(select(Workspace.id).where(Workspace.name == DEMO_PRACTICE)):
        return False
    now, zone = clock.now(), ZoneInfo(DEMO_TIME_ZONE)
    password = hash_password(DEMO_PASSWORD)
    practice = Workspace(name=DEMO_PRACTICE, time_zone=DEMO_TIME_ZONE, currency="USD", created_at=now,
                         brand_colour=DEMO_COLOUR)
    db.session.add(practice)
    db.session.flush()
    _brand(practice, now)

    def staff(email, name, role):
        return User(workspace_id=practice.id, email=email, name=name, role=role, password_hash=password,
                    created_at=now)

    owner = staff("owner@brunswick.example", "Maya Brennan", "owner")
    carlos = staff("carlos@brunswick.example", "Carlos Diaz", "practitioner")
    priya = staff("priya@brunswick.example", "Priya Shah", "practitioner")
    db.session.add_all([owner, carlos, priya])
    db.session.flush()

    def client(first, last, email, practitioner=carlos):
        person = Client(workspace_id=practice.id, first_name=first, last_name=last, email=email,
                        time_zone=DEMO_TIME_ZONE, care_team=[practitioner], created_at=now)
        db.session.add(person)
        db.session.flush()
        return person

    aisha = client("Aisha", "Rahman", "aisha@example.com")
    aisha.phone, aisha.birth_date = "+1 207 555 0134", "1991-03-14"
    account = User(workspace_id=practice.id, email=aisha.email, name=aisha.full_name, password_hash=password,
                   client_id=aisha.id, created_at=now, last_seen_at=now - timedelta(days=2))
    db.session.add(account)
    db.session.flush()
    visited = now - timedelta(days=2)  # she has used her portal before, so she is welcomed back
    db.session.add(UserSession(user_id=account.id, token_hash=digest(new_token()[0]), created_at=visited,
                               last_seen_at=visited, ended_at=visited + timedelta(minutes=20)))
    _fill_aisha_portal(practice, aisha, carlos, now, zone)

    client("Ben", "Okafor", "ben@example.com")
    _invite(client("Chloe", "Nguyen", "chloe@example.com"), carlos, sent=now - timedelta(days=1))
    _invite(client("Grace", "Kim", "grace@example.com"), carlos, sent=now - timedelta(days=9))
    undelivered = _invite(client("Dev", "Patel", "dev.patel@example.net"), carlos, sent=None)
    undelivered.failed_at = now - timedelta(hours=3)
    undelivered.failure_reason = "550 5.1.1 <dev.patel@example.net>: Recipient address rejected: User unknown"
    elena = client("Elena", "Rossi", "elena@example.com")
    elena.portal_disabled_at = now - timedelta(days=20)
    client("Farid", "Haddad", None)
    client("Hana", "Sato", "hana.sato@example.com", practitioner=priya)
    client("Jonah", "Weiss", "jonah@example.com", practitioner=priya)
    client("Mateo", "Silva", None, practitioner=priya)
    db.session.commit()
    return True


def _fill_aisha_portal(practice, aisha, carlos, now, zone) -> None:
    starts = datetime.combine(coming_tuesday(now, zone), time(10, 0), tzinfo=zone)
    db.session.add(Appointment(workspace_id=practice.id, client_id=aisha.id, practitioner_id=carlos.id,
                               starts_at=starts, duration_minutes=50, kind="telehealth",
                               join_url="https://meet.example/brunswick/carlos", created_at=now))
    sent = now - timedelta(hours=20)
    check_in = FormRequest(workspace_id=practice.id, client_id=aisha.id, title="PHQ-9 weekly check-in",
                           template_key="builtin:phq9", questions_json=json.dumps(PHQ9.questions()),
                           sent_by_user_id=carlos.id, sent_as="check_in", sent_at=sent)
    db.session.add(check_in)
    db.session.flush()
    db.session.add(FormNotice(workspace_id=practice.id, form_request_id=check_in.id, email=aisha.email,
                              created_at=sent, sent_at=sent, attempts=1))
    chat = Conversation(workspace_id=practice.id, created_at=now - timedelta(hours=3), last_message_at=now)
    db.session.add(chat)
    db.session.flush()
    db.session.add(ConversationClient(conversation_id=chat.id, client_id=aisha.id))
    for minutes_ago, body in ((90, "Hi Aisha, thanks for today's session."),
                              (85, "Here's the breathing exercise we talked about: try it twice a day.")):
        db.session.add(Message(workspace_id=practice.id, conversation_id=chat.id, sender_id=carlos.id, body=body,
                               created_at=now - timedelta(minutes=minutes_ago)))
    paid_on = datetime(2026, 5, 4, 14, 30, tzinfo=zone)
    paid = Invoice(workspace_id=practice.id, client_id=aisha.id, number="BP-1001", currency="USD", total_cents=16000,
                   issued_on=date(2026, 4, 28), due_on=date(2026, 5, 12), paid_at=paid_on, is_draft=False,
                   sent_at=datetime(2026, 4, 28, 9, 0, tzinfo=zone),
                   lines=[InvoiceLine(position=0, description="Individual session", quantity=2,
                                      unit_price_cents=8000)])
    issued = now.astimezone(zone).date() - timedelta(days=2)
    due = Invoice(workspace_id=practice.id, client_id=aisha.id, number="BP-1002", currency="USD", total_cents=9500,
                  issued_on=issued, due_on=issued + timedelta(days=14), is_draft=False, sent_at=now - timedelta(days=2),
                  lines=[InvoiceLine(position=0, description="Individual session", quantity=1, unit_price_cents=9500)])
    db.session.add_all([paid, due])
    db.session.flush()
    db.session.add(Payment(workspace_id=practice.id, client_id=aisha.id, invoice_id=paid.id, method="bank_transfer",
                           status="succeeded", amount_cents=16000, currency="USD", refunded_cents=0,
                           idempotency_key=f"demo-{paid.id}", created_at=paid_on, succeeded_at=paid_on))


def _invite(person: Client, by: User, sent: datetime | None) -> PortalInvite:
    invite = PortalInvite(workspace_id=person.workspace_id, client_id=person.id, email=person.email,
                          created_by_user_id=by.id, created_at=sent or clock.now(), attempts=1)
    if sent is not None:
        _, invite.token_hash = new_token()
        invite.sent_at, invite.expires_at = sent, sent + INVITE_TTL
    db.session.add(invite)
    return invite
