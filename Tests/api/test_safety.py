"""Safe by default (issue 15): every statement has a deadline, a request whose client left takes its
statement with it, and errors carry no row values into the logs.

Statements are held open with `GET /debug/db-sleep` (DEBUG_ROUTES), which runs `pg_sleep` on the leased or
the pipelined path; `pg_stat_activity` shows whether the backend is still running it."""
import re
import socket
import time

import pytest
import requests

from conftest import Process, base_env, free_port, wait_until
from helpers_api import auth_headers, customer_body
from smtp_sink import SmtpSink

MAIL_FROM = "Clientele Shop <shop@clientele.test>"


def sleeping_backends(db):
    """Backends of `serve` running a pg_sleep now."""
    return int(db.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                      "AND application_name LIKE 'clientele-serve/%' AND state = 'active' "
                      "AND query LIKE '%pg_sleep%'"))


@pytest.mark.parametrize("path", ["leased", "pipelined"])
def test_a_statement_past_the_deadline_is_answered_503_and_stopped_on_the_server(db, start_server, path):
    server = start_server(db.url, workers=1, env={"DEBUG_ROUTES": "on", "DB_STATEMENT_TIMEOUT": "2"})
    started = time.monotonic()
    # requests' own timeout is far above the deadline: the answer must come from the server's deadline.
    response = requests.get(server.url + "/debug/db-sleep", params={"seconds": 60, "path": path}, timeout=50)
    print(f"\n{path}: answered {response.status_code} after {time.monotonic() - started:.2f} s")
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    assert response.json()["type"] == "service_unavailable"
    assert sleeping_backends(db) == 0
    # The server goes on serving on that path.
    quick = requests.get(server.url + "/debug/db-sleep", params={"seconds": 0, "path": path}, timeout=30)
    assert quick.status_code == 200, quick.text
    assert "unhandled error" not in server.output()


def test_a_client_that_disconnects_mid_request_frees_its_connection(db, start_server):
    """One leased connection, a statement that would run two minutes, a client that leaves after a moment:
    the request's task is cancelled, the statement is cancelled on the server, and the connection is free
    for the next request at once (not after the statement, nor after DB_STATEMENT_TIMEOUT)."""
    server = start_server(db.url, workers=1, env={
        "DEBUG_ROUTES": "on", "DB_POOL_SIZE": "1", "DB_STATEMENT_TIMEOUT": "600", "DB_ACQUIRE_TIMEOUT": "2"})
    client = socket.create_connection(("127.0.0.1", server.port))
    client.sendall(b"GET /debug/db-sleep?seconds=120&path=leased HTTP/1.1\r\nHost: test\r\n\r\n")
    wait_until(lambda: sleeping_backends(db) == 1, timeout=20, what="the statement to run")
    left_at = time.monotonic()
    client.close()
    wait_until(lambda: sleeping_backends(db) == 0, timeout=20, what="the statement to be cancelled")
    print(f"\nstatement gone {time.monotonic() - left_at:.2f} s after the client left")
    # The pool's only leased connection serves the next request (a held one would make it wait 2 s, then 503).
    response = requests.get(server.url + "/debug/db-sleep", params={"seconds": 0, "path": "leased"}, timeout=30)
    assert response.status_code == 200, response.text
    wait_until(lambda: "GET /debug/db-sleep 499" in server.output(), timeout=10, what="the access log line")


def test_no_email_address_reaches_any_log_line_in_a_unique_violation_run(db, start_server, tmp_path):
    """Unique violations on both sides: the API's duplicate create (422), and an operator's extra rule that
    the worker's insert breaks ("one welcome per address": a guest and an account share an email). The
    server's detail ("Key (recipient, template)=(…@example.com, welcome) already exists") must stay out of
    every log line unless LOG_LEVEL=debug."""
    sink = SmtpSink(free_port()).start()
    workers = []

    def start_worker(level):
        env = base_env(db.url, MAIL_TRANSPORT="smtp", SMTP_URL=sink.url, MAIL_FROM=MAIL_FROM, LOG_LEVEL=level)
        worker = Process(["worker"], env, tmp_path / f"worker-{level}.log")
        workers.append(worker)
        wait_until(lambda: "worker started" in worker.output(), timeout=30, what="worker start")
        return worker

    try:
        email = f"unique-run-{free_port()}@example.com"
        db.sql("CREATE UNIQUE INDEX email_delivery_one_per_recipient ON email_delivery (recipient, template)")
        server = start_server(db.url, workers=1)
        worker = start_worker("info")
        headers = auth_headers(server, db)
        created = requests.post(server.url + "/admin/customers", json=customer_body(email=email), headers=headers,
                                timeout=30)
        assert created.status_code == 201, created.text
        again = requests.post(server.url + "/admin/customers", json=customer_body(email=email), headers=headers,
                              timeout=30)
        assert again.status_code == 422, again.text
        wait_until(lambda: len(sink.snapshot()) == 1, timeout=30, what="the account's welcome email")
        # A guest with the same email, as the storefront creates them, and its event.
        db.sql(f"""INSERT INTO customer (id, email, has_account) VALUES ('cus_guest_unique_run', '{email}', false);
                   INSERT INTO job (kind, args) VALUES ('customer.created', '{{"customer_id": "cus_guest_unique_run"}}');
                   SELECT pg_notify('clientele_jobs', '')""")
        wait_until(lambda: "email_delivery_one_per_recipient" in worker.output(), timeout=30,
                   what="the worker to log the violation")
        logs = {"serve": server.output(), "worker": worker.output()}
        assert "23505" in logs["worker"]
        for name, text in logs.items():
            leaks = [line for line in text.splitlines() if email in line or re.search(r"\(recipient, template\)=", line)]
            assert not leaks, f"{name} log carries row values: {leaks}"
        # With LOG_LEVEL=debug the detail is there for whoever asked for it (the next attempt, made due now).
        worker.stop()
        db.sql("UPDATE job SET scheduled_at = now() WHERE state = 'retryable'")
        debug = start_worker("debug")
        wait_until(lambda: email in debug.output(), timeout=60, what="the detail in a debug line")
        assert all(" DEBUG " in line for line in debug.output().splitlines() if email in line)
    finally:
        for worker in workers:
            worker.stop()
        sink.stop()
