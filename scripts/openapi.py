#!/usr/bin/env python3
"""The OpenAPI 3.1 document of Clientele's HTTP API (every route of API.md), kept as Python data.

    python3 scripts/openapi.py          writes openapi/openapi.json and Sources/AdminAPI/OpenAPIDocument.swift
    python3 scripts/openapi.py --check  exits 1 when either file differs from what would be written (CI)

The server serves the Swift copy at GET /openapi.json; Tests/api/test_openapi.py checks the document
against the router (every route documented, nothing documented that is not routed), against the
OpenAPI 3.1 schema, and against live responses.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JSON_PATH = os.path.join(ROOT, "openapi", "openapi.json")
SWIFT_PATH = os.path.join(ROOT, "Sources", "AdminAPI", "OpenAPIDocument.swift")


def ref(kind, name):
    return {"$ref": f"#/components/{kind}/{name}"}


def schema(name):
    return ref("schemas", name)


def nullable(type_, **extra):
    return {"type": [type_, "null"], **extra}


def page_schema(key, item, count_description=None, cursor=False):
    """The envelope of a paginated list: {key: [item], count, offset, limit}, and next_cursor for lists with
    cursor pages."""
    count = {"type": "integer", "minimum": 0}
    if count_description:
        count["description"] = count_description
    properties = {
        key: {"type": "array", "items": schema(item)},
        "count": count,
        "offset": {"type": "integer", "minimum": 0},
        "limit": {"type": "integer", "minimum": 0, "maximum": 1000},
    }
    required = [key, "count", "offset", "limit"]
    if cursor:
        properties["next_cursor"] = {
            "type": ["string", "null"], "pattern": "^[A-Za-z0-9_-]+$",
            "description": "Opaque: pass it as `cursor` with the same filters and order for the page after this "
                           "one; null on the last page and for limit=0."}
        required.append("next_cursor")
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def csv_pattern(names):
    """A comma-separated subset of `names` (spaces around names allowed, empty allowed)."""
    return r"^[ ,]*(?:(?:" + "|".join(names) + r") *(?:,[ ,]*|$))*$"


def order_pattern(names):
    return r"^-?(?:" + "|".join(names) + r")$"


ULID = r"[0-7][0-9A-HJKMNP-TV-Z]{25}"
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
TIMESTAMP = {"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN,
             "description": "ISO 8601 UTC with milliseconds, e.g. 2024-01-01T00:00:00.000Z"}
NULLABLE_TIMESTAMP = {**TIMESTAMP, "type": ["string", "null"]}
METADATA = {"type": ["object", "null"], "description": "Free-form JSON object."}

CUSTOMER_FIELDS = ["id", "email", "first_name", "last_name", "billing_address_id", "phone", "has_account",
                   "metadata", "created_at", "updated_at", "deleted_at"]
CUSTOMER_RELATIONS = ["billing_address", "shipping_addresses", "groups"]
CUSTOMER_ORDER_FIELDS = ["id", "email", "first_name", "last_name", "phone", "has_account", "created_at",
                         "updated_at"]
GROUP_ORDER_FIELDS = ["id", "name", "created_at", "updated_at"]
GROUP_FIELDS = ["id", "name", "metadata", "created_at", "updated_at", "deleted_at"]
STRING_OPERATORS = {"lt": "< this value", "gt": "> this value", "lte": "<= this value", "gte": ">= this value",
                    "contains": "contains this value (ignoring case; % and _ match themselves)",
                    "starts_with": "starts with this value (ignoring case)",
                    "ends_with": "ends with this value (ignoring case)"}
ADDRESS_TEXT_FIELDS = ["company", "first_name", "last_name", "address_1", "address_2", "city", "country_code",
                       "province", "postal_code", "phone"]
ERROR_TYPES = ["invalid_data", "unauthorized", "not_found", "not_allowed", "precondition_failed",
               "payload_too_large", "duplicate_error", "too_many_requests", "service_unavailable",
               "unknown_error"]

# --- components/schemas -----------------------------------------------------------------------------------

SCHEMAS = {
    "Error": {
        "type": "object",
        "description": "Every error body (API.md \"Errors\"). A 500 never carries internal detail.",
        "properties": {
            "type": {"type": "string", "enum": ERROR_TYPES},
            "message": {"type": "string", "minLength": 1,
                        "description": "All validation messages of one request joined with \", \"."},
            "code": {"type": "string", "enum": ["invalid_request_error", "unknown_error"]},
        },
        "required": ["type", "message"],
        "additionalProperties": False,
    },
    "Customer": {
        "type": "object",
        "description": ("A customer (API.md \"The customer object\"). Only `id` is always present: with the "
                        "`fields` query parameter the other fields may be absent. Relations are present only when "
                        "expanded (by `expand`, or by a route's default relations). `password_hash` never "
                        "appears."),
        "properties": {
            "id": {"type": "string", "pattern": f"^cus_{ULID}$"},
            "email": {"type": "string", "description": "Stored trimmed and lower case."},
            "first_name": nullable("string"),
            "last_name": nullable("string"),
            "billing_address_id": nullable("string"),
            "phone": nullable("string"),
            "has_account": {"type": "boolean"},
            "metadata": METADATA,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "deleted_at": NULLABLE_TIMESTAMP,
            "billing_address": {"anyOf": [schema("Address"), {"type": "null"}]},
            "shipping_addresses": {"type": "array", "items": schema("Address"),
                                   "description": "Non-deleted addresses, oldest first."},
            "groups": {"type": "array", "items": schema("CustomerGroup")},
        },
        "required": ["id"],
        "additionalProperties": False,
    },
    "Address": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": f"^addr_{ULID}$"},
            "customer_id": {"type": "string", "pattern": f"^cus_{ULID}$"},
            **{name: nullable("string") for name in ADDRESS_TEXT_FIELDS},
            "country_code": nullable("string", pattern="^[a-z]{2}$",
                                     description="ISO 3166-1 alpha-2, lower case."),
            "metadata": METADATA,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "deleted_at": NULLABLE_TIMESTAMP,
        },
        "required": ["id", "customer_id", *ADDRESS_TEXT_FIELDS, "metadata", "created_at", "updated_at",
                     "deleted_at"],
        "additionalProperties": False,
    },
    "CustomerGroup": {
        "type": "object",
        "description": ("A customer group. Only `id` is always present: with the `fields` query parameter the other "
                        "fields may be absent; `customers` only with `expand=customers`."),
        "properties": {
            "id": {"type": "string", "pattern": f"^cgrp_{ULID}$"},
            "name": {"type": "string"},
            "metadata": METADATA,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "deleted_at": NULLABLE_TIMESTAMP,
            "customers": {"type": "array", "items": schema("Customer"),
                          "description": "Present only with `expand=customers`."},
        },
        "required": ["id"],
        "additionalProperties": False,
    },
    "User": {
        "type": "object",
        "description": "An admin user; never the password hash or the api token.",
        "properties": {
            "id": {"type": "string", "pattern": f"^usr_{ULID}$"},
            "email": {"type": "string"},
            "first_name": nullable("string"),
            "last_name": nullable("string"),
            "role": {"type": "string"},
            "metadata": METADATA,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "deleted_at": NULLABLE_TIMESTAMP,
        },
        "required": ["id", "email", "first_name", "last_name", "role", "metadata", "created_at", "updated_at",
                     "deleted_at"],
        "additionalProperties": False,
    },
    "CustomerList": page_schema("customers", "Customer", count_description="Exact total of matching customers.",
                                cursor=True),
    "AddressList": page_schema("addresses", "Address"),
    "CustomerGroupList": page_schema("customer_groups", "CustomerGroup"),
    "CustomerImport": {
        "type": "object",
        "description": "A CSV import of customers and its progress (API.md \"Imports\"). The worker runs it in batches; "
                       "each batch commits its rows with the counters, so they are exact at every moment.",
        "properties": {
            "id": {"type": "string", "pattern": f"^cimp_{ULID}$"},
            "state": {"type": "string", "enum": ["queued", "running", "completed", "failed"]},
            **{name: {"type": "integer", "minimum": 0} for name in (
                "rows_total", "rows_done", "rows_created", "rows_updated", "rows_skipped", "rows_failed")},
            "errors": {"type": "array", "maxItems": 100,
                       "description": "The first 100 failed rows, by line (all of them: GET …/errors).",
                       "items": {"type": "object",
                                 "properties": {"line": {"type": "integer", "minimum": 1},
                                                "message": {"type": "string"}},
                                 "required": ["line", "message"], "additionalProperties": False}},
            "on_conflict": {"type": "string", "enum": ["skip", "update"]},
            "welcome_email": {"type": "boolean"},
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "completed_at": NULLABLE_TIMESTAMP,
        },
        "required": ["id", "state", "rows_total", "rows_done", "rows_created", "rows_updated", "rows_skipped",
                     "rows_failed", "errors", "on_conflict", "welcome_email", "created_at", "updated_at",
                     "completed_at"],
        "additionalProperties": False,
    },
    "CustomerImportResponse": {
        "type": "object", "properties": {"import": schema("CustomerImport")},
        "required": ["import"], "additionalProperties": False,
    },
    "CustomerImportList": page_schema("imports", "CustomerImport"),
    "CustomerResponse": {
        "type": "object", "properties": {"customer": schema("Customer")},
        "required": ["customer"], "additionalProperties": False,
    },
    "AddressResponse": {
        "type": "object", "properties": {"address": schema("Address")},
        "required": ["address"], "additionalProperties": False,
    },
    "CustomerGroupResponse": {
        "type": "object", "properties": {"customer_group": schema("CustomerGroup")},
        "required": ["customer_group"], "additionalProperties": False,
    },
    "UserResponse": {
        "type": "object", "properties": {"user": schema("User")},
        "required": ["user"], "additionalProperties": False,
    },
    "AccessToken": {
        "type": "object",
        "properties": {"access_token": {
            "type": "string", "pattern": r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$",
            "description": "A JWT (HS256) with payload {user_id, domain: \"admin\"}, expiring in 24 hours."}},
        "required": ["access_token"],
        "additionalProperties": False,
    },
    "Empty": {"type": "object", "additionalProperties": False},
    # --- request bodies ---
    "Credentials": {
        "type": "object",
        "properties": {"email": {"type": "string", "format": "email"},
                       "password": {"type": "string", "minLength": 1}},
        "required": ["email", "password"],
        "additionalProperties": False,
    },
    "CustomerCreate": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "format": "email",
                      "description": "Trimmed and lower-cased before it is stored."},
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
            "password": {"type": "string", "minLength": 8},
            "phone": nullable("string"),
            "metadata": {**METADATA, "description": "Stored as sent; `null` is the same as absent."},
        },
        "required": ["email", "first_name", "last_name", "password"],
        "additionalProperties": False,
    },
    "CustomerUpdate": {
        "type": "object",
        "description": "All fields optional. `null` for email, password or metadata is the same as absent.",
        "properties": {
            "email": {"type": ["string", "null"], "format": "email",
                      "description": "Cannot change for a customer with an account (400); the same email is "
                                     "accepted."},
            "first_name": nullable("string"),
            "last_name": nullable("string"),
            "password": {"type": ["string", "null"], "minLength": 8, "description": "Re-hashed."},
            "phone": nullable("string"),
            "metadata": {**METADATA, "description": "Merged into the stored object; a key sent with value "
                                                    "\"\" is removed."},
            "groups": {
                "type": "array",
                "description": "Replaces the membership; [] clears it; an unknown group id is a 404.",
                "items": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"],
                          "additionalProperties": False},
            },
        },
        "additionalProperties": False,
    },
    "AddressCreate": {
        "type": "object",
        "properties": {
            **{name: nullable("string") for name in ADDRESS_TEXT_FIELDS},
            "address_1": {"type": "string"},
            "country_code": {"type": "string", "pattern": "^[A-Za-z]{2}$",
                             "description": "Two letters, stored lower case."},
            "metadata": METADATA,
            "is_default_billing": {"type": ["boolean", "null"],
                                   "description": "true sets the customer's billing_address_id to this "
                                                  "address."},
        },
        "required": ["address_1", "country_code"],
        "additionalProperties": False,
    },
    "AddressUpdate": {
        "type": "object",
        "properties": {
            **{name: nullable("string") for name in ADDRESS_TEXT_FIELDS},
            "country_code": nullable("string", pattern="^[A-Za-z]{2}$",
                                     description="Two letters, stored lower case."),
            "metadata": {**METADATA, "description": "Merged into the stored object; a key sent with value "
                                                    "\"\" is removed."},
            "is_default_billing": {"type": ["boolean", "null"],
                                   "description": "true sets the customer's billing_address_id to this "
                                                  "address."},
        },
        "additionalProperties": False,
    },
    "CustomerGroupCreate": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "metadata": METADATA},
        "required": ["name"],
        "additionalProperties": False,
    },
    "CustomerGroupUpdate": {
        "type": "object",
        "properties": {"name": {"type": "string"},
                       "metadata": {**METADATA, "description": "Merged into the stored object; a key sent "
                                                               "with value null or \"\" is removed."}},
        "additionalProperties": False,
    },
    "CustomerGroupBatch": {
        "type": "object",
        "properties": {"customer_ids": {
            "type": "array", "minItems": 1,
            "items": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"],
                      "additionalProperties": False}}},
        "required": ["customer_ids"],
        "additionalProperties": False,
    },
}


def deletion(object_name):
    return {
        "type": "object",
        "properties": {"id": {"type": "string"}, "object": {"const": object_name}, "deleted": {"const": True}},
        "required": ["id", "object", "deleted"],
        "additionalProperties": False,
    }


SCHEMAS["CustomerDeleted"] = deletion("customer")
SCHEMAS["AddressDeleted"] = deletion("customer_address")
SCHEMAS["CustomerGroupDeleted"] = deletion("customer_group")

# --- components/headers -----------------------------------------------------------------------------------

HEADERS = {
    "X-Request-Id": {"description": "The request's id (the client's own when it sent a short printable one); "
                                    "every response carries it, and the log lines of the request name it.",
                     "schema": {"type": "string"}},
    "ETag": {"description": "The customer's version; changes with every committed change of the customer. "
                            "Send it back as If-Match to make an update conditional.",
             "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}},
    "Set-Cookie": {"description": "The session cookie `clientele.sid` (HttpOnly, SameSite=Lax, Secure when "
                                  "configured).", "schema": {"type": "string"}},
}

REQUEST_ID = {"X-Request-Id": ref("headers", "X-Request-Id")}


def error_response(description, type_, *, message=None, code=None, retry_after=False):
    constraint = {"properties": {"type": {"const": type_}}}
    if message is not None:
        constraint["properties"]["message"] = {"const": message}
    if code is not None:
        constraint["properties"]["code"] = {"const": code}
        constraint["required"] = ["code"]
    headers = dict(REQUEST_ID)
    if retry_after:
        headers["Retry-After"] = ref("headers", "Retry-After")
    return {
        "description": description,
        "headers": headers,
        "content": {"application/json": {"schema": {"allOf": [schema("Error"), constraint]}}},
    }


RESPONSES = {
    "BadRequest": error_response("invalid_data: a malformed body or query, an unknown key, a failed rule.",
                                 "invalid_data"),
    "Unauthorized": error_response("unauthorized: no valid credentials (or wrong email or password on login).",
                                   "unauthorized", message="Unauthorized"),
    "NotFound": error_response("not_found: the resource (or a resource named in the body) does not exist.",
                               "not_found"),
    "PreconditionFailed": error_response("precondition_failed: a stale If-Match.", "precondition_failed"),
    "PayloadTooLarge": error_response("payload_too_large: the body exceeds the configured limit.",
                                      "payload_too_large"),
    "DuplicateError": error_response("duplicate_error.", "duplicate_error", code="invalid_request_error"),
    "TooManyRequests": error_response("too_many_requests: login throttling, until the window passes.",
                                      "too_many_requests", retry_after=True),
    "ServiceUnavailable": error_response("service_unavailable: the database pool is exhausted or the database "
                                         "is down.", "service_unavailable", retry_after=True),
    "InternalError": error_response("unknown_error; the detail goes to the log with the request id.",
                                    "unknown_error", message="An unknown error occurred.", code="unknown_error"),
}

# --- components/parameters --------------------------------------------------------------------------------


def query(name, schema_, description, **extra):
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema_,
            **extra}


PARAMETERS = {
    "CustomerId": {"name": "id", "in": "path", "required": True, "description": "The customer's id (cus_...).",
                   "schema": {"type": "string"}},
    "CustomerGroupId": {"name": "id", "in": "path", "required": True,
                        "description": "The customer group's id (cgrp_...).", "schema": {"type": "string"}},
    "AddressId": {"name": "address_id", "in": "path", "required": True,
                  "description": "The address's id (addr_...).", "schema": {"type": "string"}},
    "Limit": query("limit", {"type": "integer", "minimum": 0, "maximum": 1000, "default": 50},
                   "Page size; 0 returns no rows, only count; above 1000 is a 400."),
    "Offset": query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Rows to skip."),
    "CustomerSearch": query("q", {"type": "string", "maxLength": 1000},
                            "Case-insensitive substring of email, first_name, last_name or phone (% and _ match "
                            "themselves); \"first last\" matches the full name."),
    "HasAccount": query("has_account", {"type": "boolean"}, "`true` or `false`; anything else is a 400."),
    "Groups": query("groups[]", {"type": "array", "items": {"type": "string"}},
                    "Customers in any of these group ids. Also accepted: `groups[0]=a&groups[1]=b` (Medusa's JS "
                    "client) and comma-separated ids inside one value.", style="form", explode=True),
    **{f"{field.title().replace('_', '')}{op.title()}": query(
        f"{field}[{op}]", {"type": "string", "format": "date-time"},
        f"{field} {dict(lt='<', gt='>', lte='<=', gte='>=')[op]} this ISO 8601 timestamp; several operators combine "
        "with AND.")
       for field in ("created_at", "updated_at") for op in ("lt", "gt", "lte", "gte")},
    "CustomerOrder": query("order", {"type": "string", "pattern": order_pattern(CUSTOMER_ORDER_FIELDS)},
                           "`field` or `-field` (descending), field one of " + ", ".join(CUSTOMER_ORDER_FIELDS)
                           + "; default: created_at descending, then id descending."),
    "CustomerExpand": query("expand", {"type": "string", "pattern": csv_pattern(CUSTOMER_RELATIONS)},
                            "Comma-separated subset of " + ", ".join(CUSTOMER_RELATIONS)
                            + " (replaces the route's default relations); anything else is a 400."),
    "CustomerFields": query("fields", {"type": "string", "pattern": csv_pattern(CUSTOMER_FIELDS)},
                            "Comma-separated subset of the customer's fields; `id` is always included; an unknown "
                            "field is a 400."),
    "Cursor": query("cursor", {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
                    "A `next_cursor` of this list: the page after that one, with the same filters and order (keyset "
                    "pagination, any depth at the cost of the first page). Not with `offset`; a cursor of other filters "
                    "or order, or a tampered one, is a 400 `cursor is invalid`."),
    "ImportId": {"name": "id", "in": "path", "required": True, "description": "The import's id (cimp_...).",
                 "schema": {"type": "string"}},
    "OnConflict": query("on_conflict", {"type": "string", "enum": ["skip", "update"], "default": "skip"},
                        "A row whose email belongs to a live customer: `skip` it, or `update` the customer from the "
                        "row's columns."),
    "WelcomeEmail": query("welcome_email", {"type": "boolean", "default": False},
                          "Send the welcome email to each customer the import creates."),
    "GroupSearch": query("q", {"type": "string", "maxLength": 1000}, "Case-insensitive substring of the name."),
    "GroupOrder": query("order", {"type": "string", "pattern": order_pattern(GROUP_ORDER_FIELDS)},
                        "`field` or `-field` (descending), field one of " + ", ".join(GROUP_ORDER_FIELDS) + "."),
    "GroupExpand": query("expand", {"type": "string", "enum": ["", "customers"]},
                         "`customers` includes each group's customers."),
    "GroupFields": query("fields", {"type": "string", "pattern": csv_pattern(GROUP_FIELDS)},
                         "Comma-separated subset of the group's fields; `id` is always included; an unknown "
                         "field is a 400."),
    "GroupLimit": query("limit", {"type": "integer", "minimum": 0, "maximum": 1000, "default": 10},
                        "Page size (Medusa's default, 10); 0 returns no rows, only count; above 1000 is a 400."),
    "GroupIds": query("id", {"type": "array", "items": {"type": "string"}},
                      "Groups with one of these ids: `id=a`, repeated (`id=a&id=b`), or as `id[]=a` or "
                      "`id[0]=a&id[1]=b` (Medusa's JS client).", style="form", explode=True),
    **{f"GroupId{op.title().replace('_', '')}": query(
        f"id[{op}]", {"type": "string"}, f"The group's id {meaning}; several operators combine with AND.")
       for op, meaning in STRING_OPERATORS.items()},
    "GroupNames": query("name[]", {"type": "array", "items": {"type": "string"}},
                        "Groups with one of these exact names (also `name=a`, repeated, or `name[0]=a`).",
                        style="form", explode=True),
    "DiscountConditionId": query("discount_condition_id", {"type": "string"},
                                 "Accepted as Medusa's clients send it; Clientele has no discounts, so no group "
                                 "matches."),
    "IfMatch": {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                "description": "An ETag of the customer: the update happens only if the customer is still at "
                               "that version, else 412."},
}

CUSTOMER_FILTERS = ("CustomerSearch", "HasAccount", "Groups", "CreatedAtLt", "CreatedAtGt", "CreatedAtLte",
                    "CreatedAtGte", "UpdatedAtLt", "UpdatedAtGt", "UpdatedAtLte", "UpdatedAtGte", "CustomerOrder")
CUSTOMER_LIST_PARAMETERS = [ref("parameters", name) for name in (
    "Limit", "Offset", *CUSTOMER_FILTERS, "CustomerExpand", "CustomerFields", "Cursor")]
CUSTOMER_EXPORT_PARAMETERS = [ref("parameters", name) for name in CUSTOMER_FILTERS]

# --- operations -------------------------------------------------------------------------------------------

ERRORS = {400: "BadRequest", 401: "Unauthorized", 404: "NotFound", 412: "PreconditionFailed",
          413: "PayloadTooLarge", 422: "DuplicateError", 429: "TooManyRequests", 503: "ServiceUnavailable",
          500: "InternalError"}


def json_response(description, schema_name, status=200, headers=()):
    response_headers = dict(REQUEST_ID)
    for name in headers:
        response_headers[name] = ref("headers", name)
    return {str(status): {"description": description, "headers": response_headers,
                          "content": {"application/json": {"schema": schema(schema_name)}}}}


def operation(operation_id, tag, summary, responses, *, errors=(), parameters=None, body=None, public=False,
              description=None):
    """An operation; `errors` are the error statuses beyond those every admin route has (401, 500, 503)."""
    statuses = set(errors)
    if not public:
        statuses |= {401, 500, 503}
    if body is not None:
        statuses |= {400, 413}
    all_responses = dict(responses)
    for status in sorted(statuses):
        all_responses[str(status)] = ref("responses", ERRORS[status])
    op = {"operationId": operation_id, "tags": [tag], "summary": summary, "responses": all_responses}
    if description:
        op["description"] = description
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema(body)}}}
    if public:
        op["security"] = []
    return op


def text_response(description, example=None):
    content = {"schema": {"type": "string"}}
    if example is not None:
        content["example"] = example
    return {"description": description, "headers": dict(REQUEST_ID), "content": {"text/plain": content}}


def csv_response(description, header):
    return {"description": description,
            "headers": {**REQUEST_ID,
                        "Content-Disposition": {"description": "`attachment; filename=\"…\"`",
                                                "schema": {"type": "string"}}},
            "content": {"text/csv": {"schema": {"type": "string"}, "example": header + "\r\n"}}}


def with_csv_body(op, description):
    op["requestBody"] = {"required": True, "description": description,
                         "content": {"text/csv": {"schema": {"type": "string"}}}}
    return op


CUSTOMER_SHAPE = [ref("parameters", "CustomerExpand"), ref("parameters", "CustomerFields")]

PATHS = {
    "/admin/customers": {
        "get": operation(
            "listCustomers", "Customers", "List customers", json_response("A page of customers.", "CustomerList"),
            errors=[400], parameters=CUSTOMER_LIST_PARAMETERS,
            description="Soft-deleted customers are never listed. Default order: created_at descending, then "
                        "id descending. No relations unless expanded. Pages by `offset`, or by `cursor` (the "
                        "`next_cursor` of the previous page), which costs the same at any depth and neither "
                        "repeats nor skips a row while rows are inserted or deleted between pages."),
        "post": operation(
            "createCustomer", "Customers", "Create a customer (with an account)",
            json_response("The customer, without relations.", "CustomerResponse", 201, headers=["ETag"]),
            errors=[422], body="CustomerCreate",
            description="Stored with has_account = true and the password hashed with scrypt; records a "
                        "customer.created event. A non-deleted customer with that email and an account: 422."),
    },
    "/admin/customers/export": {
        "get": operation(
            "exportCustomers", "Customers", "Export customers as CSV",
            {"200": csv_response(
                "Every customer the filters match, in their order, streamed with chunked transfer. RFC 4180 "
                "with CRLF line ends, a header row, no byte-order mark. Timestamps as in JSON; `groups` are the "
                "names in name order joined with `;` (`;` and `\\` inside a name escaped with `\\`); `metadata` "
                "is JSON; null is an empty cell, an empty string `\"\"`. A cell beginning with =, +, -, @, a tab "
                "or a carriage return is prefixed with `'` (CSV injection).",
                "id,email,first_name,last_name,phone,has_account,groups,created_at,updated_at,metadata")},
            errors=[400], parameters=CUSTOMER_EXPORT_PARAMETERS,
            description="The list's filters and order; any other parameter is a 400 like an unknown key, before "
                        "any byte of the file is sent."),
    },
    "/admin/customers/imports": {
        "post": with_csv_body(operation(
            "importCustomers", "Customer imports", "Import customers from a CSV file",
            json_response("The import, queued: the worker runs it (GET /admin/customers/imports/{id} for its "
                          "progress).", "CustomerImportResponse", 202),
            errors=[400, 413], parameters=[ref("parameters", "OnConflict"), ref("parameters", "WelcomeEmail")],
            description="A header row with columns among email (required), first_name, last_name, phone, password, "
                        "metadata (a JSON object) and groups (names joined with `;`, created when missing), in any "
                        "order. A body that is not UTF-8, a row with another number of cells than the header, or an "
                        "unknown column is a 400 naming the line (`line 4: …`), and nothing is stored. Larger than "
                        "IMPORT_MAX_BYTES (100 MiB): 413. Each row is then checked as the create route checks a body "
                        "(only email required; without a password a guest); failed rows are reported, the others "
                        "imported."),
            "The file: UTF-8 CSV (RFC 4180); a byte-order mark is skipped, empty lines are ignored."),
        "get": operation(
            "listCustomerImports", "Customer imports", "List imports, newest first",
            json_response("A page of imports.", "CustomerImportList"), errors=[400],
            parameters=[ref("parameters", "Limit"), ref("parameters", "Offset")]),
    },
    "/admin/customers/imports/{id}": {
        "parameters": [ref("parameters", "ImportId")],
        "get": operation(
            "getCustomerImport", "Customer imports", "An import and its progress",
            json_response("The import.", "CustomerImportResponse"), errors=[400, 404]),
    },
    "/admin/customers/imports/{id}/errors": {
        "parameters": [ref("parameters", "ImportId")],
        "get": operation(
            "getCustomerImportErrors", "Customer imports", "Every failed row of an import, as CSV",
            {"200": csv_response("One record per failed row, by line: its line in the file, its email cell, and "
                                 "the create route's message. Formula cells are escaped as in the export.",
                                 "line,email,message")},
            errors=[400, 404]),
    },
    "/admin/customers/{id}": {
        "parameters": [ref("parameters", "CustomerId")],
        "get": operation(
            "getCustomer", "Customers", "Retrieve a customer",
            json_response("The customer; default relations: shipping_addresses.", "CustomerResponse",
                          headers=["ETag"]),
            errors=[400, 404], parameters=CUSTOMER_SHAPE),
        "post": operation(
            "updateCustomer", "Customers", "Update a customer",
            json_response("The customer; relations as for GET.", "CustomerResponse", headers=["ETag"]),
            errors=[404, 412, 422], body="CustomerUpdate",
            parameters=[*CUSTOMER_SHAPE, ref("parameters", "IfMatch")],
            description="404 when the customer or a group named in `groups` is missing; changing the email of a "
                        "customer with an account is a 400; records a customer.updated event."),
        "delete": operation(
            "deleteCustomer", "Customers", "Soft-delete a customer",
            json_response("Deleted; the email becomes free for a new customer.", "CustomerDeleted"),
            errors=[400, 404]),
    },
    "/admin/customers/{id}/addresses": {
        "parameters": [ref("parameters", "CustomerId")],
        "get": operation(
            "listCustomerAddresses", "Addresses", "List a customer's addresses",
            json_response("A page of the customer's addresses.", "AddressList"),
            errors=[400, 404], parameters=[ref("parameters", "Limit"), ref("parameters", "Offset")]),
        "post": operation(
            "createCustomerAddress", "Addresses", "Add an address to a customer",
            json_response("The new address.", "AddressResponse"), errors=[404], body="AddressCreate"),
    },
    "/admin/customers/{id}/addresses/{address_id}": {
        "parameters": [ref("parameters", "CustomerId"), ref("parameters", "AddressId")],
        "post": operation(
            "updateCustomerAddress", "Addresses", "Update an address of a customer",
            json_response("The address.", "AddressResponse"), errors=[404], body="AddressUpdate"),
        "delete": operation(
            "deleteCustomerAddress", "Addresses", "Delete an address of a customer",
            json_response("Deleted; a billing address is unset on the customer.", "AddressDeleted"),
            errors=[400, 404]),
    },
    "/admin/customer-groups": {
        "get": operation(
            "listCustomerGroups", "Customer groups", "List customer groups",
            json_response("A page of customer groups.", "CustomerGroupList"), errors=[400],
            parameters=[ref("parameters", name) for name in (
                "GroupSearch", "GroupLimit", "Offset", "GroupOrder", "GroupIds",
                *(f"GroupId{op.title().replace('_', '')}" for op in STRING_OPERATORS), "GroupNames",
                "CreatedAtLt", "CreatedAtGt", "CreatedAtLte", "CreatedAtGte",
                "UpdatedAtLt", "UpdatedAtGt", "UpdatedAtLte", "UpdatedAtGte",
                "DiscountConditionId", "GroupExpand", "GroupFields")],
            description="Medusa v1.20's AdminGetCustomerGroupsParams. Every filter given must hold. Default "
                        "order: created_at descending, then id descending."),
        "post": operation(
            "createCustomerGroup", "Customer groups", "Create a customer group",
            json_response("The new group.", "CustomerGroupResponse"), errors=[422], body="CustomerGroupCreate",
            description="A duplicate name is a 422 with PostgreSQL's detail, as Medusa sends it: "
                        "`Key (name)=(<name>) already exists.`"),
    },
    "/admin/customer-groups/{id}": {
        "parameters": [ref("parameters", "CustomerGroupId")],
        "get": operation(
            "getCustomerGroup", "Customer groups", "Retrieve a customer group",
            json_response("The group.", "CustomerGroupResponse"), errors=[400, 404],
            parameters=[ref("parameters", "GroupExpand"), ref("parameters", "GroupFields")],
            description="A missing group: 404 `CustomerGroup with id <id> was not found`."),
        "post": operation(
            "updateCustomerGroup", "Customer groups", "Update a customer group",
            json_response("The group.", "CustomerGroupResponse"), errors=[404, 422], body="CustomerGroupUpdate",
            parameters=[ref("parameters", "GroupExpand"), ref("parameters", "GroupFields")]),
        "delete": operation(
            "deleteCustomerGroup", "Customer groups", "Delete a customer group",
            json_response("Deleted (also when no such group exists: the delete is idempotent, as Medusa's).",
                          "CustomerGroupDeleted"), errors=[400],
            description="The group's memberships go with it."),
    },
    "/admin/customer-groups/{id}/customers": {
        "parameters": [ref("parameters", "CustomerGroupId")],
        "get": operation(
            "listCustomerGroupCustomers", "Customer groups", "List the customers of a group",
            json_response("A page of the group's customers.", "CustomerList"), errors=[400],
            parameters=CUSTOMER_LIST_PARAMETERS,
            description="Same query and response as GET /admin/customers; an unknown group has no customers "
                        "(an empty page, as in Medusa)."),
    },
    "/admin/customer-groups/{id}/customers/batch": {
        "parameters": [ref("parameters", "CustomerGroupId")],
        "post": operation(
            "addCustomersToGroup", "Customer groups", "Add customers to a group",
            json_response("The group.", "CustomerGroupResponse"), errors=[404], body="CustomerGroupBatch",
            description="Adding a member again is no error. Unknown customer ids: 404 `The following customer "
                        "ids do not exist: \"<id1>, <id2>\"`, and nothing changes. An unknown group: 404."),
        "delete": operation(
            "removeCustomersFromGroup", "Customer groups", "Remove customers from a group",
            json_response("The group.", "CustomerGroupResponse"), errors=[404], body="CustomerGroupBatch",
            description="Ids that are not members (or do not exist) are ignored. An unknown group: 404."),
    },
    "/admin/auth": {
        "post": operation(
            "login", "Auth", "Log in with a session cookie",
            json_response("The user; the response sets the session cookie.", "UserResponse",
                          headers=["Set-Cookie"]),
            errors=[401, 429, 500, 503], body="Credentials", public=True,
            description="The body is validated first: a missing or empty email or password is a 400 (`email must "
                        "be an email`, `password should not be empty`) that is not counted as a failed login. "
                        "Wrong email or password: 401, the same response and about the same time either way. "
                        "Too many failed logins (per email or per client address, 15 minutes): 429."),
        "get": operation(
            "getSession", "Auth", "The authenticated user", json_response("The user.", "UserResponse"),
            errors=[400]),
        "delete": operation(
            "logout", "Auth", "End the session",
            json_response("The session is ended and the cookie cleared.", "Empty", headers=["Set-Cookie"])),
    },
    "/admin/auth/token": {
        "post": operation(
            "getToken", "Auth", "Log in for a bearer JWT", json_response("The access token.", "AccessToken"),
            errors=[401, 429, 500, 503], body="Credentials", public=True,
            description="A missing or empty email or password: 400, not counted as a failed login. Wrong email "
                        "or password: 401. Too many failed logins: 429."),
    },
    "/health": {
        "get": operation("health", "Service", "Liveness", {"200": text_response("The process serves.", "OK")},
                         public=True),
    },
    "/ready": {
        "get": operation("ready", "Service", "Readiness",
                         {"200": text_response("The database answers.")}, errors=[503], public=True),
    },
    "/metrics": {
        "get": operation("metrics", "Service", "Prometheus metrics",
                         {"200": text_response("Prometheus text format: totals of all HTTP worker processes and "
                                               "the job queue's state.")}, public=True),
    },
    "/openapi.json": {
        "get": operation("openapi", "Service", "This document",
                         {"200": {"description": "The OpenAPI 3.1 document of every route.",
                                  "headers": dict(REQUEST_ID),
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
                         public=True),
    },
}

# --- the operations route and the admin page (issue 18) -----------------------------------------------------

SCHEMAS.update({
    "OperationsOverview": {
        "type": "object",
        "description": "The inspect views (sql/inspect/) an operator reads with psql, in one read-only snapshot.",
        "properties": {
            "queue": {"type": "array", "items": schema("QueueStateCount"), "description": "inspect.queue, by kind and state."},
            "email_deliveries": {"type": "array", "items": schema("EmailDeliveryCount"),
                                 "description": "inspect.email_deliveries, by template and status."},
            "failures": {"type": "array", "items": schema("JobFailure"), "maxItems": 20,
                         "description": "inspect.job_failures: the 20 latest failed attempts, newest first."},
        },
        "required": ["queue", "email_deliveries", "failures"],
        "additionalProperties": False,
    },
    "QueueStateCount": {
        "type": "object",
        "properties": {
            "kind": {"type": "string"},
            "state": {"type": "string", "enum": ["available", "scheduled", "running", "retryable", "completed",
                                                 "discarded", "cancelled"]},
            "jobs": {"type": "integer", "minimum": 1},
            "oldest_age_seconds": {"type": "integer", "description": "Seconds since the oldest of them was enqueued."},
            "next_run_at": {**NULLABLE_TIMESTAMP, "description": "For waiting states: when the next may run."},
            "max_attempt": {"type": "integer", "minimum": 0},
        },
        "required": ["kind", "state", "jobs", "oldest_age_seconds", "next_run_at", "max_attempt"],
        "additionalProperties": False,
    },
    "EmailDeliveryCount": {
        "type": "object",
        "properties": {
            "template": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "sent", "failed"]},
            "deliveries": {"type": "integer", "minimum": 1},
            "attempts": {"type": "integer", "minimum": 0},
            "first_created_at": TIMESTAMP,
            "last_sent_at": NULLABLE_TIMESTAMP,
            "latest_error": nullable("string"),
        },
        "required": ["template", "status", "deliveries", "attempts", "first_created_at", "last_sent_at",
                     "latest_error"],
        "additionalProperties": False,
    },
    "JobFailure": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string"},
            "state": {"type": "string", "description": "The job's state now (retryable, discarded, completed, ...)."},
            "attempt": {"type": "integer", "minimum": 0},
            "max_attempts": {"type": "integer", "minimum": 1},
            "failures": {"type": "integer", "minimum": 1, "description": "Failed attempts recorded."},
            "last_error": nullable("string"),
            "last_error_at": NULLABLE_TIMESTAMP,
            "next_run_at": {**NULLABLE_TIMESTAMP, "description": "When a job that will run again may run."},
        },
        "required": ["id", "kind", "state", "attempt", "max_attempts", "failures", "last_error", "last_error_at",
                     "next_run_at"],
        "additionalProperties": False,
    },
})

HEADERS.update({
    "Cache-Control": {"description": "`no-cache` for the page (it names the current assets), `public, "
                                     "max-age=31536000, immutable` for an asset (its name changes with its content).",
                      "schema": {"type": "string"}},
    "Content-Security-Policy": {"description": "`default-src 'self'` and stricter: no inline script or style, "
                                               "Trusted Types required.", "schema": {"type": "string"}},
})

PAGE_HEADERS = {**REQUEST_ID, "Cache-Control": ref("headers", "Cache-Control"),
                "Content-Security-Policy": ref("headers", "Content-Security-Policy")}

PARAMETERS["AssetFile"] = {"name": "file", "in": "path", "required": True, "schema": {"type": "string"},
                           "description": "A hashed asset name as the page names it (`app.<16 hex digits>.js`)."}

PATHS.update({
    "/admin/operations": {
        "get": operation(
            "getOperations", "Operations", "The job queue, email deliveries and latest failures",
            json_response("Counts by kind and state, deliveries by template and status, the latest failures.",
                          "OperationsOverview"),
            errors=[400], description="Read from the inspect views; no query parameters."),
    },
    "/app": {
        "get": operation(
            "adminPage", "Admin page", "The admin page",
            {"200": {"description": "index.html of the admin page; it calls the /admin API with the session cookie.",
                     "headers": PAGE_HEADERS, "content": {"text/html": {"schema": {"type": "string"}}}}},
            public=True),
    },
    "/app/assets/{file}": {
        "parameters": [ref("parameters", "AssetFile")],
        "get": operation(
            "adminPageAsset", "Admin page", "A stylesheet, script module or icon of the admin page",
            {"200": {"description": "The file; cached for a year.", "headers": PAGE_HEADERS,
                     "content": {media: {"schema": {"type": "string"}}
                                 for media in ("text/javascript", "text/css", "image/svg+xml")}}},
            errors=[404], public=True),
    },
})

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Clientele admin API",
        "version": "1",
        "summary": "The admin customer API of Medusa v1 (the 1.20 line), with its known defects fixed.",
        "description": "The contract is API.md. Unknown body and query keys are rejected with a 400 "
                       "invalid_data. A request head over 32 KiB is answered 431 by the HTTP layer with an empty "
                       "body; a known path under another method is a 405 not_allowed and an unknown path a 404 "
                       "(`Route not found`); neither is listed per operation.",
    },
    "tags": [{"name": name} for name in ("Customers", "Customer imports", "Addresses", "Customer groups", "Auth",
                                         "Service")],
    "security": [{"cookie": []}, {"bearer": []}, {"access_token": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "cookie": {"type": "apiKey", "in": "cookie", "name": "clientele.sid",
                       "description": "The session cookie of POST /admin/auth."},
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                       "description": "The access token of POST /admin/auth/token."},
            "access_token": {"type": "apiKey", "in": "header", "name": "x-medusa-access-token",
                             "description": "The api token of an admin user."},
        },
        "schemas": SCHEMAS,
        "responses": RESPONSES,
        "parameters": PARAMETERS,
        "headers": HEADERS,
    },
}

DOCUMENT["tags"] += [{"name": "Operations"}, {"name": "Admin page"}]

# --- outputs ----------------------------------------------------------------------------------------------


def json_text():
    return json.dumps(DOCUMENT, indent=2, ensure_ascii=False) + "\n"


def swift_text():
    compact = json.dumps(DOCUMENT, separators=(",", ":"), ensure_ascii=True)
    # `#` only occurs inside JSON strings (e.g. "$ref":"#/components/..."); as \u0023 it parses the same and the
    # raw string literal never sees the sequence quote-hash.
    compact = compact.replace("#", "\\u0023")
    assert '"#' not in compact and '"""' not in compact and "\n" not in compact
    return ("// Generated by scripts/openapi.py from its description of API.md; do not edit by hand.\n"
            "enum OpenAPIDocument {\n"
            "    static let json = #\"\"\"\n"
            f"{compact}\n"
            "\"\"\"#\n"
            "}\n")


OUTPUTS = [(JSON_PATH, json_text), (SWIFT_PATH, swift_text)]


def main(argv):
    check = "--check" in argv[1:]
    unknown = [arg for arg in argv[1:] if arg != "--check"]
    if unknown:
        print(f"usage: {argv[0]} [--check]", file=sys.stderr)
        return 2
    stale = []
    for path, render in OUTPUTS:
        text = render()
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        if check:
            stale.append(os.path.relpath(path, ROOT))
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {os.path.relpath(path, ROOT)}")
    if stale:
        print("out of date (run python3 scripts/openapi.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
