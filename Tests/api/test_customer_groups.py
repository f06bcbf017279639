"""Customer groups (API.md, Customer groups): Medusa v1's /admin/customer-groups routes, their members and
batch membership changes."""
from datetime import datetime, timedelta, timezone

import pytest

from helpers_api import (api, assert_customer, assert_error, assert_group, assert_invalid, assert_list,  # noqa: F401
                         body, create_customer, create_group, ids, parse_timestamp, snapshot, sql_literal, ulid,
                         unique)

GROUPS = "/admin/customer-groups"


def group_not_found(group_id):
    return f"CustomerGroup with id {group_id} was not found"


def members(api, group_id):
    return set(api.db.sql("SELECT customer_id FROM customer_group_customers WHERE customer_group_id = "
                          + sql_literal(group_id)).split())


def group_list(api, query=None, offset=0, limit=10):
    payload = body(api.get(GROUPS, params=query), 200)
    return assert_list(payload, "customer_groups", offset, limit)


def batch(api, method, group_id, customer_ids):
    return api.request(method, f"{GROUPS}/{group_id}/customers/batch",
                       json={"customer_ids": [{"id": c} for c in customer_ids]})


# --- create --------------------------------------------------------------------------------------------------

def test_create_answers_200_with_exactly_the_group_fields(api):
    name = unique("VIP ")
    payload = body(api.post(GROUPS, json={"name": name}), 200)
    assert set(payload) == {"customer_group"}
    group = assert_group(payload["customer_group"])
    assert group["name"] == name and group["metadata"] is None and group["deleted_at"] is None
    assert abs(parse_timestamp(group["created_at"]) - datetime.now(timezone.utc)) < timedelta(minutes=2)


def test_create_with_metadata_returns_it(api):
    group = create_group(api, metadata={"discount": 10, "tags": ["a"]})
    assert group["metadata"] == {"discount": 10, "tags": ["a"]}


@pytest.mark.parametrize("payload", [{}, {"name": 5}, {"name": None}, {"metadata": {}}])
def test_create_without_a_string_name_is_400_naming_name(api, payload):
    before = snapshot(api.db)
    assert_invalid(api.post(GROUPS, json=payload), mentions="name")
    assert snapshot(api.db) == before


def test_create_rejects_unknown_keys_and_metadata_that_is_not_an_object(api):
    before = snapshot(api.db)
    assert_invalid(api.post(GROUPS, json={"name": unique(), "id": "cgrp_x"}), message="property id should not exist")
    assert_invalid(api.post(GROUPS, json={"name": unique(), "metadata": "x"}), message="metadata must be an object")
    assert_invalid(api.post(GROUPS, json={"name": unique(), "customers": [], "metadata": 1}),
                   message="property customers should not exist, metadata must be an object")
    assert snapshot(api.db) == before


@pytest.mark.parametrize("raw", ["{", "[]", "null"])
def test_create_with_a_body_that_is_not_a_json_object_is_400(api, raw):
    assert_invalid(api.post(GROUPS, data=raw))


def test_a_duplicate_name_is_422_duplicate_error(api):
    name = unique("Wholesale ")
    create_group(api, name=name)
    before = snapshot(api.db)
    response = api.post(GROUPS, json={"name": name})
    assert_error(response, 422, "duplicate_error", message=f"Key (name)=({name}) already exists.",
                 code="invalid_request_error")
    assert snapshot(api.db) == before


# --- list ----------------------------------------------------------------------------------------------------

def test_list_answers_customer_groups_count_offset_limit(api):
    tag = unique()
    created = [create_group(api, name=f"{tag} {n}") for n in range(3)]
    payload = group_list(api, {"q": tag})
    assert payload["count"] == 3
    assert sorted(ids(payload["customer_groups"])) == sorted(ids(created))
    for group in payload["customer_groups"]:
        assert_group(group)
    one = group_list(api, {"limit": 1}, limit=1)
    assert len(one["customer_groups"]) == 1
    assert one["count"] == int(api.db.sql("SELECT count(*) FROM customer_group WHERE deleted_at IS NULL"))


def test_q_matches_the_name_case_insensitively(api):
    tag = unique()
    vip = create_group(api, name=f"VIP {tag}")
    create_group(api, name=f"Wholesale {tag}")
    assert ids(group_list(api, {"q": f"vip {tag.upper()}"})["customer_groups"]) == [vip["id"]]
    assert group_list(api, {"q": tag})["count"] == 2


def test_limit_offset_and_order_by_name(api):
    tag = unique()
    by_name = {letter: create_group(api, name=f"{tag} {letter}")["id"] for letter in "cab"}
    ascending = group_list(api, {"q": tag, "order": "name"})["customer_groups"]
    assert ids(ascending) == [by_name[x] for x in "abc"]
    descending = group_list(api, {"q": tag, "order": "-name"})["customer_groups"]
    assert ids(descending) == [by_name[x] for x in "cba"]
    page = group_list(api, {"q": tag, "order": "name", "limit": 1, "offset": 1}, offset=1, limit=1)
    assert ids(page["customer_groups"]) == [by_name["b"]] and page["count"] == 3


