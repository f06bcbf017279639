"""Shared pieces of the hardening tests (issue 9): servers whose logs are kept for the secrets scan, an admin
whose secrets are registered, a client that scans every response body for those secrets, raw sockets for
what `requests` would not send, and the error shape of API.md as one check.

The secrets scan (test_hardening_load.py, last) reads what these helpers collected over the whole run.
"""
import json
import socket
import threading
import time

import pytest
import requests

from conftest import JWT_SECRET, Server, run_cli

ADMIN_EMAIL = "hardening-admin@example.com"
ADMIN_PASSWORD = "hardening-Pa55word-7f3a9c"

# name -> secret value; every response body and every serve log line must contain none of them.
SECRETS = {}
# Paths of the serve logs of the hardening modules.
LOG_PATHS = []
# What the response scan saw: counts and the leaks found (name, where).
SCAN = {"responses": 0, "bytes": 0, "leaks": []}
_scan_lock = threading.Lock()

# scrypt with N = 2^10 instead of 2^15: creates under load measure the server, not the hash of a debug build.
FAST_HASH = {"PASSWORD_SCRYPT_LOG_N": "10"}

ERROR_TYPES = {
    400: "invalid_data", 401: "unauthorized", 404: "not_found", 405: "not_allowed",
    412: "precondition_failed", 413: "payload_too_large", 422: "duplicate_error",
    429: "too_many_requests", 500: "unknown_error", 503: "service_unavailable",
}


def register_secret(name, value):
    if value:
        SECRETS[name] = value


def scan(data, where):
    """Records one response body (str or bytes) as scanned and notes any secret in it."""
    text = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else (data or "")
    found = [name for name, value in list(SECRETS.items()) if value in text]
    with _scan_lock:
        SCAN["responses"] += 1
        SCAN["bytes"] += len(text)
        SCAN["leaks"].extend((name, where) for name in found)


def start_server(db_url, tmp_path, **kwargs):
    """A `serve` whose log joins the secrets scan."""
    server = Server(db_url, tmp_path, **kwargs)
    LOG_PATHS.append(server.log_path)
    return server


def tracked(start_server_fixture):
    """Wraps conftest's `start_server` fixture so that its servers' logs join the secrets scan."""
    def start(db_url, **kwargs):
        server = start_server_fixture(db_url, **kwargs)
        LOG_PATHS.append(server.log_path)
        return server
    return start


class Admin:
    """An admin user of one database, with a bearer token and a session cookie, both registered as secrets."""

    def __init__(self, server, db):
        if db.sql(f"SELECT count(*) FROM \"user\" WHERE email = '{ADMIN_EMAIL}'") == "0":
            run_cli(["user", "create", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD],
                    env={"DATABASE_URL": db.url})
        register_secret("admin password", ADMIN_PASSWORD)
        register_secret("JWT_SECRET", JWT_SECRET)
        stored = db.sql(f"SELECT password_hash FROM \"user\" WHERE email = '{ADMIN_EMAIL}'")
        register_secret(f"password hash of {db.name}", stored)
        # The digest part of a self-describing hash, in case something logs it alone.
        register_secret(f"password hash digest of {db.name}", max(stored.replace(":", "$").split("$"), key=len))
        response = requests.post(server.url + "/admin/auth/token",
                                 json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=30)
        assert response.status_code == 200, response.text
        # Scanned before the token is a secret: this one body is where it belongs.
        scan(response.content, "POST /admin/auth/token")
        self.token = response.json()["access_token"]
        register_secret(f"bearer token of {db.name}", self.token)
        register_secret(f"bearer token signature of {db.name}", self.token.rsplit(".", 1)[-1])
        session = requests.post(server.url + "/admin/auth",
                                json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=30)
        assert session.status_code == 200, session.text
        scan(session.content, "POST /admin/auth")
        self.session_id = session.cookies["clientele.sid"]
        register_secret(f"session id of {db.name}", self.session_id)
        # The session must work too: later requests of this client use the cookie.
        check = requests.get(server.url + "/admin/auth", cookies={"clientele.sid": self.session_id}, timeout=30)
        assert check.status_code == 200, check.text
        scan(check.content, "GET /admin/auth")
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.cookies = {"clientele.sid": self.session_id}


