"""The portal home and the login page stay light for a cheap phone on a slow network (bytes on the wire)."""

import re
from pathlib import Path

import pytest

from app.demo import DEMO_PASSWORD, load_demo_practice
from bench.page_weight import (
    CSS_BUDGET,
    DEMO_CLIENT,
    FIRST_VISIT_BUDGET,
    HTML_BUDGET,
    ONE_YEAR,
    REPEAT_VISIT_BUDGET,
    measure,
)
from tests.conftest import Visitor

HTMX = Path(__file__).resolve().parents[2] / "app" / "static" / "vendor" / "htmx-2.0.11"


@pytest.fixture
def weights(app) -> dict:
    load_demo_practice()
    aisha = Visitor(app.test_client())
    aisha.login(DEMO_CLIENT, DEMO_PASSWORD)
    return measure(aisha.get)


@pytest.fixture
def login_weights(app) -> dict:
    return measure(Visitor(app.test_client()).get, "/login", cards=())


def asset(weights: dict, path: str) -> dict:
    found = [a for a in weights["assets"] if a["path"] == path]
    assert found, f"the portal home does not load {path}; it loads {[a['path'] for a in weights['assets']]}"
    return found[0]


def test_it_keeps_the_portal_home_html_within_14_kb(weights):
    assert weights["html"] <= HTML_BUDGET


def test_it_keeps_our_stylesheet_within_10_kb(weights):
    stylesheets = [a for a in weights["assets"] if a["kind"] == "stylesheet"]
    assert len(stylesheets) == 1  # the practice's: ours with its colour added, so one request
    assert stylesheets[0]["bytes"] <= CSS_BUDGET
    assert weights["css"] <= CSS_BUDGET


def test_it_keeps_a_first_visit_within_30_kb(weights):
    assert weights["first_visit"] <= FIRST_VISIT_BUDGET


def test_it_keeps_a_repeat_visit_within_8_kb(weights):
    assert weights["repeat_visit"] <= REPEAT_VISIT_BUDGET


def test_it_counts_what_crosses_the_wire_compressed(weights):
    assert weights["html_encoding"] == "br"
    assert weights["html"] < weights["html_raw"]
    text = [a for a in weights["assets"] if not a["path"].endswith(".png")]  # a logo is compressed already
    assert {a["path"]: a["encoding"] for a in text if a["encoding"] != "br"} == {}
    assert all(a["bytes"] < a["raw_bytes"] for a in text)


def test_it_keeps_the_login_page_within_the_same_budgets(login_weights):
    assert login_weights["html_encoding"] == "br"
    assert login_weights["html"] <= HTML_BUDGET
    assert login_weights["first_visit"] <= FIRST_VISIT_BUDGET
    assert login_weights["repeat_visit"] <= REPEAT_VISIT_BUDGET
    assert login_weights["cached_for_a_year"]


def test_it_serves_each_card_as_a_fragment_smaller_than_the_page(weights):
    assert set(weights["cards"]) == {"upcoming", "forms", "messages", "invoices"}
    assert all(size < weights["html"] for size in weights["cards"].values())


def test_it_vendors_htmx_with_its_licence():
    assert 'version:"2.0.11"' in (HTMX / "htmx.min.js").read_text()
    assert "Permission to use, copy, modify" in (HTMX / "LICENSE").read_text()


def test_it_loads_htmx_deferred(weights):
    htmx = asset(weights, "/static/vendor/htmx-2.0.11/htmx.min.js")
    assert htmx["kind"] == "script"
    assert htmx["defer"]


def test_it_fingerprints_static_urls(weights):
    fingerprints = [a["fingerprint"] for a in weights["assets"]]
    assert all(re.fullmatch(r"[0-9a-f]{8,}", f or "") for f in fingerprints), fingerprints
    assert len(set(fingerprints)) == len(fingerprints)


def test_it_lets_browsers_cache_static_files_for_a_year(weights):
    max_ages = {a["path"]: a["max_age"] for a in weights["assets"]}
    assert all(age >= ONE_YEAR for age in max_ages.values()), max_ages


def test_it_lets_a_cached_static_file_serve_whatever_the_session_cookie(weights):
    assert {a["path"]: a["vary"] for a in weights["assets"] if "cookie" in a["vary"]} == {}
