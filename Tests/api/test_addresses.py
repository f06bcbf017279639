"""A customer's addresses (API.md, Customers > Addresses): list, create, update, delete, and the customer's
billing_address_id and shipping_addresses that follow them."""
from datetime import datetime, timedelta, timezone

import pytest

from helpers_api import (ADDRESS_KEYS, api, assert_address, assert_error, assert_invalid, assert_list,  # noqa: F401
                         body, create_address, create_customer, ids, parse_timestamp, snapshot, sql_literal, ulid)

EVERY_FIELD = {
    "company": "Analytical Engines Ltd", "first_name": "Ada", "last_name": "Lovelace",
    "address_1": "12 St James's Square", "address_2": "Flat 3", "city": "London", "country_code": "GB",
    "province": "Greater London", "postal_code": "SW1Y 4JH", "phone": "+44 20 7946 0000",
    "metadata": {"door": "blue", "floor": 2},
}


def customer_not_found(customer_id):
    return f"Customer with id: {customer_id} was not found"


def address_not_found(address_id):
    return f"Address with id: {address_id} was not found"


def addresses_path(customer_id, address_id=None):
    path = f"/admin/customers/{customer_id}/addresses"
    return path if address_id is None else f"{path}/{address_id}"


def read_customer(api, customer_id, expand=None):
    params = {"expand": expand} if expand else None
    return body(api.get(f"/admin/customers/{customer_id}", params=params), 200)["customer"]


# --- create --------------------------------------------------------------------------------------------------

def test_create_answers_200_with_the_address_and_stores_the_country_code_lower_case(api):
    customer = create_customer(api)
    response = api.post(addresses_path(customer["id"]), json={"address_1": "1 Main Street", "country_code": "DE"})
    payload = body(response, 200)
    assert set(payload) == {"address"}
    address = assert_address(payload["address"], customer_id=customer["id"])
    assert address["address_1"] == "1 Main Street"
    assert address["country_code"] == "de"
    for key in ADDRESS_KEYS - {"id", "customer_id", "address_1", "country_code", "created_at", "updated_at"}:
        assert address[key] is None, key
    assert abs(parse_timestamp(address["created_at"]) - datetime.now(timezone.utc)) < timedelta(minutes=2)
    assert api.db.sql(f"SELECT country_code FROM address WHERE id = {sql_literal(address['id'])}") == "de"


def test_create_with_every_field_returns_each_of_them(api):
    customer = create_customer(api)
    address = create_address(api, customer["id"], **EVERY_FIELD)
    assert {key: address[key] for key in EVERY_FIELD} == {**EVERY_FIELD, "country_code": "gb"}


def test_a_created_address_is_among_the_customers_shipping_addresses(api):
    customer = create_customer(api)
    address = create_address(api, customer["id"])
    assert read_customer(api, customer["id"])["shipping_addresses"] == [address]
    assert read_customer(api, customer["id"])["billing_address_id"] is None


@pytest.mark.parametrize("payload, field", [
    ({"country_code": "de"}, "address_1"),
    ({"address_1": "1 Main Street"}, "country_code"),
    ({"address_1": 7, "country_code": "de"}, "address_1"),
    ({"address_1": "1 Main Street", "country_code": "DEU"}, "country_code"),
    ({"address_1": "1 Main Street", "country_code": "d"}, "country_code"),
    ({"address_1": "1 Main Street", "country_code": 49}, "country_code"),
    ({"address_1": "1 Main Street", "country_code": "de", "city": 5}, "city"),
    ({"address_1": "1 Main Street", "country_code": "de", "postal_code": ["1"]}, "postal_code"),
])
def test_create_rejects_a_missing_or_invalid_field_naming_it_and_changes_nothing(api, payload, field):
    customer = create_customer(api)
    before = snapshot(api.db)
    assert_invalid(api.post(addresses_path(customer["id"]), json=payload), mentions=field)
    assert snapshot(api.db) == before


def test_create_without_address_1_and_country_code_names_both(api):
    customer = create_customer(api)
    assert_invalid(api.post(addresses_path(customer["id"]), json={"city": "Berlin"}),
                   mentions=["address_1", "country_code"])


def test_create_rejects_metadata_that_is_not_an_object(api):
    customer = create_customer(api)
    response = api.post(addresses_path(customer["id"]),
                        json={"address_1": "1 Main Street", "country_code": "de", "metadata": [1]})
    assert_invalid(response, message="metadata must be an object")


