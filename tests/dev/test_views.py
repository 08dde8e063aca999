"""The embedded Outbox: an owner reads the practice's mail, but never another person's way into their account."""

import re

import pytest
from sqlalchemy import select

from app.clients.invites import send_portal_invite
from app.db import db
from app.mail import OutboxEmail
from tests.conftest import make_portal_account, run_jobs

LINK = re.compile(r"https?://\S+/(?:invite|password/reset)/(\S+)")


def mailed(app, template: str) -> OutboxEmail:
    run_jobs(app)
    return db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == template)
                              .order_by(OutboxEmail.id.desc())).first()


@pytest.fixture
def carlos_reset(app, practice, visitor) -> OutboxEmail:
    """The reset e-mail Carlos asked for, as the embedded outbox holds it (body, link and all)."""
    visitor.post("/password/forgot", {"email": "carlos@brunswick.example"})
    return mailed(app, "password_reset")


def test_it_hides_a_colleagues_reset_link_from_the_owner(practice, carlos_reset, as_user):
    token = LINK.search(carlos_reset.body_text).group(1)
    owner = as_user(practice.owner)
    page = owner.get(f"/dev/outbox/{carlos_reset.id}").get_data(as_text=True)
    assert "Sent to carlos@…; only Carlos can open it." in page
    assert "/password/reset/" not in page and token not in page
    assert "carlos@brunswick.example" not in page
    listing = owner.get("/dev/outbox").get_data(as_text=True)
    assert f"/dev/outbox/{carlos_reset.id}" in listing
    assert token not in listing and "carlos@brunswick.example" not in listing


def test_it_hides_a_clients_reset_link_too(app, practice, visitor, as_user):
    make_portal_account(practice.aisha)
    visitor.post("/password/forgot", {"email": "aisha@example.com"})
    reset = mailed(app, "password_reset")
    page = as_user(practice.admin).get(f"/dev/outbox/{reset.id}").get_data(as_text=True)
    assert "Sent to aisha@…; only Aisha can open it." in page
    assert LINK.search(reset.body_text).group(1) not in page


def test_it_shows_a_clients_invite_with_its_link(app, practice, as_user):
    send_portal_invite(practice.aisha, sent_by=practice.owner)
    db.session.commit()
    invite = mailed(app, "portal_invite")
    page = as_user(practice.owner).get(f"/dev/outbox/{invite.id}").get_data(as_text=True)
    assert "To aisha@example.com" in page
    assert LINK.search(invite.body_text).group(0) in page


def test_it_answers_404_for_another_workspaces_mail(practice, outsider, carlos_reset, as_user):
    response = as_user(outsider.owner).get(f"/dev/outbox/{carlos_reset.id}")
    assert response.status_code == 404
    assert "carlos" not in as_user(outsider.owner).get("/dev/outbox").get_data(as_text=True)


def test_it_keeps_the_outbox_from_practitioners(practice, carlos_reset, as_user):
    assert as_user(practice.priya).get(f"/dev/outbox/{carlos_reset.id}").status_code == 403


def _many_emails(workspace, count: int) -> None:
    from app import clock

    db.session.add_all([OutboxEmail(workspace_id=workspace.id, to_address=f"c{n}@example.com", template="new_message",
                                    subject=f"Mail {n:03d}", body_text="hello", status="sent",
                                    created_at=clock.now()) for n in range(count)])
    db.session.commit()


def _email_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/dev/outbox/(\d+)">', html)]


def _next(html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)"[^>]*rel="next"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_it_pages_the_outbox_newest_first_without_javascript_and_rows_alone_for_htmx(practice, as_user):
    _many_emails(practice.workspace, 120)
    owner = as_user(practice.owner)
    seen, url = [], "/dev/outbox"
    while url:
        html = owner.get(url).get_data(as_text=True)
        seen.append(_email_ids(html))
        url = _next(html)
    assert [len(ids) for ids in seen] == [50, 50, 20]
    everything = [i for ids in seen for i in ids]
    assert everything == sorted(everything, reverse=True) and len(set(everything)) == 120
    first = owner.get("/dev/outbox").get_data(as_text=True)
    rest = owner.get(_next(first), htmx=True).get_data(as_text=True)
    assert rest.lstrip().startswith('<tbody id="outbox-rows">') and _email_ids(rest) == seen[1]


def test_the_outbox_runs_the_same_queries_for_5_or_120_emails(practice, as_user):
    from tests.conftest import counting_queries

    owner = as_user(practice.owner)
    _many_emails(practice.workspace, 5)
    with counting_queries() as few:
        owner.get("/dev/outbox")
    _many_emails(practice.workspace, 115)
    with counting_queries() as many:
        owner.get("/dev/outbox")
    assert len(few) == len(many)
