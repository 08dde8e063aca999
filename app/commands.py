"""`flask porch …`: set-up and upkeep commands for operators."""

import click
from cryptography.fernet import Fernet
from flask.cli import AppGroup
from sqlalchemy import Text, cast, literal, select

from app import clock
from app.auth.models import User
from app.auth.passwords import hash_password, password_problem
from app.db import EncryptedText, db
from app.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_PRACTICE, load_demo_practice
from app.tenancy import Workspace

porch = AppGroup("porch", help="Porch set-up and upkeep.")


@porch.command("demo")
def demo():
    """Load the demo practice (once) and print its logins."""
    created = load_demo_practice()
    click.echo(f"{DEMO_PRACTICE} {'loaded' if created else 'is already loaded'}. Demo logins "
               f"(password {DEMO_PASSWORD}):")
    for email, who in DEMO_LOGINS:
        click.echo(f"  {email:<28} {who}")


@porch.command("create-workspace")
@click.option("--name", required=True, help="The practice's name, as clients will see it.")
@click.option("--owner-email", required=True)
@click.option("--owner-name", required=True)
@click.option("--time-zone", default="UTC", show_default=True)
@click.password_option("--password", help="The owner's password (asked for if not given).")
def create_workspace(name, owner_email, owner_name, time_zone, password):
    """Create a practice and its owner's login."""
    problem = password_problem(password, owner_email)
    if problem:
        raise click.BadParameter(problem, param_hint="--password")
    if db.session.scalar(select(User.id).where(User.email == owner_email.strip().lower())):
        raise click.BadParameter("that address already has a login", param_hint="--owner-email")
    now = clock.now()
    workspace = Workspace(name=name, time_zone=time_zone, created_at=now)
    db.session.add(workspace)
    db.session.flush()
    db.session.add(User(workspace_id=workspace.id, email=owner_email.strip().lower(), name=owner_name,
                        role="owner", password_hash=hash_password(password), created_at=now))
    db.session.commit()
    click.echo(f"Created {name}; {owner_email} can log in now.")


@porch.command("new-key")
def new_key():
    """Print a new encryption key for PORCH_ENCRYPTION_KEYS."""
    click.echo(Fernet.generate_key().decode())


@porch.command("rotate-keys")
def rotate_keys():
    """Re-encrypt every encrypted column under the first key in PORCH_ENCRYPTION_KEYS."""
    from app.crypto import reencrypt

    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText)]
        if not columns:
            continue
        raw = [c.name for c in columns]
        key = table.primary_key.columns.values()
        rows = db.session.execute(select(*key, *[cast(table.c[name], Text) for name in raw])).all()
        for row in rows:
            ids = dict(zip([k.name for k in key], row[:len(key)], strict=True))
            values = {name: reencrypt(token) for name, token in zip(raw, row[len(key):], strict=True) if token}
            if values:
                db.session.execute(table.update().where(*[table.c[k] == v for k, v in ids.items()])
                                   .values(**{n: literal(v, Text) for n, v in values.items()}))
        click.echo(f"{table.name}: {len(rows)} rows re-encrypted")
    db.session.commit()
