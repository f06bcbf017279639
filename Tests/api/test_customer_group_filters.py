"""GET /admin/customer-groups as Medusa v1.20 takes it (API.md "Customer groups"): default limit 10, the `id`,
`name[]`, `created_at[…]`, `updated_at[…]` and `discount_condition_id` filters, `fields`, and the Medusa
behaviours around groups that a Medusa client relies on (messages, idempotent delete and batch remove)."""
import pytest

from helpers_api import (api, assert_error, assert_group, assert_invalid, assert_list, body,  # noqa: F401
                         create_customer, create_group, ids, snapshot, sql_literal, ulid, unique)

GROUPS = "/admin/customer-groups"


def listed(api, query):
    """The ids a list query answers (`query` is sent as written), with its count."""
    payload = body(api.get(f"{GROUPS}?{query}"), 200)
    return sorted(ids(payload["customer_groups"])), payload["count"]


@pytest.fixture
def trio(api):
    """Three groups with ids chosen here (`grp-<tag>-a/-b/-c`), named `<tag> A`, `<tag> B`, `<tag> C`, created
    a day apart (a: three days ago, b: two, c: one), updated in the reverse order."""
    tag = unique("f").lower()
    rows = []
    for n, letter in enumerate("abc"):
        rows.append(f"({sql_literal(f'grp-{tag}-{letter}')}, {sql_literal(f'{tag} {letter.upper()}')}, "
                    f"now() - interval '{3 - n} days', now() - interval '{n + 1} hours')")
    api.db.sql("INSERT INTO customer_group (id, name, created_at, updated_at) VALUES " + ", ".join(rows))
    return tag


def test_the_default_limit_is_10(api):
    tag = unique("ten")
    for n in range(12):
        create_group(api, name=f"{tag} {n:02}")
    payload = assert_list(body(api.get(GROUPS, params={"q": tag}), 200), "customer_groups", 0, 10)
    assert len(payload["customer_groups"]) == 10 and payload["count"] == 12
    rest = assert_list(body(api.get(GROUPS, params={"q": tag, "offset": 10}), 200), "customer_groups", 10, 10)
    assert len(rest["customer_groups"]) == 2


@pytest.mark.parametrize("query", [
    "id=grp-{t}-a", "id=grp-{t}-a&id=grp-{t}-c", "id[]=grp-{t}-a&id[]=grp-{t}-c",
    "id[0]=grp-{t}-a&id[1]=grp-{t}-c", "id%5B0%5D=grp-{t}-a&id%5B1%5D=grp-{t}-c",
])
def test_id_takes_one_or_several_ids_in_every_form_medusa_clients_send(api, trio, query):
    expected = ["a"] if query == "id=grp-{t}-a" else ["a", "c"]
    assert listed(api, query.format(t=trio)) == ([f"grp-{trio}-{x}" for x in expected], len(expected))


@pytest.mark.parametrize("operators, expected", [
    ("id[lt]=grp-{t}-b", "a"), ("id[lte]=grp-{t}-b", "ab"), ("id[gt]=grp-{t}-a", "bc"), ("id[gte]=grp-{t}-b", "bc"),
    ("id[gt]=grp-{t}-a&id[lt]=grp-{t}-c", "b"), ("id[contains]={T}-B", "b"), ("id[ends_with]=-C", "c"),
    ("id[starts_with]=GRP-{T}", "abc"), ("id[contains]=%25", ""), ("id[contains]=_", ""),
    ("id[]=grp-{t}-a&id[]=grp-{t}-b&id[gt]=grp-{t}-a", "b"),
])
def test_id_operators_compare_and_match_as_medusa_does(api, trio, operators, expected):
    # Each query also says starts_with, so that other tests' groups stay out of the answer.
    query = operators.format(t=trio, T=trio.upper())
    if "starts_with" not in query:
        query += f"&id[starts_with]=grp-{trio}"
    assert listed(api, query) == ([f"grp-{trio}-{x}" for x in expected], len(expected))


def test_name_filters_exact_names(api, trio):
    assert listed(api, f"name[]={trio}%20A&name[]={trio}%20C") == ([f"grp-{trio}-a", f"grp-{trio}-c"], 2)
    assert listed(api, f"name={trio}%20B")[0] == [f"grp-{trio}-b"]
    assert listed(api, f"name[0]={trio}%20B&name[1]=nothing")[0] == [f"grp-{trio}-b"]
    assert listed(api, f"name[]={trio}%20b") == ([], 0)  # exact: case matters
    assert listed(api, f"name[]={trio}") == ([], 0)  # exact: no substring


def test_created_at_and_updated_at_bounds(api, trio):
    def within(bounds):
        return listed(api, f"id[starts_with]=grp-{trio}&{bounds}")[0]
    from datetime import datetime, timedelta, timezone
    now = datetime.now(timezone.utc)
    iso = lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # noqa: E731
    assert within(f"created_at[lt]={iso(now - timedelta(days=2, hours=12))}") == [f"grp-{trio}-a"]
    assert within(f"created_at[gte]={iso(now - timedelta(days=2, hours=12))}") == [f"grp-{trio}-b", f"grp-{trio}-c"]
    assert within(f"created_at[gt]={iso(now - timedelta(days=4))}&created_at[lt]={iso(now - timedelta(days=1, hours=12))}") == [
        f"grp-{trio}-a", f"grp-{trio}-b"]
    assert within(f"updated_at[gt]={iso(now - timedelta(hours=1, minutes=30))}") == [f"grp-{trio}-a"]
    assert within(f"updated_at[lte]={iso(now - timedelta(hours=2, minutes=30))}") == [f"grp-{trio}-c"]