@pytest.mark.parametrize("key", ["foo", "id", "customer_id", "created_at", "deleted_at"])
def test_create_rejects_keys_that_are_not_address_body_fields(api, key):
    customer = create_customer(api)
    before = snapshot(api.db)
    response = api.post(addresses_path(customer["id"]),
                        json={"address_1": "1 Main Street", "country_code": "de", key: "x"})
    assert_invalid(response, message=f"property {key} should not exist")
    assert snapshot(api.db) == before


@pytest.mark.parametrize("raw", ["{", "[]", "null", '"text"'])
def test_create_with_a_body_that_is_not_a_json_object_is_400(api, raw):
    customer = create_customer(api)
    assert_invalid(api.post(addresses_path(customer["id"]), data=raw))


def test_is_default_billing_sets_the_customers_billing_address(api):
    customer = create_customer(api)
    address = create_address(api, customer["id"], is_default_billing=True)
    assert "is_default_billing" not in address
    read = read_customer(api, customer["id"], expand="billing_address,shipping_addresses")
    assert read["billing_address_id"] == address["id"]
    assert read["billing_address"] == address
    assert read["shipping_addresses"] == [address]


def test_an_address_without_is_default_billing_leaves_the_billing_address_alone(api):
    customer = create_customer(api)
    billing = create_address(api, customer["id"], is_default_billing=True)
    create_address(api, customer["id"], address_1="Other street")
    create_address(api, customer["id"], address_1="Third street", is_default_billing=False)
    assert read_customer(api, customer["id"])["billing_address_id"] == billing["id"]


def test_create_for_a_missing_customer_is_404(api):
    missing = "cus_" + ulid()
    before = snapshot(api.db)
    response = api.post(addresses_path(missing), json={"address_1": "1 Main Street", "country_code": "de"})
    assert_error(response, 404, "not_found", message=customer_not_found(missing))
    assert snapshot(api.db) == before


# --- list ----------------------------------------------------------------------------------------------------

def test_list_answers_addresses_count_offset_limit(api):
    customer = create_customer(api)
    other = create_customer(api)
    created = [create_address(api, customer["id"], address_1=f"{n} Street") for n in range(3)]
    create_address(api, other["id"])
    payload = assert_list(body(api.get(addresses_path(customer["id"])), 200), "addresses", 0, 50)
    assert payload["count"] == 3
    assert sorted(ids(payload["addresses"])) == sorted(ids(created))
    for address in payload["addresses"]:
        assert address == next(c for c in created if c["id"] == address["id"])


def test_list_pages_with_limit_and_offset(api):
    customer = create_customer(api)
    created = ids([create_address(api, customer["id"]) for _ in range(3)])
    first = assert_list(body(api.get(addresses_path(customer["id"]), params={"limit": 2}), 200), "addresses", 0, 2)
    rest = assert_list(body(api.get(addresses_path(customer["id"]), params={"limit": 2, "offset": 2}), 200),
                       "addresses", 2, 2)
    assert len(first["addresses"]) == 2 and len(rest["addresses"]) == 1
    assert first["count"] == rest["count"] == 3
    assert sorted(ids(first["addresses"]) + ids(rest["addresses"])) == sorted(created)
    none = assert_list(body(api.get(addresses_path(customer["id"]), params={"limit": 0}), 200), "addresses", 0, 0)
    assert none["addresses"] == [] and none["count"] == 3


@pytest.mark.parametrize("query, field", [({"limit": "abc"}, "limit"), ({"limit": "-1"}, "limit"),
                                          ({"offset": "-1"}, "offset"), ({"foo": "1"}, "foo")])
def test_list_rejects_an_invalid_query(api, query, field):
    customer = create_customer(api)
    assert_invalid(api.get(addresses_path(customer["id"]), params=query), mentions=field)


def test_list_of_a_missing_or_deleted_customer_is_404(api):
    missing = "cus_" + ulid()
    assert_error(api.get(addresses_path(missing)), 404, "not_found", message=customer_not_found(missing))
    customer = create_customer(api)
    body(api.delete(f"/admin/customers/{customer['id']}"), 200)
    assert_error(api.get(addresses_path(customer["id"])), 404, "not_found", message=customer_not_found(customer["id"]))


# --- update --------------------------------------------------------------------------------------------------

