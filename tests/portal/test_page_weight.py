"""The portal home stays light enough for a cheap phone on a slow network (sizes after gzip -9)."""

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
