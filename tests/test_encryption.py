from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import text

from app.commands import rotate_keys
from app.db import db
from tests.conftest import make_client


def raw_phone(client_id: int) -> str:
    return db.session.execute(text("SELECT phone FROM clients WHERE id = :id"), {"id": client_id}).scalar_one()


def test_it_stores_sensitive_columns_encrypted(practice):
    client = make_client(practice.workspace, "Eve", "Secret", "eve@example.com")
    client.phone, client.birth_date = "+1 555 0142", "1980-02-29"
    db.session.commit()
    raw = db.session.execute(text("SELECT phone, birth_date FROM clients WHERE id = :id"),
                             {"id": client.id}).one()
    assert "0142" not in raw.phone and "1980" not in raw.birth_date
    db.session.expire_all()
    assert db.session.get(type(client), client.id).phone == "+1 555 0142"


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
