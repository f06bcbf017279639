"""CSV imports (API.md "Imports"): POST /admin/customers/imports stores the file and answers 202, the worker runs
it in batches (each row checked as the create route checks it), progress and errors are readable, a malformed
file is refused with its line and leaves nothing, a killed worker's import finishes after a restart with no row
twice, and `clientele import customers` runs the same code."""
import contextlib
import csv
import io
import json
import os
import random
import signal
import string
import subprocess

import pytest
import requests

from conftest import BIN, ROOT, Database, Process, base_env, wait_until
from helpers_api import (ADMIN_EMAIL, ADMIN_PASSWORD, Api, api, assert_error, assert_invalid, auth_headers, body,  # noqa: F401
                         count_rows, create_customer, snapshot, sql_literal)

IMPORT_KEYS = {"id", "state", "rows_total", "rows_done", "rows_created", "rows_updated", "rows_skipped", "rows_failed",
               "errors", "on_conflict", "welcome_email", "created_at", "updated_at", "completed_at"}


@pytest.fixture(scope="module")
def worker(db, tmp_path_factory):
    """One worker for the module; PASSWORD_SCRYPT_LOG_N=10 keeps hashing imported passwords quick."""
    process = Process(["worker"], base_env(db.url, PASSWORD_SCRYPT_LOG_N=10),
                      tmp_path_factory.mktemp("import-worker") / "worker.log")
    wait_until(lambda: "worker started" in process.output(), timeout=30, what="the worker to start")
    yield process
    process.stop()


def tagged(prefix="imp"):
    return prefix + "".join(random.choices(string.ascii_lowercase + string.digits, k=8))


def upload(api, text, params=None, content_type="text/csv"):
    data = text.encode() if isinstance(text, str) else text
    return api.request("POST", "/admin/customers/imports", params=params, data=data,
                       headers={"Content-Type": content_type})


def started(api, text, params=None):
    payload = body(upload(api, text, params), 202)
    assert set(payload) == {"import"}
    imported = payload["import"]
    assert set(imported) == IMPORT_KEYS, sorted(imported)
    assert imported["id"].startswith("cimp_") and imported["state"] == "queued"
    assert imported["rows_done"] == 0 and imported["completed_at"] is None
    return imported


def finished(api, imported, timeout=120):
    def done():
        current = body(api.get(f"/admin/customers/imports/{imported['id']}"), 200)["import"]
        return current if current["state"] in ("completed", "failed") else None
    return wait_until(done, timeout=timeout, interval=0.1, what=f"import {imported['id']} to finish")


def customers(db, tag):
    rows = db.sql(f"""SELECT json_agg(json_build_object('email', email, 'first_name', first_name, 'last_name', last_name,
                                       'phone', phone, 'has_account', has_account, 'metadata', metadata,
                                       'hash', password_hash, 'id', id) ORDER BY email)
                      FROM customer WHERE email LIKE '%{tag}%' AND deleted_at IS NULL""")
    return json.loads(rows) if rows else []


def groups_of(db, customer_id):
    return set(db.sql("SELECT g.name FROM customer_group_customers m JOIN customer_group g ON g.id = m.customer_group_id "
                      f"WHERE m.customer_id = {sql_literal(customer_id)}").split("\n"))


# --- a good file ---------------------------------------------------------------------------------------------

def test_a_good_file_creates_its_customers_with_groups_and_no_welcome_email(api, worker):
    tag = tagged()
    text = ("email,first_name,last_name,phone,password,metadata,groups\r\n"
            f"  Ada.{tag}@Example.COM ,Ada,Lovelace,+44 20 1234,correct-horse-1,\"{{\"\"tier\"\": \"\"gold\"\"}}\",{tag} VIP;{tag} a\\;b\r\n"
            f"grace.{tag}@example.com,Grace,,,,,{tag} VIP\r\n"
            f"\"multi.{tag}@example.com\",\"Two\r\nLines\",Name,,,,\r\n")
    imported = started(api, text)
    assert imported["rows_total"] == 3 and imported["on_conflict"] == "skip" and imported["welcome_email"] is False
    done = finished(api, imported)
    assert done["state"] == "completed" and done["completed_at"] is not None
    assert (done["rows_done"], done["rows_created"], done["rows_failed"], done["errors"]) == (3, 3, 0, [])
    by_email = {c["email"]: c for c in customers(api.db, tag)}
    ada = by_email[f"ada.{tag}@example.com"]
    assert (ada["first_name"], ada["last_name"], ada["phone"], ada["has_account"]) == ("Ada", "Lovelace", "+44 20 1234", True)
    assert ada["metadata"] == {"tier": "gold"} and ada["hash"].startswith("$scrypt$")
    grace = by_email[f"grace.{tag}@example.com"]
    assert grace["last_name"] is None and grace["has_account"] is False and grace["hash"] is None
    assert by_email[f"multi.{tag}@example.com"]["first_name"] == "Two\r\nLines"
    assert groups_of(api.db, ada["id"]) == {f"{tag} a;b", f"{tag} VIP"}
    assert groups_of(api.db, grace["id"]) == {f"{tag} VIP"}
    ids = ", ".join(sql_literal(c["id"]) for c in by_email.values())
    assert count_rows(api.db, "job", f"kind = 'customer.created' AND args->>'customer_id' IN ({ids})") == 0
    assert count_rows(api.db, "customer_import_chunk", f"import_id = {sql_literal(done['id'])}") == 0


