"""Forms at a client with years of check-ins: the record shows the latest with their scores in the same few
queries for 3 or 60 forms, links to every form page by page, and the portal pages its lists."""

import re
from datetime import timedelta
from html import unescape

from sqlalchemy import select

from app import clock
from app.db import db
from app.forms.models import FormAnswer, FormRequest
from app.forms.service import send_form
from tests.conftest import counting_queries, make_portal_account
from tests.forms.test_views import submitted


def check_ins(practice, client, how_many: int, waiting: int = 0) -> None:
    """`how_many` submitted PHQ-9s a week apart (copies of one filled in for real) and `waiting` unanswered ones."""
    model = send_form(client, practice.carlos, "builtin:phq9")
    db.session.commit()
    submitted(model, {f"q{n}": "1" for n in range(1, 10)})
    answers = db.session.scalars(select(FormAnswer).where(FormAnswer.form_request_id == model.id)).all()
    start = clock.now() - timedelta(days=7 * (how_many + waiting + 1))
    for n in range(how_many + waiting):
        at = start + timedelta(days=7 * n)
        copy = FormRequest(workspace_id=model.workspace_id, client_id=client.id, title=model.title, sent_at=at,
                           submitted_at=at + timedelta(hours=1) if n < how_many else None,
                           template_key=model.template_key, questions_json=model.questions_json)
        db.session.add(copy)
        db.session.flush()
        if n < how_many:
            db.session.add_all([FormAnswer(workspace_id=model.workspace_id, form_request_id=copy.id,
                                           question_key=a.question_key, value=a.value, updated_at=at)
                                for a in answers])
    db.session.commit()


def _form_links(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/(?:clients/\d+|portal)/forms/(\d+)"', html)]


def _next(html: str, after: str = "") -> str | None:
    found = re.search(r'<a href="([^"]+)"[^>]*rel="next"', html[html.index(after):] if after else html)
    return unescape(found.group(1)) if found else None


def record_queries(as_user, practice) -> tuple[int, str]:
    owner, url = as_user(practice.owner), f"/clients/{practice.aisha.id}"
    owner.get(url)  # the first request of a signed-in client reads a few things once
    with counting_queries() as statements:
        page = owner.get(url)
    assert page.status_code == 200
    return len(statements), page.get_data(as_text=True)


def test_the_client_record_runs_the_same_queries_for_3_or_60_forms(practice, as_user):
    check_ins(practice, practice.aisha, 2)
    few, _ = record_queries(as_user, practice)
    check_ins(practice, practice.aisha, 57)
    many, html = record_queries(as_user, practice)
    assert many == few
    rows = html[html.index('<tbody id="client-form-rows">'):]
    assert len(_form_links(rows[:rows.index("</tbody>")])) == 10 and "All forms sent to Aisha" in html


def test_every_form_of_a_client_pages_newest_first_and_an_htmx_page_is_the_rows_alone(practice, as_user):
    check_ins(practice, practice.aisha, 70)
    owner = as_user(practice.owner)
    seen, url = [], f"/clients/{practice.aisha.id}/forms"
    while url:
        html = owner.get(url).get_data(as_text=True)
        seen += _form_links(html)
        url = _next(html)
    newest_first = db.session.scalars(select(FormRequest.id).where(FormRequest.client_id == practice.aisha.id)
                                      .order_by(FormRequest.sent_at.desc(), FormRequest.id.desc())).all()
    assert seen == newest_first
    first = owner.get(f"/clients/{practice.aisha.id}/forms").get_data(as_text=True)
    rest = owner.get(_next(first), htmx=True).get_data(as_text=True)
    assert rest.lstrip().startswith('<tbody id="client-form-rows">') and len(_form_links(rest)) == 21


def test_the_portal_pages_waiting_and_sent_forms_in_bounded_queries(practice, as_user):
    account = make_portal_account(practice.aisha)
    check_ins(practice, practice.aisha, 2, waiting=1)
    aisha = as_user(account)
    with counting_queries() as few:
        aisha.get("/portal/forms")
    check_ins(practice, practice.aisha, 60, waiting=3)
    with counting_queries() as many:
        html = aisha.get("/portal/forms").get_data(as_text=True)
    assert len(many) == len(few)
    sent = html[html.index('id="forms-sent"'):]
    assert len(_form_links(sent)) == 50
    rest = aisha.get(_next(html, 'id="forms-sent"'), htmx=True).get_data(as_text=True)
    assert rest.lstrip().startswith('<div id="forms-sent">') and len(_form_links(rest)) == 14
