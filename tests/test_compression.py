"""What crosses the wire compressed: pages, fragments, CSS and JS; never images, downloads, ranges or sockets."""

import gzip
import re

import brotli
import pytest

from tests.conftest import _forget_request_state
from tests.documents import files
from tests.documents.test_views import shared

BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}
STYLESHEET = re.compile(r'href="(/brand/style\.css\?v=[0-9a-f]+)"')  # ours, served as a practice's would be
SCRIPT = re.compile(r'src="(/static/vendor/htmx-2\.0\.11/htmx\.min\.js\?v=[0-9a-f]+)"')


def plain(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    return DECODE[encoding](response.data) if encoding else response.data


def static_urls(visitor) -> list[str]:
    page = visitor.get("/login").get_data(as_text=True)
    return [STYLESHEET.search(page).group(1), SCRIPT.search(page).group(1)]


@pytest.mark.parametrize(("accept", "encoding"), [("gzip, deflate, br", "br"), ("gzip", "gzip"),
                                                  ("br;q=0.5, gzip", "gzip"), ("", None), ("identity", None)])
def test_it_compresses_pages_as_the_browser_accepts(visitor, accept, encoding):
    response = visitor.get("/login", headers={"Accept-Encoding": accept})
    identity = visitor.get("/login")
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert b"<h1" in plain(response)
    if encoding:
        assert len(response.data) < len(identity.data) * 0.6


@pytest.mark.parametrize(("accept", "encoding"), [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("", None)])
def test_it_serves_css_and_js_compressed_with_a_strong_etag_and_a_year_of_cache(visitor, accept, encoding):
    for url in static_urls(visitor):
        response = visitor.get(url, headers={"Accept-Encoding": accept})
        raw = visitor.get(url)
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding") == encoding
        assert plain(response) == raw.data
        assert response.headers["Vary"] == "Accept-Encoding"
        assert re.fullmatch(r'"[0-9a-f]{32}-(br|gzip|identity)"', response.headers["ETag"])
        assert response.headers["ETag"] != raw.headers["ETag"] or encoding is None
        assert response.cache_control.max_age == 365 * 24 * 3600
        assert response.cache_control.immutable and response.cache_control.public


def test_it_answers_304_to_a_static_file_the_browser_has(visitor):
    for url in static_urls(visitor):
        first = visitor.get(url, headers=BROWSER)
        again = visitor.get(url, headers={**BROWSER, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
        assert again.data == b""
        other_encoding = visitor.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
        assert other_encoding.status_code == 200 and other_encoding.headers["Content-Encoding"] == "gzip"


def test_it_asks_browsers_to_check_a_static_url_without_the_current_fingerprint(visitor):
    for url in ("/static/porch.css", "/static/porch.css?v=0123456789ab"):
        response = visitor.get(url, headers=BROWSER)
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "br"
        assert response.cache_control.no_cache and not response.cache_control.immutable
    assert visitor.get("/static/../wsgi.py").status_code == 404
    assert visitor.get("/static/missing.css").status_code == 404


def test_it_compresses_htmx_fragments_that_are_worth_it(practice, as_user):
    carlos = as_user(practice.carlos)
    response = carlos.get("/clients", htmx=True, headers=BROWSER)
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == ("br" if len(plain(response)) >= 500 else None)
    whole = carlos.get("/clients", headers=BROWSER)
    assert whole.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in whole.headers["Vary"]


def test_it_sends_a_page_asked_for_by_another_site_uncompressed(visitor):
    response = visitor.get("/login", headers={**BROWSER, "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert {"Accept-Encoding", "Sec-Fetch-Site"} <= set(response.vary)
    for site in ("same-origin", "none"):
        assert visitor.get("/login", headers={**BROWSER, "Sec-Fetch-Site": site}).headers["Content-Encoding"] == "br"


@pytest.mark.parametrize(("name", "data"), [("notes.txt", files.text() * 200), ("scan.png", files.png(64, 64)),
                                            ("report.pdf", files.pdf(40))])
def test_it_never_compresses_document_downloads(practice, as_user, name, data):
    document = shared(practice, name, data)
    carlos = as_user(practice.carlos)
    url = f"/clients/{practice.aisha.id}/documents/{document.id}/file"
    for extra in ({}, {"Range": "bytes=0-99"}):
        _forget_request_state()
        response = carlos.client.get(url, headers={**BROWSER, **extra})
        assert response.status_code == (206 if extra else 200)
        assert "Content-Encoding" not in response.headers
        assert response.data == (data[:100] if extra else data)
        response.close()


def test_it_never_compresses_a_video_range(practice, as_user):
    video = files.mp4(300_000)
    document = shared(practice, "squat.mp4", video)
    carlos = as_user(practice.carlos)
    _forget_request_state()
    response = carlos.client.get(f"/clients/{practice.aisha.id}/documents/{document.id}/file",
                                 headers={**BROWSER, "Range": "bytes=1000-"})
    assert response.status_code == 206
    assert "Content-Encoding" not in response.headers
    assert response.data == video[1000:]