def test_welcome_email_true_records_the_welcome_for_each_created_customer(api, worker):
    tag = tagged()
    create_customer(api, email=f"old.{tag}@example.com")
    done = finished(api, started(api, f"email\r\nnew1.{tag}@example.com\r\nnew2.{tag}@example.com\r\nold.{tag}@example.com\r\n",
                                 {"welcome_email": "true"}))
    assert (done["rows_created"], done["rows_skipped"], done["welcome_email"]) == (2, 1, True)
    created = [c["id"] for c in customers(api.db, tag) if c["email"].startswith("new")]
    ids = ", ".join(sql_literal(i) for i in created)
    assert count_rows(api.db, "job", f"kind = 'customer.created' AND args->>'customer_id' IN ({ids})") == 2


def test_an_exported_file_imports_back_unchanged(api, worker):
    """The export's formula guard and group escaping come off on import: export, keep the importable columns,
    import with on_conflict=update, and every field is as it was."""
    tag = tagged()
    for index, (first, phone) in enumerate([("=Eve", "+1 555 0100"), ("Plain", "-42"), (None, None)]):
        create_customer(api, email=f"rt{index}.{tag}@example.com", first_name=first or "x", phone=phone,
                        metadata={"i": index})
    before = customers(api.db, tag)
    exported = api.get("/admin/customers/export", params={"q": tag}).content.decode()
    records = list(csv.reader(io.StringIO(exported, newline="")))
    keep = ["email", "first_name", "last_name", "phone", "metadata", "groups"]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for record in records:
        writer.writerow([record[records[0].index(name)] for name in keep])
    done = finished(api, started(api, out.getvalue(), {"on_conflict": "update"}))
    assert (done["rows_updated"], done["rows_failed"]) == (3, 0), done
    after = customers(api.db, tag)
    assert [{k: v for k, v in c.items()} for c in after] == before


# --- bad rows ------------------------------------------------------------------------------------------------

def test_bad_rows_are_reported_with_their_line_and_the_create_routes_message_and_good_rows_are_kept(api, worker):
    tag = tagged()
    text = ("email,first_name,password,metadata,groups\r\n"      # line 1
            f"ok1.{tag}@example.com,A,,,\r\n"                     # 2
            "not-an-email,B,,,\r\n"                               # 3
            f"short.{tag}@example.com,C,1234567,,\r\n"            # 4
            "\r\n"                                                # 5: empty, skipped
            f"\"meta.{tag}@example.com\",\"multi\r\nline\",,[1],\r\n"  # 6-7
            f"both.{tag}@example.com,D,short,\"{{\"\"n\"\": 1e999999}}\",\r\n"  # 8
            ",E,,,\r\n"                                           # 9
            f"ok2.{tag}@example.com,F,,,{'G' * 256}\r\n"          # 10
            f"ok3.{tag}@example.com,H,long-enough,,\r\n")         # 11
    done = finished(api, started(api, text))
    assert (done["rows_total"], done["rows_done"], done["rows_created"], done["rows_failed"]) == (8, 8, 2, 6)
    assert done["errors"] == [
        {"line": 3, "message": "email must be an email"},
        {"line": 4, "message": "password must be longer than or equal to 8 characters"},
        {"line": 6, "message": "metadata must be an object"},
        {"line": 8, "message": "password must be longer than or equal to 8 characters, "
                               "metadata must not contain numbers out of range"},
        {"line": 9, "message": "email must be an email"},
        {"line": 10, "message": "groups must be names shorter than or equal to 255 characters"},
    ]
    kept = sorted(c["email"] for c in customers(api.db, tag))
    assert kept == [f"ok1.{tag}@example.com", f"ok3.{tag}@example.com"]
    report = api.get(f"/admin/customers/imports/{done['id']}/errors")
    assert report.status_code == 200 and report.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(report.content.decode(), newline="")))
    assert rows[0] == ["line", "email", "message"]
    assert [(int(r[0]), r[1]) for r in rows[1:]] == [
        (3, "not-an-email"), (4, f"short.{tag}@example.com"), (6, f"meta.{tag}@example.com"),
        (8, f"both.{tag}@example.com"), (9, ""), (10, f"ok2.{tag}@example.com")]


