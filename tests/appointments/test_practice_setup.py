import re
from datetime import date, time
from html import unescape

from sqlalchemy import func, select

from app.appointments.setup import AvailabilityException, BookingRules, Service, WeeklyHours
from app.audit.models import AuditEvent
from app.db import db
from tests.conftest import make_staff

RULES = {"mode": "instant", "min_notice_hours": "24", "horizon_days": "60", "slot_step_minutes": "15",
         "change_cutoff_hours": "24", "phone": "+1 207 555 0100"}
SERVICE = {"name": "Follow-up session", "duration_minutes": "50", "price": "95.00", "kind": "telehealth",
           "location": "", "buffer_before_minutes": "0", "buffer_after_minutes": "10"}


def add_service(workspace, name="Follow-up session", practitioners=(), **values) -> Service:
    service = Service(workspace_id=workspace.id, name=name, duration_minutes=50, kind="telehealth",
                      created_at=db.func.now(), practitioners=list(practitioners), **values)
    db.session.add(service)
    db.session.commit()
    return service


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action)))


# --- online booking rules ---------------------------------------------------------------------

def test_it_shows_the_online_booking_tab_to_an_admin(practice, as_user):
    page = as_user(practice.admin).get("/settings/online-booking")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Online booking" in text and "Minimum notice (hours)" in text and "Slot step (minutes)" in text


def test_it_saves_the_rules_and_the_services_offered_online(practice, as_user):
    kept, dropped = add_service(practice.workspace), add_service(practice.workspace, "First consultation")
    owner = as_user(practice.owner)
    response = owner.post("/settings/online-booking", {**RULES, "new_clients_may_book": "y", "services": [kept.id]})
    assert response.status_code == 303
    rules = db.session.get(BookingRules, practice.workspace.id)
    assert (rules.mode, rules.min_notice_minutes, rules.horizon_days, rules.slot_step_minutes,
            rules.change_cutoff_minutes, rules.new_clients_may_book, rules.phone) == \
        ("instant", 24 * 60, 60, 15, 24 * 60, True, "+1 207 555 0100")
    db.session.refresh(kept), db.session.refresh(dropped)
    assert kept.offered_online and not dropped.offered_online
    assert "settings.online_booking_changed" in audit_actions()
    assert "Online booking saved." in owner.get("/settings/online-booking").get_data(as_text=True)


def test_it_asks_for_the_phone_when_booking_is_on_and_writes_nothing(practice, as_user):
    response = as_user(practice.owner).post("/settings/online-booking", {**RULES, "phone": ""})
    assert response.status_code == 422
    assert "Enter the phone number clients should call" in response.get_data(as_text=True)
    assert db.session.get(BookingRules, practice.workspace.id) is None
    assert "settings.online_booking_changed" not in audit_actions()


def test_it_turns_booking_off_without_a_phone(practice, as_user):
    response = as_user(practice.owner).post("/settings/online-booking", {**RULES, "mode": "off", "phone": ""})
    assert response.status_code == 303
    assert db.session.get(BookingRules, practice.workspace.id).mode == "off"


def test_it_refuses_numbers_out_of_range_next_to_the_field(practice, as_user):
    owner = as_user(practice.owner)
    for name, value, message in [("min_notice_hours", "-1", "from 0 to 2,160"), ("horizon_days", "0", "from 1"),
                                 ("horizon_days", "soon", "Not a valid integer"),
                                 ("slot_step_minutes", "7", "Not a valid choice"),
                                 ("change_cutoff_hours", "99999999999999", "Not a valid integer"),
                                 ("mode", "sometimes", "Not a valid choice")]:
        response = owner.post("/settings/online-booking", {**RULES, name: value})
        assert response.status_code == 422, name
        assert message in unescape(response.get_data(as_text=True)), name
    assert db.session.get(BookingRules, practice.workspace.id) is None


def test_it_refuses_another_workspaces_service_as_offered_online(practice, outsider, as_user):
    theirs = add_service(outsider.workspace)
    response = as_user(practice.owner).post("/settings/online-booking", {**RULES, "services": [theirs.id]})
    assert response.status_code == 422
    assert db.session.get(BookingRules, practice.workspace.id) is None


def test_it_forbids_booking_settings_to_a_practitioner(practice, as_user):
    carlos = as_user(practice.carlos)
    assert carlos.get("/settings/online-booking").status_code == 403
    assert carlos.post("/settings/online-booking", RULES).status_code == 403
    assert carlos.get("/settings/services").status_code == 403
    assert carlos.get("/settings/services/new").status_code == 403
    assert carlos.post("/settings/services/new", SERVICE).status_code == 403
    assert db.session.get(BookingRules, practice.workspace.id) is None
    assert db.session.scalar(select(func.count(Service.id))) == 0


def test_it_refuses_a_post_without_the_csrf_token(practice, as_user):
    owner = as_user(practice.owner)
    assert owner.post("/settings/online-booking", RULES, csrf=False).status_code == 400
    assert owner.post("/settings/services/new", SERVICE, csrf=False).status_code == 400
    assert db.session.get(BookingRules, practice.workspace.id) is None
    assert db.session.scalar(select(func.count(Service.id))) == 0


