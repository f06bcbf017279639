"""Login bodies are validated first, as Medusa's AdminPostAuthReq does (API.md "Auth"): a missing or empty email
or password is a 400 before any credential check, on both login routes, and it is not a failed login for the
throttle."""
import uuid

import pytest
import requests

from conftest import Server, run_cli

PASSWORD = "correct horse battery"
ROUTES = ["/admin/auth", "/admin/auth/token"]


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    server = Server(db.url, tmp_path_factory.mktemp("login-validation"), workers=1,
                    env={"LOGIN_MAX_FAILURES": "2", "LOGIN_MAX_FAILURES_PER_ADDRESS": "100000"})
    yield server
    server.stop()


def make_user(db):
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    run_cli(["user", "create", "--email", email, "--password", PASSWORD], env={"DATABASE_URL": db.url})
    return email


def login(server, route, payload):
    return requests.post(server.url + route, json=payload, timeout=60)


def failures(db, email):
    return int(db.sql(f"SELECT count(*) FROM login_failure WHERE email = '{email}'"))


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("payload, message", [
    ({"email": "someone@example.com"}, "password should not be empty"),
    ({"email": "someone@example.com", "password": ""}, "password should not be empty"),
    ({"email": "someone@example.com", "password": None}, "password should not be empty"),
    ({"password": "whatever1"}, "email must be an email"),
    ({"email": "", "password": "whatever1"}, "email must be an email"),
    ({}, "email must be an email, password should not be empty"),
    ({"email": "", "password": ""}, "email must be an email, password should not be empty"),
    ({"email": "someone@example.com", "password": 12345678}, "password must be a string"),
])
def test_a_missing_or_empty_email_or_password_is_400_with_medusas_message(server, route, payload, message):
    response = login(server, route, payload)
    assert response.status_code == 400, response.text
    assert response.json() == {"type": "invalid_data", "message": message}
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("route", ROUTES)
def test_invalid_bodies_are_not_failed_logins(db, server, route):
    email = make_user(db)
    for payload in [{"email": email}, {"email": email, "password": ""}] * 3:
        assert login(server, route, payload).status_code == 400
    assert failures(db, email) == 0
    # With LOGIN_MAX_FAILURES=2, the two wrong passwords are still answered 401: none of the six 400s counted.
    for _ in range(2):
        assert login(server, route, {"email": email, "password": "wrong password"}).status_code == 401
    assert failures(db, email) == 2
    throttled = login(server, route, {"email": email, "password": PASSWORD})
    assert throttled.status_code == 429, throttled.text
    # Validation comes before the throttle too: a throttled email with an empty password is still a 400.
    assert login(server, route, {"email": email, "password": ""}).status_code == 400
    assert failures(db, email) == 2


def test_a_valid_login_after_invalid_bodies_succeeds(db, server):
    email = make_user(db)
    for _ in range(5):
        assert login(server, "/admin/auth/token", {"email": email, "password": ""}).status_code == 400
    response = login(server, "/admin/auth/token", {"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