def test_the_errors_show_the_first_100_and_the_report_has_every_one(api, worker):
    lines = ["email"] + [f"bad-{index}" for index in range(150)] + [f"good.{tagged()}@example.com"]
    done = finished(api, started(api, "\r\n".join(lines) + "\r\n"))
    assert done["rows_failed"] == 150 and done["rows_created"] == 1
    assert [e["line"] for e in done["errors"]] == list(range(2, 102))
    rows = api.get(f"/admin/customers/imports/{done['id']}/errors").content.decode().split("\r\n")
    assert len([r for r in rows if r]) == 151
    assert rows[150] == "151,bad-149,email must be an email"


# --- malformed files: 400 naming the line, nothing stored ----------------------------------------------------

MALFORMED = [
    (b"email,first_name\r\na@example.com,A\r\nb@example.com\r\n", "line 3: the row has 1 cells, the header has 2"),
    (b"email,first_name\r\na@example.com,A,extra\r\n", "line 2: the row has 3 cells, the header has 2"),
    (b"email,nickname\r\na@example.com,A\r\n", 'line 1: unknown column "nickname"'),
    (b"first_name\r\nA\r\n", "line 1: the column email is required"),
    (b"email,email\r\na@example.com,b@example.com\r\n", "line 1: the column email appears twice"),
    (b"email\r\na@example.com\r\nb\xff@example.com\r\n", "line 3: the file is not valid UTF-8"),
    ("email\r\n\u00e9@example.com\r\n".encode("utf-16-le"), "line 1:"),
    (b"email,first_name\r\na@example.com,\"open\r\nb@example.com,B\r\n", "line 2: a quoted cell is never closed"),
    (b"email,first_name\r\na@example.com,\"closed\"junk\r\n", "line 2: unexpected text after a closing quote"),
    (b"", "line 1: the file is empty; a header row is required"),
]


@pytest.mark.parametrize("data, message", MALFORMED, ids=[
    "short-row", "long-row", "unknown-column", "no-email-column", "duplicate-column", "not-utf8", "utf16",
    "unclosed-quote", "text-after-quote", "empty"])
def test_a_malformed_file_is_400_naming_its_line_and_stores_nothing(api, worker, data, message):
    before = snapshot(api.db), api.db.sql("SELECT count(*) FROM customer_import"), \
        api.db.sql("SELECT count(*) FROM customer_import_chunk")
    response = upload(api, data)
    payload = assert_invalid(response)
    assert payload["message"].startswith(message), payload
    after = snapshot(api.db), api.db.sql("SELECT count(*) FROM customer_import"), \
        api.db.sql("SELECT count(*) FROM customer_import_chunk")
    assert after == before


def test_a_bad_line_far_into_a_large_file_stores_nothing_either(api, worker):
    """The file is stored in chunks as it arrives, in one transaction: a malformed line after several
    chunks were written rolls them all back."""
    rows = [f"bulk{index}.{tagged()}@example.com,{'x' * 200}" for index in range(12_000)]
    data = ("email,first_name\r\n" + "\r\n".join(rows) + "\r\nbroken\r\n").encode()
    assert len(data) > 2 * 1024 * 1024
    before = api.db.sql("SELECT count(*) FROM customer_import"), api.db.sql("SELECT count(*) FROM customer")
    assert_invalid(upload(api, data), message="line 12002: the row has 1 cells, the header has 2")
    assert (api.db.sql("SELECT count(*) FROM customer_import"), api.db.sql("SELECT count(*) FROM customer")) == before
    assert api.db.sql("SELECT count(*) FROM customer_import_chunk WHERE import_id NOT IN "
                      "(SELECT id FROM customer_import)") == "0"