# --- services -----------------------------------------------------------------------------------

def test_it_lists_services_with_price_and_practitioners(practice, as_user):
    add_service(practice.workspace, practitioners=[practice.carlos], price_minor=9500, currency="USD")
    page = as_user(practice.admin).get("/settings/services").get_data(as_text=True)
    assert "Follow-up session" in page and "$95.00" in page and "Carlos Diaz" in page


def test_it_adds_a_service(practice, as_user):
    owner = as_user(practice.owner)
    assert "Practitioners who offer it" in owner.get("/settings/services/new").get_data(as_text=True)
    response = owner.post("/settings/services/new", {**SERVICE, "practitioners": [practice.carlos.id]})
    assert response.status_code == 303
    service = db.session.scalar(select(Service))
    assert (service.name, service.duration_minutes, service.price_minor, service.currency, service.kind,
            service.buffer_after_minutes, [u.name for u in service.practitioners]) == \
        ("Follow-up session", 50, 9500, "USD", "telehealth", 10, ["Carlos Diaz"])
    assert "service.added" in audit_actions()


def test_it_asks_where_an_in_person_service_happens(practice, as_user):
    response = as_user(practice.owner).post("/settings/services/new", {**SERVICE, "kind": "in_person"})
    assert response.status_code == 422
    assert "Enter where in-person appointments take place." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Service.id))) == 0


def test_it_refuses_bad_service_values_and_writes_nothing(practice, outsider, as_user):
    owner = as_user(practice.owner)
    for name, value, message in [("name", "", "Enter the service's name."), ("price", "ninety", "like 95.00"),
                                 ("price", "9.999", "like 95.00"), ("duration_minutes", "0", "from 5 to 720"),
                                 ("buffer_before_minutes", "-5", "from 0 to 240"),
                                 ("practitioners", outsider.owner.id, "is not a valid choice")]:
        response = owner.post("/settings/services/new", {**SERVICE, name: value})
        assert response.status_code == 422, name
        assert message in unescape(response.get_data(as_text=True)), name
    assert db.session.scalar(select(func.count(Service.id))) == 0


def test_it_changes_a_service_and_leaves_the_price_out_when_emptied(practice, as_user):
    service = add_service(practice.workspace, price_minor=9500, currency="USD", practitioners=[practice.carlos])
    owner = as_user(practice.owner)
    form = owner.get(f"/settings/services/{service.id}").get_data(as_text=True)
    assert 'value="95.00"' in form
    assert re.search(rf'<input checked id="practitioners-\d+" name="practitioners" type="checkbox" '
                     rf'value="{practice.carlos.id}">', form)
    response = owner.post(f"/settings/services/{service.id}", {
        **SERVICE, "name": "Long session", "duration_minutes": "80", "price": "", "kind": "in_person",
        "location": "12 Harbour Street", "practitioners": [practice.priya.id]})
    assert response.status_code == 303
    db.session.refresh(service)
    assert (service.name, service.duration_minutes, service.price_minor, service.location,
            [u.name for u in service.practitioners]) == ("Long session", 80, None, "12 Harbour Street",
                                                         ["Priya Shah"])


def test_it_keeps_a_service_unchanged_on_bad_input(practice, as_user):
    service = add_service(practice.workspace, practitioners=[practice.carlos])
    response = as_user(practice.owner).post(f"/settings/services/{service.id}",
                                            {**SERVICE, "name": "", "practitioners": []})
    assert response.status_code == 422
    db.session.expire_all()
    assert service.name == "Follow-up session" and [u.name for u in service.practitioners] == ["Carlos Diaz"]


def test_it_retires_a_service_and_keeps_it_listed(practice, as_user):
    service = add_service(practice.workspace, offered_online=True)
    owner = as_user(practice.owner)
    response = owner.post(f"/settings/services/{service.id}/retire")
    assert response.status_code == 303
    db.session.refresh(service)
    assert service.retired_at is not None and not service.offered_online
    assert "Retired" in owner.get("/settings/services").get_data(as_text=True)
    assert "Follow-up session" not in owner.get("/settings/online-booking").get_data(as_text=True)


def test_it_answers_404_for_another_workspaces_service(practice, outsider, as_user):
    theirs = add_service(outsider.workspace)
    owner = as_user(practice.owner)
    assert owner.get(f"/settings/services/{theirs.id}").status_code == 404
    assert owner.post(f"/settings/services/{theirs.id}", SERVICE).status_code == 404
    assert owner.post(f"/settings/services/{theirs.id}/retire").status_code == 404
    db.session.refresh(theirs)
    assert theirs.retired_at is None


# --- availability -------------------------------------------------------------------------------

def hours(**rows) -> dict:
    return {name: value for name, value in rows.items()}


