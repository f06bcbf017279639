"""GET /admin/customers/export and `clientele export customers` (API.md): every customer a list filter matches,
in the list's order, as RFC 4180 CSV streamed with chunked transfer, formula cells escaped, bad parameters a
400 before the first byte."""
import csv
import io
import json
import os
import random
import string
import subprocess
from datetime import datetime, timezone

import pytest
import requests

from conftest import BIN, ROOT
from helpers_api import (api, assert_error, assert_invalid, body, create_customer, create_group, ids,  # noqa: F401
                         insert_customer_sql, sql_literal)

HEADER = ["id", "email", "first_name", "last_name", "phone", "has_account", "groups", "created_at", "updated_at",
          "metadata"]


def export(api, params=None, stream=False):
    return api.request("GET", "/admin/customers/export", params=params, headers={"Accept": "text/csv"}) \
        if not stream else requests.get(api.url + "/admin/customers/export", params=params, headers=api.headers,
                                         stream=True, timeout=60)


def rows_of(response):
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    records = list(reader)
    assert records[0] == HEADER
    return text, records[1:]


def walk(api, params):
    """Every customer of the list (cursor pages), with its groups."""
    customers, cursor = [], None
    while True:
        page_params = dict(params, limit=1000, expand="groups")
        if cursor:
            page_params["cursor"] = cursor
        page = body(api.get("/admin/customers", params=page_params), 200)
        customers += page["customers"]
        cursor = page["next_cursor"]
        if cursor is None:
            return customers


def guarded(text):
    """A cell as the export writes it: the formula guard in front of =, +, -, @, tab and CR."""
    return "'" + text if text and text[0] in "=+-@\t\r" else text


def as_row(customer):
    groups = ";".join(g["name"].replace("\\", "\\\\").replace(";", "\\;")
                      for g in sorted(customer["groups"], key=lambda g: g["name"]))
    return [customer["id"], guarded(customer["email"]), guarded(customer["first_name"] or ""),
            guarded(customer["last_name"] or ""), guarded(customer["phone"] or ""),
            "true" if customer["has_account"] else "false", guarded(groups), customer["created_at"],
            customer["updated_at"], json.dumps(customer["metadata"]) if customer["metadata"] is not None else ""]


@pytest.fixture(scope="module")
def tag(api):
    """Customers of one tag: names missing and empty, metadata, phones, two groups (names with ; and \\), and
    enough rows for several batches of the export's cursor (1,000 rows each)."""
    tag = "exp" + "".join(random.choices(string.ascii_lowercase, k=6))
    vip = create_group(api, name=f"{tag} VIP; gold")
    back = create_group(api, name=f"{tag} back\\slash")
    api.db.sql(f"""
        INSERT INTO customer (id, email, first_name, last_name, phone, has_account, metadata, created_at, updated_at)
        SELECT 'cus_' || lpad(i::text, 26, '0') || '{tag}', '{tag}-' || i || '@example.com',
               CASE WHEN i % 5 = 0 THEN NULL WHEN i % 7 = 0 THEN '' ELSE 'Name' || i END,
               CASE WHEN i % 3 = 0 THEN NULL ELSE 'Last' || (i % 10) END,
               CASE WHEN i % 2 = 0 THEN '+1 555 ' || i END, i % 4 = 0,
               CASE WHEN i % 6 = 0 THEN jsonb_build_object('n', i, 'text', 'a,"b"') END,
               timestamptz '2024-01-01' + i * interval '1 minute 0.123456 seconds',
               timestamptz '2024-06-01' + (i % 50) * interval '1 second'
        FROM generate_series(1, 2300) AS i;
        INSERT INTO customer_group_customers (customer_group_id, customer_id)
        SELECT {sql_literal(vip['id'])}, id FROM customer WHERE email LIKE '{tag}-%' AND id LIKE '%1{tag}';
        INSERT INTO customer_group_customers (customer_group_id, customer_id)
        SELECT {sql_literal(back['id'])}, id FROM customer WHERE email LIKE '{tag}-%' AND id LIKE '%3{tag}';
    """)
    return tag


