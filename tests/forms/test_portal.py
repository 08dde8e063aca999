"""Filling in a form in the portal: drafts as you go, two windows, submitting, bad input, other clients' forms."""

import json
import re

import pytest
from sqlalchemy import func, select, text

from app.db import db
from app.forms.models import FormAnswer, FormRequest
from app.forms.service import send_form
from tests.conftest import make_client, make_portal_account


def shown(value) -> str:
    return "" if value is None else json.dumps(value)


def phq9_post(answers: dict, page_showed: dict | None = None, action: str = "draft") -> dict:
    """What the PHQ-9 page posts: an answer per item given, and the `shown-` marker of every question."""
    page_showed = page_showed or {}
    data = {f"shown-{key}": shown(page_showed.get(key)) for key in [f"q{n}" for n in range(1, 10)] + ["difficulty"]}
    data.update({f"answer-{key}": value for key, value in answers.items()})
    data["action"] = action
    return data


@pytest.fixture
def phq9(practice):
    form = send_form(practice.aisha, practice.carlos, "builtin:phq9")
    db.session.commit()
    return form


@pytest.fixture
def aisha(practice, as_user):
    make_portal_account(practice.aisha)
    return as_user(practice.aisha.account)


def stored_answers(form) -> dict:
    return {a.question_key: json.loads(a.value) for a in
            db.session.scalars(select(FormAnswer).where(FormAnswer.form_request_id == form.id))}


def test_it_lists_waiting_and_sent_forms(phq9, aisha):
    page = aisha.get("/portal/forms").get_data(as_text=True)
    assert "<h1>Forms</h1>" in page
    assert f'href="/portal/forms/{phq9.id}">PHQ-9</a>' in page
    assert "You haven't sent any forms yet." in page


def test_it_shows_the_published_questions_and_answers(phq9, aisha):
    page = aisha.get(f"/portal/forms/{phq9.id}").get_data(as_text=True)
    assert "Over the last 2 weeks, how often have you been bothered by any of the following problems?" in page
    assert "9. Thoughts that you would be better off dead or of hurting yourself in some way" in page
    assert page.count(">Nearly every day</label>") == 9
    assert "the last change to each question is kept" in page
    assert 'src="/static/form_draft.js' in page


def test_it_keeps_a_draft_saved_without_javascript_across_a_reload(phq9, aisha):
    response = aisha.post(f"/portal/forms/{phq9.id}", phq9_post({"q1": "2", "q2": "1"}))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/portal/forms/{phq9.id}"
    page = aisha.get(response.headers["Location"]).get_data(as_text=True)
    assert "Draft saved." in page
    assert re.search(r'name="answer-q1" value="2" checked', page)
    assert re.search(r'name="answer-q2" value="1" checked', page)
    assert stored_answers(phq9) == {"q1": "2", "q2": "1"}
    db.session.refresh(phq9)
    assert phq9.submitted_at is None


def test_it_saves_as_you_go_with_htmx_and_updates_the_page_markers(phq9, aisha):
    response = aisha.post(f"/portal/forms/{phq9.id}/draft", phq9_post({"q3": "3"}), htmx=True)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert 'id="draft-status"' in fragment and "Draft saved at" in fragment
    marker = '<span id="shown-q3" hx-swap-oob="true"><input type="hidden" name="shown-q3" value="&#34;3&#34;">'
    assert marker in fragment
    assert "<html" not in fragment
    assert stored_answers(phq9) == {"q3": "3"}


def test_it_clears_an_answer_taken_back(phq9, aisha):
    aisha.post(f"/portal/forms/{phq9.id}/draft", phq9_post({"q3": "3"}), htmx=True)
    aisha.post(f"/portal/forms/{phq9.id}/draft", phq9_post({}, page_showed={"q3": "3"}), htmx=True)
    assert stored_answers(phq9) == {}


def test_two_windows_keep_each_others_answers(phq9, aisha):
    """Window A answers q1; window B, opened before, answers q2: both answers stay (last write wins per question)."""
    aisha.post(f"/portal/forms/{phq9.id}/draft", phq9_post({"q1": "2"}), htmx=True)
    response = aisha.post(f"/portal/forms/{phq9.id}/draft", phq9_post({"q2": "1"}), htmx=True)
    assert stored_answers(phq9) == {"q1": "2", "q2": "1"}
    assert "changed in another window or device" in response.get_data(as_text=True)
    aisha.post(f"/portal/forms/{phq9.id}/draft", phq9_post({"q1": "3", "q2": "1"}, page_showed={"q2": "1"}),
               htmx=True)
    assert stored_answers(phq9) == {"q1": "3", "q2": "1"}


