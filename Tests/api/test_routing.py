"""The router decides (issue 16): authentication belongs to the routes of the `/admin` group, not to a path
prefix; the metrics count a request under the endpoint the router matched; every answer of the API is
uncached unless its route says otherwise."""
import re
import socket
import uuid

import pytest
import requests

from conftest import run_cli

OPEN_ADMIN_ROUTES = {("POST", "/admin/auth"), ("POST", "/admin/auth/token")}


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    from conftest import Server
    server = Server(db.url, tmp_path_factory.mktemp("routing"), workers=1, env={"DEBUG_ROUTES": "on"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def token(db, server):
    email = f"routing-{uuid.uuid4().hex[:8]}@example.com"
    run_cli(["user", "create", "--email", email, "--password", "routing-password-1"], env={"DATABASE_URL": db.url})
    response = requests.post(server.url + "/admin/auth/token", json={"email": email, "password": "routing-password-1"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def routes(server):
    response = requests.get(server.url + "/debug/routes", timeout=10)
    assert response.status_code == 200
    return [(route["method"], route["path"]) for route in response.json()]


def concrete(path):
    return re.sub(r":[a-z_]+", "x", path)


def test_every_admin_route_but_the_login_ones_asks_for_credentials_and_no_other_does(server):
    """Walks the router's own list: a route added under /admin is closed without anyone listing it."""
    listed = routes(server)
    admin = [(m, p) for m, p in listed if p.startswith("/admin/")]
    assert len(admin) >= 25 and OPEN_ADMIN_ROUTES <= set(admin)
    for method, path in admin:
        response = requests.request(method, server.url + concrete(path), timeout=10, data=b"{}",
                                    headers={"Content-Type": "application/json"})
        if (method, path) in OPEN_ADMIN_ROUTES:
            assert response.status_code == 400, (method, path, response.status_code)  # `{}`: email is missing
        else:
            assert response.status_code == 401, (method, path, response.status_code, response.text[:200])
            assert response.json() == {"type": "unauthorized", "message": "Unauthorized"}
    for method, path in [(m, p) for m, p in listed if not p.startswith("/admin/") and not p.startswith("/debug/")]:
        response = requests.request(method, server.url + concrete(path), timeout=10)
        assert response.status_code != 401, (method, path)


def test_an_unknown_admin_path_is_404_even_without_credentials(server):
    """No route, nothing to guard: the router answers. (A guard by path prefix answered 401.)"""
    for path in ["/admin/nope", "/admin", "//admin//nothing-here/", "/admin/customers/x/y/z"]:
        response = requests.get(server.url + path, timeout=10)
        assert response.status_code == 404, (path, response.status_code)
        assert response.json() == {"type": "not_found", "message": "Route not found"}
        assert response.headers["Cache-Control"] == "no-store"


def test_a_known_admin_path_under_another_method_is_401_then_405_and_options_is_405_without_credentials(
        server, token):
    assert requests.put(server.url + "/admin/customers", timeout=10).status_code == 401
    response = requests.put(server.url + "/admin/customers", timeout=10, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 405 and response.json()["type"] == "not_allowed"
    response = requests.options(server.url + "/admin/customers", timeout=10)
    assert response.status_code == 405 and response.json()["type"] == "not_allowed"
    # A login route is open under every method: the 405 needs no credentials either.
    assert requests.get(server.url + "/admin/auth/token", timeout=10).status_code == 405


def raw_get(server, path, token):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                           f"Authorization: Bearer {token}\r\n\r\n".encode())
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return int(received.split(b" ", 2)[1])


def count(text, method, route, status):
    match = re.search(rf'clientele_http_requests_total\{{method="{method}",route="{re.escape(route)}",'
                      rf'status="{status}"\}} (\d+)', text)
    return int(match.group(1)) if match else 0


def test_metrics_count_a_request_under_the_endpoint_the_router_matched(server, token):
    before = requests.get(server.url + "/metrics", timeout=10).text
    # Three spellings of one route, and the constant segment that also fits `/admin/customers/:id`.
    assert raw_get(server, "//admin//customers/", token) == 200
    assert raw_get(server, "/admin/customers", token) == 200
    assert raw_get(server, "/admin/customers/?limit=1", token) == 200
    assert raw_get(server, "/admin/customers/export", token) == 200
    assert raw_get(server, "/admin/customers/cus_missing", token) == 404
    after = requests.get(server.url + "/metrics", timeout=10).text
    assert count(after, "GET", "/admin/customers", 200) - count(before, "GET", "/admin/customers", 200) == 3
    assert count(after, "GET", "/admin/customers/export", 200) - count(before, "GET", "/admin/customers/export", 200) == 1
    assert count(after, "GET", "/admin/customers/:id", 404) - count(before, "GET", "/admin/customers/:id", 404) == 1
    assert count(after, "GET", "/admin/customers/:id", 200) == count(before, "GET", "/admin/customers/:id", 200)


def test_only_the_admin_page_may_be_cached(server):
    for path in ["/health", "/ready", "/metrics", "/openapi.json", "/nope", "/app/assets/nothing.js"]:
        assert requests.get(server.url + path, timeout=10).headers["Cache-Control"] == "no-store", path
    assert requests.get(server.url + "/app", timeout=10).headers["Cache-Control"] == "no-cache"