def test_update_changes_the_given_fields_and_keeps_the_others(api):
    customer = create_customer(api)
    address = create_address(api, customer["id"], **EVERY_FIELD)
    response = api.post(addresses_path(customer["id"], address["id"]), json={"city": "Hamburg", "country_code": "DE"})
    payload = body(response, 200)
    assert set(payload) == {"address"}
    updated = assert_address(payload["address"], customer_id=customer["id"])
    assert updated["city"] == "Hamburg" and updated["country_code"] == "de"
    unchanged = ADDRESS_KEYS - {"city", "country_code", "updated_at"}
    assert {k: updated[k] for k in unchanged} == {k: address[k] for k in unchanged}
    assert read_customer(api, customer["id"])["shipping_addresses"] == [updated]


def test_update_with_is_default_billing_makes_it_the_billing_address(api):
    customer = create_customer(api)
    first = create_address(api, customer["id"], is_default_billing=True)
    second = create_address(api, customer["id"])
    body(api.post(addresses_path(customer["id"], second["id"]), json={"is_default_billing": True}), 200)
    assert read_customer(api, customer["id"])["billing_address_id"] == second["id"] != first["id"]


@pytest.mark.parametrize("payload, field", [({"country_code": "X"}, "country_code"), ({"city": 1}, "city"),
                                            ({"foo": "bar"}, "foo"), ({"customer_id": "cus_x"}, "customer_id")])
def test_update_rejects_invalid_fields_and_changes_nothing(api, payload, field):
    customer = create_customer(api)
    address = create_address(api, customer["id"])
    before = snapshot(api.db)
    assert_invalid(api.post(addresses_path(customer["id"], address["id"]), json=payload), mentions=field)
    assert snapshot(api.db) == before


def test_update_of_an_address_of_another_customer_is_404_and_changes_nothing(api):
    owner, stranger = create_customer(api), create_customer(api)
    address = create_address(api, owner["id"])
    before = snapshot(api.db)
    response = api.post(addresses_path(stranger["id"], address["id"]), json={"city": "Elsewhere"})
    assert_error(response, 404, "not_found", message=address_not_found(address["id"]))
    assert snapshot(api.db) == before


def test_update_of_a_missing_address_or_customer_is_404(api):
    customer = create_customer(api)
    address = create_address(api, customer["id"])
    missing_address = "addr_" + ulid()
    assert_error(api.post(addresses_path(customer["id"], missing_address), json={"city": "X"}), 404, "not_found",
                 message=address_not_found(missing_address))
    missing_customer = "cus_" + ulid()
    assert_error(api.post(addresses_path(missing_customer, address["id"]), json={"city": "X"}), 404, "not_found",
                 message=customer_not_found(missing_customer))


# --- delete --------------------------------------------------------------------------------------------------

def test_delete_answers_the_deleted_object_and_drops_it_from_lists(api):
    customer = create_customer(api)
    kept = create_address(api, customer["id"])
    gone = create_address(api, customer["id"])
    payload = body(api.delete(addresses_path(customer["id"], gone["id"])), 200)
    assert payload == {"id": gone["id"], "object": "customer_address", "deleted": True}
    listed = body(api.get(addresses_path(customer["id"])), 200)
    assert ids(listed["addresses"]) == [kept["id"]] and listed["count"] == 1
    assert ids(read_customer(api, customer["id"])["shipping_addresses"]) == [kept["id"]]
    assert_error(api.delete(addresses_path(customer["id"], gone["id"])), 404, "not_found",
                 message=address_not_found(gone["id"]))
    assert_error(api.post(addresses_path(customer["id"], gone["id"]), json={"city": "X"}), 404, "not_found",
                 message=address_not_found(gone["id"]))


def test_deleting_the_billing_address_sets_billing_address_id_to_null(api):
    customer = create_customer(api)
    billing = create_address(api, customer["id"], is_default_billing=True)
    body(api.delete(addresses_path(customer["id"], billing["id"])), 200)
    read = read_customer(api, customer["id"], expand="billing_address")
    assert read["billing_address_id"] is None and read["billing_address"] is None


def test_delete_of_an_address_of_another_customer_is_404_and_changes_nothing(api):
    owner, stranger = create_customer(api), create_customer(api)
    address = create_address(api, owner["id"], is_default_billing=True)
    before = snapshot(api.db)
    assert_error(api.delete(addresses_path(stranger["id"], address["id"])), 404, "not_found",
                 message=address_not_found(address["id"]))
    assert snapshot(api.db) == before


def test_delete_for_a_missing_customer_is_404(api):
    missing = "cus_" + ulid()
    address = "addr_" + ulid()
    assert_error(api.delete(addresses_path(missing, address)), 404, "not_found", message=customer_not_found(missing))
