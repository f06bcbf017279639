"""Shared pieces of the admin API tests: one server per test module, one client that authenticates every
request, and the shapes of API.md as assertions.

Test modules import the `api` fixture from here (`from helpers_api import api`), so that every request of
the suite goes through `Api.request` and picks up the credentials of `auth_headers`.
"""
import random
import re
import threading
import uuid
from datetime import datetime, timezone

import pytest
import requests

from conftest import Server, run_cli

# --- the contract's formats ----------------------------------------------------------------------------

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID = r"[0-7][0-9A-HJKMNP-TV-Z]{25}"
CUSTOMER_ID = re.compile(rf"^cus_{ULID}$")
GROUP_ID = re.compile(rf"^cgrp_{ULID}$")
ADDRESS_ID = re.compile(rf"^addr_{ULID}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

CUSTOMER_KEYS = {"id", "email", "first_name", "last_name", "billing_address_id", "phone", "has_account",
                 "metadata", "created_at", "updated_at", "deleted_at"}
ADDRESS_KEYS = {"id", "customer_id", "company", "first_name", "last_name", "address_1", "address_2", "city",
                "country_code", "province", "postal_code", "phone", "metadata", "created_at", "updated_at",
                "deleted_at"}
GROUP_KEYS = {"id", "name", "metadata", "created_at", "updated_at", "deleted_at"}

ADMIN_EMAIL = "api-tests-admin@example.com"
ADMIN_PASSWORD = "api-tests-password-123"


def ulid():
    """A well-formed ULID (for rows inserted with SQL and for ids that do not exist)."""
    return random.choice("01234567") + "".join(random.choice(CROCKFORD) for _ in range(25))


def unique(prefix="t"):
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def new_email(prefix="customer"):
    return f"{prefix}-{uuid.uuid4().hex}@example.com"


def parse_timestamp(value):
    assert TIMESTAMP.match(value), value
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


# --- authentication --------------------------------------------------------------------------------------

def auth_headers(server, db):
    """The headers that authenticate an admin: a Bearer JWT of a user made with `clientele user create`."""
    run_cli(["user", "create", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD],
            env={"DATABASE_URL": db.url})
    response = requests.post(server.url + "/admin/auth/token",
                             json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=30)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# --- the client ------------------------------------------------------------------------------------------

_NO_BODY = object()
OMIT = _NO_BODY  # customer_body(email=OMIT) leaves the key out


class Api:
    """Talks to one server; every request carries the admin credentials unless `auth=False`.

    `path` may carry a literal query string (`/admin/customers?groups[]=a`), sent as written; `params` are
    encoded by requests. Every successful response is checked never to contain `password_hash`."""

    def __init__(self, server, db, headers):
        self.server = server
        self.db = db
        self.url = server.url
        self.headers = headers
        self._local = threading.local()

    def _session(self):
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def request(self, method, path, *, params=None, json=_NO_BODY, data=None, headers=None, auth=True):
        all_headers = dict(self.headers) if auth else {}
        all_headers.update(headers or {})
        kwargs = {"params": params, "headers": all_headers, "timeout": 60}
        if json is not _NO_BODY:
            kwargs["json"] = json
        elif data is not None:
            kwargs["data"] = data
            all_headers.setdefault("Content-Type", "application/json")
        response = self._session().request(method, self.url + path, **kwargs)
        if 200 <= response.status_code < 300:
            assert "password_hash" not in response.text, f"{method} {path} leaked password_hash: {response.text}"
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json=_NO_BODY, **kwargs):
        return self.request("POST", path, json=json, **kwargs)

    def delete(self, path, json=_NO_BODY, **kwargs):
        return self.request("DELETE", path, json=json, **kwargs)


@pytest.fixture(scope="module")
def api(db, tmp_path_factory):
    server = Server(db.url, tmp_path_factory.mktemp("api-serve"), workers=2)
    try:
        yield Api(server, db, auth_headers(server, db))
    finally:
        server.stop()


# --- assertions ------------------------------------------------------------------------------------------

def body(response, status):
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    assert response.headers.get("Content-Type", "").startswith("application/json"), response.headers
    return response.json()


def assert_error(response, status, type_, message=None, mentions=None, code=None, mentions_any=None):
    """An error in the shape of API.md: exactly type and message, plus code where the table lists one."""
    payload = body(response, status)
    expected_keys = {"type", "message"} | ({"code"} if code else set())
    assert set(payload) == expected_keys, payload
    assert payload["type"] == type_, payload
    assert isinstance(payload["message"], str) and payload["message"], payload
    if code:
        assert payload["code"] == code, payload
    if message is not None:
        assert payload["message"] == message, payload
    if mentions is not None:
        for word in ([mentions] if isinstance(mentions, str) else mentions):
            assert word in payload["message"], payload
    if mentions_any is not None:
        assert any(word in payload["message"] for word in mentions_any), payload
    return payload


def assert_invalid(response, message=None, mentions=None, mentions_any=None):
    """A 400 invalid_data; where API.md gives no exact text, the message must name the parameter (or,
    with mentions_any, the parameter or the offending value)."""
    return assert_error(response, 400, "invalid_data", message=message, mentions=mentions, mentions_any=mentions_any)


