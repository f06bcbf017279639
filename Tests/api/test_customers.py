"""The customer routes of API.md (sections Conventions, Errors, The customer object, Customers), over HTTP
against the real `clientele serve`, with the database inspected by plain SQL."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests

from helpers_api import (OMIT, api, assert_customer, assert_error, assert_group, assert_invalid,  # noqa: F401
                         assert_list, body, count_rows, create_address, create_customer, create_group,
                         customer_body, ids, insert_customer_sql, jobs, new_email,
                         parse_timestamp, snapshot, sql_literal, ulid, unique)

DUPLICATE = "A customer with the given email already has an account. Log in instead"
EMAIL_LOCKED = "Email cannot be changed when the user has registered their account"
PASSWORD_SHORT = "password must be longer than or equal to 8 characters"
LIMIT_MESSAGE = "limit must be a number conforming to the specified constraints"


def not_found(customer_id):
    return f"Customer with id: {customer_id} was not found"


def listing(api, query=None, path="/admin/customers", status=200, offset=0, limit=50):
    """GET the list, assert its envelope, return the payload."""
    payload = body(api.get(path, params=query), status)
    return assert_list(payload, "customers", offset, limit)


def set_sql(db, customer_id, **columns):
    assignments = ", ".join(f"{name} = {sql_literal(value)}" for name, value in columns.items())
    db.sql(f"UPDATE customer SET {assignments} WHERE id = {sql_literal(customer_id)}")


# --- the customer object and POST /admin/customers ---------------------------------------------------------

def test_create_answers_201_with_exactly_the_customer_fields_and_no_relations(api):
    email = new_email()
    response = api.post("/admin/customers", json={"email": email, "first_name": "Ada", "last_name": "Lovelace",
                                                  "password": "correct-horse-1"})
    payload = body(response, 201)
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert set(payload) == {"customer"}
    customer = assert_customer(payload["customer"])
    assert customer["email"] == email
    assert customer["first_name"] == "Ada"
    assert customer["last_name"] == "Lovelace"
    assert customer["billing_address_id"] is None
    assert customer["phone"] is None
    assert customer["has_account"] is True
    assert customer["metadata"] is None
    assert customer["deleted_at"] is None
    created = parse_timestamp(customer["created_at"])
    assert abs(created - datetime.now(timezone.utc)) < timedelta(minutes=2), "created_at must be UTC now"
    assert parse_timestamp(customer["updated_at"]) >= created


def test_create_stores_the_email_trimmed_and_lower_cased(api):
    local = unique("Grace.Hopper-")
    response = api.post("/admin/customers", json=customer_body(email=f"  {local}@Example.COM \t"))
    customer = body(response, 201)["customer"]
    assert customer["email"] == f"{local.lower()}@example.com"
    assert api.db.sql(f"SELECT email FROM customer WHERE id = {sql_literal(customer['id'])}") == customer["email"]


def test_create_with_phone_and_metadata_returns_them(api):
    metadata = {"tier": "gold", "visits": 3, "vip": True, "nested": {"tags": ["a", "b"]}}
    customer = create_customer(api, phone="+49 30 1234567", metadata=metadata)
    assert customer["phone"] == "+49 30 1234567"
    assert customer["metadata"] == metadata


def test_create_hashes_the_password_and_never_returns_it(api):
    password = "s3cret-" + unique()
    response = api.post("/admin/customers", json=customer_body(password=password))
    customer = body(response, 201)["customer"]
    assert password not in response.text and "password" not in response.json()["customer"]
    stored = api.db.sql(f"SELECT password_hash FROM customer WHERE id = {sql_literal(customer['id'])}")
    assert stored != "" and password not in stored
    for read in (api.get(f"/admin/customers/{customer['id']}?expand=billing_address,shipping_addresses,groups"),
                 api.get("/admin/customers", params={"q": customer["email"]})):
        assert read.status_code == 200
        assert "password_hash" not in read.text and password not in read.text


def test_a_password_of_exactly_8_characters_is_accepted(api):
    assert create_customer(api, password="12345678")["has_account"] is True


@pytest.mark.parametrize("field, value, message", [
    ("email", "not-an-email", "email must be an email"),
    ("email", "", "email must be an email"),
    ("email", 42, "email must be an email"),
    ("email", OMIT, "email must be an email"),
    ("first_name", 42, "first_name must be a string"),
    ("first_name", OMIT, "first_name must be a string"),
    ("last_name", None, "last_name must be a string"),
    ("last_name", OMIT, "last_name must be a string"),
    ("password", "seven77", PASSWORD_SHORT),
    ("metadata", ["not", "an", "object"], "metadata must be an object"),
    ("metadata", "text", "metadata must be an object"),
])
def test_create_rejects_an_invalid_field_with_its_exact_message_and_changes_nothing(api, field, value, message):
    before = snapshot(api.db)
    response = api.post("/admin/customers", json=customer_body(**{field: value}))
    assert_invalid(response, message=message)
    assert snapshot(api.db) == before


@pytest.mark.parametrize("field, value", [("password", OMIT), ("password", 12345678), ("phone", 5)])
def test_create_rejects_a_missing_or_mistyped_field_naming_it(api, field, value):
    before = snapshot(api.db)
    assert_invalid(api.post("/admin/customers", json=customer_body(**{field: value})), mentions=field)
    assert snapshot(api.db) == before


@pytest.mark.parametrize("key", ["foo", "has_account", "password_hash", "id"])
def test_create_rejects_an_unknown_body_key(api, key):
    before = snapshot(api.db)
    response = api.post("/admin/customers", json=customer_body(**{key: "x"}))
    assert_invalid(response, message=f"property {key} should not exist")
    assert snapshot(api.db) == before


def test_create_joins_all_messages_unknown_keys_first_then_fields_in_table_order(api):
    # The body lists the keys in another order than the table, to show the order comes from the contract.
    response = api.post("/admin/customers", json={"metadata": 1, "password": "short", "zzz": True,
                                                  "first_name": 7, "email": "bad"})
    assert_invalid(response, message=", ".join([
        "property zzz should not exist",
        "email must be an email",
        "first_name must be a string",
        "last_name must be a string",
        PASSWORD_SHORT,
        "metadata must be an object",
    ]))


def test_create_reports_every_unknown_key_before_the_field_messages(api):
    response = api.post("/admin/customers", json=customer_body(alpha=1, beta=2, email="bad"))
    parts = assert_invalid(response)["message"].split(", ")
    assert sorted(parts[:2]) == ["property alpha should not exist", "property beta should not exist"]
    assert parts[2:] == ["email must be an email"]


@pytest.mark.parametrize("raw", ['{"email": ', "not json", "[]", '"a string"', "null", "42", ""])
def test_create_with_a_body_that_is_not_a_json_object_is_400_invalid_data(api, raw):
    before = snapshot(api.db)
    assert_invalid(api.post("/admin/customers", data=raw))
    assert snapshot(api.db) == before


def test_create_with_the_email_of_a_customer_with_an_account_is_422_duplicate_error(api):
    email = new_email()
    create_customer(api, email=email)
    before = snapshot(api.db)
    response = api.post("/admin/customers", json=customer_body(email=email))
    assert_error(response, 422, "duplicate_error", message=DUPLICATE, code="invalid_request_error")
    assert snapshot(api.db) == before


def test_an_email_differing_only_in_case_and_whitespace_is_a_duplicate(api):
    local = unique("dup-")
    create_customer(api, email=f"{local}@example.com")
    before = snapshot(api.db)
    response = api.post("/admin/customers", json=customer_body(email=f"  {local.upper()}@EXAMPLE.com "))
    assert_error(response, 422, "duplicate_error", message=DUPLICATE, code="invalid_request_error")
    assert snapshot(api.db) == before


def test_a_customer_without_an_account_does_not_block_creating_one_with_that_email(api):
    email = new_email()
    guest = insert_customer_sql(api.db, email, has_account=False)
    customer = create_customer(api, email=email)
    assert customer["id"] != guest and customer["has_account"] is True


def test_twenty_concurrent_creates_of_one_email_give_one_201_and_nineteen_422(api):
    email = new_email("race")
    barrier = threading.Barrier(20)

    def create(i):
        barrier.wait(10)
        variant = email if i % 2 else f"  {email.upper()} "  # the same address once normalised
        return api.post("/admin/customers", json=customer_body(email=variant))

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(create, range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [422] * 19, [r.text for r in responses if r.status_code not in (201, 422)]
    for response in responses:
        if response.status_code == 422:
            assert_error(response, 422, "duplicate_error", message=DUPLICATE, code="invalid_request_error")
    assert count_rows(api.db, "customer", f"email = {sql_literal(email)}") == 1
    created = next(r for r in responses if r.status_code == 201).json()["customer"]["id"]
    assert count_rows(api.db, "job", f"kind = 'customer.created' AND args->>'customer_id' IN "
                                     f"(SELECT id FROM customer WHERE email = {sql_literal(email)})") == 1
    assert jobs(api.db, "customer.created", created) == 1


# --- GET /admin/customers ------------------------------------------------------------------------------------

def tagged_customers(api, tag, count):
    return [create_customer(api, email=f"{tag}-{i}@example.com") for i in range(count)]


def test_list_answers_customers_count_offset_limit_with_defaults_50_and_0(api):
    tag = unique("dflt")
    for i in range(55):
        insert_customer_sql(api.db, f"{tag}-{i}@example.com")
    payload = listing(api, {"q": tag})
    assert payload["count"] == 55
    assert len(payload["customers"]) == 50
    for customer in payload["customers"]:
        assert_customer(customer)
        assert tag in customer["email"]


def test_list_without_expand_has_no_relations(api):
    tag = unique("norel")
    customer = create_customer(api, email=f"{tag}@example.com")
    create_address(api, customer["id"])
    payload = listing(api, {"q": tag})
    assert len(payload["customers"]) == 1
    assert_customer(payload["customers"][0], relations=())


def test_list_count_is_the_exact_number_of_live_customers(api):
    create_customer(api)
    payload = listing(api, {"limit": 0}, limit=0)
    assert payload["customers"] == []
    assert payload["count"] == count_rows(api.db, "customer", "deleted_at IS NULL")


def test_limit_0_returns_no_rows_only_the_count(api):
    tag = unique("zero")
    tagged_customers(api, tag, 3)
    payload = listing(api, {"q": tag, "limit": 0}, limit=0)
    assert payload["customers"] == [] and payload["count"] == 3


def test_limit_and_offset_select_a_page_and_count_stays_the_total(api):
    tag = unique("page")
    tagged_customers(api, tag, 5)
    everything = ids(listing(api, {"q": tag})["customers"])
    page = listing(api, {"q": tag, "limit": 2, "offset": 1}, offset=1, limit=2)
    assert ids(page["customers"]) == everything[1:3]
    assert page["count"] == 5
    beyond = listing(api, {"q": tag, "offset": 10}, offset=10)
    assert beyond["customers"] == [] and beyond["count"] == 5


def test_limit_1000_is_allowed(api):
    listing(api, {"limit": 1000}, limit=1000)


@pytest.mark.parametrize("value", ["1001", "-1", "1.5", "", "ten"])
def test_an_invalid_limit_is_400_naming_limit(api, value):
    assert_invalid(api.get("/admin/customers", params={"limit": value}), mentions="limit")


def test_a_non_numeric_limit_has_the_exact_message(api):
    assert_invalid(api.get("/admin/customers", params={"limit": "abc"}), message=LIMIT_MESSAGE)


@pytest.mark.parametrize("value", ["-1", "abc", "2.5"])
def test_an_invalid_offset_is_400_naming_offset(api, value):
    assert_invalid(api.get("/admin/customers", params={"offset": value}), mentions="offset")


@pytest.mark.parametrize("key", ["foo", "password_hash", "email"])
def test_an_unknown_query_key_is_400(api, key):
    assert_invalid(api.get("/admin/customers", params={key: "1"}), message=f"property {key} should not exist")


def test_default_order_is_created_at_descending_then_id_descending(api):
    tag = unique("order")
    a, b, c, d = (customer["id"] for customer in tagged_customers(api, tag, 4))
    set_sql(api.db, a, created_at="2023-05-01T00:00:00Z")
    set_sql(api.db, b, created_at="2023-06-01T12:00:00Z")
    set_sql(api.db, c, created_at="2023-06-01T12:00:00Z")
    set_sql(api.db, d, created_at="2023-04-01T00:00:00Z")
    listed = listing(api, {"q": tag})["customers"]
    assert ids(listed) == [max(b, c), min(b, c), a, d]
    assert [x["created_at"] for x in listed] == ["2023-06-01T12:00:00.000Z", "2023-06-01T12:00:00.000Z",
                                                  "2023-05-01T00:00:00.000Z", "2023-04-01T00:00:00.000Z"]


def test_timestamps_are_utc_with_milliseconds(api):
    customer = create_customer(api)
    set_sql(api.db, customer["id"], created_at="2023-06-01 14:00:00.123456+02", updated_at="2023-06-02 00:00:00.5-03")
    read = body(api.get(f"/admin/customers/{customer['id']}"), 200)["customer"]
    assert read["created_at"] == "2023-06-01T12:00:00.123Z"
    assert read["updated_at"] == "2023-06-02T03:00:00.500Z"


def test_walking_the_pages_with_offset_gives_every_customer_once(api):
    tag = unique("walk")
    created = [customer["id"] for customer in tagged_customers(api, tag, 7)]
    api.db.sql("UPDATE customer SET created_at = '2023-01-01T00:00:00Z' WHERE id IN ("
               + ", ".join(sql_literal(i) for i in created) + ")")
    walked = []
    for offset in (0, 3, 6):
        walked += ids(listing(api, {"q": tag, "limit": 3, "offset": offset}, offset=offset, limit=3)["customers"])
    assert walked == sorted(created, reverse=True)


def test_order_by_email_ascending_and_descending(api):
    tag = unique("byemail")
    for letter in "bca":
        create_customer(api, email=f"{tag}-{letter}@example.com")
    ascending = [c["email"] for c in listing(api, {"q": tag, "order": "email"})["customers"]]
    assert ascending == [f"{tag}-{letter}@example.com" for letter in "abc"]
    descending = [c["email"] for c in listing(api, {"q": tag, "order": "-email"})["customers"]]
    assert descending == [f"{tag}-{letter}@example.com" for letter in "cba"]


def test_order_by_created_at_ascending_lists_oldest_first(api):
    tag = unique("asc")
    first, second = (c["id"] for c in tagged_customers(api, tag, 2))
    set_sql(api.db, first, created_at="2020-01-01T00:00:00Z")
    assert ids(listing(api, {"q": tag, "order": "created_at"})["customers"]) == [first, second]


@pytest.mark.parametrize("value", ["password_hash", "metadata", "-nope", "orders", "", "-"])
def test_an_unknown_order_field_is_400(api, value):
    assert_invalid(api.get("/admin/customers", params={"order": value}), mentions="order")


def test_has_account_filters_registered_and_unregistered_customers(api):
    tag = unique("acct")
    registered = create_customer(api, email=f"{tag}-reg@example.com")["id"]
    guest = insert_customer_sql(api.db, f"{tag}-guest@example.com", has_account=False)
    with_account = listing(api, {"q": tag, "has_account": "true"})
    assert ids(with_account["customers"]) == [registered] and with_account["count"] == 1
    without = listing(api, {"q": tag, "has_account": "false"})
    assert ids(without["customers"]) == [guest] and without["count"] == 1
    assert without["customers"][0]["has_account"] is False


@pytest.mark.parametrize("value", ["yes", "1", "TRUE ", ""])
def test_has_account_other_than_true_or_false_is_400(api, value):
    assert_invalid(api.get("/admin/customers", params={"has_account": value}), mentions="has_account")


def test_q_matches_a_case_insensitive_substring_of_email_first_name_last_name_and_phone(api):
    tag = unique("q")
    digits = str(int(tag[1:], 16))[-9:]
    by_email = create_customer(api, email=f"x-{tag}-mail@example.com")["id"]
    by_first = create_customer(api, first_name=f"Fn{tag}Zed")["id"]
    by_last = create_customer(api, last_name=f"Ln{tag}Zed")["id"]
    by_phone = create_customer(api, phone=f"+49 {digits}")["id"]
    assert set(ids(listing(api, {"q": tag.upper()})["customers"])) == {by_email, by_first, by_last}
    assert ids(listing(api, {"q": f"{tag}-MAIL@"})["customers"]) == [by_email]
    assert ids(listing(api, {"q": f"fn{tag}z"})["customers"]) == [by_first]
    assert ids(listing(api, {"q": f"LN{tag}"})["customers"]) == [by_last]
    assert ids(listing(api, {"q": digits})["customers"]) == [by_phone]


def test_q_first_last_matches_the_full_name(api):
    tag = unique()
    match = create_customer(api, first_name=f"Ann{tag}", last_name=f"Lee{tag}")["id"]
    create_customer(api, first_name=f"Lee{tag}", last_name=f"Ann{tag}")
    payload = listing(api, {"q": f"ann{tag} LEE{tag}"})
    assert ids(payload["customers"]) == [match] and payload["count"] == 1


def test_q_percent_and_underscore_match_themselves(api):
    tag = unique()
    percent = create_customer(api, first_name=f"50%off{tag}")["id"]
    create_customer(api, first_name=f"50Xoff{tag}")
    underscore = create_customer(api, last_name=f"a_b{tag}")["id"]
    create_customer(api, last_name=f"aXb{tag}")
    assert ids(listing(api, {"q": f"50%off{tag}"})["customers"]) == [percent]
    assert ids(listing(api, {"q": f"a_b{tag}"})["customers"]) == [underscore]
    assert listing(api, {"q": f"%{tag}"})["customers"] == []


def test_q_backslash_matches_itself(api):
    tag = unique()
    backslash = create_customer(api, last_name=f"back\\slash{tag}")["id"]
    create_customer(api, last_name=f"backslash{tag}")
    assert ids(listing(api, {"q": f"k\\slash{tag}"})["customers"]) == [backslash]


def test_q_is_case_insensitive_beyond_ascii(api):
    tag = unique()
    zoe = create_customer(api, first_name=f"Zoë{tag}", last_name=f"Ørsted{tag}")["id"]
    assert ids(listing(api, {"q": f"ZOË{tag}"})["customers"]) == [zoe]
    assert ids(listing(api, {"q": f"ørsted{tag}"})["customers"]) == [zoe]


def grouped_customers(api):
    """c1 in g1, c2 in g2, c3 in both, c4 in none."""
    g1, g2 = create_group(api)["id"], create_group(api)["id"]
    c1, c2, c3, c4 = (create_customer(api)["id"] for _ in range(4))
    for customer, groups in ((c1, [g1]), (c2, [g2]), (c3, [g1, g2])):
        body(api.post(f"/admin/customers/{customer}", json={"groups": [{"id": g} for g in groups]}), 200)
    return g1, g2, {c1, c2, c3}, {c1, c3}


@pytest.mark.parametrize("form", ["brackets", "encoded-brackets", "indexed", "encoded-indexed", "comma"])
def test_groups_filter_lists_customers_in_any_of_the_groups(api, form):
    g1, g2, in_any, in_g1 = grouped_customers(api)
    query = {
        "brackets": f"groups[]={g1}&groups[]={g2}",
        "encoded-brackets": f"groups%5B%5D={g1}&groups%5B%5D={g2}",
        "indexed": f"groups[0]={g1}&groups[1]={g2}",
        "encoded-indexed": f"groups%5B0%5D={g1}&groups%5B1%5D={g2}",
        "comma": f"groups={g1},{g2}",
    }[form]
    payload = assert_list(body(api.get(f"/admin/customers?{query}"), 200), "customers", 0, 50)
    assert sorted(ids(payload["customers"])) == sorted(in_any)
    assert payload["count"] == 3
    single = assert_list(body(api.get(f"/admin/customers?groups[]={g1}"), 200), "customers", 0, 50)
    assert set(ids(single["customers"])) == in_g1 and single["count"] == 2


def created_at_fixture(api):
    tag = unique("when")
    jan, feb, mar = (c["id"] for c in tagged_customers(api, tag, 3))
    set_sql(api.db, jan, created_at="2022-01-01T00:00:00Z", updated_at="2022-12-01T00:00:00Z")
    set_sql(api.db, feb, created_at="2022-02-01T00:00:00Z", updated_at="2022-02-01T00:00:00Z")
    set_sql(api.db, mar, created_at="2022-03-01T00:00:00Z", updated_at="2022-03-01T00:00:00Z")
    return tag, jan, feb, mar


def test_created_at_operators_filter_and_combine_with_and(api):
    tag, jan, feb, mar = created_at_fixture(api)

    def listed(query):
        payload = assert_list(body(api.get(f"/admin/customers?q={tag}&{query}"), 200), "customers", 0, 50)
        assert payload["count"] == len(payload["customers"])
        return set(ids(payload["customers"]))

    assert listed("created_at[gt]=2022-01-15T00:00:00.000Z") == {feb, mar}
    assert listed("created_at[lt]=2022-02-15T00:00:00.000Z") == {jan, feb}
    assert listed("created_at[gt]=2022-01-15T00:00:00.000Z&created_at[lt]=2022-02-15T00:00:00.000Z") == {feb}
    assert listed("created_at[gte]=2022-02-01T00:00:00.000Z") == {feb, mar}
    assert listed("created_at[gt]=2022-02-01T00:00:00.000Z") == {mar}
    assert listed("created_at[lte]=2022-02-01T00:00:00.000Z") == {jan, feb}
    assert listed("created_at[lt]=2022-02-01T00:00:00.000Z") == {jan}


def test_updated_at_operators_filter_and_combine_with_created_at(api):
    tag, jan, feb, mar = created_at_fixture(api)
    query = "updated_at%5Bgt%5D=2022-06-01T00%3A00%3A00.000Z"
    assert ids(body(api.get(f"/admin/customers?q={tag}&{query}"), 200)["customers"]) == [jan]
    assert body(api.get(f"/admin/customers?q={tag}&{query}&created_at[gt]=2022-01-15T00:00:00.000Z"),
                200)["customers"] == []
    assert set(ids(body(api.get(f"/admin/customers?q={tag}&updated_at[lte]=2022-03-01T00:00:00.000Z"),
                        200)["customers"])) == {feb, mar}


def test_timestamp_filters_accept_an_offset_other_than_utc(api):
    tag, jan, feb, mar = created_at_fixture(api)
    # 2022-01-31T23:00:00-02:00 is 2022-02-01T01:00:00Z: after February's customer.
    payload = listing(api, {"q": tag, "created_at[gt]": "2022-01-31T23:00:00.000-02:00"})
    assert ids(payload["customers"]) == [mar]


def test_an_offset_too_large_for_an_integer_is_400_not_500(api):
    assert_invalid(api.get("/admin/customers", params={"offset": "9" * 30}), mentions="offset")
    assert_invalid(api.get("/admin/customers", params={"limit": "9" * 30}), mentions="limit")


@pytest.mark.parametrize("query", ["created_at[gt]=yesterday", "created_at[lt]=2022-13-45T00:00:00.000Z",
                                   "updated_at[gte]=12", "created_at[between]=2022-01-01T00:00:00.000Z"])
def test_an_invalid_timestamp_filter_is_400(api, query):
    field = query.split("[")[0]
    assert_invalid(api.get(f"/admin/customers?{query}"), mentions=field)


def customer_with_everything(api, tag):
    customer = create_customer(api, email=f"{tag}@example.com")
    group = create_group(api)
    address = create_address(api, customer["id"], is_default_billing=True)
    body(api.post(f"/admin/customers/{customer['id']}", json={"groups": [{"id": group["id"]}]}), 200)
    return customer, group, address


def test_expand_includes_exactly_the_requested_relations(api):
    tag = unique("exp")
    customer, group, address = customer_with_everything(api, tag)
    full = listing(api, {"q": tag, "expand": "billing_address,shipping_addresses,groups"})["customers"]
    assert len(full) == 1
    listed = assert_customer(full[0], relations={"billing_address", "shipping_addresses", "groups"})
    assert listed["billing_address_id"] == address["id"]
    assert listed["billing_address"] == address
    assert listed["shipping_addresses"] == [address]
    assert ids(listed["groups"]) == [group["id"]]
    only_groups = listing(api, {"q": tag, "expand": "groups"})["customers"][0]
    assert_customer(only_groups, relations={"groups"})


def test_an_expanded_billing_address_is_null_when_there_is_none(api):
    customer = create_customer(api)
    listed = listing(api, {"q": customer["email"], "expand": "billing_address"})["customers"]
    assert_customer(listed[0], relations={"billing_address"})
    assert listed[0]["billing_address"] is None


@pytest.mark.parametrize("value", ["orders", "password_hash", "groups,nope", "billing_address,orders"])
def test_an_unknown_expand_is_400(api, value):
    assert_invalid(api.get("/admin/customers", params={"expand": value}), mentions_any=["expand", value])


def test_fields_returns_only_id_and_the_requested_fields_plus_expanded_relations(api):
    tag = unique("flds")
    customer, group, _ = customer_with_everything(api, tag)
    listed = listing(api, {"q": tag, "fields": "email,first_name"})["customers"]
    assert listed == [{"id": customer["id"], "email": customer["email"], "first_name": "Ada"}]
    with_groups = listing(api, {"q": tag, "fields": "email", "expand": "groups"})["customers"]
    assert set(with_groups[0]) == {"id", "email", "groups"}
    assert ids(with_groups[0]["groups"]) == [group["id"]]
    assert listing(api, {"q": tag, "fields": "id"})["customers"] == [{"id": customer["id"]}]


@pytest.mark.parametrize("value", ["nope", "email,password_hash", "orders"])
def test_an_unknown_field_in_fields_is_400(api, value):
    assert_invalid(api.get("/admin/customers", params={"fields": value}), mentions_any=["fields", value.split(",")[-1]])


def test_text_with_quotes_backslashes_control_characters_and_emoji_round_trips(api):
    first_name = 'O"Brien \\ back\\slash'
    last_name = "tab\there\nnew line \u0001 Zoë 😀 \u2028"
    metadata = {"quote\"key": "va\\lue", "emoji": "🎉", "nested": {"list": [1.5, -2, None, True, "ß"]},
                "control": "\u0001\u001f\u007f"}
    customer = create_customer(api, first_name=first_name, last_name=last_name, metadata=metadata)
    assert (customer["first_name"], customer["last_name"], customer["metadata"]) == (first_name, last_name, metadata)
    read = body(api.get(f"/admin/customers/{customer['id']}"), 200)["customer"]
    assert (read["first_name"], read["last_name"], read["metadata"]) == (first_name, last_name, metadata)


@pytest.mark.parametrize("field", ["first_name", "metadata"])
def test_a_nul_character_is_never_a_500(api, field):
    value = "a\u0000b" if field == "first_name" else {"k": "a\u0000b"}
    response = api.post("/admin/customers", json=customer_body(**{field: value}))
    if response.status_code == 201:
        assert response.json()["customer"][field] == value
    else:
        assert_invalid(response, mentions=field)


# --- GET /admin/customers/:id --------------------------------------------------------------------------------

def test_retrieve_returns_the_customer_with_its_shipping_addresses_oldest_first(api):
    customer = create_customer(api)
    first = create_address(api, customer["id"], address_1="First street")
    second = create_address(api, customer["id"], address_1="Second street")
    api.db.sql(f"UPDATE address SET created_at = '2021-01-01T00:00:00Z' WHERE id = {sql_literal(first['id'])}")
    api.db.sql(f"UPDATE address SET created_at = '2020-01-01T00:00:00Z' WHERE id = {sql_literal(second['id'])}")
    response = api.get(f"/admin/customers/{customer['id']}")
    payload = body(response, 200)
    assert set(payload) == {"customer"}
    read = assert_customer(payload["customer"], relations={"shipping_addresses"})
    assert ids(read["shipping_addresses"]) == [second["id"], first["id"]]
    assert {k: read[k] for k in read if k not in ("shipping_addresses", "updated_at")} == \
           {k: customer[k] for k in customer if k != "updated_at"}
    assert response.headers.get("ETag")


def test_retrieve_with_expand_returns_exactly_those_relations(api):
    customer, group, address = customer_with_everything(api, unique("rexp"))
    read = body(api.get(f"/admin/customers/{customer['id']}?expand=billing_address,groups"), 200)["customer"]
    assert_customer(read, relations={"billing_address", "groups"})
    assert read["billing_address"] == address
    assert [assert_group(g)["id"] for g in read["groups"]] == [group["id"]]


def test_retrieve_with_fields_returns_id_those_fields_and_the_default_relation(api):
    customer = create_customer(api)
    read = body(api.get(f"/admin/customers/{customer['id']}", params={"fields": "email"}), 200)["customer"]
    assert read == {"id": customer["id"], "email": customer["email"], "shipping_addresses": []}


@pytest.mark.parametrize("query", [{"expand": "orders"}, {"fields": "password_hash"}, {"foo": "1"}])
def test_retrieve_rejects_unknown_expand_fields_and_query_keys(api, query):
    customer = create_customer(api)
    assert_invalid(api.get(f"/admin/customers/{customer['id']}", params=query))


@pytest.mark.parametrize("missing", ["cus_" + ulid(), "nope"])
def test_retrieve_of_a_missing_customer_is_404(api, missing):
    assert_error(api.get(f"/admin/customers/{missing}"), 404, "not_found", message=not_found(missing))


# --- POST /admin/customers/:id -------------------------------------------------------------------------------

def update(api, customer_id, payload, status=200, **kwargs):
    return body(api.post(f"/admin/customers/{customer_id}", json=payload, **kwargs), status)


def test_update_changes_names_and_answers_the_customer_with_default_relations(api):
    customer = create_customer(api)
    address = create_address(api, customer["id"])
    payload = update(api, customer["id"], {"first_name": "Grace", "last_name": "Hopper", "phone": "+1 555"})
    assert set(payload) == {"customer"}
    updated = assert_customer(payload["customer"], relations={"shipping_addresses"})
    assert (updated["first_name"], updated["last_name"], updated["phone"]) == ("Grace", "Hopper", "+1 555")
    assert updated["email"] == customer["email"] and updated["created_at"] == customer["created_at"]
    assert ids(updated["shipping_addresses"]) == [address["id"]]
    assert body(api.get(f"/admin/customers/{customer['id']}"), 200)["customer"] == updated


def test_update_with_expand_answers_those_relations(api):
    customer = create_customer(api)
    updated = update(api, customer["id"], {"first_name": "X"}, params={"expand": "groups"})["customer"]
    assert_customer(updated, relations={"groups"})
    assert updated["groups"] == []


def test_update_with_fields_answers_id_those_fields_and_the_default_relation(api):
    customer = create_customer(api)
    updated = update(api, customer["id"], {"first_name": "Only"}, params={"fields": "first_name"})["customer"]
    assert updated == {"id": customer["id"], "first_name": "Only", "shipping_addresses": []}


def test_update_moves_updated_at_to_now_and_keeps_created_at(api):
    customer = create_customer(api)
    set_sql(api.db, customer["id"], updated_at="2020-01-01T00:00:00Z")
    updated = update(api, customer["id"], {"last_name": "Later"})["customer"]
    assert abs(parse_timestamp(updated["updated_at"]) - datetime.now(timezone.utc)) < timedelta(minutes=2)
    assert updated["created_at"] == customer["created_at"]


def test_changing_the_email_of_a_registered_customer_is_400_and_changes_nothing(api):
    customer = create_customer(api)
    before = snapshot(api.db)
    response = api.post(f"/admin/customers/{customer['id']}", json={"email": new_email(), "first_name": "New"})
    assert_invalid(response, message=EMAIL_LOCKED)
    assert snapshot(api.db) == before


@pytest.mark.parametrize("variant", [str, lambda e: f"  {e.upper()} "], ids=["same", "other-case-and-spaces"])
def test_sending_the_email_a_registered_customer_already_has_is_fine(api, variant):
    customer = create_customer(api)
    updated = update(api, customer["id"], {"email": variant(customer["email"]), "first_name": "Same"})["customer"]
    assert updated["email"] == customer["email"] and updated["first_name"] == "Same"


def test_the_email_of_a_customer_without_an_account_can_change(api):
    guest = insert_customer_sql(api.db, new_email("guest"))
    new = new_email("moved")
    updated = update(api, guest, {"email": f" {new.upper()}"})["customer"]
    assert updated["email"] == new and updated["has_account"] is False
    assert jobs(api.db, "customer.updated", guest) == 1


@pytest.mark.parametrize("payload, message", [
    ({"email": "nope"}, "email must be an email"),
    ({"first_name": 1}, "first_name must be a string"),
    ({"password": "short"}, PASSWORD_SHORT),
    ({"metadata": [1]}, "metadata must be an object"),
    ({"groups": "cgrp_x"}, "groups must be an array"),
    ({"has_account": False}, "property has_account should not exist"),
    ({"password_hash": "x"}, "property password_hash should not exist"),
    ({"foo": 1, "first_name": 2}, "property foo should not exist, first_name must be a string"),
])
def test_update_rejects_invalid_fields_with_exact_messages_and_changes_nothing(api, payload, message):
    guest = insert_customer_sql(api.db, new_email("guest"))
    before = snapshot(api.db)
    assert_invalid(api.post(f"/admin/customers/{guest}", json=payload), message=message)
    assert snapshot(api.db) == before


@pytest.mark.parametrize("raw", ["{", "[]", "null"])
def test_update_with_a_body_that_is_not_a_json_object_is_400(api, raw):
    customer = create_customer(api)
    assert_invalid(api.post(f"/admin/customers/{customer['id']}", data=raw))


def test_metadata_merges_and_a_key_sent_as_empty_string_is_removed(api):
    customer = create_customer(api, metadata={"a": 1, "b": "x", "keep": {"n": [1]}})
    merged = update(api, customer["id"], {"metadata": {"b": "y", "c": True}})["customer"]
    assert merged["metadata"] == {"a": 1, "b": "y", "c": True, "keep": {"n": [1]}}
    removed = update(api, customer["id"], {"metadata": {"a": "", "c": ""}})["customer"]
    assert removed["metadata"] == {"b": "y", "keep": {"n": [1]}}


def test_metadata_sent_to_a_customer_without_metadata_becomes_its_metadata(api):
    customer = create_customer(api)
    assert update(api, customer["id"], {"metadata": {"k": "v"}})["customer"]["metadata"] == {"k": "v"}


def test_update_rehashes_the_password_and_never_returns_it(api):
    customer = create_customer(api)
    where = f"id = {sql_literal(customer['id'])}"
    old = api.db.sql(f"SELECT password_hash FROM customer WHERE {where}")
    password = "new-password-" + unique()
    response = api.post(f"/admin/customers/{customer['id']}", json={"password": password})
    assert response.status_code == 200 and password not in response.text
    new = api.db.sql(f"SELECT password_hash FROM customer WHERE {where}")
    assert new not in ("", old) and password not in new


def membership(api, customer_id):
    return set(api.db.sql("SELECT customer_group_id FROM customer_group_customers WHERE customer_id = "
                          + sql_literal(customer_id)).split())


def test_groups_replace_the_membership_and_an_empty_array_clears_it(api):
    customer = create_customer(api)
    g1, g2, g3 = (create_group(api)["id"] for _ in range(3))
    two = update(api, customer["id"], {"groups": [{"id": g1}, {"id": g2}]}, params={"expand": "groups"})
    assert sorted(ids(two["customer"]["groups"])) == sorted([g1, g2])
    assert membership(api, customer["id"]) == {g1, g2}
    replaced = update(api, customer["id"], {"groups": [{"id": g3}]}, params={"expand": "groups"})["customer"]
    assert ids(replaced["groups"]) == [g3]
    read = body(api.get(f"/admin/customers/{customer['id']}?expand=groups"), 200)["customer"]
    assert ids(read["groups"]) == [g3]
    cleared = update(api, customer["id"], {"groups": []}, params={"expand": "groups"})["customer"]
    assert cleared["groups"] == [] and membership(api, customer["id"]) == set()


def test_an_unknown_group_is_404_and_changes_nothing(api):
    customer = create_customer(api)
    group = create_group(api)["id"]
    update(api, customer["id"], {"groups": [{"id": group}]})
    missing = "cgrp_" + ulid()
    before = snapshot(api.db)
    response = api.post(f"/admin/customers/{customer['id']}",
                        json={"first_name": "Changed", "groups": [{"id": group}, {"id": missing}]})
    assert_error(response, 404, "not_found", message=f"Customer_group with customer_group_id {missing} does not exist.")
    assert snapshot(api.db) == before
    assert membership(api, customer["id"]) == {group}


def test_update_of_a_missing_customer_is_404(api):
    missing = "cus_" + ulid()
    before = snapshot(api.db)
    assert_error(api.post(f"/admin/customers/{missing}", json={"first_name": "X"}), 404, "not_found",
                 message=not_found(missing))
    assert snapshot(api.db) == before


def test_etag_changes_with_every_update(api):
    customer = create_customer(api)
    path = f"/admin/customers/{customer['id']}"
    seen = [api.get(path).headers["ETag"]]
    for name in ("One", "Two", "Three"):
        response = api.post(path, json={"first_name": name})
        assert response.status_code == 200
        seen.append(response.headers["ETag"])
        assert api.get(path).headers["ETag"] == seen[-1]
    assert len(set(seen)) == 4, seen


def test_if_match_with_the_current_etag_updates(api):
    customer = create_customer(api)
    path = f"/admin/customers/{customer['id']}"
    etag = api.get(path).headers["ETag"]
    response = api.post(path, json={"first_name": "Matched"}, headers={"If-Match": etag})
    assert body(response, 200)["customer"]["first_name"] == "Matched"
    assert response.headers["ETag"] != etag


def test_if_match_with_a_stale_etag_is_412_and_changes_nothing(api):
    customer = create_customer(api)
    path = f"/admin/customers/{customer['id']}"
    stale = api.get(path).headers["ETag"]
    body(api.post(path, json={"first_name": "First"}), 200)
    before = snapshot(api.db)
    response = api.post(path, json={"first_name": "Second"}, headers={"If-Match": stale})
    assert_error(response, 412, "precondition_failed")
    assert snapshot(api.db) == before
    assert body(api.get(path), 200)["customer"]["first_name"] == "First"


def test_concurrent_metadata_merges_of_different_keys_lose_no_key(api):
    customer = create_customer(api, metadata={"origin": "test"})
    barrier = threading.Barrier(20)

    def merge(i):
        barrier.wait(10)
        return api.post(f"/admin/customers/{customer['id']}", json={"metadata": {f"k{i}": i}}).status_code

    with ThreadPoolExecutor(20) as pool:
        assert list(pool.map(merge, range(20))) == [200] * 20
    metadata = body(api.get(f"/admin/customers/{customer['id']}"), 200)["customer"]["metadata"]
    assert metadata == {"origin": "test", **{f"k{i}": i for i in range(20)}}


# --- DELETE /admin/customers/:id -----------------------------------------------------------------------------

def test_delete_soft_deletes_and_answers_the_deleted_object(api):
    tag = unique("del")
    customer = create_customer(api, email=f"{tag}@example.com")
    count_before = listing(api, {"limit": 0}, limit=0)["count"]
    payload = body(api.delete(f"/admin/customers/{customer['id']}"), 200)
    assert payload == {"id": customer["id"], "object": "customer", "deleted": True}
    assert api.db.sql(f"SELECT deleted_at IS NOT NULL FROM customer WHERE id = {sql_literal(customer['id'])}") == "t"
    assert_error(api.get(f"/admin/customers/{customer['id']}"), 404, "not_found", message=not_found(customer["id"]))
    assert listing(api, {"q": tag})["customers"] == []
    assert listing(api, {"limit": 0}, limit=0)["count"] == count_before - 1


def test_a_deleted_customer_cannot_be_updated_or_deleted_again(api):
    customer = create_customer(api)
    body(api.delete(f"/admin/customers/{customer['id']}"), 200)
    assert_error(api.post(f"/admin/customers/{customer['id']}", json={"first_name": "Z"}), 404, "not_found",
                 message=not_found(customer["id"]))
    assert_error(api.delete(f"/admin/customers/{customer['id']}"), 404, "not_found", message=not_found(customer["id"]))


def test_delete_of_a_missing_customer_is_404(api):
    missing = "cus_" + ulid()
    assert_error(api.delete(f"/admin/customers/{missing}"), 404, "not_found", message=not_found(missing))


def test_the_email_of_a_deleted_customer_is_free_for_a_new_one(api):
    customer = create_customer(api)
    body(api.delete(f"/admin/customers/{customer['id']}"), 200)
    again = create_customer(api, email=customer["email"].upper())
    assert again["id"] != customer["id"] and again["email"] == customer["email"]


# --- events ----------------------------------------------------------------------------------------------------

def test_create_update_and_delete_each_record_their_event(api):
    customer = create_customer(api)
    assert jobs(api.db, "customer.created", customer["id"]) == 1
    assert jobs(api.db, "customer.updated", customer["id"]) == 0
    update(api, customer["id"], {"first_name": "Evented"})
    assert jobs(api.db, "customer.updated", customer["id"]) == 1
    body(api.delete(f"/admin/customers/{customer['id']}"), 200)
    assert jobs(api.db, "customer.deleted", customer["id"]) == 1


def test_rejected_requests_record_no_event(api):
    customer = create_customer(api)
    before = count_rows(api.db, "job")
    assert api.post("/admin/customers", json=customer_body(email=customer["email"])).status_code == 422
    assert api.post("/admin/customers", json=customer_body(email="bad")).status_code == 400
    assert api.post(f"/admin/customers/{customer['id']}", json={"email": new_email()}).status_code == 400
    unknown_group = {"groups": [{"id": "cgrp_" + ulid()}]}
    assert api.post(f"/admin/customers/{customer['id']}", json=unknown_group).status_code == 404
    assert api.post(f"/admin/customers/cus_{ulid()}", json={"first_name": "x"}).status_code == 404
    assert api.delete(f"/admin/customers/cus_{ulid()}").status_code == 404
    assert count_rows(api.db, "job") == before


# --- service routes, headers and authentication --------------------------------------------------------------

@pytest.mark.parametrize("method, path", [("GET", "/admin/nope"), ("GET", "/nope"), ("POST", "/admin/customers/x/y/z")])
def test_an_unknown_route_is_404_route_not_found(api, method, path):
    payload = body(api.request(method, path), 404)
    assert payload == {"type": "not_found", "message": "Route not found"}


@pytest.mark.parametrize("method, path", [("PUT", "/admin/customers"), ("DELETE", "/admin/customers"),
                                          ("PATCH", "/admin/customers/cus_x"), ("PUT", "/admin/customer-groups")])
def test_a_known_path_with_another_method_is_405_not_allowed(api, method, path):
    assert_error(api.request(method, path), 405, "not_allowed")


def test_every_response_carries_a_request_id_and_admin_responses_are_not_cached(api):
    customer = create_customer(api)
    responses = [
        api.get("/admin/customers"),
        api.get(f"/admin/customers/{customer['id']}"),
        api.post("/admin/customers", json={}),
        api.get(f"/admin/customers/cus_{ulid()}"),
        api.request("PUT", "/admin/customers"),
        api.get("/admin/nope"),
    ]
    for response in responses:
        assert response.headers.get("X-Request-Id"), (response.request.url, response.headers)
        assert response.headers.get("Cache-Control") == "no-store", (response.request.url, response.headers)
        assert response.headers.get("X-Content-Type-Options") == "nosniff", (response.request.url, response.headers)
    request_ids = [r.headers["X-Request-Id"] for r in responses]
    assert len(set(request_ids)) == len(request_ids)
    assert api.get("/health").headers.get("X-Request-Id")


@pytest.mark.parametrize("missing", ["x'; DROP TABLE customer; --", "cus_%00", "a" * 300])
def test_a_path_id_with_odd_characters_is_a_plain_404(api, missing):
    response = api.get("/admin/customers/" + requests.utils.quote(missing, safe=""))
    assert_error(response, 404, "not_found")
    assert count_rows(api.db, "customer") > 0


def test_a_body_over_the_size_limit_is_413_payload_too_large(api):
    before = snapshot(api.db)
    response = api.post("/admin/customers", json=customer_body(metadata={"blob": "a" * 1_100_000}))
    assert_error(response, 413, "payload_too_large")
    assert response.headers.get("X-Request-Id")
    assert snapshot(api.db) == before


def test_a_request_head_over_32_kib_is_431_with_an_empty_body(api):
    response = api.get("/admin/customers", headers={"X-Padding": "a" * 40_000})
    assert response.status_code == 431
    assert response.content == b""


def test_deeply_nested_metadata_is_answered_and_the_server_keeps_serving(api):
    depth = 100_000
    raw = '{"email": "' + new_email() + '", "first_name": "A", "last_name": "B", "password": "password-123", ' \
          '"metadata": {"deep": ' + "[" * depth + "]" * depth + "}}"
    before = snapshot(api.db)
    response = api.post("/admin/customers", data=raw)
    assert response.status_code in (201, 400), response.text[:300]
    if response.status_code == 400:
        assert_invalid(response)
        assert snapshot(api.db) == before
    assert body(api.get("/admin/customers", params={"limit": 1}), 200)["limit"] == 1


@pytest.mark.parametrize("method, path", [("GET", "/admin/customers"), ("GET", "/admin/customers/cus_x"),
                                          ("POST", "/admin/customers/cus_x"), ("DELETE", "/admin/customers/cus_x"),
                                          ("GET", "/admin/customer-groups")])
def test_a_request_without_credentials_is_401(api, method, path):
    payload = body(api.request(method, path, auth=False), 401)
    assert payload == {"type": "unauthorized", "message": "Unauthorized"}


def test_a_create_without_credentials_is_401_and_creates_nothing(api):
    before = snapshot(api.db)
    response = api.post("/admin/customers", json=customer_body(), auth=False)
    assert body(response, 401) == {"type": "unauthorized", "message": "Unauthorized"}
    assert snapshot(api.db) == before


def test_a_forged_bearer_token_is_401(api):
    response = api.get("/admin/customers", auth=False, headers={"Authorization": "Bearer not.a.jwt"})
    assert body(response, 401) == {"type": "unauthorized", "message": "Unauthorized"}


def test_the_api_is_reachable_with_the_suite_credentials(api):
    # Guards the fixture itself: a broken auth_headers would turn every test into a 401.
    assert requests.get(api.url + "/admin/customers", headers=api.headers, timeout=30).status_code == 200
