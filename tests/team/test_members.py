"""A colleague's page: changing a role, deactivating and reactivating, and who may do which."""

import threading
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.db import db
from app.team.service import LastOwner, change_role, deactivate
from tests.conftest import (
    CSRF_IN_PAGE,
    PASSWORD,
    HttpVisitor,
    Visitor,
    link_in,
    make_portal_account,
    make_staff,
    make_workspace,
    wait_until,
)
from tests.inbox.test_live import closed_within, compose, signed_in, socket_of


def role_of(user: User) -> str:
    db.session.expire_all()
    return db.session.get(User, user.id).role


def test_it_lets_an_owner_change_a_role_and_audits_it(practice, as_user):
    owner = as_user(practice.owner)
    response = owner.post(f"/settings/team/{practice.carlos.id}/role", {"role": "admin"})
    assert response.status_code == 303
    assert "Carlos Diaz is now admin." in owner.get(response.headers["Location"]).get_data(as_text=True)
    assert role_of(practice.carlos) == "admin"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.role_changed"))
    assert (event.actor_user_id, event.subject_user_id, event.detail) == (
        practice.owner.id, practice.carlos.id, "practitioner → admin")


def test_it_keeps_one_active_owner_whatever_is_asked(practice, as_user):
    owner = as_user(practice.owner)
    response = owner.post(f"/settings/team/{practice.owner.id}/role", {"role": "admin"})
    assert response.status_code == 409
    assert "Brunswick Practice needs at least one active owner. Make someone else an owner first." in \
        response.get_data(as_text=True)
    assert 'id="role-error"' in response.get_data(as_text=True)
    assert role_of(practice.owner) == "owner"
    with pytest.raises(LastOwner):
        deactivate(practice.owner)
    db.session.rollback()
    assert db.session.get(User, practice.owner.id).is_active


def test_it_lets_an_owner_step_down_once_there_is_another_owner(practice, as_user):
    owner = as_user(practice.owner)
    assert owner.post(f"/settings/team/{practice.admin.id}/role", {"role": "owner"}).status_code == 303
    assert owner.post(f"/settings/team/{practice.owner.id}/role", {"role": "admin"}).status_code == 303
    assert (role_of(practice.owner), role_of(practice.admin)) == ("admin", "owner")


def test_it_does_not_count_a_deactivated_owner(practice):
    change_role(practice.admin, "owner")
    deactivate(practice.admin)
    db.session.commit()
    with pytest.raises(LastOwner):
        change_role(practice.owner, "practitioner")


def test_it_refuses_admins_anything_about_owners(practice, as_user):
    admin = as_user(practice.admin)
    assert admin.post(f"/settings/team/{practice.carlos.id}/role", {"role": "owner"}).status_code == 403
    assert admin.post(f"/settings/team/{practice.owner.id}/role", {"role": "practitioner"}).status_code == 403
    assert admin.post(f"/settings/team/{practice.owner.id}/deactivate").status_code == 403
    assert admin.post("/settings/team/invite", {"name": "New Owner", "email": "new@brunswick.example",
                                                "role": "owner", "request_key": "2b1f3c4d-0000-4000-8000-000000000002"}
                      ).status_code == 422
    assert role_of(practice.carlos) == "practitioner" and role_of(practice.owner) == "owner"
    page = admin.get(f"/settings/team/{practice.owner.id}").get_data(as_text=True)
    assert "only an owner can change an owner" in page and "Deactivate" not in page
    invite_form = admin.get("/settings/team").get_data(as_text=True)
    assert '<option value="owner"' not in invite_form
    assert admin.post(f"/settings/team/{practice.carlos.id}/role", {"role": "admin"}).status_code == 303


@pytest.mark.parametrize("method, path", [
    ("get", "/settings/team"), ("get", "/settings/team/{carlos}"), ("post", "/settings/team/{carlos}/role"),
    ("post", "/settings/team/{priya}/deactivate"), ("post", "/settings/team/invite"),
    ("post", "/settings/team/{carlos}/roster/add"),
])
def test_it_answers_403_to_a_practitioner(practice, as_user, method, path):
    carlos = as_user(practice.carlos)
    url = path.format(carlos=practice.carlos.id, priya=practice.priya.id)
    data = {"role": "owner", "client_id": practice.aisha.id, "name": "X", "email": "x@example.com",
            "request_key": "2b1f3c4d-0000-4000-8000-000000000003"}
    response = carlos.get(url) if method == "get" else carlos.post(url, data)
    assert response.status_code == 403
    assert role_of(practice.carlos) == "practitioner"
    assert "Team" not in carlos.get("/clients").get_data(as_text=True)