@pytest.mark.parametrize("query, mentions", [
    ("on_conflict=replace", "on_conflict must be one of skip, update"),
    ("welcome_email=yes", "welcome_email must be a boolean value"),
    ("limit=3", "property limit should not exist"),
])
def test_bad_parameters_are_400(api, query, mentions):
    assert_invalid(api.request("POST", f"/admin/customers/imports?{query}", data=b"email\r\na@example.com\r\n",
                               headers={"Content-Type": "text/csv"}), mentions=mentions)


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_declared_csv_is_400(api, content_type):
    assert_invalid(upload(api, "email\r\na@example.com\r\n", content_type=content_type), mentions="text/csv")


def login(server):
    response = requests.post(server.url + "/admin/auth/token", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                             timeout=60)
    return {"Authorization": f"Bearer {body(response, 200)['access_token']}"}


def test_a_file_over_import_max_bytes_is_413_and_stores_nothing(api, db, start_server):
    server = start_server(db.url, workers=1, env={"IMPORT_MAX_BYTES": "2000", "MAX_BODY_SIZE": "100"})
    headers = {**login(server), "Content-Type": "text/csv"}
    small = b"email\r\n" + b"".join(b"s%d@example.com\r\n" % i for i in range(50))
    assert len(small) < 2000 < len(small) * 3
    before = db.sql("SELECT count(*) FROM customer_import")
    accepted = requests.post(server.url + "/admin/customers/imports", data=small, headers=headers, timeout=60)
    assert accepted.status_code == 202, "the route's own limit replaces MAX_BODY_SIZE"
    big = small * 3
    too_large = requests.post(server.url + "/admin/customers/imports", data=big, headers=headers, timeout=60)
    assert_error(too_large, 413, "payload_too_large")
    chunked = requests.post(server.url + "/admin/customers/imports", data=iter([big[:1500], big[1500:]]),
                            headers=headers, timeout=60)
    assert_error(chunked, 413, "payload_too_large")
    assert int(db.sql("SELECT count(*) FROM customer_import")) == int(before) + 1


# --- duplicates ----------------------------------------------------------------------------------------------

def test_duplicate_emails_are_skipped_with_on_conflict_skip(api, worker):
    tag = tagged()
    existing = create_customer(api, email=f"taken.{tag}@example.com", first_name="Old", phone="+1 1")
    text = (f"email,first_name,phone\r\nTAKEN.{tag}@example.com,New,+2 2\r\nfresh.{tag}@example.com,First,\r\n"
            f"Fresh.{tag}@Example.com,Second,+3 3\r\n")
    done = finished(api, started(api, text))
    assert (done["rows_created"], done["rows_skipped"], done["rows_updated"]) == (1, 2, 0)
    by_email = {c["email"]: c for c in customers(api.db, tag)}
    assert len(by_email) == 2
    taken = by_email[f"taken.{tag}@example.com"]
    assert (taken["id"], taken["first_name"], taken["phone"]) == (existing["id"], "Old", "+1 1")
    assert by_email[f"fresh.{tag}@example.com"]["first_name"] == "First"


def test_duplicate_emails_update_the_customer_with_on_conflict_update(api, worker):
    tag = tagged()
    existing = create_customer(api, email=f"taken.{tag}@example.com", first_name="Old", last_name="Keep",
                               phone="+1 1", metadata={"a": 1, "b": 2})
    guest = f"guest.{tag}@example.com"
    api.db.sql(f"INSERT INTO customer (id, email, first_name) VALUES ('cus_g{tag}', '{guest}', 'Guest')")
    text = ("email,first_name,phone,password,metadata\r\n"
            f"taken.{tag}@example.com,New,,,\"{{\"\"b\"\": \"\"\"\", \"\"c\"\": 3}}\"\r\n"
            f"fresh.{tag}@example.com,First,,,\r\n"
            f"FRESH.{tag}@example.com,Second,+3 3,,\r\n"
            f"{guest},Registered,,long-password,\r\n")
    done = finished(api, started(api, text, {"on_conflict": "update"}))
    assert (done["rows_created"], done["rows_updated"], done["rows_skipped"], done["on_conflict"]) == (1, 3, 0, "update")
    by_email = {c["email"]: c for c in customers(api.db, tag)}
    assert len(by_email) == 3
    taken = by_email[f"taken.{tag}@example.com"]
    # Columns of the file are set (an empty cell to NULL), others kept; metadata merges as the update route's.
    assert (taken["id"], taken["first_name"], taken["last_name"], taken["phone"]) == (existing["id"], "New", "Keep", None)
    assert taken["metadata"] == {"a": 1, "c": 3} and taken["has_account"] is True
    fresh = by_email[f"fresh.{tag}@example.com"]
    assert (fresh["first_name"], fresh["phone"]) == ("Second", "+3 3")
    registered = by_email[guest]
    assert (registered["id"], registered["first_name"], registered["has_account"]) == (f"cus_g{tag}", "Registered", True)
    assert registered["hash"].startswith("$scrypt$")