def test_it_won_t_send_a_form_over_answers_changed_in_another_window(phq9, aisha):
    aisha.post(f"/portal/forms/{phq9.id}/draft", phq9_post({"q1": "2"}), htmx=True)
    stale = phq9_post({f"q{n}": "0" for n in range(2, 10)}, action="send")
    response = aisha.post(f"/portal/forms/{phq9.id}", stale)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This answer was changed in another window. Check it, then send the form again." in page
    assert re.search(r'name="answer-q1" value="2" checked', page)
    db.session.refresh(phq9)
    assert phq9.submitted_at is None
    assert stored_answers(phq9)["q1"] == "2"


def test_it_submits_and_then_shows_what_was_sent_read_only(phq9, aisha):
    answers = {f"q{n}": "1" for n in range(1, 10)} | {"difficulty": "1"}
    response = aisha.post(f"/portal/forms/{phq9.id}", phq9_post(answers, action="send"))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/portal/forms/{phq9.id}/sent"
    assert "Thank you. PHQ-9 was sent to Brunswick Practice." in aisha.get(response.headers["Location"]).get_data(
        as_text=True)
    page = aisha.get(f"/portal/forms/{phq9.id}").get_data(as_text=True)
    assert "This is what you sent." in page
    assert "<dd>Several days</dd>" in page and "<dd>Somewhat difficult</dd>" in page
    assert 'type="radio"' not in page and "form_draft.js" not in page
    db.session.refresh(phq9)
    assert phq9.submitted_at is not None
    sent = aisha.get("/portal/forms").get_data(as_text=True)
    assert "Nothing to fill in" in sent