def assert_customer(customer, relations=()):
    """Exactly the customer's fields of API.md, with the given relations and no others."""
    assert set(customer) == CUSTOMER_KEYS | set(relations), sorted(customer)
    assert CUSTOMER_ID.match(customer["id"]), customer["id"]
    assert isinstance(customer["email"], str)
    assert customer["email"] == customer["email"].strip().lower()
    for key in ("first_name", "last_name", "billing_address_id", "phone"):
        assert customer[key] is None or isinstance(customer[key], str), (key, customer[key])
    assert isinstance(customer["has_account"], bool)
    assert customer["metadata"] is None or isinstance(customer["metadata"], dict)
    parse_timestamp(customer["created_at"])
    parse_timestamp(customer["updated_at"])
    assert customer["deleted_at"] is None
    if "shipping_addresses" in relations:
        assert isinstance(customer["shipping_addresses"], list)
        for address in customer["shipping_addresses"]:
            assert_address(address, customer_id=customer["id"])
    if "billing_address" in relations and customer["billing_address"] is not None:
        assert_address(customer["billing_address"], customer_id=customer["id"])
        assert customer["billing_address"]["id"] == customer["billing_address_id"]
    if "groups" in relations:
        assert isinstance(customer["groups"], list)
        for group in customer["groups"]:
            assert_group(group)
    return customer


def assert_address(address, customer_id=None):
    assert set(address) == ADDRESS_KEYS, sorted(address)
    assert ADDRESS_ID.match(address["id"]), address["id"]
    if customer_id is not None:
        assert address["customer_id"] == customer_id
    for key in ADDRESS_KEYS - {"id", "customer_id", "metadata", "created_at", "updated_at", "deleted_at"}:
        assert address[key] is None or isinstance(address[key], str), (key, address[key])
    assert address["metadata"] is None or isinstance(address["metadata"], dict)
    parse_timestamp(address["created_at"])
    parse_timestamp(address["updated_at"])
    assert address["deleted_at"] is None
    return address


def assert_group(group, relations=()):
    assert set(group) == GROUP_KEYS | set(relations), sorted(group)
    assert GROUP_ID.match(group["id"]), group["id"]
    assert isinstance(group["name"], str)
    assert group["metadata"] is None or isinstance(group["metadata"], dict)
    parse_timestamp(group["created_at"])
    parse_timestamp(group["updated_at"])
    assert group["deleted_at"] is None
    return group


def assert_list(payload, key, offset, limit):
    """The list envelope; customer lists (cursor pages, API.md) also carry `next_cursor`."""
    cursor = {"next_cursor"} if key == "customers" else set()
    assert set(payload) == {key, "count", "offset", "limit"} | cursor, sorted(payload)
    if cursor:
        assert payload["next_cursor"] is None or isinstance(payload["next_cursor"], str), payload["next_cursor"]
    assert isinstance(payload[key], list)
    assert isinstance(payload["count"], int) and not isinstance(payload["count"], bool)
    assert payload["offset"] == offset
    assert payload["limit"] == limit
    return payload


# --- building state --------------------------------------------------------------------------------------

def customer_body(**overrides):
    payload = {"email": new_email(), "first_name": "Ada", "last_name": "Lovelace", "password": "correct-horse-1"}
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not _NO_BODY}


def create_customer(api, **overrides):
    response = api.post("/admin/customers", json=customer_body(**overrides))
    return body(response, 201)["customer"]


def create_group(api, name=None, **extra):
    response = api.post("/admin/customer-groups", json={"name": name or unique("group-"), **extra})
    return body(response, 200)["customer_group"]


def create_address(api, customer_id, **fields):
    payload = {"address_1": "1 Main Street", "country_code": "de", **fields}
    response = api.post(f"/admin/customers/{customer_id}/addresses", json=payload)
    return body(response, 200)["address"]


def sql_literal(value):
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"


def insert_customer_sql(db, email, has_account=False, created_at=None, first_name=None, last_name=None):
    """A customer written straight into the table (as a shop's import would), e.g. one without an account."""
    cid = "cus_" + ulid()
    db.sql("INSERT INTO customer (id, email, first_name, last_name, has_account, created_at, updated_at) "
           f"VALUES ({sql_literal(cid)}, {sql_literal(email)}, {sql_literal(first_name)}, "
           f"{sql_literal(last_name)}, {'true' if has_account else 'false'}, "
           f"coalesce({sql_literal(created_at)}::timestamptz, now()), "
           f"coalesce({sql_literal(created_at)}::timestamptz, now()))")
    return cid


def count_rows(db, table, where="true"):
    return int(db.sql(f"SELECT count(*) FROM {table} WHERE {where}"))


def jobs(db, kind, customer_id):
    return count_rows(db, "job", f"kind = {sql_literal(kind)} AND args->>'customer_id' = {sql_literal(customer_id)}")


def snapshot(db):
    """Every row that a customer request could change, to show that a rejected request changed nothing."""
    return db.sql("SELECT json_build_object("
                  "'customer', (SELECT coalesce(json_agg(c ORDER BY id), '[]') FROM customer c), "
                  "'address', (SELECT coalesce(json_agg(a ORDER BY id), '[]') FROM address a), "
                  "'groups', (SELECT coalesce(json_agg(g ORDER BY id), '[]') FROM customer_group g), "
                  "'members', (SELECT coalesce(json_agg(m ORDER BY customer_group_id, customer_id), '[]') "
                  "            FROM customer_group_customers m), "
                  "'jobs', (SELECT count(*) FROM job))")


def ids(items):
    return [item["id"] for item in items]
