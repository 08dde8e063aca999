"""render(): template context can never set the response's own options."""

import re
from pathlib import Path

import pytest

from app.pages import render

TEMPLATES = Path(__file__).resolve().parent.parent / "app" / "templates"


def test_it_keeps_the_http_status_name_out_of_every_template():
    users = [str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")
             if re.search(r"\bhttp_status\b", path.read_text())]
    assert not users, f"these templates use render()'s reserved name http_status: {users}"


def test_it_passes_a_status_variable_to_the_template_not_to_the_status_line(app):
    with app.test_request_context("/"):
        response = render("error.html", title="Inbox", message="", status="0 open")
    assert response.status == "200 OK"


def test_it_takes_the_page_and_fragment_by_position_only(app):
    with app.test_request_context("/"), pytest.raises(TypeError):
        render(page="error.html", title="Inbox", message="")