@pytest.mark.parametrize("query, field", [
    ({"order": "metadata"}, "order"), ({"order": "email"}, "order"), ({"limit": "abc"}, "limit"),
    ({"limit": "-1"}, "limit"), ({"offset": "-1"}, "offset"), ({"expand": "orders"}, "expand"),
])
def test_list_rejects_an_invalid_query_naming_the_parameter(api, query, field):
    value = next(iter(query.values()))
    assert_invalid(api.get(GROUPS, params=query), mentions_any=[field, value])


def test_list_rejects_an_unknown_query_key(api):
    assert_invalid(api.get(GROUPS, params={"foo": "1"}), message="property foo should not exist")


def test_expand_customers_includes_each_groups_members(api):
    tag = unique()
    full = create_group(api, name=f"{tag} full")
    empty = create_group(api, name=f"{tag} empty")
    customer = create_customer(api)
    body(batch(api, "POST", full["id"], [customer["id"]]), 200)
    listed = {g["id"]: g for g in group_list(api, {"q": tag, "expand": "customers"})["customer_groups"]}
    assert_group(listed[full["id"]], relations={"customers"})
    assert [assert_customer(c)["id"] for c in listed[full["id"]]["customers"]] == [customer["id"]]
    assert listed[empty["id"]]["customers"] == []
    assert "customers" not in group_list(api, {"q": tag})["customer_groups"][0]


# --- retrieve, update, delete --------------------------------------------------------------------------------

def test_retrieve_answers_the_group(api):
    group = create_group(api, metadata={"a": 1})
    payload = body(api.get(f"{GROUPS}/{group['id']}"), 200)
    assert set(payload) == {"customer_group"}
    assert assert_group(payload["customer_group"]) == group


@pytest.mark.parametrize("method, payload", [("GET", None), ("POST", {"name": "x"})])
def test_a_missing_group_is_404(api, method, payload):
    missing = "cgrp_" + ulid()
    kwargs = {"json": payload} if payload is not None else {}
    assert_error(api.request(method, f"{GROUPS}/{missing}", **kwargs), 404, "not_found",
                 message=group_not_found(missing))


def test_update_changes_name_and_metadata(api):
    group = create_group(api)
    name = unique("Renamed ")
    payload = body(api.post(f"{GROUPS}/{group['id']}", json={"name": name, "metadata": {"k": "v"}}), 200)
    assert set(payload) == {"customer_group"}
    updated = assert_group(payload["customer_group"])
    assert updated["id"] == group["id"] and updated["name"] == name and updated["metadata"] == {"k": "v"}
    assert updated["created_at"] == group["created_at"]
    assert body(api.get(f"{GROUPS}/{group['id']}"), 200)["customer_group"] == updated


@pytest.mark.parametrize("payload, field", [({"name": 1}, "name"), ({"metadata": []}, "metadata"),
                                            ({"foo": "x"}, "foo")])
def test_update_rejects_invalid_fields_and_changes_nothing(api, payload, field):
    group = create_group(api)
    before = snapshot(api.db)
    assert_invalid(api.post(f"{GROUPS}/{group['id']}", json=payload), mentions=field)
    assert snapshot(api.db) == before


def test_delete_answers_the_deleted_object_and_the_group_is_gone(api):
    group = create_group(api)
    customer = create_customer(api)
    body(batch(api, "POST", group["id"], [customer["id"]]), 200)
    payload = body(api.delete(f"{GROUPS}/{group['id']}"), 200)
    assert payload == {"id": group["id"], "object": "customer_group", "deleted": True}
    assert_error(api.get(f"{GROUPS}/{group['id']}"), 404, "not_found", message=group_not_found(group["id"]))
    assert group["id"] not in ids(group_list(api, {"q": group["name"]})["customer_groups"])
    read = body(api.get(f"/admin/customers/{customer['id']}", params={"expand": "groups"}), 200)["customer"]
    assert read["groups"] == []


# --- members -------------------------------------------------------------------------------------------------

def members_list(api, group_id, query=None, offset=0, limit=50):
    payload = body(api.get(f"{GROUPS}/{group_id}/customers", params=query), 200)
    return assert_list(payload, "customers", offset, limit)


def test_batch_add_answers_the_group_and_the_customers_become_members(api):
    group = create_group(api)
    first, second = create_customer(api), create_customer(api)
    outsider = create_customer(api)
    payload = body(batch(api, "POST", group["id"], [first["id"], second["id"]]), 200)
    assert set(payload) == {"customer_group"}
    assert assert_group(payload["customer_group"])["id"] == group["id"]
    assert members(api, group["id"]) == {first["id"], second["id"]}
    listed = members_list(api, group["id"])
    assert sorted(ids(listed["customers"])) == sorted([first["id"], second["id"]]) and listed["count"] == 2
    for customer in listed["customers"]:
        assert_customer(customer)
    read = body(api.get(f"/admin/customers/{first['id']}", params={"expand": "groups"}), 200)["customer"]
    assert ids(read["groups"]) == [group["id"]]
    assert outsider["id"] not in ids(listed["customers"])


