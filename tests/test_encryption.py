"""Health data is encrypted at rest: read back raw with plain SQL (and the document store's raw bytes), no
column and no stored file holds it in the clear, and rotate-keys moves all of it to a new key."""

import uuid
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from app import clock
from app.commands import rotate_keys
from app.db import EncryptedText, db
from tests.conftest import make_client, make_portal_account

# Each said once, in the one place it belongs; none of them may turn up anywhere else in the clear.
HEALTH_DATA = {
    "message body": "my liver results came back worse",
    "group name": "Alcohol recovery circle",
    "appointment location": "Eating disorder unit, ward 7",
    "appointment note": "bring your insulin diary",
    "form answer": "I relapsed on Friday night",
    "document title": "HIV viral load result",
    "document file name": "psychiatric-assessment.pdf",
    "document note": "viral load undetectable since March",
    "client phone": "+1 555 0142",
    "client date of birth": "1980-02-29",
    "contact note": "Crisis team on 555 0199 after hours",
    "acknowledgement note": "Spoke with her GP about the overdose risk",
    "staff phone": "+1 555 0177",
    "invoice line": "Methadone maintenance review",
}


def record_health_data(practice, as_user) -> None:
    """Everything above, entered the way the practice and the client enter it."""
    from app.appointments.service import Details, book_appointment
    from app.billing.service import Line, create_invoice
    from app.documents.service import share_document
    from app.forms.builder import create_template
    from app.forms.models import FormAlert
    from app.forms.service import send_form
    from app.inbox.service import change_mode, start_conversation
    from tests.documents import files
    from tests.documents.conftest import a_file

    aisha = practice.aisha
    aisha.phone, aisha.birth_date = HEALTH_DATA["client phone"], HEALTH_DATA["client date of birth"]
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com", care_team=[practice.carlos])
    make_portal_account(aisha)
    change_mode(practice.workspace, "reply_only", HEALTH_DATA["contact note"])
    start_conversation(practice.carlos, [aisha, ben], HEALTH_DATA["message body"], str(uuid.uuid4()),
                       title=HEALTH_DATA["group name"])
    book_appointment(aisha, practice.carlos, Details(
        starts_at=clock.now() + timedelta(days=3), duration_minutes=50, practitioner_id=practice.carlos.id,
        kind="in_person", join_url=None, location=HEALTH_DATA["appointment location"],
        note=HEALTH_DATA["appointment note"]), str(uuid.uuid4()))
    share_document(aisha, practice.carlos, title=HEALTH_DATA["document title"], kind="lab_result",
                   request_key=str(uuid.uuid4()), note=HEALTH_DATA["document note"])
    template = create_template(practice.workspace.id, practice.carlos, "Weekly check-in", str(uuid.uuid4()))
    create_invoice(aisha, "USD", clock.now().date(), clock.now().date(), [Line(HEALTH_DATA["invoice line"], 1, 9500)])
    db.session.commit()

    carlos, portal = as_user(practice.carlos), as_user(aisha.account)
    assert carlos.post("/account/profile", {"preferred_name": "", "phone": HEALTH_DATA["staff phone"],
                                            "time_zone": "UTC"}).status_code == 303
    assert carlos.post(f"/forms/{template.id}/questions",
                       {"prompt": "How was your week?", "kind": "long_text"}).status_code == 303
    form = send_form(aisha, practice.carlos, f"template:{template.id}")
    db.session.commit()
    question = template.questions[0].id
    assert portal.post(f"/portal/forms/{form.id}", {f"shown-c{question}": "", "action": "send",
                                                   f"answer-c{question}": HEALTH_DATA["form answer"]}
                       ).status_code == 303
    phq9 = send_form(aisha, practice.carlos, "builtin:phq9")
    db.session.commit()
    answers = {f"answer-q{n}": "0" for n in range(1, 9)} | {"answer-q9": "1"}
    assert portal.post(f"/portal/forms/{phq9.id}", {**{f"shown-q{n}": "" for n in range(1, 10)}, **answers,
                                                   "action": "send"}).status_code == 303
    alert = db.session.scalar(select(FormAlert))
    assert carlos.post(f"/clients/{aisha.id}/alerts/{alert.id}/acknowledge",
                       {f"alert-{alert.id}-note": HEALTH_DATA["acknowledgement note"]}).status_code == 303
    assert portal.post("/portal/documents/upload", {"file": a_file(files.pdf(), HEALTH_DATA["document file name"])}
                       ).status_code == 303


def everything_stored(app) -> str:
    """Every value of every row of every table, read with plain SQL, and the raw bytes of every stored file."""
    values = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f"SELECT * FROM {table.name}")):
            values.extend(str(value) for value in row)
    for path in Path(app.config["PORCH_STORAGE_DIR"]).rglob("*"):
        if path.is_file():
            values.append(path.read_bytes().decode("latin-1"))
    return "\n".join(values).casefold()


