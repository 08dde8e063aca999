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


def test_it_makes_each_templates_link_for_where_the_site_is_mounted(app):
    """Templates' url_for remembers links: one made under one mount point is never given under another."""
    link = app.jinja_env.from_string("{{ url_for('auth.login') }} {{ url_for('static', filename='porch.css') }}")
    with app.test_request_context("/"):
        at_root = link.render()
    with app.test_request_context("/", base_url="http://localhost/porch/"):
        mounted = link.render()
    with app.test_request_context("/"):
        again = link.render()
    assert at_root.startswith("/login ") and "/static/porch.css?v=" in at_root
    assert mounted == " ".join(f"/porch{part}" for part in at_root.split())
    assert again == at_root


def test_it_makes_links_with_query_values_afresh(app):
    link = app.jinja_env.from_string("{{ url_for('auth.login', next=['/a', '/b']) }}")
    with app.test_request_context("/"):
        assert link.render() == "/login?next=/a&amp;next=/b"


def test_it_keeps_the_query_values_in_the_order_they_were_given(app):
    link = app.jinja_env.from_string("{{ url_for('auth.login', b=1, a=2) }} {{ url_for('auth.login', a=2, b=1) }}")
    with app.test_request_context("/"):
        assert link.render() == "/login?b=1&amp;a=2 /login?a=2&amp;b=1"