# --- a worker killed mid-import ------------------------------------------------------------------------------

@contextlib.contextmanager
def own_database_import(start_server, prefix, total):
    """An import of `total` new customers (a password on every tenth) on a database of its own, so that no
    other test's worker takes its job; yields the API client, the database, the tag and the started import."""
    db = Database().migrate()
    try:
        server = start_server(db.url, workers=1)
        client = Api(server, db, auth_headers(server, db))
        tag = tagged(prefix)
        lines = ["email,first_name,password"] + [
            f"{prefix[0]}{index:05d}.{tag}@example.com,N{index}," + ("password-%05d" % index if index % 10 == 0 else "")
            for index in range(total)]
        yield client, db, tag, started(client, "\r\n".join(lines) + "\r\n")
    finally:
        db.drop()


def assert_each_row_once(db, tag, total):
    assert int(db.sql(f"SELECT count(*) FROM customer WHERE email LIKE '%.{tag}@example.com'")) == total
    assert db.sql(f"SELECT count(*) FROM (SELECT email FROM customer WHERE email LIKE '%.{tag}@example.com' "
                  "GROUP BY email HAVING count(*) > 1) AS twice") == "0"


def test_a_worker_killed_mid_import_finishes_after_a_restart_and_writes_no_row_twice(start_server, tmp_path):
    """Small batches, so that the kill lands mid-way."""
    total = 4000
    with own_database_import(start_server, "kill", total) as (client, db, tag, imported):
        env = base_env(db.url, PASSWORD_SCRYPT_LOG_N=10, IMPORT_BATCH_SIZE=25)
        first = Process(["worker"], env, tmp_path / "first.log")

        def progress():
            return body(client.get(f"/admin/customers/imports/{imported['id']}"), 200)["import"]["rows_done"]
        wait_until(lambda: progress() > 0, timeout=60, interval=0.02, what="the first batch")
        os.kill(first.pid, signal.SIGKILL)
        first.stop()
        at_kill = progress()
        assert 0 < at_kill < total, f"the import must be caught mid-way (rows_done {at_kill})"
        print(f"\nkilled with {at_kill} of {total} rows done")
        second = Process(["worker"], env, tmp_path / "second.log")
        try:
            # The killed worker's lease runs out (30 s) and the rescuer (every 15 s) returns the job.
            done = finished(client, imported, timeout=180)
        finally:
            second.stop()
        assert done["state"] == "completed"
        assert (done["rows_done"], done["rows_created"], done["rows_failed"], done["rows_skipped"]) == (total, total, 0, 0)
        assert_each_row_once(db, tag, total)
        assert int(db.sql("SELECT attempt FROM job WHERE id = (SELECT job_id FROM customer_import "
                          f"WHERE id = {sql_literal(imported['id'])})")) == 2


def test_a_long_import_goes_on_in_fresh_jobs_within_its_time_limit(start_server, tmp_path):
    """IMPORT_ATTEMPT_SECONDS=1: each attempt imports for a second, then hands the rest to a new job (in the
    transaction that points the import at it). The import completes through a chain of first attempts, with
    no failed attempt, no backoff, and no row twice."""
    total = 3000
    with own_database_import(start_server, "chain", total) as (client, db, tag, imported):
        worker = Process(["worker"], base_env(db.url, PASSWORD_SCRYPT_LOG_N=10, IMPORT_BATCH_SIZE=20,
                                              IMPORT_ATTEMPT_SECONDS=1), tmp_path / "worker.log")
        try:
            done = finished(client, imported, timeout=300)
        finally:
            worker.stop()
        assert (done["state"], done["rows_created"], done["rows_failed"]) == ("completed", total, 0)
        assert_each_row_once(db, tag, total)
        jobs = db.sql("SELECT id, state, attempt, errors FROM job WHERE unique_key = "
                      f"{sql_literal('customer.import/' + imported['id'])} ORDER BY id").split("\n")
        assert len(jobs) >= 2, jobs
        assert all(line.split("|")[1:] == ["completed", "1", "[]"] for line in jobs), jobs
        assert db.sql(f"SELECT job_id FROM customer_import WHERE id = {sql_literal(imported['id'])}") == \
            jobs[-1].split("|")[0]
        print(f"\n{total} rows through {len(jobs)} jobs")


