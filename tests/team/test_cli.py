"""`flask porch add-staff`: an operator adds a colleague, by a printed invite link or a password chosen now."""

from sqlalchemy import select

from app.auth.models import User
from app.db import db
from app.team.models import StaffInvite
from tests.conftest import Visitor, make_workspace

NEW_PASSWORD = "lantern-orchard-quietly-9"


def add_staff(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=["porch", "add-staff", *args], input=input)


def test_it_prints_a_one_time_invite_link_that_makes_the_login(practice, app):
    result = add_staff(app, "--workspace", "Brunswick Practice", "--email", "Dana@Brunswick.example",
                       "--name", "Dana Lee", "--role", "admin")
    assert result.exit_code == 0, result.output
    assert "Invited Dana Lee to Brunswick Practice as admin. Pass this link on; it works once, for 7 days:" \
        in result.output
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("http://porch.test/team/invite/")
    token = link.rsplit("/", 1)[1]
    assert token not in db.session.scalar(select(StaffInvite.token_hash))
    visitor = Visitor(app.test_client())
    path = link.removeprefix("http://porch.test")
    response = visitor.post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/clients"
    assert db.session.scalar(select(User.role).where(User.email == "dana@brunswick.example")) == "admin"
    assert Visitor(app.test_client()).get(path).status_code == 410


def test_it_sets_a_password_from_a_prompt(practice, app):
    result = add_staff(app, "--workspace-id", str(practice.workspace.id), "--email", "dana@brunswick.example",
                       "--name", "Dana Lee", "--set-password", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "dana@brunswick.example can log in now" in result.output
    assert NEW_PASSWORD not in result.output
    Visitor(app.test_client()).login("dana@brunswick.example", NEW_PASSWORD)
    assert db.session.scalar(select(User.role).where(User.email == "dana@brunswick.example")) == "practitioner"


def test_it_refuses_what_it_cannot_do_and_adds_nothing(practice, app):
    make_workspace("Brunswick Practice")
    cases = [
        (["--workspace", "Brunswick Practice"], "2 practices are called 'Brunswick Practice'; use --workspace-id"),
        (["--workspace", "Nowhere"], "no practices are called 'Nowhere'"),
        (["--workspace-id", "999"], "no practice has id 999"),
        ([], "Give either --workspace-id or --workspace."),
        (["--workspace-id", str(practice.workspace.id), "--role", "boss"], "'boss' is not one of"),
    ]
    for extra, message in cases:
        result = add_staff(app, "--email", "dana@brunswick.example", "--name", "Dana", *extra)
        assert result.exit_code != 0 and message in result.output, (extra, result.output)
    taken = add_staff(app, "--workspace-id", str(practice.workspace.id), "--email", "carlos@brunswick.example",
                      "--name", "Carlos again")
    assert taken.exit_code != 0 and "that address already has a login" in taken.output
    weak = add_staff(app, "--workspace-id", str(practice.workspace.id), "--email", "dana@brunswick.example",
                     "--name", "Dana", "--set-password", input="short\nshort\n")
    assert weak.exit_code != 0 and "Use at least 12 characters." in weak.output
    assert db.session.scalar(select(User.id).where(User.email == "dana@brunswick.example")) is None
    assert db.session.scalar(select(StaffInvite.id)) is None
