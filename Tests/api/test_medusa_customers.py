"""Medusa v1.20.10's own integration tests of the customer routes, ported: each test here is one `it` of
`integration-tests/api/__tests__/admin/customer.js` (its describe and it titles in the docstring), run against
the rows of Medusa's `customer-seeder.js` (see medusa_seed.py), with the expectations of the original and of
`__snapshots__/customer.js.snap`. Where Clientele deliberately answers otherwise, the docstring says which
part of API.md allows it and the test asserts Clientele's answer."""
from helpers_api import body, ids, parse_timestamp
from medusa_seed import medusa, seeded  # noqa: F401

# The snapshot's address, with its timestamps checked for type only (Medusa's `Any<String>`).
TEST_ADDRESS = {
    "address_1": None, "address_2": None, "city": None, "company": None, "country_code": None,
    "customer_id": "test-customer-1", "deleted_at": None, "first_name": "Lebron", "id": "test-address",
    "last_name": "James", "metadata": None, "phone": None, "postal_code": None, "province": None,
}


def without_timestamps(record):
    """The record without created_at and updated_at, after checking they are timestamps."""
    parse_timestamp(record["created_at"])
    parse_timestamp(record["updated_at"])
    return {k: v for k, v in record.items() if k not in ("created_at", "updated_at")}


def by_id(items):
    return {item["id"]: item for item in items}


# --- describe("GET /admin/customers") ------------------------------------------------------------------

def test_lists_customers_and_query_count(seeded):
    """/admin/customers › GET /admin/customers › lists customers and query count"""
    payload = body(seeded.get("/admin/customers"), 200)
    assert payload["count"] == 8
    assert {"test-customer-1", "test-customer-2", "test-customer-3", "test-customer-has_account"} <= set(
        ids(payload["customers"]))


def test_lists_only_registered_customers(seeded):
    """/admin/customers › GET /admin/customers › lists only registered customers"""
    payload = body(seeded.get("/admin/customers?has_account=true"), 200)
    assert ids(payload["customers"]) == ["test-customer-has_account"]
    assert all(customer["has_account"] for customer in payload["customers"])


def test_lists_customers_in_group_and_count(seeded):
    """/admin/customers › GET /admin/customers › lists customers in group and count"""
    payload = body(seeded.get("/admin/customers?groups[]=test-group-5"), 200)
    assert payload["count"] == 3
    assert set(ids(payload["customers"])) == {"test-customer-5", "test-customer-6", "test-customer-7"}


def test_lists_customers_with_specific_query(seeded):
    """/admin/customers › GET /admin/customers › lists customers with specific query"""
    payload = body(seeded.get("/admin/customers?q=est2@"), 200)
    assert payload["count"] == 1
    [customer] = payload["customers"]
    assert (customer["id"], customer["email"]) == ("test-customer-2", "test2@email.com")


def test_lists_customers_with_expand_query(seeded):
    """/admin/customers › GET /admin/customers › lists customers with expand query"""
    payload = body(seeded.get("/admin/customers?q=test1@email.com&expand=shipping_addresses"), 200)
    assert payload["count"] == 1
    [customer] = payload["customers"]
    assert customer["id"] == "test-customer-1"
    [address] = customer["shipping_addresses"]
    assert (address["id"], address["first_name"], address["last_name"]) == ("test-address", "Lebron", "James")


# --- describe("POST /admin/customers") -----------------------------------------------------------------

def test_correctly_creates_customer(seeded):
    """/admin/customers › POST /admin/customers › Correctly creates customer"""
    response = seeded.post("/admin/customers", json={
        "first_name": "newf", "last_name": "newl", "email": "new@email.com", "password": "newpassword",
        "metadata": {"foo": "bar"}})
    customer = body(response, 201)["customer"]
    assert {k: customer[k] for k in ("first_name", "last_name", "email", "metadata")} == {
        "first_name": "newf", "last_name": "newl", "email": "new@email.com", "metadata": {"foo": "bar"}}


# --- describe("POST /admin/customers/:id") -------------------------------------------------------------

def test_correctly_updates_customer(seeded):
    """/admin/customers › POST /admin/customers/:id › Correctly updates customer"""
    response = seeded.post("/admin/customers/test-customer-3", json={
        "first_name": "newf", "last_name": "newl", "email": "new@email.com", "metadata": {"foo": "bar"}})
    customer = body(response, 200)["customer"]
    assert {k: customer[k] for k in ("first_name", "last_name", "email", "metadata")} == {
        "first_name": "newf", "last_name": "newl", "email": "new@email.com", "metadata": {"foo": "bar"}}


def test_fails_when_adding_a_customer_group_which_doesnt_exist(seeded):
    """/admin/customers › POST /admin/customers/:id › fails when adding a customer group which doesn't exist"""
    response = seeded.post("/admin/customers/test-customer-3?expand=groups", json={"groups": [{"id": "fake-group-0"}]})
    assert body(response, 404) == {
        "type": "not_found", "message": "Customer_group with customer_group_id fake-group-0 does not exist."}


def test_correctly_updates_customer_groups(seeded):
    """/admin/customers › POST /admin/customers/:id › Correctly updates customer groups"""
    first = body(seeded.post("/admin/customers/test-customer-3?expand=groups",
                             json={"groups": [{"id": "test-group-4"}]}), 200)["customer"]
    assert [(g["id"], g["name"]) for g in first["groups"]] == [("test-group-4", "test-group-4")]
    # Delete all groups.
    cleared = body(seeded.post("/admin/customers/test-customer-3?expand=groups", json={"groups": []}), 200)
    assert cleared["customer"]["groups"] == []
    # Adding a group to a customer with already existing groups.
    both = body(seeded.post("/admin/customers/test-customer-5?expand=groups",
                            json={"groups": [{"id": "test-group-5"}, {"id": "test-group-4"}]}), 200)["customer"]
    assert len(both["groups"]) == 2
    assert {(g["id"], g["name"]) for g in both["groups"]} == {
        ("test-group-5", "test-group-5"), ("test-group-4", "test-group-4")}


# --- describe("GET /admin/customers/:id") --------------------------------------------------------------

def test_fetches_a_customer(seeded):
    """/admin/customers › GET /admin/customers/:id › fetches a customer

    Medusa's snapshot, except its `"orders": []`: Clientele does not manage orders, so a customer has no
    orders relation (API.md, "The customer object": orders are not managed by this service)."""
    customer = body(seeded.get("/admin/customers/test-customer-1"), 200)["customer"]
    addresses = customer.pop("shipping_addresses")
    assert without_timestamps(customer) == {
        "billing_address_id": "test-address", "deleted_at": None, "email": "test1@email.com", "first_name": None,
        "has_account": False, "id": "test-customer-1", "last_name": None, "metadata": None, "phone": None}
    assert [without_timestamps(address) for address in addresses] == [TEST_ADDRESS]
    assert "orders" not in customer


def test_fetches_a_customer_with_expand_query(seeded):
    """/admin/customers › GET /admin/customers/:id › fetches a customer with expand query"""
    customer = body(seeded.get("/admin/customers/test-customer-1?expand=billing_address,groups"), 200)["customer"]
    billing = customer.pop("billing_address")
    assert without_timestamps(customer) == {
        "billing_address_id": "test-address", "deleted_at": None, "email": "test1@email.com", "first_name": None,
        "groups": [], "has_account": False, "id": "test-customer-1", "last_name": None, "metadata": None,
        "phone": None}
    assert without_timestamps(billing) == TEST_ADDRESS