def test_discount_condition_id_is_accepted_and_matches_nothing(api, trio):
    assert listed(api, f"id[starts_with]=grp-{trio}")[1] == 3
    assert listed(api, f"id[starts_with]=grp-{trio}&discount_condition_id=discon_01") == ([], 0)


def test_fields_on_the_list_and_on_one_group(api, trio):
    payload = body(api.get(f"{GROUPS}?id[starts_with]=grp-{trio}&order=id&fields=name"), 200)
    assert payload["customer_groups"] == [{"id": f"grp-{trio}-{x}", "name": f"{trio} {x.upper()}"} for x in "abc"]
    one = body(api.get(f"{GROUPS}/grp-{trio}-b?fields=metadata,id&expand=customers"), 200)["customer_group"]
    assert one == {"id": f"grp-{trio}-b", "metadata": None, "customers": []}


@pytest.mark.parametrize("query, message", [
    ("fields=name,password_hash",
     "fields must be a comma-separated subset of id, name, metadata, created_at, updated_at, deleted_at"),
    ("id[like]=x", "property id[like] should not exist"),
    ("name[x]=y", "property name[x] should not exist"),
    ("created_at[gt]=yesterday", "created_at[gt] must be a valid ISO 8601 date string"),
    ("id=a%00b", "id must not contain NUL characters"),
    ("expand=customers,orders", "expand must be a subset of customers"),
])
def test_malformed_list_parameters_are_400_naming_them(api, query, message):
    assert_invalid(api.get(f"{GROUPS}?{query}"), message=message)


def test_update_takes_expand_and_fields(api):
    group = create_group(api, metadata={"keep": 1, "drop": 2, "empty": 3})
    customer = create_customer(api)
    body(api.post(f"{GROUPS}/{group['id']}/customers/batch", json={"customer_ids": [{"id": customer["id"]}]}), 200)
    response = api.post(f"{GROUPS}/{group['id']}?expand=customers&fields=metadata",
                        json={"metadata": {"drop": None, "empty": "", "new": True}})
    updated = body(response, 200)["customer_group"]
    assert set(updated) == {"id", "metadata", "customers"}
    assert updated["metadata"] == {"keep": 1, "new": True}
    assert ids(updated["customers"]) == [customer["id"]]
    assert_invalid(api.post(f"{GROUPS}/{group['id']}?limit=1", json={}), message="property limit should not exist")


def test_deleting_a_group_that_does_not_exist_is_200(api):
    missing = "cgrp_" + ulid()
    before = snapshot(api.db)
    assert body(api.delete(f"{GROUPS}/{missing}"), 200) == {"id": missing, "object": "customer_group", "deleted": True}
    assert snapshot(api.db) == before
    # Deleting twice: the second answers the same and changes nothing.
    group = create_group(api)
    body(api.delete(f"{GROUPS}/{group['id']}"), 200)
    after_first = snapshot(api.db)
    assert body(api.delete(f"{GROUPS}/{group['id']}"), 200)["deleted"] is True
    assert snapshot(api.db) == after_first


def test_the_customers_of_an_unknown_group_are_an_empty_page(api):
    payload = body(api.get(f"{GROUPS}/cgrp_{ulid()}/customers"), 200)
    assert assert_list(payload, "customers", 0, 50)["customers"] == [] and payload["count"] == 0


def test_batch_add_names_every_unknown_customer_in_one_quoted_list(api):
    group = create_group(api)
    known = create_customer(api)
    first, second = "cus_" + ulid(), 'odd"id'
    response = api.post(f"{GROUPS}/{group['id']}/customers/batch",
                        json={"customer_ids": [{"id": first}, {"id": known["id"]}, {"id": second}]})
    # JSON.stringify of the ids joined with ", ": the quote inside an id is escaped.
    assert_error(response, 404, "not_found",
                 message=f'The following customer ids do not exist: "{first}, odd\\"id"')


@pytest.mark.parametrize("elements, message", [
    ([{"id": 5}], "id must be a string"),
    ([{}], "id must be a string"),
    ([{"id": 1}, {"id": None}], "id must be a string"),
    (["cus_x"], "nested property customer_ids must be either object or array"),
    ([{"id": "cus_x", "name": "x"}], "property name should not exist"),
    ([{"id": 1, "x": 2}], "property x should not exist, id must be a string"),
])
def test_batch_elements_are_checked_with_medusas_messages(api, elements, message):
    group = create_group(api)
    before = snapshot(api.db)
    for method in ("POST", "DELETE"):
        response = api.request(method, f"{GROUPS}/{group['id']}/customers/batch", json={"customer_ids": elements})
        assert_invalid(response, message=message)
    assert snapshot(api.db) == before


def test_groups_of_a_customer_update_are_checked_with_medusas_messages(api):
    customer = create_customer(api)
    before = snapshot(api.db)
    response = api.post(f"/admin/customers/{customer['id']}", json={"groups": [{"id": 7}]})
    assert_invalid(response, message="id must be a string")
    response = api.post(f"/admin/customers/{customer['id']}", json={"groups": ["cgrp_x"]})
    assert_invalid(response, message="nested property groups must be either object or array")
    assert snapshot(api.db) == before
    group = create_group(api)
    updated = body(api.post(f"/admin/customers/{customer['id']}?expand=groups", json={"groups": [{"id": group["id"]}]}), 200)
    assert [assert_group(g)["id"] for g in updated["customer"]["groups"]] == [group["id"]]
