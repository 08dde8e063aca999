"""Hostile input to every form route: whatever is posted, the answer is 2xx/3xx or a clean 4xx, never a 500, and a
refusal leaves every table as it was.

The routes come from app.url_map (every POST), each posted by the persona its side needs, with the fields that
the forms on the pages that persona reaches show (a route whose form no page shows gets made-up names). Values
are random and hostile: long strings, control characters and NUL, unicode, markup and script, numbers where text
goes and text where numbers go, fields left out and fields repeated, and now and then no or a wrong CSRF token.
"""

import io
import os
from html.parser import HTMLParser

from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from app.db import db
from app.forms.models import FormRequest
from tests.conftest import Visitor, _forget_request_state
from tests.sweeps.conftest import PERSONAS, World, walk
from tests.sweeps.test_url_map import path_of

EXAMPLES = int(os.environ.get("PORCH_FUZZ_EXAMPLES", "25"))
LEFT_OUT = {"auth.logout": "it ends the session the rest of the sweep posts with",
            "document_uploads.create": "tus: headers, not form fields (tests/documents/test_tus.py)"}
ANONYMOUS = ("auth.", "portal.accept")
WRITTEN_ON_REFUSAL = {"audit_events", "audit_chain_head"}  # a refused sign-in is audited, by design
HOSTILE = [
    "", " ", "\x00", "a\x00b", "\x01\x02\x1b[31m\x7f", "\r\n\r\n", "\t", "\ufeff", "\u202eevil", "\ud7ff\ue000",
    "😀" * 40, "ß\u0301" * 30, "x" * 100_000, "9" * 400,
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)", "{{ 7*7 }}", "${7*7}",
    "' OR 1=1 --", "%s%s%n", "../../../../etc/passwd", "\\\\server\\share", "/%2e%2e/",
    "-1", "0", "2147483648", "1e309", "NaN", "-0", "0x1f", "true", "null", "[]", "{}",
    "2026-02-30", "0000-00-00", "9999-12-31T23:59:60", "25:61",
]


class Forms(HTMLParser):
    """The POST forms on a page: their action and their fields (name → type and the values a choice offers)."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path = page_path
        self.forms: list[tuple[str, dict[str, tuple[str, list[str]]]]] = []
        self._fields: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._fields = {}
            self.forms.append((attrs.get("action") or self.page_path, self._fields))
        elif self._fields is None:
            return
        elif tag in ("input", "textarea", "select", "button") and attrs.get("name"):
            kind = attrs.get("type", tag) if tag == "input" else tag
            _, values = self._fields.setdefault(attrs["name"], (kind, []))
            if attrs.get("value") is not None:
                values.append(attrs["value"])
            self._select = attrs["name"] if tag == "select" else None
        elif tag == "option" and self._select and attrs.get("value") is not None:
            self._fields[self._select][1].append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "select":
            self._select = None


def fields_by_endpoint(app: Flask, visitors: dict[str, Visitor]) -> dict[str, dict]:
    """Every POST form the personas' pages show, by the endpoint it posts to."""
    adapter = app.url_map.bind("porch.test")
    found: dict[str, dict] = {}
    for persona, visitor in visitors.items():
        def fetch(path: str, visitor=visitor):
            response = visitor.get(path)
            return (response.status_code, response.content_type or "", response.get_data().decode(errors="replace"),
                    response.headers.get("Location"))

        for path, page in walk(fetch, PERSONAS[persona][1]).items():
            if not page.content_type.startswith("text/html"):
                continue
            parser = Forms(path.split("?")[0])
            parser.feed(page.body)
            for action, fields in parser.forms:
                try:
                    endpoint, _ = adapter.match(action.split("?")[0], method="POST")
                except HTTPException:
                    continue
                merged = found.setdefault(endpoint, {})
                for name, (kind, values) in fields.items():
                    merged.setdefault(name, (kind, []))[1].extend(values)
    return found


