"""Settings read from the environment, with embedded-mode defaults that need nothing installed."""

import json
import os
import secrets
import threading
from pathlib import Path

from cryptography.fernet import Fernet

MIN_SECRET_KEY_LENGTH = 32
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


class ConfigError(RuntimeError):
    """Start-up refused: the message says which setting to fix."""


def socket_reader(target) -> threading.Thread:
    """simple-websocket's reader thread for one live socket, as a daemon: a stopping web process must not wait for
    a socket whose other end went quiet (gunicorn's gthread worker would hang until it is killed)."""
    return threading.Thread(target=target, daemon=True)

def load_settings(environ: dict[str, str], instance_path: Path) -> dict:
    production = environ.get("PORCH_ENV", "development") == "production"
    if production and not environ.get("PORCH_BASE_URL"):
        raise ConfigError("PORCH_BASE_URL must be set when PORCH_ENV=production: the public https:// address "
                          "of this Porch, used in every link Porch e-mails.")
    database = database_url(environ.get("DATABASE_URL"), instance_path)
    settings = {
        "PORCH_ENV": "production" if production else "development",
        "PORCH_BASE_URL": environ.get("PORCH_BASE_URL", DEFAULT_BASE_URL).rstrip("/"),
        "SQLALCHEMY_DATABASE_URI": database,
        # Errors and logs show SQL without its values: those are names, addresses, health data. A pooled
        # PostgreSQL connection is checked before each request reuses it (the server may have restarted since);
        # a SQLite file can't go away under an open connection, so it is not pinged on every request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, "pool_pre_ping": not database.startswith("sqlite")},
        "REDIS_URL": environ.get("REDIS_URL") or None,
        "SMTP_URL": environ.get("SMTP_URL") or None,
        "MAIL_FROM": environ.get("MAIL_FROM", "portal@porch.localhost"),
        "PORCH_MAIL_RETRY_HOURS": float(environ.get("PORCH_MAIL_RETRY_HOURS", "24")),
        # After this a send claimed by a worker that died is taken over by the sweep (keep it above SMTP timeouts).
        "PORCH_MAIL_CLAIM_LEASE_SECONDS": float(environ.get("PORCH_MAIL_CLAIM_LEASE_SECONDS", "300")),
        "PORCH_PAYMENT_PROCESSOR": environ.get("PORCH_PAYMENT_PROCESSOR", "test"),
        "PORCH_RUN_JOBS": environ.get("PORCH_RUN_JOBS", "1") != "0",
        "PORCH_SWEEPS": "jobs.sweeps.run_sweeps",  # what the embedded job thread runs every SWEEP_INTERVAL
        "PORCH_PROXY_HOPS": int(environ.get("PORCH_PROXY_HOPS", "0")),
        "PORCH_STORAGE_DIR": environ.get("PORCH_STORAGE_DIR") or str(instance_path / "documents"),
        "PORCH_DOCUMENT_MAX_BYTES": bytes_from_megabytes(environ.get("PORCH_DOCUMENT_MAX_MB", "25")),
        "PORCH_VIDEO_MAX_BYTES": bytes_from_megabytes(environ.get("PORCH_VIDEO_MAX_MB", "200")),
        "PORCH_PLAIN_UPLOAD_MAX_BYTES": bytes_from_megabytes(environ.get("PORCH_PLAIN_UPLOAD_MAX_MB", "25")),
        "PORCH_CLIENT_QUOTA_BYTES": bytes_from_megabytes(environ.get("PORCH_CLIENT_QUOTA_MB", "1000")),
        "PORCH_CLIENT_IDLE_MINUTES": int(environ.get("PORCH_CLIENT_IDLE_MINUTES", "30")),
        "PORCH_STAFF_IDLE_MINUTES": int(environ.get("PORCH_STAFF_IDLE_MINUTES", "480")),
        "STRIPE_SECRET_KEY": environ.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": environ.get("STRIPE_WEBHOOK_SECRET") or None,
        "STRIPE_API_BASE": environ.get("STRIPE_API_BASE") or "https://api.stripe.com",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "porch_session",
        "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_HEADERS_ENABLED": True,
        # While Redis is unreachable the route limits count in each process's memory instead of failing the page.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "SOCK_SERVER_OPTIONS": {"ping_interval": 25, "max_message_size": 1024, "thread_class": socket_reader},
    }
    settings["RATELIMIT_STORAGE_URI"] = settings["REDIS_URL"] or "memory://"
    settings.update(secrets_for(environ, instance_path, production))
    return settings


def bytes_from_megabytes(value: str) -> int:
    """A size setting given in MB (decimals allowed), as bytes."""
    return int(float(value) * 1024 * 1024)


def database_url(url: str | None, instance_path: Path) -> str:
    if not url:
        return f"sqlite:///{instance_path / 'porch.db'}"
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def secrets_for(environ: dict[str, str], instance_path: Path, production: bool) -> dict:
    """SECRET_KEY and the encryption keys; outside production, missing ones are made once and kept."""
    secret_key = environ.get("SECRET_KEY", "")
    keys = [k.strip() for k in environ.get("PORCH_ENCRYPTION_KEYS", "").split(",") if k.strip()]
    if production:
        if len(secret_key) < MIN_SECRET_KEY_LENGTH or len(set(secret_key)) < 10:
            raise ConfigError(
                f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_KEY_LENGTH} characters "
                "when PORCH_ENV=production (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        if not keys:
            raise ConfigError(
                "PORCH_ENCRYPTION_KEYS must be set when PORCH_ENV=production: one or more Fernet keys, "
                "comma-separated, newest first (make one with `flask porch new-key`)."
            )
    elif not secret_key or not keys:
        kept = development_secrets(instance_path)
        secret_key = secret_key or kept["SECRET_KEY"]
        keys = keys or kept["PORCH_ENCRYPTION_KEYS"]
    for key in keys:
        try:
            Fernet(key)
        except ValueError as error:
            raise ConfigError("PORCH_ENCRYPTION_KEYS holds a key that is not a valid Fernet key.") from error
    return {"SECRET_KEY": secret_key, "PORCH_ENCRYPTION_KEYS": keys}


def development_secrets(instance_path: Path) -> dict:
    path = instance_path / "development-secrets.json"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump({"SECRET_KEY": secrets.token_urlsafe(48),
                       "PORCH_ENCRYPTION_KEYS": [Fernet.generate_key().decode()]}, file)
        try:
            os.link(draft, path)  # atomic, and never replaces what a process starting beside us made
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return json.loads(path.read_text())