# --- reading imports -----------------------------------------------------------------------------------------

def test_imports_are_listed_newest_first_with_limit_and_offset(api, worker):
    first = started(api, f"email\r\nlist1.{tagged()}@example.com\r\n")
    second = started(api, f"email\r\nlist2.{tagged()}@example.com\r\n")
    listed = body(api.get("/admin/customers/imports", params={"limit": 2}), 200)
    assert set(listed) == {"imports", "count", "offset", "limit"}
    assert [i["id"] for i in listed["imports"]] == [second["id"], first["id"]]
    assert listed["count"] == int(api.db.sql("SELECT count(*) FROM customer_import"))
    assert all(set(i) == IMPORT_KEYS for i in listed["imports"])
    offset = body(api.get("/admin/customers/imports", params={"limit": 1, "offset": 1}), 200)
    assert [i["id"] for i in offset["imports"]] == [first["id"]]
    assert_invalid(api.get("/admin/customers/imports", params={"order": "id"}), mentions="property order should not exist")


def test_an_unknown_import_is_404(api):
    missing = "cimp_01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert_error(api.get(f"/admin/customers/imports/{missing}"), 404, "not_found",
                 message=f"Import with id: {missing} was not found")
    assert_error(api.get(f"/admin/customers/imports/{missing}/errors"), 404, "not_found")


def test_imports_need_authentication(api):
    assert_error(api.request("POST", "/admin/customers/imports", data=b"email\r\n", auth=False,
                             headers={"Content-Type": "text/csv"}), 401, "unauthorized")
    assert_error(api.get("/admin/customers/imports", auth=False), 401, "unauthorized")


# --- the command ---------------------------------------------------------------------------------------------

def run_import_command(db, path, *args, env=None):
    return subprocess.run([BIN, "import", "customers", str(path), *args],
                          env={**os.environ, "DATABASE_URL": db.url, "PASSWORD_SCRYPT_LOG_N": "10", **(env or {})},
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_the_command_imports_a_file_with_progress_through_the_same_code(api, db, tmp_path):
    tag = tagged("cli")
    create_customer(api, email=f"c0001.{tag}@example.com", first_name="Before")
    path = tmp_path / "customers.csv"
    path.write_text("email,first_name\r\n" + "".join(f"c{i:04d}.{tag}@example.com,N{i}\r\n" for i in range(1, 1201))
                    + "not-an-email,X\r\n")
    result = run_import_command(db, path, "--on-conflict", "update", "--batch-size", "200")
    assert result.returncode == 0, result.stderr
    assert "1199 created, 1 updated, 0 skipped, 1 failed of 1201 rows" in result.stdout
    assert "line 1202: email must be an email" in result.stdout
    assert "rows" in result.stderr and "100%" in result.stderr, "the progress report"
    imported = body(api.get("/admin/customers/imports", params={"limit": 1}), 200)["imports"][0]
    assert (imported["state"], imported["rows_created"], imported["on_conflict"]) == ("completed", 1199, "update")
    assert db.sql(f"SELECT first_name FROM customer WHERE email = 'c0001.{tag}@example.com'") == "N1"
    assert db.sql(f"SELECT state FROM job WHERE id = (SELECT job_id FROM customer_import WHERE id = '{imported['id']}')") \
        == "completed"


def test_the_command_refuses_a_malformed_file_with_its_line_and_stores_nothing(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"email,first_name\r\na@example.com,A\r\nb@example.com\r\n")
    before = db.sql("SELECT count(*) FROM customer_import")
    result = run_import_command(db, path)
    assert result.returncode == 1
    assert "line 3: the row has 1 cells, the header has 2" in result.stderr
    assert db.sql("SELECT count(*) FROM customer_import") == before
