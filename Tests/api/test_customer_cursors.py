"""Cursor pages of the customer lists (API.md "Cursor pages"): next_cursor on every customer list, keyset pages
in every order that neither skip nor repeat a row while rows come and go between pages, and cursors that
cannot be forged, reused for another query, or outlive the key that signed them."""
import random
import string

import pytest
import requests

from conftest import JWT_SECRET
from helpers_api import (ADMIN_EMAIL, ADMIN_PASSWORD, api, assert_invalid, assert_list, body, create_customer,  # noqa: F401
                         create_group, ids, insert_customer_sql, sql_literal, ulid)

ORDERS = ["id", "email", "first_name", "last_name", "phone", "has_account", "created_at", "updated_at"]
# How PostgreSQL orders each field in psql (NULLs last going up, first going down: its default).
SQL_KEYS = {"first_name": "substr(first_name, 1, 256)", "last_name": "substr(last_name, 1, 256)",
            "phone": "substr(phone, 1, 256)"}


def listing(api, params, path="/admin/customers"):
    payload = body(api.get(path, params=params), 200)
    return assert_list(payload, "customers", 0 if "cursor" in params else int(params.get("offset", 0)),
                       int(params.get("limit", 50)))


def walk(api, params, limit, path="/admin/customers", between=None):
    """Every page from the first by next_cursor; returns the ids in order and the pages' counts."""
    seen, counts, cursor = [], [], None
    for _ in range(10_000):
        page_params = dict(params, limit=limit, fields="id")
        if cursor:
            page_params["cursor"] = cursor
        page = listing(api, page_params, path)
        seen += ids(page["customers"])
        counts.append(page["count"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, counts
        assert len(page["customers"]) == limit
        if between:
            between()
    raise AssertionError("more than 10,000 pages")


def sql_order(db, order, where="true"):
    field = order.lstrip("-")
    direction = "DESC" if order.startswith("-") else "ASC"
    key = SQL_KEYS.get(field, field)
    keys = f"{key} {direction}" + ("" if field == "id" else f", id {direction}")
    return db.sql(f"SELECT id FROM customer WHERE deleted_at IS NULL AND {where} ORDER BY {keys}").split("\n")


@pytest.fixture(scope="module")
def tied(api):
    """Customers whose sort keys tie and are NULL: shared names, names and phones left NULL, identical
    timestamps down to the microsecond, a name longer than an index entry could hold."""
    tag = "tie" + "".join(random.choices(string.ascii_lowercase, k=6))
    stamps = ["2024-01-01 00:00:00.000001+00", "2024-01-01 00:00:00.000002+00", "2024-03-01 12:00:00+00"]
    values = []
    for index in range(45):
        first = random.choice(["Ann", "Bob", None, None, "Zoë"])
        last = None if index % 4 == 0 else random.choice(["Lovelace", "Hopper"])
        phone = None if index % 3 == 0 else random.choice(["+1 555 0100", "+49 30 1234", "0800"])
        values.append(
            f"('cus_{ulid()}', '{tag}-{index:02d}@example.com', {sql_literal(first)}, {sql_literal(last)}, "
            f"{sql_literal(phone)}, {'true' if index % 2 else 'false'}, '{random.choice(stamps)}', "
            f"'{random.choice(stamps)}')")
    values.append(f"('cus_{ulid()}', '{tag}-long@example.com', '{'N' * 3000}', NULL, NULL, false, "
                  f"'{stamps[0]}', '{stamps[0]}')")
    api.db.sql("INSERT INTO customer (id, email, first_name, last_name, phone, has_account, created_at, updated_at) "
               "VALUES " + ", ".join(values))
    return tag


# --- next_cursor on every customer list ----------------------------------------------------------------------

def test_every_customer_list_has_next_cursor_null_on_the_last_page_and_for_limit_0(api, tied):
    first = listing(api, {"limit": 2})
    assert isinstance(first["next_cursor"], str) and first["next_cursor"]
    assert listing(api, {"limit": 0})["next_cursor"] is None
    everything = listing(api, {"limit": 1000})
    assert everything["count"] <= 1000 and everything["next_cursor"] is None
    exact = listing(api, {"limit": everything["count"]})
    assert exact["next_cursor"] is None, "a page that ends exactly at the last row has no next page"


def test_a_cursor_page_has_offset_0_and_the_exact_count_of_the_filter(api, tied):
    first = listing(api, {"limit": 5, "q": tied})
    second = listing(api, {"limit": 5, "q": tied, "cursor": first["next_cursor"]})
    assert second["offset"] == 0
    assert first["count"] == second["count"] == 46
    assert set(ids(first["customers"])).isdisjoint(ids(second["customers"]))


def test_an_offset_page_next_cursor_continues_after_that_page(api, tied):
    offset_page = listing(api, {"limit": 4, "offset": 8, "q": tied, "order": "email"})
    following = listing(api, {"limit": 4, "q": tied, "order": "email", "cursor": offset_page["next_cursor"]})
    by_offset = listing(api, {"limit": 4, "offset": 12, "q": tied, "order": "email"})
    assert ids(following["customers"]) == ids(by_offset["customers"])


# --- every order, ties and NULLs ----------------------------------------------------------------------------

@pytest.mark.parametrize("order", ORDERS + ["-" + field for field in ORDERS])
def test_walking_by_cursor_gives_every_row_once_in_the_order_of_the_database(api, tied, order):
    walked, counts = walk(api, {"q": tied, "order": order}, limit=4)
    assert walked == sql_order(api.db, order, f"email LIKE '{tied}-%'")
    assert set(counts) == {46}


@pytest.mark.parametrize("order", ["-created_at", "email", "-first_name", "phone"])
def test_walking_the_unfiltered_list_matches_the_offset_pages(api, tied, order):
    """Without a search the page walks an index from the cursor; the offset pages are the reference."""
    walked, _ = walk(api, {"order": order}, limit=9)
    total = listing(api, {"limit": 0})["count"]
    by_offset = []
    for offset in range(0, total, 9):
        by_offset += ids(listing(api, {"order": order, "limit": 9, "offset": offset, "fields": "id"})["customers"])
    assert walked == by_offset == sql_order(api.db, order)


def test_has_account_filters_cursor_pages_too(api, tied):
    walked, counts = walk(api, {"has_account": "true", "order": "-phone"}, limit=5)
    assert walked == sql_order(api.db, "-phone", "has_account")
    assert set(counts) == {len(walked)}


def test_the_group_sub_list_pages_by_cursor(api):
    group = create_group(api)
    members = [create_customer(api)["id"] for _ in range(7)]
    api.db.sql("INSERT INTO customer_group_customers SELECT {}, unnest(ARRAY[{}])".format(
        sql_literal(group["id"]), ", ".join(sql_literal(m) for m in members)))
    walked, counts = walk(api, {"order": "email"}, limit=3, path=f"/admin/customer-groups/{group['id']}/customers")
    assert sorted(walked) == sorted(members) and len(walked) == 7 and set(counts) == {7}


# --- rows coming and going between pages ---------------------------------------------------------------------

@pytest.mark.parametrize("searched", [True, False], ids=["filtered", "whole-list"])
@pytest.mark.parametrize("order", ["-created_at", "email", "-first_name", "phone"])
def test_rows_inserted_and_deleted_between_pages_make_no_page_skip_or_repeat_a_row(api, order, searched):
    """Between every two pages three customers are created (sorting before, among and after the rows already
    seen) and one that existed is deleted. Every row that existed throughout comes exactly once. (Offset pages
    fail this: a deletion shifts a row into the page already read, an insertion shifts one into the next.)"""
    tag = "churn" + "".join(random.choices(string.ascii_lowercase, k=6))
    existing = {insert_customer_sql(api.db, f"{tag}-m{index:03d}@example.com",
                                    first_name=random.choice(["Kim", "Lee", None])) for index in range(40)}
    deleted = set()
    counter = iter(range(100_000))

    def churn():
        for prefix, name in (("a", "Aaron"), ("m", None), ("z", "Zed")):
            created = insert_customer_sql(api.db, f"{tag}-{prefix}{next(counter):05d}@example.com", first_name=name)
            assert created not in existing
        if len(existing - deleted) > 10:
            victim = random.choice(sorted(existing - deleted))
            assert api.delete(f"/admin/customers/{victim}").status_code == 200
            deleted.add(victim)

    walked, _ = walk(api, {"q": tag, "order": order} if searched else {"order": order}, limit=4, between=churn)
    assert len(walked) == len(set(walked)), "a row appeared twice"
    throughout = existing - deleted
    assert throughout <= set(walked), f"skipped: {sorted(throughout - set(walked))}"
    assert len(deleted) >= 5


def test_a_cursor_whose_last_row_was_deleted_still_continues_after_it(api, tied):
    first = listing(api, {"limit": 3, "q": tied, "order": "email", "fields": "id"})
    last = first["customers"][-1]["id"]
    expected = listing(api, {"limit": 3, "q": tied, "order": "email", "cursor": first["next_cursor"]})
    assert api.delete(f"/admin/customers/{last}").status_code == 200
    after = listing(api, {"limit": 3, "q": tied, "order": "email", "cursor": first["next_cursor"]})
    assert ids(after["customers"]) == ids(expected["customers"])
    api.db.sql(f"UPDATE customer SET deleted_at = NULL WHERE id = {sql_literal(last)}")


# --- invalid cursors -------------------------------------------------------------------------------------------

def tamper(cursor, position):
    alphabet = string.ascii_letters + string.digits + "-_"
    replacement = next(c for c in alphabet if c != cursor[position])
    return cursor[:position] + replacement + cursor[position + 1:]


def test_a_tampered_cursor_is_400_cursor_is_invalid(api, tied):
    cursor = listing(api, {"limit": 2, "q": tied})["next_cursor"]
    for position in (0, 5, len(cursor) // 2, len(cursor) - 3, len(cursor) - 1):
        assert_invalid(api.get("/admin/customers", params={"limit": 2, "q": tied, "cursor": tamper(cursor, position)}),
                       message="cursor is invalid")
    assert_invalid(api.get("/admin/customers", params={"cursor": cursor[:-4]}), message="cursor is invalid")
    assert_invalid(api.get("/admin/customers", params={"cursor": cursor + "AAAA"}), message="cursor is invalid")


@pytest.mark.parametrize("garbage", ["", "abc", "null", "%%%", "' OR 1=1 --", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                     "x" * 20_000, "\u00e9\u00e9\u00e9"])
def test_a_garbage_cursor_is_400_and_never_reaches_sql(api, garbage):
    before = api.db.sql("SELECT count(*) FROM customer")
    assert_invalid(api.get("/admin/customers", params={"cursor": garbage}), message="cursor is invalid")
    assert api.db.sql("SELECT count(*) FROM customer") == before


@pytest.mark.parametrize("change", [{"order": "-email"}, {"order": "first_name"}, {"q": "other"},
                                    {"has_account": "true"}, {"created_at[gte]": "2020-01-01T00:00:00Z"},
                                    {"groups[]": "cgrp_01ARZ3NDEKTSV4RRFFQ69G5FAV"}])
def test_a_cursor_made_for_other_filters_or_another_order_is_400(api, tied, change):
    params = {"limit": 2, "q": tied, "order": "email"}
    cursor = listing(api, params)["next_cursor"]
    assert_invalid(api.get("/admin/customers", params={**params, **change, "cursor": cursor}),
                   message="cursor is invalid")


def test_limit_fields_and_expand_may_change_between_pages(api, tied):
    params = {"limit": 2, "q": tied, "order": "email"}
    cursor = listing(api, params)["next_cursor"]
    page = listing(api, {**params, "limit": 3, "fields": "email", "expand": "groups", "cursor": cursor})
    assert len(page["customers"]) == 3


def test_a_cursor_of_the_customer_list_is_invalid_on_a_group_sub_list(api):
    group = create_group(api)
    cursor = listing(api, {"limit": 1})["next_cursor"]
    assert_invalid(api.get(f"/admin/customer-groups/{group['id']}/customers", params={"limit": 1, "cursor": cursor}),
                   message="cursor is invalid")


@pytest.mark.parametrize("offset", ["0", "3"])
def test_offset_and_cursor_together_is_400(api, tied, offset):
    cursor = listing(api, {"limit": 2})["next_cursor"]
    assert_invalid(api.get("/admin/customers", params={"limit": 2, "offset": offset, "cursor": cursor}),
                   message="offset and cursor cannot be used together")


def test_a_cursor_signed_under_another_jwt_secret_is_stale(api, db, start_server):
    """Every worker and instance derives the cursor key from JWT_SECRET: a cursor outlives neither a new secret
    nor a different deployment."""
    cursor = listing(api, {"limit": 1})["next_cursor"]
    other = start_server(db.url, workers=1, env={"JWT_SECRET": JWT_SECRET[::-1] + "-rotated"})
    login = requests.post(other.url + "/admin/auth/token", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                          timeout=60)
    headers = {"Authorization": f"Bearer {body(login, 200)['access_token']}"}
    fresh = requests.get(other.url + "/admin/customers", params={"limit": 1}, headers=headers, timeout=60)
    assert fresh.status_code == 200 and fresh.json()["next_cursor"]
    stale = requests.get(other.url + "/admin/customers", params={"limit": 1, "cursor": cursor}, headers=headers,
                         timeout=60)
    assert_invalid(stale, message="cursor is invalid")
    # And the other way round: the new server's cursor means nothing to the first.
    assert_invalid(api.get("/admin/customers", params={"limit": 1, "cursor": fresh.json()["next_cursor"]}),
                   message="cursor is invalid")
    # The same secret in another process (the second worker of the first server) accepts it.
    for _ in range(6):
        assert api.get("/admin/customers", params={"limit": 1, "cursor": cursor}).status_code == 200