def test_it_answers_404_for_a_client_login_or_another_practices_staff(practice, outsider, as_user):
    owner = as_user(practice.owner)
    aisha_login = make_portal_account(practice.aisha)
    assert owner.get(f"/settings/team/{aisha_login.id}").status_code == 404
    assert owner.get(f"/settings/team/{outsider.owner.id}").status_code == 404
    assert owner.post(f"/settings/team/{outsider.owner.id}/deactivate").status_code == 404


def test_it_deactivates_and_reactivates_keeping_everything(practice, as_user, app):
    carlos = as_user(practice.carlos)
    owner = as_user(practice.owner)
    response = owner.post(f"/settings/team/{practice.carlos.id}/deactivate")
    assert response.status_code == 303
    page = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "is deactivated and was signed out everywhere" in page and "Reactivate Carlos" in page
    assert carlos.get("/clients").status_code == 302  # the old cookie no longer signs in
    refused = Visitor(app.test_client()).post("/login", {"email": "carlos@brunswick.example", "password": PASSWORD})
    assert refused.status_code == 422
    assert [m.id for m in db.session.get(type(practice.aisha), practice.aisha.id).care_team] == [practice.carlos.id]

    assert owner.post(f"/settings/team/{practice.carlos.id}/reactivate").status_code == 303
    as_user(practice.carlos)  # signs in again
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.subject_user_id == practice.carlos.id)
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["staff.deactivated", "staff.reactivated"]


def test_it_does_not_let_anyone_deactivate_themselves(practice, as_user):
    assert as_user(practice.admin).post(f"/settings/team/{practice.admin.id}/deactivate").status_code == 403
    assert db.session.get(User, practice.admin.id).is_active


def test_it_ends_a_deactivated_colleagues_cookie_socket_and_reset_link_at_once(live_server, smtp_server, practice):
    carlos = signed_in(live_server.url, "carlos@brunswick.example")
    conversation_id = compose(carlos, practice.aisha.id, "Hello")
    socket = socket_of(carlos, f"conversation-{conversation_id},inbox")
    HttpVisitor(live_server.url).post("/password/forgot", {"email": "carlos@brunswick.example"})
    reset = link_in(wait_until(lambda: smtp_server.to("carlos@brunswick.example"), "the reset e-mail")[-1])
    assert HttpVisitor(live_server.url).get(reset.removeprefix(live_server.url))[0] == 200

    owner = signed_in(live_server.url, "owner@brunswick.example")
    status, page, _ = owner.post(f"/settings/team/{practice.carlos.id}/deactivate", {})
    assert status == 200 and "is deactivated" in page

    assert closed_within(socket, 3)[1] == 1008
    status, _, landed = carlos.get("/clients")
    assert landed.startswith(f"{live_server.url}/login")
    status, page, _ = HttpVisitor(live_server.url).get(reset.removeprefix(live_server.url))
    assert status == 410
    owner.post(f"/settings/team/{practice.carlos.id}/reactivate", {})
    assert HttpVisitor(live_server.url).get(reset.removeprefix(live_server.url))[0] == 410


def test_it_keeps_an_owner_when_two_owners_step_down_at_the_same_moment(live_server):
    with live_server.app.app_context():
        workspace = make_workspace()
        owners = [make_staff(workspace, f"owner{n}@brunswick.example", "owner") for n in (1, 2)]
        paths = [f"/settings/team/{owner.id}/role" for owner in owners]
    visitors = [signed_in(live_server.url, f"owner{n}@brunswick.example") for n in (1, 2)]
    barrier, results = threading.Barrier(2), [None, None]
    tokens = [CSRF_IN_PAGE.search(v.get("/login/help")[1]).group(1) for v in visitors]

    def step_down(index: int) -> None:
        data = urllib.parse.urlencode({"csrf_token": tokens[index], "role": "admin"}).encode()
        barrier.wait(timeout=30)
        results[index] = visitors[index]._open(urllib.request.Request(live_server.url + paths[index], data=data,
                                                                      method="POST"))[0]

    threads = [threading.Thread(target=step_down, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [200, 409]  # 200: the 303 followed to the colleague's page
    with live_server.app.app_context():
        assert db.session.scalars(select(User.role).where(User.workspace_id == workspace.id)
                                  .order_by(User.role)).all() == ["admin", "owner"]


def test_it_marks_settings_as_the_current_section_on_team_pages(practice, as_user):
    page = as_user(practice.owner).get("/settings/team").get_data(as_text=True)
    assert 'aria-current="page">Settings</a>' in page
