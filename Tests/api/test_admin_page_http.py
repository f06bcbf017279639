"""The admin page as HTTP serves it (issue 18): index.html at /app, its assets under content-hashed names with
long-cache headers, a strict Content-Security-Policy on both, served by every worker without credentials,
and page sources that never insert a value as HTML. The browser test (test_admin_page_browser.py) drives it."""
import hashlib
import os
import re

import pytest
import requests

from conftest import ROOT, Server

ASSETS = os.path.join(ROOT, "Sources", "AdminPage", "Assets")
ASSET_URL = re.compile(r'"/app/assets/([A-Za-z0-9._-]+)"')
HASHED = re.compile(r"^[a-z-]+\.[0-9a-f]{16}\.(js|css|svg)$")


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    server = Server(db.url, tmp_path_factory.mktemp("page-serve"), workers=2)
    yield server
    server.stop()


def index(server):
    response = requests.get(server.url + "/app", timeout=30)
    assert response.status_code == 200, response.text
    return response


def test_the_page_is_served_without_credentials_with_a_strict_policy_and_no_cache(server):
    response = index(server)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    policy = response.headers["Content-Security-Policy"]
    directives = {part.strip().split(" ")[0]: part.strip() for part in policy.split(";")}
    assert directives["default-src"] == "default-src 'self'"
    assert "script-src" not in directives and "style-src" not in directives  # so default-src 'self' decides: no inline
    assert directives["require-trusted-types-for"] == "require-trusted-types-for 'script'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'" and directives["object-src"] == "object-src 'none'"
    assert "<script>" not in response.text and "style=" not in response.text  # nothing inline to allow
    assert requests.get(server.url + "/app/", timeout=30).status_code == 200


def test_every_asset_is_named_by_the_hash_of_what_is_served_and_cached_for_a_year(server):
    names = ASSET_URL.findall(index(server).text)
    sources = sorted(name for name in os.listdir(ASSETS) if name != "index.html")
    assert len(names) == len(sources) and len(set(names)) == len(names), names
    assert sorted(re.sub(r"\.[0-9a-f]{16}\.", ".", name) for name in names) == sources
    for name in names:
        assert HASHED.match(name), name
        response = requests.get(server.url + "/app/assets/" + name, timeout=30)
        assert response.status_code == 200, (name, response.text)
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Content-Security-Policy" in response.headers
        assert name.split(".")[1] == hashlib.sha256(response.content).hexdigest()[:16], name
        expected = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}[name.rsplit(".", 1)[1]]
        assert response.headers["Content-Type"].startswith(expected)
        # A module imports the others by their served names too.
        for imported in re.findall(r'from "\./([^"]+)"', response.text):
            assert HASHED.match(imported) and imported in names, (name, imported)


def test_every_worker_serves_the_same_names(server):
    seen = {tuple(ASSET_URL.findall(index(server).text)) for _ in range(12)}
    assert len(seen) == 1


def test_unhashed_or_unknown_asset_names_are_404_in_the_api_error_shape(server):
    for name in ("app.js", "nothing.0123456789abcdef.js", "..%2F..%2Fetc%2Fpasswd"):
        response = requests.get(server.url + "/app/assets/" + name, timeout=30)
        assert response.status_code == 404, name
        assert response.json()["type"] == "not_found"
    response = requests.post(server.url + "/app", timeout=30)
    assert response.status_code == 405 and response.json()["type"] == "not_allowed"


def test_the_api_stays_guarded_and_uncached_while_the_page_is_public(server):
    response = requests.get(server.url + "/admin/customers", timeout=30)
    assert response.status_code == 401
    assert response.headers["Cache-Control"] == "no-store"


def test_page_sources_insert_values_as_text_never_as_html():
    """The page builds its DOM with text nodes, textContent and attribute values only (dom.js)."""
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|"
                       r"DOMParser|srcdoc|\beval\(|new Function|setTimeout\(\s*['\"]|javascript:")
    for name in sorted(os.listdir(ASSETS)):
        with open(os.path.join(ASSETS, name), encoding="utf-8") as f:
            text = f.read()
        found = [m.group(0) for m in sinks.finditer(text)]
        # dom.js names innerHTML once, in the comment that forbids it.
        allowed = ["innerHTML"] if name == "dom.js" else []
        assert found == allowed, (name, found)
        if name.endswith(".html"):
            # No inline script, handler or style: the policy would refuse them, and the page must not need them.
            assert not re.search(r"<script(?![^>]*\bsrc=)", text), name
            assert not re.search(r"\son[a-z]+=", text) and "style=" not in text and "<style" not in text, name
