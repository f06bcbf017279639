"""Hardening (issue 9), load and integrity: parallel loops without an error, concurrent creates that the
unique index decides, If-Match read-modify-write without a lost update; and, last of the run, the scan of
every response body and serve log line for the admin's secrets."""
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from helpers_api import customer_body
from helpers_hardening import LOG_PATHS, SCAN, SECRETS, figure, hardened, scan


def run_loops(count, iterations, body):
    """`count` threads each calling body(thread, i) `iterations` times; returns (errors, seconds)."""
    errors = []
    lock = threading.Lock()

    def loop(thread):
        session = requests.Session()
        for i in range(iterations):
            try:
                problem = body(session, thread, i)
            except requests.RequestException as error:
                problem = repr(error)
            if problem:
                with lock:
                    errors.append(problem)

    started = time.monotonic()
    threads = [threading.Thread(target=loop, args=(t,)) for t in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return errors, time.monotonic() - started


def test_8_loops_of_250_mixed_requests_and_8_of_500_health_have_no_error(hardened):
    server, admin, client = hardened
    ids = [client.post("/admin/customers", json=customer_body()).json()["customer"]["id"] for _ in range(8)]

    def mixed(session, thread, i):
        # Half the loops authenticate with the bearer token, half with the session cookie.
        headers = admin.headers if thread % 2 == 0 else {"Cookie": f"clientele.sid={admin.session_id}"}
        kind = i % 4
        if kind == 0:
            r = session.get(server.url + "/admin/customers?limit=20&order=-created_at", headers=headers, timeout=30)
            ok = r.status_code == 200 and len(r.json()["customers"]) <= 20
        elif kind == 1:
            r = session.get(f"{server.url}/admin/customers/{ids[thread]}", headers=headers, timeout=30)
            ok = r.status_code == 200 and r.json()["customer"]["id"] == ids[thread]
        elif kind == 2:
            r = session.post(server.url + "/admin/customers", headers=headers, timeout=30,
                             json=customer_body(email=f"loop-{uuid.uuid4().hex}@example.com"))
            ok = r.status_code == 201
        else:
            r = session.post(f"{server.url}/admin/customers/{ids[thread]}", headers=headers, timeout=30,
                             json={"last_name": f"L{i}", "metadata": {"i": i}})
            ok = r.status_code == 200 and r.json()["customer"]["last_name"] == f"L{i}"
        scan(r.content, "loop")
        return None if ok else (r.status_code, r.text[:200])

    errors, seconds = run_loops(8, 250, mixed)
    figure(f"load: 8 loops x 250 mixed requests (list, get, create, update) in {seconds:.1f} s = "
           f"{2000 / seconds:.0f} req/s, {len(errors)} errors")
    assert errors == [], errors[:10]

    def health(session, thread, i):
        r = session.get(server.url + "/health", timeout=30)
        return None if r.status_code == 200 and r.text == "OK" else (r.status_code, r.text[:100])

    errors, seconds = run_loops(8, 500, health)
    figure(f"load: 8 loops x 500 /health in {seconds:.1f} s = {4000 / seconds:.0f} req/s, {len(errors)} errors")
    assert errors == [], errors[:10]


def test_1000_concurrent_creates_over_100_emails_make_exactly_100_customers(hardened, db):
    server, admin, client = hardened
    emails = [f"race-{i}-{uuid.uuid4().hex[:6]}@example.com" for i in range(100)]
    session_local = threading.local()

    def create(n):
        if not hasattr(session_local, "session"):
            session_local.session = requests.Session()
        r = session_local.session.post(server.url + "/admin/customers", headers=admin.headers, timeout=60,
                                       json=customer_body(email=emails[n % 100]))
        scan(r.content, "race")
        return r.status_code, (r.json() if r.status_code in (201, 422) else r.text[:200])

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(create, range(1000)))
    seconds = time.monotonic() - started
    created = [payload["customer"]["id"] for status, payload in results if status == 201]
    duplicates = [payload for status, payload in results if status == 422]
    others = [(status, payload) for status, payload in results if status not in (201, 422)]
    listed = ",".join(f"'{e}'" for e in emails)
    rows = int(db.sql(f"SELECT count(*) FROM customer WHERE email IN ({listed}) AND deleted_at IS NULL"))
    jobs = int(db.sql("SELECT count(*) FROM job WHERE kind = 'customer.created' AND args->>'customer_id' IN "
                      f"(SELECT id FROM customer WHERE email IN ({listed}))"))
    figure(f"1,000 concurrent creates (32 threads) over 100 emails in {seconds:.1f} s: {len(created)} x 201, "
           f"{len(duplicates)} x 422, {len(others)} other; {rows} rows and {jobs} customer.created jobs in SQL")
    assert others == [], others[:5]
    assert len(created) == 100 and rows == 100 and jobs == 100
    assert all(d == {"type": "duplicate_error", "code": "invalid_request_error",
                     "message": "A customer with the given email already has an account. Log in instead"}
               for d in duplicates)


def test_if_match_read_modify_write_loses_no_update(hardened, db):
    """10 threads each add 1 to a metadata counter 10 times: GET (ETag), POST with If-Match, retry on 412."""
    server, admin, client = hardened
    customer = client.post("/admin/customers", json=customer_body(metadata={"counter": 0})).json()["customer"]
    url = f"{server.url}/admin/customers/{customer['id']}"
    retries = []
    lock = threading.Lock()

    def increment(session, thread, i):
        attempts = 0
        while True:
            attempts += 1
            read = session.get(url, headers=admin.headers, timeout=30)
            if read.status_code != 200:
                return ("read", read.status_code, read.text[:200])
            value = read.json()["customer"]["metadata"]["counter"]
            write = session.post(url, headers={**admin.headers, "If-Match": read.headers["ETag"]}, timeout=30,
                                 json={"metadata": {"counter": value + 1}})
            scan(write.content, "if-match")
            if write.status_code == 200:
                with lock:
                    retries.append(attempts - 1)
                return None
            if write.status_code != 412:
                return ("write", write.status_code, write.text[:200])
            if attempts > 200:
                return ("starved", attempts)

    errors, seconds = run_loops(10, 10, increment)
    final = json.loads(db.sql(f"SELECT metadata FROM customer WHERE id = '{customer['id']}'"))["counter"]
    figure(f"If-Match: 10 threads x 10 increments in {seconds:.1f} s, {sum(retries)} retries after 412, "
           f"final counter {final}")
    assert errors == [], errors[:5]
    assert final == 100


def test_no_secret_in_any_response_body_or_serve_log_line():
    """Last of the run: the admin password, its hash, the bearer token and the session id appear in no
    response body the hardening tests received and in no line of their serve (and worker) logs."""
    assert SECRETS, "no admin was set up (run with the other hardening modules)"
    kinds = {name.split(" of ")[0] for name in SECRETS}
    assert {"admin password", "password hash", "bearer token", "session id"} <= kinds, kinds
    leaks = list(SCAN["leaks"])
    lines = 0
    for path in LOG_PATHS:
        try:
            with open(path, errors="replace") as f:
                for number, line in enumerate(f, 1):
                    lines += 1
                    leaks.extend((name, f"{path}:{number}") for name, value in SECRETS.items() if value in line)
        except FileNotFoundError:
            pass
    figure(f"secrets scan: {len(SECRETS)} secrets, {SCAN['responses']} response bodies "
           f"({SCAN['bytes'] / 1e6:.1f} MB) and {lines} log lines of {len(LOG_PATHS)} logs: {len(leaks)} found")
    assert leaks == [], leaks[:10]
    assert SCAN["responses"] > 1000 and lines > 1000