def value_for(kind: str, offered: list[str]):
    hostile = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=200), st.integers().map(str))
    plain = st.one_of(st.sampled_from(offered), hostile) if offered else hostile
    if kind == "file":
        return st.builds(lambda data, name: FileStorage(io.BytesIO(data), filename=name),
                         st.binary(max_size=2048), st.sampled_from(["a.png", "", "x" * 300 + ".pdf", "..\\..\\a.txt",
                                                                    "scan\x00.pdf", "<b>.txt"]))
    return plain


def posted(fields: dict[str, tuple[str, list[str]]]):
    """A strategy for one posted form: each field left out, given once or repeated; the CSRF token mostly right."""
    names = [name for name in fields if name != "csrf_token"] or ["value", "id", "body"]
    each = {name: st.one_of(st.none(), value_for(*fields.get(name, ("text", []))).map(lambda v: [v]),
                            st.lists(value_for(*fields.get(name, ("text", []))), min_size=2, max_size=3))
            for name in names}
    extra = st.dictionaries(st.text(min_size=1, max_size=20), st.sampled_from(HOSTILE), max_size=2)
    token = st.sampled_from(["page's", "page's", "page's", "page's", "none", "wrong"])
    return st.fixed_dictionaries({"fields": st.fixed_dictionaries(each), "extra": extra, "token": token,
                                  "htmx": st.booleans()})


def row_counts() -> dict[str, int]:
    db.session.rollback()
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables if table.name not in WRITTEN_ON_REFUSAL}


def persona_for(rule: Rule) -> str:
    if rule.endpoint.startswith(ANONYMOUS):
        return "nobody"
    return "aisha" if rule.rule.startswith("/portal") else "owner"


def fuzzer(path: str, persona: str, visitor: Visitor, token: str, fields: dict):
    """The property for one route: hypothesis runs it with EXAMPLES posted forms."""

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")), database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
              report_multiple_bugs=False)
    @given(attempt=posted(fields))
    def post(attempt):
        data = MultiDict()
        if attempt["token"] == "page's":
            data.add("csrf_token", token)
        elif attempt["token"] == "wrong":
            data.add("csrf_token", "IjEyMyI.not-a-token")
        for name, values in attempt["fields"].items():
            for value in values or []:
                data.add(name, value)
        for name, value in attempt["extra"].items():
            data.add(name, value)
        before = row_counts()
        _forget_request_state()
        response = visitor.client.post(path, data=data, headers={"HX-Request": "true"} if attempt["htmx"] else {})
        status = response.status_code
        response.close()
        assert status < 500, f"POST {path} as {persona} answered {status}"
        if 400 <= status < 500:
            assert row_counts() == before, f"POST {path} as {persona} answered {status} but wrote rows"

    return post


def test_it_never_fails_on_hostile_input_to_any_form_route(app, world: World):
    visitors = {}
    for persona, (email, _) in PERSONAS.items():
        visitors[persona] = Visitor(app.test_client())
        if email:
            visitors[persona].login(email, world.password)
    forms = fields_by_endpoint(app, visitors)
    tokens = {persona: visitor.csrf_token() for persona, visitor in visitors.items()}
    rules = [rule for rule in app.url_map.iter_rules()
             if "POST" in rule.methods and rule.endpoint not in LEFT_OUT]
    rules.sort(key=lambda rule: persona_for(rule) != "aisha")  # the client's first: the staff may turn her off
    # the client's form routes get her check-in still open (the world's form_id is sent back: every post is a 409)
    still_open = db.session.scalar(select(FormRequest.id).where(FormRequest.client_id == world.ids["client_id"],
                                                                FormRequest.submitted_at.is_(None)))
    failures: list[str] = []
    for rule in rules:
        persona = persona_for(rule)
        ids = {**world.ids, "form_id": still_open} if rule.endpoint.startswith("portal_forms.") else world.ids
        path = path_of(app, rule, {name: ids[name] for name in rule.arguments})
        try:
            fuzzer(path, persona, visitors[persona], tokens[persona], forms.get(rule.endpoint, {}))()
        except Exception as failure:  # noqa: BLE001 (a 500 propagates out of the test client as its exception)
            failures.append(f"POST {path} as {persona}: {type(failure).__name__}: {str(failure).splitlines()[0]}")
    assert failures == []
    assert len(rules) > 25 and len(forms) > 15, (len(rules), sorted(forms))