def test_the_members_list_follows_the_customer_list_rules(api):
    group = create_group(api)
    tag = unique("mem")
    inside = [create_customer(api, email=f"{tag}-{n}@example.com", first_name=f"N{n}") for n in range(3)]
    create_customer(api, email=f"{tag}-outside@example.com")
    body(batch(api, "POST", group["id"], ids(inside)), 200)
    assert members_list(api, group["id"], {"q": tag})["count"] == 3
    assert ids(members_list(api, group["id"], {"q": f"{tag}-1@"})["customers"]) == [inside[1]["id"]]
    ordered = members_list(api, group["id"], {"order": "-email"})["customers"]
    assert ids(ordered) == [c["id"] for c in sorted(inside, key=lambda c: c["email"], reverse=True)]
    page = members_list(api, group["id"], {"order": "email", "limit": 1, "offset": 2}, offset=2, limit=1)
    assert ids(page["customers"]) == [inside[2]["id"]] and page["count"] == 3
    assert members_list(api, group["id"], {"limit": 0}, limit=0)["customers"] == []
    only = members_list(api, group["id"], {"fields": "email", "q": f"{tag}-0@"})["customers"]
    assert only == [{"id": inside[0]["id"], "email": inside[0]["email"]}]
    expanded = members_list(api, group["id"], {"expand": "groups", "q": f"{tag}-0@"})["customers"]
    assert ids(assert_customer(expanded[0], relations={"groups"})["groups"]) == [group["id"]]


def test_the_members_list_hides_deleted_customers(api):
    group = create_group(api)
    kept, gone = create_customer(api), create_customer(api)
    body(batch(api, "POST", group["id"], [kept["id"], gone["id"]]), 200)
    body(api.delete(f"/admin/customers/{gone['id']}"), 200)
    listed = members_list(api, group["id"])
    assert ids(listed["customers"]) == [kept["id"]] and listed["count"] == 1


@pytest.mark.parametrize("query, field", [({"foo": "1"}, "foo"), ({"limit": "1001"}, "limit"),
                                          ({"order": "password_hash"}, "order"), ({"expand": "orders"}, "expand"),
                                          ({"has_account": "maybe"}, "has_account")])
def test_the_members_list_rejects_what_the_customer_list_rejects(api, query, field):
    group = create_group(api)
    value = next(iter(query.values()))
    assert_invalid(api.get(f"{GROUPS}/{group['id']}/customers", params=query), mentions_any=[field, value])


def test_batch_add_with_an_unknown_customer_is_404_naming_it_and_adds_no_one(api):
    group = create_group(api)
    known = create_customer(api)
    missing = "cus_" + ulid()
    before = snapshot(api.db)
    assert_error(batch(api, "POST", group["id"], [known["id"], missing]), 404, "not_found",
                 message=f'The following customer ids do not exist: "{missing}"')
    assert snapshot(api.db) == before
    assert members(api, group["id"]) == set()


def test_batch_remove_takes_the_customers_out_of_the_group(api):
    group = create_group(api)
    stays, leaves = create_customer(api), create_customer(api)
    body(batch(api, "POST", group["id"], [stays["id"], leaves["id"]]), 200)
    payload = body(batch(api, "DELETE", group["id"], [leaves["id"]]), 200)
    assert assert_group(payload["customer_group"])["id"] == group["id"]
    assert members(api, group["id"]) == {stays["id"]}
    assert ids(members_list(api, group["id"])["customers"]) == [stays["id"]]


def test_batch_remove_ignores_unknown_customers_and_non_members(api):
    group = create_group(api)
    member, outsider = create_customer(api), create_customer(api)
    body(batch(api, "POST", group["id"], [member["id"]]), 200)
    missing = "cus_" + ulid()
    version = api.db.sql(f"SELECT version FROM customer WHERE id = {sql_literal(outsider['id'])}")
    payload = body(batch(api, "DELETE", group["id"], [missing, outsider["id"], member["id"]]), 200)
    assert assert_group(payload["customer_group"])["id"] == group["id"]
    assert members(api, group["id"]) == set()
    # The outsider was not touched: its version (its ETag) is unchanged.
    assert api.db.sql(f"SELECT version FROM customer WHERE id = {sql_literal(outsider['id'])}") == version


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_batch_on_a_missing_group_is_404(api, method):
    customer = create_customer(api)
    missing = "cgrp_" + ulid()
    before = snapshot(api.db)
    assert_error(batch(api, method, missing, [customer["id"]]), 404, "not_found", message=group_not_found(missing))
    assert snapshot(api.db) == before


@pytest.mark.parametrize("payload, mentions", [
    ({}, "customer_ids"), ({"customer_ids": "cus_x"}, "customer_ids"), ({"customer_ids": [], "foo": 1}, "foo"),
    ({"customer_ids": [{"id": 5}]}, None), ({"customer_ids": ["cus_x"]}, None),
])
def test_batch_rejects_a_malformed_body(api, payload, mentions):
    group = create_group(api)
    before = snapshot(api.db)
    response = api.post(f"{GROUPS}/{group['id']}/customers/batch", json=payload)
    assert_invalid(response, mentions=mentions)
    assert snapshot(api.db) == before
