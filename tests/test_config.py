"""Start-up settings: production refuses weak or missing secrets; development makes its own, once."""

import stat

import pytest
from cryptography.fernet import Fernet

from app import create_app
from app.config import ConfigError, load_settings

STRONG_SECRET = "k3Xv9-QpL2mZ8wRt7YbN4cHs6JdF1gUe5aTo0iVyPxWnKqMrEz"
KEY = Fernet.generate_key().decode()


def production(**settings) -> dict:
    return {"PORCH_ENV": "production", "SECRET_KEY": STRONG_SECRET, "PORCH_ENCRYPTION_KEYS": KEY,
            "PORCH_BASE_URL": "https://portal.example.org", **settings}


def without(environ: dict, name: str) -> dict:
    return {key: value for key, value in environ.items() if key != name}


def test_it_starts_in_production_with_strong_settings(tmp_path):
    settings = load_settings(production(), tmp_path)
    assert settings["PORCH_ENV"] == "production"
    assert settings["SECRET_KEY"] == STRONG_SECRET
    assert settings["PORCH_ENCRYPTION_KEYS"] == [KEY]
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert list(tmp_path.iterdir()) == []


def test_it_refuses_production_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(without(production(), "SECRET_KEY"), tmp_path)


@pytest.mark.parametrize("weak", ["changeme", "", "a" * 64, STRONG_SECRET[:31]])
def test_it_refuses_production_with_a_weak_secret_key(tmp_path, weak):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(production(SECRET_KEY=weak), tmp_path)


def test_it_refuses_production_without_encryption_keys(tmp_path):
    with pytest.raises(ConfigError, match="PORCH_ENCRYPTION_KEYS"):
        load_settings(without(production(), "PORCH_ENCRYPTION_KEYS"), tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("env", ["production", "development"])
@pytest.mark.parametrize("keys", ["not-a-fernet-key", f"{KEY},tooshort", "x" * 44])
def test_it_refuses_an_encryption_key_that_is_not_a_fernet_key(tmp_path, env, keys):
    with pytest.raises(ConfigError, match="PORCH_ENCRYPTION_KEYS"):
        load_settings(production(PORCH_ENV=env, PORCH_ENCRYPTION_KEYS=keys), tmp_path)


def test_it_keeps_every_encryption_key_newest_first(tmp_path):
    older = Fernet.generate_key().decode()
    settings = load_settings(production(PORCH_ENCRYPTION_KEYS=f" {KEY} , {older},"), tmp_path)
    assert settings["PORCH_ENCRYPTION_KEYS"] == [KEY, older]


def test_it_refuses_to_create_a_production_app_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("PORCH_ENV", "production")
    monkeypatch.setenv("PORCH_ENCRYPTION_KEYS", KEY)
    monkeypatch.setenv("PORCH_BASE_URL", "https://portal.example.org")
    monkeypatch.setenv("PORCH_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


@pytest.mark.parametrize("given, used", [
    ("postgres://porch:pw@db.internal:5432/porch", "postgresql+psycopg://porch:pw@db.internal:5432/porch"),
    ("postgresql://porch@db.internal/porch", "postgresql+psycopg://porch@db.internal/porch"),
    ("postgresql+psycopg://porch@db.internal/porch", "postgresql+psycopg://porch@db.internal/porch"),
    ("sqlite:////srv/porch/porch.db", "sqlite:////srv/porch/porch.db"),
])
def test_it_uses_psycopg_for_any_postgresql_url(tmp_path, given, used):
    assert load_settings(production(DATABASE_URL=given), tmp_path)["SQLALCHEMY_DATABASE_URI"] == used


def test_it_defaults_to_sqlite_in_the_instance_folder(tmp_path):
    assert load_settings({}, tmp_path)["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'porch.db'}"


def test_it_makes_development_secrets_once_and_reuses_them(tmp_path):
    first = load_settings({}, tmp_path)
    second = load_settings({}, tmp_path)
    assert len(first["SECRET_KEY"]) >= 32
    Fernet(first["PORCH_ENCRYPTION_KEYS"][0])
    assert (second["SECRET_KEY"], second["PORCH_ENCRYPTION_KEYS"]) == \
        (first["SECRET_KEY"], first["PORCH_ENCRYPTION_KEYS"])


def test_it_keeps_development_secrets_readable_by_the_owner_only(tmp_path):
    load_settings({}, tmp_path)
    kept = list(tmp_path.iterdir())
    assert len(kept) == 1
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600


def test_it_makes_different_secrets_for_each_instance(tmp_path):
    one = load_settings({}, tmp_path / "one")
    two = load_settings({}, tmp_path / "two")
    assert one["SECRET_KEY"] != two["SECRET_KEY"]
    assert one["PORCH_ENCRYPTION_KEYS"] != two["PORCH_ENCRYPTION_KEYS"]


def test_it_uses_given_secrets_in_development_and_writes_nothing(tmp_path):
    settings = load_settings({"SECRET_KEY": "dev", "PORCH_ENCRYPTION_KEYS": KEY}, tmp_path)
    assert (settings["SECRET_KEY"], settings["PORCH_ENCRYPTION_KEYS"]) == ("dev", [KEY])
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert list(tmp_path.iterdir()) == []


def test_it_refuses_production_without_a_base_url(tmp_path):
    with pytest.raises(ConfigError, match="PORCH_BASE_URL"):
        load_settings(without(production(), "PORCH_BASE_URL"), tmp_path)
