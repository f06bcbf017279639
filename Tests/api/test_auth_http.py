"""Admin authentication over HTTP (API.md "Auth"): the three ways in, the ways they must fail, and the
session cookie's flags."""
import base64
import json
import time
import uuid

import pytest
import requests

from conftest import JWT_SECRET, run_cli, wait_until

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    from conftest import Server
    server = Server(db.url, tmp_path_factory.mktemp("auth"), workers=2,
                    env={"AUTH_CACHE_TTL": "0", "ADMIN_CORS": "https://admin.example.com"})
    yield server
    server.stop()


def make_user(db, api_token=None):
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    args = ["user", "create", "--email", email, "--password", PASSWORD]
    if api_token:
        args += ["--api-token", api_token]
    run_cli(args, env={"DATABASE_URL": db.url})
    return email


def token_for(server, email):
    response = requests.post(server.url + "/admin/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def whoami(server, **kwargs):
    return requests.get(server.url + "/admin/auth", **kwargs)


UNAUTHORIZED = {"type": "unauthorized", "message": "Unauthorized"}


def test_a_request_without_credentials_is_401(server):
    response = requests.get(server.url + "/admin/customers")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_session_login_sets_a_cookie_that_works_until_logout(db, server):
    email = make_user(db)
    session = requests.Session()
    response = session.post(server.url + "/admin/auth", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    user = response.json()["user"]
    assert user["email"] == email
    assert set(user) == {"id", "email", "first_name", "last_name", "role", "metadata", "created_at", "updated_at",
                         "deleted_at"}
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("clientele.sid=")
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"]:
        assert flag in cookie
    assert "Secure" not in cookie
    assert session.get(server.url + "/admin/auth").json()["user"]["id"] == user["id"]
    assert session.get(server.url + "/admin/customers").status_code == 200
    value = session.cookies["clientele.sid"]
    assert session.delete(server.url + "/admin/auth").json() == {}
    after = whoami(server, cookies={"clientele.sid": value})
    assert after.status_code == 401
    assert after.json() == UNAUTHORIZED


def test_bearer_token_works_and_carries_user_id_and_domain(db, server):
    email = make_user(db)
    token = token_for(server, email)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert payload["domain"] == "admin"
    assert payload["exp"] - time.time() == pytest.approx(24 * 3600, abs=120)
    me = whoami(server, headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["user"]["id"] == payload["user_id"]


def forge(payload, secret=JWT_SECRET.encode(), alg="HS256"):
    import hashlib
    import hmac

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    if alg == "none":
        return f"{header}.{body}."
    signature = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"


def test_bad_bearer_tokens_are_refused(db, server):
    email = make_user(db)
    good = token_for(server, email)
    user_id = json.loads(base64.urlsafe_b64decode(good.split(".")[1] + "=="))["user_id"]
    now = int(time.time())
    header, payload, signature = good.split(".")
    tampered_payload = base64.urlsafe_b64encode(json.dumps(
        {"user_id": "usr_SOMEONEELSE", "domain": "admin", "exp": now + 3600}).encode()).rstrip(b"=").decode()
    bad = {
        "expired": forge({"user_id": user_id, "domain": "admin", "exp": now - 10}),
        "wrong signature": forge({"user_id": user_id, "domain": "admin", "exp": now + 3600}, secret=b"x" * 40),
        "alg none": forge({"user_id": user_id, "domain": "admin", "exp": now + 3600}, alg="none"),
        "tampered payload": f"{header}.{tampered_payload}.{signature}",
        "other domain": forge({"user_id": user_id, "domain": "store", "exp": now + 3600}),
        "garbage": "not-a-jwt",
    }
    assert forge({"user_id": user_id, "domain": "admin", "exp": now + 3600}) != good  # iat differs
    for name, token in bad.items():
        response = whoami(server, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json() == UNAUTHORIZED, name
    # A correctly forged token (the secret is the server's) is what a valid token looks like.
    assert whoami(server, headers={"Authorization": "Bearer " + forge(
        {"user_id": user_id, "domain": "admin", "exp": now + 3600})}).status_code == 200


def test_api_token_works_and_a_wrong_one_does_not(db, server):
    token = "tok_" + uuid.uuid4().hex
    make_user(db, api_token=token)
    assert whoami(server, headers={"x-medusa-access-token": token}).status_code == 200
    wrong = whoami(server, headers={"x-medusa-access-token": token + "x"})
    assert wrong.status_code == 401
    assert wrong.json() == UNAUTHORIZED


def test_a_deleted_user_loses_session_jwt_and_api_token_at_once(db, server):
    token = "tok_" + uuid.uuid4().hex
    email = make_user(db, api_token=token)
    bearer = token_for(server, email)
    session = requests.Session()
    assert session.post(server.url + "/admin/auth", json={"email": email, "password": PASSWORD}).status_code == 200
    run_cli(["user", "delete", "--email", email], env={"DATABASE_URL": db.url})
    assert whoami(server, headers={"Authorization": f"Bearer {bearer}"}).status_code == 401
    assert whoami(server, headers={"x-medusa-access-token": token}).status_code == 401
    assert session.get(server.url + "/admin/auth").status_code == 401
    login = requests.post(server.url + "/admin/auth/token", json={"email": email, "password": PASSWORD})
    assert login.status_code == 401


def test_with_the_credential_cache_a_deleted_user_is_refused_within_its_ttl(db, tmp_path):
    from conftest import Server
    server = Server(db.url, tmp_path, workers=1, env={"AUTH_CACHE_TTL": "1"})
    try:
        email = make_user(db)
        bearer = token_for(server, email)
        headers = {"Authorization": f"Bearer {bearer}"}
        assert whoami(server, headers=headers).status_code == 200
        run_cli(["user", "delete", "--email", email], env={"DATABASE_URL": db.url})
        started = time.monotonic()
        wait_until(lambda: whoami(server, headers=headers).status_code == 401, timeout=10)
        print(f"deleted user's JWT refused after {(time.monotonic() - started) * 1000:.0f} ms (AUTH_CACHE_TTL=1)")
    finally:
        server.stop()


def test_wrong_password_and_unknown_email_get_the_same_answer(db, server):
    email = make_user(db)
    wrong = requests.post(server.url + "/admin/auth", json={"email": email, "password": "not the password"})
    unknown = requests.post(server.url + "/admin/auth", json={"email": "nobody@example.com", "password": "whatever1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == UNAUTHORIZED
    assert "Set-Cookie" not in wrong.headers


def test_login_is_throttled_after_too_many_failures(db, tmp_path):
    from conftest import Server
    server = Server(db.url, tmp_path, workers=1, env={"LOGIN_MAX_FAILURES": "3"})
    try:
        email = make_user(db)
        for _ in range(3):
            assert requests.post(server.url + "/admin/auth/token",
                                 json={"email": email, "password": "wrong-password"}).status_code == 401
        throttled = requests.post(server.url + "/admin/auth/token", json={"email": email, "password": PASSWORD})
        assert throttled.status_code == 429
        assert throttled.json()["type"] == "too_many_requests"
        assert 0 < int(throttled.headers["Retry-After"]) <= 900
        # Another email from the same address is not affected.
        other = make_user(db)
        assert requests.post(server.url + "/admin/auth/token", json={"email": other, "password": PASSWORD}).status_code == 200
    finally:
        server.stop()


def test_cors_allows_only_the_configured_admin_origin_with_credentials(server):
    allowed = requests.options(server.url + "/admin/customers", headers={
        "Origin": "https://admin.example.com", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://admin.example.com"
    assert allowed.headers["Access-Control-Allow-Credentials"] == "true"
    other = requests.options(server.url + "/admin/customers", headers={
        "Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in other.headers
    simple = requests.get(server.url + "/health", headers={"Origin": "https://admin.example.com"})
    assert simple.headers["Access-Control-Allow-Origin"] == "https://admin.example.com"


def test_cookie_secure_flag_when_configured(db, tmp_path):
    from conftest import Server
    server = Server(db.url, tmp_path, workers=1, env={"COOKIE_SECURE": "true"})
    try:
        email = make_user(db)
        response = requests.post(server.url + "/admin/auth", json={"email": email, "password": PASSWORD})
        assert "; Secure" in response.headers["Set-Cookie"]
    finally:
        server.stop()


def test_serve_refuses_to_start_without_a_long_enough_jwt_secret(db):
    result = run_cli(["serve", "--port", "0"], env={"DATABASE_URL": db.url, "JWT_SECRET": "short"}, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "clientele: JWT_SECRET must be at least 32 bytes long, got 5"
    missing = run_cli(["serve", "--port", "0"], env={"DATABASE_URL": db.url, "JWT_SECRET": ""}, check=False)
    assert missing.stderr.strip() == "clientele: JWT_SECRET is required but not set"