def test_it_names_each_missing_required_answer_and_keeps_the_rest_as_a_draft(phq9, aisha):
    response = aisha.post(f"/portal/forms/{phq9.id}", phq9_post({"q1": "1", "q2": "2"}, action="send"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count("Answer this question to send the form.") == 7
    assert '<p class="error" id="q3-error">Answer this question to send the form.</p>' in page
    assert 'id="q1-error"' not in page and 'id="difficulty-error"' not in page
    assert "<title>Error: PHQ-9" in page
    db.session.refresh(phq9)
    assert phq9.submitted_at is None
    assert stored_answers(phq9) == {"q1": "1", "q2": "2"}


@pytest.mark.parametrize("bad", [{"q1": "4"}, {"q1": "-1"}, {"q1": "three"}, {"q1": ["1", "2"]},
                                 {"difficulty": "9"}])
def test_it_refuses_tampered_or_out_of_range_answers_and_writes_nothing(phq9, aisha, bad):
    data = phq9_post({"q2": "1"} | bad, action="send")
    response = aisha.post(f"/portal/forms/{phq9.id}", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was saved yet." in page
    assert re.search(r'class="error" id="(q1|difficulty)-error">(Choose one of the answers shown.|Give one answer.)',
                     page)
    assert re.search(r'name="answer-q2" value="1" checked', page)
    assert stored_answers(phq9) == {}
    assert aisha.post(f"/portal/forms/{phq9.id}/draft", data, htmx=True).status_code == 422
    assert stored_answers(phq9) == {}


def test_it_refuses_a_second_submission_and_changes_nothing(phq9, aisha):
    answers = {f"q{n}": "0" for n in range(1, 10)}
    aisha.post(f"/portal/forms/{phq9.id}", phq9_post(answers, action="send"))
    db.session.refresh(phq9)
    first = phq9.submitted_at
    again = aisha.post(f"/portal/forms/{phq9.id}", phq9_post({f"q{n}": "3" for n in range(1, 10)}, action="send"))
    assert again.status_code == 409
    assert "You sent this form already." in again.get_data(as_text=True)
    draft = aisha.post(f"/portal/forms/{phq9.id}/draft", phq9_post({"q1": "3"}), htmx=True)
    assert draft.status_code == 409
    db.session.refresh(phq9)
    assert phq9.submitted_at == first
    assert set(stored_answers(phq9).values()) == {"0"}


def test_it_refuses_a_post_without_its_csrf_token(phq9, aisha):
    response = aisha.post(f"/portal/forms/{phq9.id}", phq9_post({"q1": "1"}), csrf=False)
    assert response.status_code == 400
    assert stored_answers(phq9) == {}


def test_it_answers_404_for_another_clients_form(practice, outsider, aisha, as_user):
    ben = make_client(practice.workspace, "Ben", "Okafor", "ben@example.com")
    bens = send_form(ben, practice.carlos, "builtin:gad7")
    olus = send_form(outsider.client, outsider.owner, "builtin:phq9")
    db.session.commit()
    for form in (bens, olus):
        assert aisha.get(f"/portal/forms/{form.id}").status_code == 404
        assert aisha.post(f"/portal/forms/{form.id}", phq9_post({"q1": "1"})).status_code == 404
        assert aisha.post(f"/portal/forms/{form.id}/draft", phq9_post({"q1": "1"}), htmx=True).status_code == 404
    assert db.session.scalar(select(func.count(FormAnswer.id))) == 0
    assert as_user(practice.carlos).get(f"/portal/forms/{bens.id}").status_code == 404


def test_it_encrypts_answers_at_rest(phq9, aisha):
    aisha.post(f"/portal/forms/{phq9.id}", phq9_post({"q9": "2"}))
    raw = db.session.execute(text("SELECT value FROM form_answers")).scalar_one()
    assert "2" not in raw[:6] and raw.startswith("gAAAA")


def test_it_fills_in_every_kind_of_custom_question(practice, aisha, as_user):
    from app.forms.builder import create_template

    template = create_template(practice.workspace.id, practice.carlos, "Intake", "11111111-1111-4111-8111-111111111111")
    db.session.commit()
    carlos = as_user(practice.carlos)
    for question in [
        {"prompt": "Your goal", "kind": "short_text", "required": "y"},
        {"prompt": "Tell us more", "kind": "long_text"},
        {"prompt": "Preferred time", "kind": "single_choice", "options": "Morning\nEvening", "required": "y"},
        {"prompt": "Interests", "kind": "multiple_choice", "options": "Sleep\nDiet\nExercise"},
        {"prompt": "Energy", "kind": "scale", "scale_min": "1", "scale_max": "5", "required": "y"},
        {"prompt": "Start date", "kind": "date"},
        {"prompt": "Seen a coach before", "kind": "yes_no", "required": "y"},
    ]:
        assert carlos.post(f"/forms/{template.id}/questions", question).status_code == 303
    form = send_form(practice.aisha, practice.carlos, f"template:{template.id}")
    db.session.commit()
    keys = [q.id for q in template.questions]
    page = aisha.get(f"/portal/forms/{form.id}").get_data(as_text=True)
    assert "<textarea" in page and 'type="date"' in page and 'type="checkbox"' in page
    base = {f"shown-c{k}": "" for k in keys} | {"action": "send"}
    bad = base | {f"answer-c{keys[4]}": "9", f"answer-c{keys[5]}": "31/02/2026", f"answer-c{keys[0]}": "x" * 201}
    page = aisha.post(f"/portal/forms/{form.id}", bad).get_data(as_text=True)
    assert "Choose a number from 1 to 5." in page
    assert "Enter a date like 2026-03-14." in page
    assert "Use at most 200 characters." in page
    good = base | {f"answer-c{keys[0]}": "Sleep better", f"answer-c{keys[2]}": "2", f"answer-c{keys[3]}": ["1", "3"],
                   f"answer-c{keys[4]}": "4", f"answer-c{keys[5]}": "2026-12-01", f"answer-c{keys[6]}": "no"}
    assert aisha.post(f"/portal/forms/{form.id}", good).status_code == 303
    page = aisha.get(f"/portal/forms/{form.id}").get_data(as_text=True)
    for shown_answer in ("Sleep better", "Evening", "Sleep, Exercise", "<dd>4</dd>", "2026-12-01", "<dd>No</dd>",
                         "<dd>Not answered</dd>"):
        assert shown_answer in page
    assert db.session.get(FormRequest, form.id).submitted_at is not None
