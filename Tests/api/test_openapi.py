"""The OpenAPI document (scripts/openapi.py, served at GET /openapi.json) is honest: it is what the server
serves, it documents exactly the routes of the router, it is valid OpenAPI 3.1, its generated files are up to
date, and live responses validate against the schemas it gives them."""
import json
import os
import re
import subprocess
import sys

import pytest
import requests
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from openapi_spec_validator import OpenAPIV31SpecValidator, validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conftest import ROOT
from helpers_api import ADMIN_EMAIL, ADMIN_PASSWORD, auth_headers, customer_body, new_email, ulid, unique

DOCUMENT_PATH = os.path.join(ROOT, "openapi", "openapi.json")
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
DOCUMENT_URI = "urn:clientele:openapi"


@pytest.fixture(scope="module")
def document():
    with open(DOCUMENT_PATH, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture
def server(db, start_server):
    return start_server(db.url, workers=1, env={"DEBUG_ROUTES": "on"})


# --- resolving the document ---------------------------------------------------------------------------------

def escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def lookup(document, pointer):
    """The node at a local JSON pointer (`#/components/...`)."""
    assert pointer.startswith("#/"), pointer
    node = document
    for token in pointer[2:].split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def response_schema_pointer(document, path, method, status, media="application/json"):
    """The JSON pointer of the schema documented for one response, following a `$ref` to
    components/responses."""
    response = document["paths"][path][method]["responses"][str(status)]
    pointer = f"#/paths/{escape(path)}/{method}/responses/{status}"
    while "$ref" in response:
        pointer = response["$ref"]
        response = lookup(document, pointer)
    assert media in response["content"], (path, method, status, response)
    return f"{pointer}/content/{escape(media)}/schema"


def validator_for(document, pointer):
    """A JSON Schema 2020-12 validator of the schema at `pointer`, its `$ref`s resolved in the document."""
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry = Registry().with_resource(DOCUMENT_URI, resource)
    return Draft202012Validator({"$ref": DOCUMENT_URI + pointer}, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def assert_documented(document, response, path, method):
    """The response's status is documented for the operation and its JSON body validates against it."""
    responses = document["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, \
        f"{method.upper()} {path} answered an undocumented {response.status_code}: {response.text}"
    assert response.headers.get("Content-Type", "").startswith("application/json"), response.headers
    validator_for(document, response_schema_pointer(document, path, method, response.status_code)).validate(
        response.json())
    return response.json()


def operations(document):
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item
            if method in METHODS}


# --- 1. served document ----------------------------------------------------------------------------------

def test_served_document_is_the_generated_one(server, document):
    response = requests.get(server.url + "/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    assert response.headers.get("X-Request-Id")
    assert response.json() == document


# --- 2. router and document agree ------------------------------------------------------------------------

def test_every_route_is_documented_and_every_documented_route_exists(server, document):
    response = requests.get(server.url + "/debug/routes", timeout=30)
    assert response.status_code == 200, f"GET /debug/routes (DEBUG_ROUTES=on): {response.status_code} {response.text}"
    routed = set()
    for route in response.json():
        if route["path"].startswith("/debug/"):
            continue
        path = re.sub(r":([A-Za-z_][A-Za-z0-9_]*)", r"{\1}", route["path"])
        routed.add((route["method"].upper(), path))
    assert ("GET", "/admin/customers/{id}") in routed, routed
    documented = operations(document)
    assert routed - documented == set(), "routes missing from the document"
    assert documented - routed == set(), "documented routes the router does not serve"


# --- 3. valid OpenAPI 3.1 --------------------------------------------------------------------------------

def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate_spec(document, cls=OpenAPIV31SpecValidator)


def test_document_structure(document):
    """What the validator does not insist on: lower-case method keys, declared path parameters, an
    operationId each, public routes exactly the login and service routes and the admin page, errors in the error shape."""
    public = {("POST", "/admin/auth"), ("POST", "/admin/auth/token"), ("GET", "/health"), ("GET", "/ready"),
              ("GET", "/metrics"), ("GET", "/openapi.json"), ("GET", "/app"), ("GET", "/app/assets/{file}")}
    assert len(document["security"]) == 3
    operation_ids = set()
    for path, item in document["paths"].items():
        assert set(item) - {"parameters"} <= METHODS, (path, sorted(item))
        for method, op in ((m, o) for m, o in item.items() if m in METHODS):
            assert op["operationId"] not in operation_ids
            operation_ids.add(op["operationId"])
            parameters = [lookup(document, p["$ref"]) if "$ref" in p else p
                          for p in item.get("parameters", []) + op.get("parameters", [])]
            assert {p["name"] for p in parameters if p["in"] == "path"} == set(re.findall(r"{(\w+)}", path)), path
            assert (op.get("security") == []) == ((method.upper(), path) in public), (method, path)
            for status, response in op["responses"].items():
                assert "X-Request-Id" in (lookup(document, response["$ref"]) if "$ref" in response
                                          else response).get("headers", {}), (method, path, status)
                if int(status) >= 400:
                    pointer = response_schema_pointer(document, path, method, status)
                    validator_for(document, pointer)  # resolvable
            if path.startswith("/admin") and (method.upper(), path) not in public:
                assert {"401", "500", "503"} <= set(op["responses"]), (method, path)
            if "requestBody" in op:
                assert {"400", "413"} <= set(op["responses"]), (method, path)


def test_customer_schema_rejects_a_leaked_password_hash(document):
    customer = {"id": "cus_" + ulid(), "email": "a@example.com", "password_hash": "scrypt$..."}
    validator = validator_for(document, "#/components/schemas/Customer")
    with pytest.raises(ValidationError):
        validator.validate(customer)
    del customer["password_hash"]
    validator.validate(customer)


# --- 4. generated files are up to date -------------------------------------------------------------------

def test_generated_files_are_up_to_date():
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "openapi.py"), "--check"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_fails_on_a_stale_output(tmp_path):
    """--check compares against the files it would write: a stale copy makes it exit non-zero."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "openapi.py").write_text(open(os.path.join(ROOT, "scripts", "openapi.py")).read())
    (tmp_path / "Sources" / "AdminAPI").mkdir(parents=True)
    run = lambda *args: subprocess.run([sys.executable, str(scripts / "openapi.py"), *args], cwd=tmp_path,
                                       capture_output=True, text=True, timeout=60)
    assert run("--check").returncode != 0  # missing outputs
    assert run().returncode == 0
    assert run("--check").returncode == 0
    swift = tmp_path / "Sources" / "AdminAPI" / "OpenAPIDocument.swift"
    swift.write_text(swift.read_text().replace('"3.1.0"', '"3.0.0"'))
    assert run("--check").returncode != 0
    assert run().returncode == 0
    json_file = tmp_path / "openapi" / "openapi.json"
    json_file.write_text(json_file.read_text() + " ")
    assert run("--check").returncode != 0


# --- 5. live responses validate ---------------------------------------------------------------------------

def test_live_responses_validate_against_their_schemas(server, db, document):
    headers = auth_headers(server, db)
    assert headers, "no credentials: the server has no `user` command or login routes yet"

    def call(method, path, template, **kwargs):
        kwargs.setdefault("headers", headers)
        response = requests.request(method, server.url + path, timeout=60, **kwargs)
        assert "password_hash" not in response.text
        return response, template, method.lower()

    def check(status, triple):
        response, template, method = triple
        assert response.status_code == status, f"{method.upper()} {template}: {response.status_code} {response.text}"
        return assert_documented(document, response, template, method)

    created = check(201, call("POST", "/admin/customers", "/admin/customers",
                              json=customer_body(phone="+49 30 1234", metadata={"source": "test"})))
    customer_id = created["customer"]["id"]
    assert set(created["customer"]) == {
        "id", "email", "first_name", "last_name", "billing_address_id", "phone", "has_account", "metadata",
        "created_at", "updated_at", "deleted_at"}

    group = check(200, call("POST", "/admin/customer-groups", "/admin/customer-groups",
                            json={"name": unique("group-")}))["customer_group"]
    address = check(200, call("POST", f"/admin/customers/{customer_id}/addresses", "/admin/customers/{id}/addresses",
                              json={"address_1": "1 Main Street", "country_code": "DE",
                                    "is_default_billing": True}))["address"]
    check(200, call("POST", f"/admin/customers/{customer_id}", "/admin/customers/{id}",
                    json={"first_name": "Grace", "groups": [{"id": group["id"]}]}))
    full = check(200, call("GET", f"/admin/customers/{customer_id}", "/admin/customers/{id}",
                           params={"expand": "billing_address,shipping_addresses,groups"}))["customer"]
    assert full["billing_address"]["id"] == address["id"] and full["groups"][0]["id"] == group["id"]
    check(200, call("GET", "/admin/customers", "/admin/customers",
                    params={"limit": 5, "order": "-email", "fields": "email,has_account", "has_account": "true"}))
    check(200, call("GET", "/admin/customer-groups", "/admin/customer-groups", params={"expand": "customers"}))
    check(200, call("GET", f"/admin/customer-groups/{group['id']}/customers", "/admin/customer-groups/{id}/customers"))
    check(200, call("GET", f"/admin/customers/{customer_id}/addresses", "/admin/customers/{id}/addresses"))
    check(200, call("GET", "/admin/auth", "/admin/auth"))
    check(200, call("GET", "/admin/operations", "/admin/operations"))
    check(200, call("GET", f"/admin/customer-groups/{group['id']}", "/admin/customer-groups/{id}",
                    params={"expand": "customers"}))
    check(200, call("POST", f"/admin/customer-groups/{group['id']}", "/admin/customer-groups/{id}",
                    json={"metadata": {"tier": "gold"}}))
    other = check(201, call("POST", "/admin/customers", "/admin/customers", json=customer_body()))["customer"]
    batch = f"/admin/customer-groups/{group['id']}/customers/batch"
    check(200, call("POST", batch, "/admin/customer-groups/{id}/customers/batch",
                    json={"customer_ids": [{"id": other["id"]}]}))
    check(200, call("DELETE", batch, "/admin/customer-groups/{id}/customers/batch",
                    json={"customer_ids": [{"id": other["id"]}]}))
    check(404, call("POST", batch, "/admin/customer-groups/{id}/customers/batch",
                    json={"customer_ids": [{"id": "cus_" + ulid()}]}))
    check(200, call("POST", f"/admin/customers/{customer_id}/addresses/{address['id']}",
                    "/admin/customers/{id}/addresses/{address_id}", json={"city": "Berlin", "company": None}))

    session = requests.Session()
    login = session.post(server.url + "/admin/auth", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                         timeout=60)
    assert login.status_code == 200 and "clientele.sid" in session.cookies, login.text
    assert_documented(document, login, "/admin/auth", "post")
    assert_documented(document, session.delete(server.url + "/admin/auth", timeout=60), "/admin/auth", "delete")

    # errors
    check(400, call("GET", "/admin/customers", "/admin/customers", params={"limit": "1001"}))
    check(400, call("POST", "/admin/customers", "/admin/customers", json={"email": "not-an-email"}))
    check(404, call("GET", f"/admin/customers/cus_{ulid()}", "/admin/customers/{id}"))
    check(404, call("POST", f"/admin/customers/cus_{ulid()}", "/admin/customers/{id}", json={"first_name": "X"}))
    check(401, call("GET", "/admin/customers", "/admin/customers", headers={}))
    check(422, call("POST", "/admin/customers", "/admin/customers", json=customer_body(email=full["email"])))
    check(412, call("POST", f"/admin/customers/{customer_id}", "/admin/customers/{id}",
                    json={"last_name": "Hopper"}, headers={**headers, "If-Match": '"999999"'}))
    check(401, call("POST", "/admin/auth/token", "/admin/auth/token", headers={},
                    json={"email": new_email("nobody"), "password": "wrong-password"}))

    check(200, call("DELETE", f"/admin/customers/{customer_id}/addresses/{address['id']}",
                    "/admin/customers/{id}/addresses/{address_id}"))
    check(200, call("DELETE", f"/admin/customers/{customer_id}", "/admin/customers/{id}"))
    check(200, call("DELETE", f"/admin/customer-groups/{group['id']}", "/admin/customer-groups/{id}"))


def test_service_routes_match_their_documented_media_types(server, document):
    for path, media in (("/health", "text/plain"), ("/ready", "text/plain"), ("/metrics", "text/plain"),
                        ("/openapi.json", "application/json")):
        response = requests.get(server.url + path, timeout=30)
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers["Content-Type"].startswith(media), (path, response.headers)
        assert media in document["paths"][path]["get"]["responses"]["200"]["content"], path
    assert requests.get(server.url + "/health", timeout=30).text == "OK"


def test_cursor_export_and_import_responses_validate_against_their_schemas(server, db, document):
    """Issue 17's routes: a cursor page, the export's CSV, an import's 202, its reads and their errors."""
    if db.sql(f"SELECT count(*) FROM \"user\" WHERE email = '{ADMIN_EMAIL}'") == "0":
        headers = auth_headers(server, db)
    else:
        login = requests.post(server.url + "/admin/auth/token", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                              timeout=60)
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    def call(method, path, **kwargs):
        kwargs["headers"] = {**headers, **kwargs.get("headers", {})}
        return requests.request(method, server.url + path, timeout=60, **kwargs)

    for _ in range(3):
        assert call("POST", "/admin/customers", json=customer_body()).status_code == 201
    first = assert_documented(document, call("GET", "/admin/customers", params={"limit": 2}), "/admin/customers", "get")
    second = call("GET", "/admin/customers", params={"limit": 2, "cursor": first["next_cursor"]})
    assert assert_documented(document, second, "/admin/customers", "get")["offset"] == 0
    assert_documented(document, call("GET", "/admin/customers", params={"cursor": "forged"}), "/admin/customers", "get")
    exported = call("GET", "/admin/customers/export", params={"order": "email"})
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    assert "text/csv" in document["paths"]["/admin/customers/export"]["get"]["responses"]["200"]["content"]
    assert_documented(document, call("GET", "/admin/customers/export", params={"limit": 1}), "/admin/customers/export",
                      "get")
    created = assert_documented(
        document, call("POST", "/admin/customers/imports", params={"on_conflict": "update"},
                       data=b"email,first_name\r\nopenapi@example.com,Ada\r\n", headers={"Content-Type": "text/csv"}),
        "/admin/customers/imports", "post")
    assert_documented(document, call("POST", "/admin/customers/imports", data=b"email,x\r\n",
                                     headers={"Content-Type": "text/csv"}), "/admin/customers/imports", "post")
    import_id = created["import"]["id"]
    assert_documented(document, call("GET", f"/admin/customers/imports/{import_id}"), "/admin/customers/imports/{id}",
                      "get")
    assert_documented(document, call("GET", "/admin/customers/imports/cimp_missing"), "/admin/customers/imports/{id}",
                      "get")
    assert_documented(document, call("GET", "/admin/customers/imports"), "/admin/customers/imports", "get")
    report = call("GET", f"/admin/customers/imports/{import_id}/errors")
    assert report.status_code == 200 and report.text == "line,email,message\r\n"
