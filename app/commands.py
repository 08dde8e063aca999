"""`flask porch …`: set-up and upkeep commands for operators."""

from itertools import chain

import click
from cryptography.fernet import Fernet
from flask.cli import AppGroup
from sqlalchemy import select

from app import clock
from app.audit.chain import verify
from app.auth.models import STAFF_ROLES, User
from app.auth.passwords import hash_password, password_problem
from app.clients.invites import INVITE_TTL
from app.db import db
from app.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_PRACTICE, load_demo_practice
from app.documents.service import rewrap_data_keys
from app.mail import link_to
from app.rotation import ROTATION_BATCH, reencrypt_columns
from app.team.invites import add_staff_with_password, hand_out_staff_invite
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


@porch.command("add-staff")
@click.option("--workspace-id", type=int, help="The practice's id (or give --workspace).")
@click.option("--workspace", "workspace_name", help="The practice's name, if no other practice has it.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(STAFF_ROLES), default="practitioner", show_default=True)
@click.option("--set-password", is_flag=True,
              help="Choose the password now (asked for) instead of printing an invite link.")
def add_staff(workspace_id, workspace_name, email, name, role, set_password):
    """Add a colleague to a practice: print a one-time invite link to pass on, or set their password now."""
    workspace = _workspace_named(workspace_id, workspace_name)
    if db.session.scalar(select(User.id).where(User.email == email.strip().lower())):
        raise click.BadParameter("that address already has a login", param_hint="--email")
    if set_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if problem := password_problem(password, email):
            raise click.BadParameter(problem, param_hint="password")
        add_staff_with_password(workspace, email=email, name=name, role=role, password=password)
        db.session.commit()
        click.echo(f"Added {name} to {workspace.name} as {role}; {email.strip().lower()} can log in now.")
        return
    token = hand_out_staff_invite(workspace, email=email, name=name, role=role)
    db.session.commit()
    click.echo(f"Invited {name} to {workspace.name} as {role}. Pass this link on; it works once, "
               f"for {INVITE_TTL.days} days:")
    click.echo(link_to("team.accept", token=token))


def _workspace_named(workspace_id: int | None, name: str | None) -> Workspace:
    if (workspace_id is None) == (name is None):
        raise click.UsageError("Give either --workspace-id or --workspace.")
    if workspace_id is not None:
        workspace = db.session.get(Workspace, workspace_id)
        if workspace is None:
            raise click.BadParameter(f"no practice has id {workspace_id}", param_hint="--workspace-id")
        return workspace
    found = db.session.scalars(select(Workspace).where(Workspace.name == name)).all()
    if len(found) != 1:
        raise click.BadParameter(f"{len(found) or 'no'} practices are called {name!r}"
                                 + ("; use --workspace-id" if found else ""), param_hint="--workspace")
    return found[0]


@porch.command("new-key")
def new_key():
    """Print a new encryption key for PORCH_ENCRYPTION_KEYS."""
    click.echo(Fernet.generate_key().decode())


@porch.command("rotate-keys")
@click.option("--batch-size", default=ROTATION_BATCH, show_default=True, type=click.IntRange(min=1),
              help="Rows or files handled between two commits.")
def rotate_keys(batch_size):
    """Re-encrypt every encrypted column and re-wrap every stored file's key under the first key.

    Safe to run again: what is already under the first key is left alone, so a run cut short carries on.
    """
    done = []
    for rotated in chain(reencrypt_columns(batch_size), rewrap_data_keys(batch_size)):
        click.echo(str(rotated))
        for problem in rotated.problems:
            click.echo(f"  {problem}")
        done.append(rotated)
    if any(r.failed for r in done):
        raise click.ClickException(f"{sum(r.failed for r in done)} could not be re-encrypted (listed above); "
                                   "keep the old key until they are fixed.")
    if not any(r.rewrapped for r in done):
        click.echo("Nothing left to do: everything is under the newest key.")
    else:
        click.echo("Done: everything is under the newest key; the old key may now be dropped.")


@porch.command("verify-audit")
def verify_audit():
    """Check the audit trail's hash chain from its first row; name the first row that breaks it."""
    verdict = verify()
    if not verdict.holds:
        raise click.ClickException(f"The audit trail is broken at row {verdict.broken_id}: {verdict.reason}. "
                                   f"{verdict.checked} rows before it are intact.")
    click.echo(f"The audit trail is intact: {verdict.checked} rows, each chained to the one before.")