def test_it_stores_no_health_data_in_the_clear(practice, as_user, app):
    record_health_data(practice, as_user)
    stored = everything_stored(app)
    assert [what for what, plain in HEALTH_DATA.items() if plain.casefold() in stored] == []


def test_it_shows_what_it_encrypted_to_the_people_who_may_see_it(practice, as_user, app):
    record_health_data(practice, as_user)
    db.session.expire_all()
    carlos = as_user(practice.carlos)
    assert HEALTH_DATA["group name"] in carlos.get("/inbox").get_data(as_text=True)
    portal = as_user(practice.aisha.account)
    assert HEALTH_DATA["appointment location"] in portal.get("/portal/appointments").get_data(as_text=True)
    assert HEALTH_DATA["contact note"] in portal.get("/portal/messages").get_data(as_text=True)


def raw_phone(client_id: int) -> str:
    return db.session.execute(text("SELECT phone FROM clients WHERE id = :id"), {"id": client_id}).scalar_one()


def test_it_reencrypts_under_a_new_first_key(practice, app):
    client = make_client(practice.workspace, "Eve", "Secret", "eve@example.com")
    client.phone = "+1 555 0142"
    db.session.commit()
    old_keys = app.config["PORCH_ENCRYPTION_KEYS"]
    new_key = Fernet.generate_key().decode()
    app.config["PORCH_ENCRYPTION_KEYS"] = [new_key, *old_keys]
    app.extensions.pop("porch.keyring", None)
    result = CliRunner().invoke(rotate_keys, catch_exceptions=False, obj=None)
    assert result.exit_code == 0, result.output
    assert Fernet(new_key.encode()).decrypt(raw_phone(client.id).encode()) == b"+1 555 0142"
    app.config["PORCH_ENCRYPTION_KEYS"] = [new_key]  # the old key can now be retired
    app.extensions.pop("porch.keyring", None)
    db.session.expire_all()
    assert db.session.get(type(client), client.id).phone == "+1 555 0142"


def test_it_moves_every_encrypted_column_to_the_new_key(practice, as_user, app):
    record_health_data(practice, as_user)
    new_key = Fernet.generate_key().decode()
    app.config["PORCH_ENCRYPTION_KEYS"] = [new_key, *app.config["PORCH_ENCRYPTION_KEYS"]]
    app.extensions.pop("porch.keyring", None)
    result = CliRunner().invoke(rotate_keys, catch_exceptions=False, obj=None)
    assert result.exit_code == 0, result.output
    opened = set()
    for table in db.metadata.sorted_tables:
        for column in (c for c in table.columns if isinstance(c.type, EncryptedText)):
            for token in db.session.execute(text(f"SELECT {column.name} FROM {table.name}")).scalars():
                if token is not None:
                    opened.add(Fernet(new_key.encode()).decrypt(token.encode()).decode())
    for what in ("group name", "appointment location", "contact note", "message body", "form answer"):
        assert any(HEALTH_DATA[what] in value for value in opened), what


def test_it_carries_on_with_the_columns_after_a_run_cut_short(practice, app, monkeypatch):
    from app import crypto

    for name in ("Eve", "Fay", "Gus"):
        make_client(practice.workspace, name, "Secret", f"{name.lower()}@example.com").phone = "+1 555 0142"
    db.session.commit()
    app.config["PORCH_ENCRYPTION_KEYS"] = [Fernet.generate_key().decode(), *app.config["PORCH_ENCRYPTION_KEYS"]]
    app.extensions.pop("porch.keyring", None)
    reencrypt, calls = crypto.reencrypt, []

    def power_cut_at_the_second_row(token):
        calls.append(token)
        if len(calls) == 2:
            raise SystemExit("power cut")
        return reencrypt(token)

    monkeypatch.setattr(crypto, "reencrypt", power_cut_at_the_second_row)
    assert CliRunner().invoke(rotate_keys, ["--batch-size", "1"]).exit_code != 0
    monkeypatch.setattr(crypto, "reencrypt", reencrypt)

    resumed = CliRunner().invoke(rotate_keys, ["--batch-size", "1"], catch_exceptions=False)
    assert resumed.exit_code == 0, resumed.output
    assert "clients (phone, birth_date): 2 rows re-encrypted, 2 already under the newest key, 0 failed" \
        in resumed.output


def test_it_stores_authenticator_secrets_encrypted_and_recovery_codes_hashed(practice, as_user, app):
    from tests.auth.mfa_steps import turn_on_mfa

    aisha = make_portal_account(practice.aisha)
    codes = turn_on_mfa(as_user(aisha), aisha)
    db.session.refresh(aisha)
    stored = everything_stored(app)
    assert aisha.totp_secret.casefold() not in stored
    assert [code for code in codes if code.casefold() in stored or code.replace("-", "").casefold() in stored] == []