class Client:
    """Talks to one server with the admin's bearer token (or its session cookie); scans every response."""

    def __init__(self, server, admin, use_cookie=False, timeout=30):
        self.server = server
        self.url = server.url
        self.admin = admin
        self.use_cookie = use_cookie
        self.timeout = timeout
        self._local = threading.local()

    def session(self):
        if not hasattr(self._local, "session"):
            session = requests.Session()
            if self.use_cookie:
                session.cookies.set("clientele.sid", self.admin.session_id)
            else:
                session.headers.update(self.admin.headers)
            self._local.session = session
        return self._local.session

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        response = self.session().request(method, self.url + path, **kwargs)
        scan(response.content, f"{method} {path[:80]}")
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def post_raw(self, path, data, content_type="application/json", **kwargs):
        headers = {"Content-Type": content_type, **kwargs.pop("headers", {})}
        return self.request("POST", path, data=data, headers=headers, **kwargs)


def raw_exchange(port, data, timeout=10, read_until_close=True):
    """Sends bytes on a fresh connection and returns everything read until the server closes (or the
    timeout): (bytes, how it ended)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    received = b""
    ended = "closed"
    try:
        sock.sendall(data)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
            if not read_until_close:
                break
    except socket.timeout:
        ended = "timeout"
    except ConnectionResetError:
        ended = "reset"
    except BrokenPipeError:
        ended = "broken pipe"
    finally:
        sock.close()
    scan(received, "raw exchange")
    return received, ended


def raw_responses(received):
    """Splits what a raw exchange read into (status, headers, body) responses (bodies by Content-Length)."""
    responses = []
    rest = received
    while rest.startswith(b"HTTP/1.1 "):
        head, _, rest = rest.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        responses.append((status, headers, rest[:length]))
        rest = rest[length:]
    return responses


def check_error(response, status=None):
    """An error response in the shape of API.md: {"type","message"} (+code where the table lists one), the
    type that belongs to the status. Returns the payload."""
    if status is not None:
        assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text[:300]}"
    return check_error_payload(response.status_code, response.headers, response.content)


def check_error_payload(status, headers, content):
    assert 400 <= status < 600, status
    if status == 431:
        assert content == b"", content[:200]
        return None
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    assert content_type.startswith("application/json"), (status, headers, content[:200])
    payload = json.loads(content)
    code = status in (422, 500)
    assert set(payload) == {"type", "message"} | ({"code"} if code else set()), payload
    assert payload["type"] == ERROR_TYPES[status], (status, payload)
    assert isinstance(payload["message"], str) and payload["message"], payload
    if status == 422:
        assert payload["code"] == "invalid_request_error", payload
    if status == 500:
        assert payload == {"type": "unknown_error", "message": "An unknown error occurred.", "code": "unknown_error"}
    if status in (429, 503):
        assert {k.lower() for k in headers} >= {"retry-after"}, headers
    return payload


def wait_for(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:
            pass
        time.sleep(interval)
    return False


@pytest.fixture(scope="module")
def hardened(db, tmp_path_factory):
    """One `serve` (2 workers) with an admin, for a module: (server, admin, client)."""
    server = start_server(db.url, tmp_path_factory.mktemp("hardening-serve"), workers=2, env=FAST_HASH)
    try:
        admin = Admin(server, db)
        yield server, admin, Client(server, admin)
    finally:
        server.stop()


# Figures measured by the hardening tests, printed at the end of the run (conftest's terminal summary) so
# that `make test` shows them without -s.
FIGURES = []


def figure(text):
    print(text)
    FIGURES.append(text)
