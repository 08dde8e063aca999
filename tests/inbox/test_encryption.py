from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import text

from app.commands import rotate_keys
from app.db import db


def raw_body(message_id: int) -> str:
    return db.session.execute(text("SELECT body FROM messages WHERE id = :id"), {"id": message_id}).scalar_one()


def test_it_stores_message_bodies_encrypted(practice, chat):
    from tests.inbox.conftest import write

    message = write(chat, practice.carlos, "Your blood test shows low iron.")
    raw = raw_body(message.id)
    assert "iron" not in raw and "blood" not in raw
    db.session.expire_all()
    assert db.session.get(type(message), message.id).body == "Your blood test shows low iron."


def test_it_reencrypts_message_bodies_under_a_new_key(practice, chat, app):
    from tests.inbox.conftest import write

    message = write(chat, practice.carlos, "Private words")
    new_key = Fernet.generate_key().decode()
    app.config["PORCH_ENCRYPTION_KEYS"] = [new_key, *app.config["PORCH_ENCRYPTION_KEYS"]]
    app.extensions.pop("porch.keyring", None)
    assert CliRunner().invoke(rotate_keys, catch_exceptions=False).exit_code == 0
    assert Fernet(new_key.encode()).decrypt(raw_body(message.id).encode()) == b"Private words"