def test_it_lets_a_practitioner_set_their_own_weekly_hours(practice, as_user):
    carlos = as_user(practice.carlos)
    page = carlos.get(f"/settings/availability/{practice.carlos.id}")
    assert page.status_code == 200
    assert "Times in America/New_York" in page.get_data(as_text=True)
    response = carlos.post(f"/settings/availability/{practice.carlos.id}",
                           hours(d0_0_starts="09:00", d0_0_ends="12:30", d0_1_starts="13:30", d0_1_ends="17:00",
                                 d2_0_starts="10:00", d2_0_ends="14:00"))
    assert response.status_code == 303
    rows = db.session.execute(select(WeeklyHours.weekday, WeeklyHours.starts, WeeklyHours.ends)
                              .order_by(WeeklyHours.weekday, WeeklyHours.starts)).all()
    assert rows == [(0, time(9), time(12, 30)), (0, time(13, 30), time(17)), (2, time(10), time(14))]
    assert 'value="13:30"' in carlos.get(f"/settings/availability/{practice.carlos.id}").get_data(as_text=True)
    assert "availability.hours_changed" in audit_actions()


def test_it_refuses_a_stretch_that_ends_before_it_starts(practice, as_user):
    carlos = as_user(practice.carlos)
    carlos.post(f"/settings/availability/{practice.carlos.id}", hours(d0_0_starts="09:00", d0_0_ends="17:00"))
    response = carlos.post(f"/settings/availability/{practice.carlos.id}",
                           hours(d1_0_starts="17:00", d1_0_ends="09:00"))
    assert response.status_code == 422
    assert "The end must be after the start." in response.get_data(as_text=True)
    assert db.session.execute(select(WeeklyHours.weekday)).scalars().all() == [0]
    response = carlos.post(f"/settings/availability/{practice.carlos.id}", hours(d1_0_starts="09:00"))
    assert response.status_code == 422
    assert "Give both a start and an end" in response.get_data(as_text=True)


def test_it_lets_an_admin_set_anyones_hours_but_not_a_colleague(practice, as_user):
    assert as_user(practice.admin).get(f"/settings/availability/{practice.carlos.id}").status_code == 200
    assert "Carlos Diaz" in as_user(practice.admin).get("/settings/availability").get_data(as_text=True)
    priya = as_user(practice.priya)
    assert priya.get(f"/settings/availability/{practice.carlos.id}").status_code == 403
    assert priya.post(f"/settings/availability/{practice.carlos.id}",
                      hours(d0_0_starts="09:00", d0_0_ends="17:00")).status_code == 403
    assert db.session.scalar(select(func.count(WeeklyHours.id))) == 0
    own = priya.get("/settings/availability").headers["Location"]
    assert own.endswith(f"/settings/availability/{practice.priya.id}")


def test_it_answers_404_for_another_workspaces_practitioner(practice, outsider, as_user):
    owner = as_user(practice.owner)
    assert owner.get(f"/settings/availability/{outsider.owner.id}").status_code == 404
    assert owner.post(f"/settings/availability/{outsider.owner.id}/exceptions",
                      {"day": "2030-01-02", "kind": "off"}).status_code == 404


def test_it_adds_and_removes_exceptions(practice, as_user):
    carlos = as_user(practice.carlos)
    url = f"/settings/availability/{practice.carlos.id}"
    assert carlos.post(f"{url}/exceptions", {"day": "2030-01-02", "kind": "off"}).status_code == 303
    assert carlos.post(f"{url}/exceptions", {"day": "2030-01-05", "kind": "extra", "starts": "10:00",
                                             "ends": "12:00"}).status_code == 303
    page = carlos.get(url).get_data(as_text=True)
    assert "2 January 2030: Time off, the whole day" in page and "5 January 2030: Extra hours, 10:00–12:00" in page
    day_off = db.session.scalar(select(AvailabilityException).where(AvailabilityException.day == date(2030, 1, 2)))
    assert carlos.post(f"{url}/exceptions/{day_off.id}/remove").status_code == 303
    assert db.session.scalar(select(func.count(AvailabilityException.id))) == 1


def test_it_refuses_extra_hours_without_times(practice, as_user):
    response = as_user(practice.carlos).post(f"/settings/availability/{practice.carlos.id}/exceptions",
                                             {"day": "2030-01-05", "kind": "extra"})
    assert response.status_code == 422
    assert "Give the extra hours' start and end." in unescape(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count(AvailabilityException.id))) == 0


def test_it_answers_404_for_a_colleagues_exception_under_another_practitioner(practice, as_user):
    priyas = AvailabilityException(workspace_id=practice.workspace.id, practitioner_id=practice.priya.id,
                                   day=date(2030, 1, 2), kind="off")
    db.session.add(priyas)
    db.session.commit()
    carlos = as_user(practice.carlos)
    assert carlos.post(f"/settings/availability/{practice.carlos.id}/exceptions/{priyas.id}/remove").status_code \
        == 404
    assert db.session.scalar(select(func.count(AvailabilityException.id))) == 1


def test_it_counts_the_appointments_of_the_next_two_weeks(practice, as_user):
    make_staff(practice.workspace, "new@brunswick.example")
    page = as_user(practice.carlos).get(f"/settings/availability/{practice.carlos.id}").get_data(as_text=True)
    assert "0 appointments booked in the next two weeks" in page