def test_the_export_is_csv_with_a_header_crlf_and_an_attachment_name_streamed_in_chunks(api, tag):
    response = export(api, {"q": tag}, stream=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    assert response.headers["Content-Disposition"] == f'attachment; filename="customers-{today}.csv"'
    assert response.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in response.headers
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Request-Id"]
    raw = response.raw.read()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no byte-order mark"
    assert raw.startswith(",".join(HEADER).encode() + b"\r\n")
    assert raw.count(b"\r\n") == 2301 and raw.count(b"\n") == 2301, "every record ends with CRLF, none with LF alone"


@pytest.mark.parametrize("filters", [
    {}, {"order": "email"}, {"has_account": "true", "order": "-first_name"}, {"order": "phone"},
    {"created_at[gte]": "2024-01-01T12:00:00Z", "created_at[lt]": "2024-01-02T00:00:00Z", "order": "created_at"},
    {"updated_at[lte]": "2024-06-01T00:00:20Z", "order": "-updated_at"},
], ids=["default", "email", "account-first-name", "phone", "created-window", "updated-before"])
def test_an_export_has_exactly_the_rows_of_the_list_in_its_order(api, tag, filters):
    params = {"q": tag, **filters}
    _, rows = rows_of(export(api, params))
    listed = walk(api, params)
    assert len(rows) == len(listed) > 0
    assert [row[0] for row in rows] == ids(listed)
    for row, customer in zip(rows, listed):
        assert row == as_row(customer), (row, customer)


def test_a_group_filter_exports_the_group_members(api, tag):
    group = body(api.get("/admin/customer-groups", params={"q": f"{tag} VIP"}), 200)["customer_groups"][0]
    _, rows = rows_of(export(api, {"groups[]": group["id"]}))
    listed = walk(api, {"groups[]": group["id"]})
    assert [row[0] for row in rows] == ids(listed) and len(rows) == 230
    assert all(row[6] == f"{tag} VIP\\; gold" for row in rows)
    back = [row[6] for row in rows_of(export(api, {"q": tag}))[1] if "back" in row[6]]
    assert back and set(back) == {f"{tag} back\\\\slash"}


def test_null_is_an_empty_cell_and_an_empty_string_is_quoted(api, tag):
    text, _ = rows_of(export(api, {"q": tag}))
    lines = {line.split(",")[1]: line for line in text.split("\r\n")[1:] if line}
    # Customer 14 has first_name '' (a multiple of 7), customer 35 has none (a multiple of 5 and of 7).
    assert lines[f"{tag}-14@example.com"].split(",")[2] == '""'
    assert lines[f"{tag}-35@example.com"].split(",")[2] == ""


def test_metadata_is_json_and_has_account_is_true_or_false(api, tag):
    _, rows = rows_of(export(api, {"q": f"{tag}-12@"}))
    assert json.loads(rows[0][9]) == {"n": 12, "text": 'a,"b"'}
    assert rows[0][5] == "true"
    _, rows = rows_of(export(api, {"q": f"{tag}-13@"}))
    assert rows[0][9] == "" and rows[0][5] == "false"


def test_cells_that_would_start_a_formula_are_prefixed_with_a_quote(api):
    formula = f"=HYPERLINK(\"http://evil.example\",\"{random.randint(0, 10**9)}\")"
    customer = create_customer(api, email=f"=cmd{random.randint(0, 10**9)}@example.com", first_name=formula,
                               last_name="+SUM(A1:A9)", phone="-2+3", metadata={"x": 1})
    api.db.sql(f"UPDATE customer SET metadata = NULL, first_name = first_name, "
               f"last_name = E'\\tTabbed' WHERE id = {sql_literal(customer['id'])}")
    text, rows = rows_of(export(api, {"q": customer["email"][1:]}))
    assert len(rows) == 1
    assert rows[0][1] == "'" + customer["email"]
    assert rows[0][2] == "'" + formula
    assert rows[0][3] == "'\tTabbed"
    assert rows[0][4] == "'-2+3"
    # The raw text: the formula cell is quoted (it holds quotes) with the guard inside the quotes.
    assert "\"'=HYPERLINK(\"\"http://evil.example\"\"" in text
    group = create_group(api, name="@admin" + "".join(random.choices(string.ascii_lowercase, k=5)))
    api.post(f"/admin/customers/{customer['id']}", json={"groups": [{"id": group["id"]}]})
    _, rows = rows_of(export(api, {"q": customer["email"][1:]}))
    assert rows[0][6] == "'" + group["name"]


@pytest.mark.parametrize("query, mentions", [
    ("limit=10", "property limit should not exist"), ("offset=0", "property offset should not exist"),
    ("cursor=abc", "property cursor should not exist"), ("expand=groups", "property expand should not exist"),
    ("fields=email", "property fields should not exist"), ("format=xlsx", "property format should not exist"),
    ("has_account=yes", "has_account"), ("order=password_hash", "order"), ("created_at[gte]=yesterday", "created_at"),
])
def test_a_bad_parameter_is_a_400_json_error_before_any_csv(api, query, mentions):
    response = api.get(f"/admin/customers/export?{query}")
    assert "text/csv" not in response.headers.get("Content-Type", "")
    assert_invalid(response, mentions=mentions)


def test_the_export_needs_authentication(api):
    assert_error(api.get("/admin/customers/export", auth=False), 401, "unauthorized", message="Unauthorized")


def run_export_command(db, *filters):
    """`clientele export customers`, its standard output as bytes (CRLF kept)."""
    return subprocess.run([BIN, "export", "customers", *filters], env={**os.environ, "DATABASE_URL": db.url},
                          capture_output=True, timeout=120, cwd=ROOT)


def test_the_command_writes_the_same_bytes_as_the_route(api, tag):
    params = {"q": tag, "has_account": "false", "order": "-email"}
    response = export(api, params)
    result = run_export_command(api.db, *(f"{k}={v}" for k, v in params.items()))
    assert result.returncode == 0, result.stderr
    assert result.stdout == response.content and len(result.stdout) > 10_000


def test_the_command_refuses_a_bad_filter_with_the_routes_message(api):
    result = run_export_command(api.db, "limit=3")
    assert result.returncode == 1 and result.stdout == b""
    assert b"property limit should not exist" in result.stderr
