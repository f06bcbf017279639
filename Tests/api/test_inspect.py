"""sql/inspect: the operators' views (migration 0004) and the ready-made psql files, run with psql against a
migrated database holding known rows."""
import os
import subprocess

import pytest

from conftest import ROOT, Database

INSPECT = os.path.join(ROOT, "sql", "inspect")


@pytest.fixture(scope="module")
def data_db():
    db = Database().migrate()
    db.sql("""
        INSERT INTO customer (id, email, first_name, has_account, created_at, deleted_at) VALUES
          ('cus_01', 'a@example.com', 'A', true,  now() - interval '2 hours', NULL),
          ('cus_02', 'b@example.com', 'B', false, now() - interval '3 days',  NULL),
          ('cus_03', 'c@example.com', 'C', false, now() - interval '3 days',  now()),
          ('cus_04', 'd@example.com', 'D', false, now() - interval '40 days', NULL);
        INSERT INTO customer_group (id, name) VALUES ('cgrp_1', 'VIP'), ('cgrp_2', 'Empty');
        INSERT INTO customer_group_customers VALUES ('cgrp_1', 'cus_01'), ('cgrp_1', 'cus_02'), ('cgrp_1', 'cus_03');
        INSERT INTO address (id, customer_id, city) VALUES ('addr_1', 'cus_01', 'Berlin'), ('addr_2', 'cus_01', 'Rome');
        INSERT INTO job (kind, state, created_at) VALUES
          ('customer.created', 'available', now() - interval '10 minutes'),
          ('customer.created', 'available', now() - interval '1 minute'),
          ('customer.created', 'completed', now());
        INSERT INTO job (kind, state, attempt, attempted_by, attempted_at, lease_expires_at) VALUES
          ('customer.created', 'running', 1, 'host-a/7', now() - interval '2 minutes', now() - interval '1 minute'),
          ('customer.updated', 'running', 1, 'host-b/8', now(), now() + interval '1 minute');
        INSERT INTO job (kind, state, attempt, max_attempts, finalized_at, errors) VALUES
          ('customer.created', 'discarded', 20, 20, now(),
           '[{"at": "2026-01-01T00:00:00Z", "attempt": 19, "error": "first"},
             {"at": "2026-01-02T00:00:00Z", "attempt": 20, "error": "550 no such mailbox"}]');
        INSERT INTO email_delivery (customer_id, template, recipient, status, idempotency_key, message_id, attempts, last_error, sent_at) VALUES
          ('cus_01', 'welcome', 'a@example.com', 'sent', 'welcome/cus_01', 'm1', 1, NULL, now()),
          ('cus_02', 'welcome', 'b@example.com', 'sent', 'welcome/cus_02', 'm2', 2, 'timeout', now()),
          ('cus_04', 'welcome', 'd@example.com', 'failed', 'welcome/cus_04', 'm4', 1, '550 no such mailbox', NULL);
    """)
    yield db
    db.drop()


def run_file(db, name, app="psql"):
    """Runs sql/inspect/NAME with psql as a user would; returns (columns, rows) of its one result."""
    out = subprocess.run(
        ["psql", db.url, "-X", "-A", "-F", "\t", "-P", "footer=off", "-v", "ON_ERROR_STOP=1",
         "-f", os.path.join(INSPECT, name)],
        check=True, capture_output=True, text=True, env={**os.environ, "PGAPPNAME": app}).stdout
    lines = out.rstrip("\n").split("\n")
    return lines[0].split("\t"), [line.split("\t") for line in lines[1:]]


def test_every_inspect_file_is_tested():
    assert sorted(os.listdir(INSPECT)) == sorted(TESTED)


def test_customers_by_account(data_db):
    columns, rows = run_file(data_db, "customers.sql")
    assert columns == ["has_account", "live", "deleted", "created_last_day", "created_last_week", "newest_created_at"]
    assert [r[:5] for r in rows] == [["f", "2", "1", "0", "1"], ["t", "1", "0", "1", "1"]]


def test_customers_per_day(data_db):
    columns, rows = run_file(data_db, "customers-per-day.sql")
    assert columns == ["day", "created", "with_account", "without_account", "deleted_since"]
    # Three distinct days (2 hours ago may share a day with nothing else); newest first.
    assert sum(int(r[1]) for r in rows) == 4
    assert rows == sorted(rows, key=lambda r: r[0], reverse=True)
    three_days_ago = [r for r in rows if r[1] == "2"]
    assert [r[2:] for r in three_days_ago] == [["0", "2", "1"]]


def test_recent_customers(data_db):
    columns, rows = run_file(data_db, "recent-customers.sql")
    assert columns == ["id", "email", "first_name", "last_name", "has_account", "created_at", "groups", "addresses"]
    assert [(r[0], r[6], r[7]) for r in rows] == [("cus_01", "1", "2"), ("cus_02", "1", "0"), ("cus_04", "0", "0")]


def test_groups_with_sizes(data_db):
    columns, rows = run_file(data_db, "groups.sql")
    assert columns == ["id", "name", "members", "members_with_account", "created_at"]
    assert [r[:4] for r in rows] == [["cgrp_1", "VIP", "2", "1"], ["cgrp_2", "Empty", "0", "0"]]


def test_queue_by_kind_and_state(data_db):
    columns, rows = run_file(data_db, "queue.sql")
    assert columns == ["kind", "state", "jobs", "oldest_age", "next_run_at", "max_attempt"]
    summary = [(r[0], r[1], r[2]) for r in rows]
    assert summary == [("customer.created", "available", "2"), ("customer.created", "completed", "1"),
                       ("customer.created", "discarded", "1"), ("customer.created", "running", "1"),
                       ("customer.updated", "running", "1")]
    available = rows[0]
    hours, minutes, _ = available[3].split(":")
    assert int(hours) * 60 + int(minutes) >= 10, available  # the oldest was created 10 minutes ago
    assert available[4] != ""


def test_discarded_jobs_with_last_error(data_db):
    columns, rows = run_file(data_db, "discarded-jobs.sql")
    assert columns == ["id", "kind", "args", "attempt", "max_attempts", "finalized_at", "last_error_at", "last_error"]
    [row] = rows
    assert row[1] == "customer.created" and row[3:5] == ["20", "20"]
    assert row[6].startswith("2026-01-02") and row[7] == "550 no such mailbox"


def test_job_failures_in_any_state_with_their_last_error(data_db):
    data_db.sql("""
        INSERT INTO job (kind, state, attempt, scheduled_at, errors) VALUES
          ('customer.created', 'retryable', 2, '2030-01-01T00:00:00Z',
           '[{"at": "2026-01-03T00:00:00Z", "attempt": 2, "error": "connection refused"}]'),
          ('customer.updated', 'completed', 2, now(),
           '[{"at": "2026-01-01T00:00:00Z", "attempt": 1, "error": "database restarted"}]')""")
    try:
        columns, rows = run_file(data_db, "job-failures.sql")
    finally:
        data_db.sql("DELETE FROM job WHERE state IN ('retryable', 'completed') AND errors <> '[]'")
    assert columns == ["id", "kind", "state", "attempt", "max_attempts", "failures", "last_error_at", "next_run_at",
                       "last_error"]
    assert [(r[1], r[2], r[5], r[6][:10], r[7][:10], r[8]) for r in rows] == [
        ("customer.created", "retryable", "1", "2026-01-03", "2030-01-01", "connection refused"),
        ("customer.created", "discarded", "2", "2026-01-02", "", "550 no such mailbox"),
        ("customer.updated", "completed", "1", "2026-01-01", "", "database restarted")]


def test_email_deliveries_by_status(data_db):
    columns, rows = run_file(data_db, "email-deliveries.sql")
    assert columns == ["template", "status", "deliveries", "attempts", "first_created_at", "last_sent_at", "latest_error"]
    assert [(r[0], r[1], r[2], r[3], r[6]) for r in rows] == [
        ("welcome", "failed", "1", "1", "550 no such mailbox"), ("welcome", "sent", "2", "3", "timeout")]


def test_expired_leases(data_db):
    columns, rows = run_file(data_db, "expired-leases.sql")
    assert columns == ["id", "kind", "attempt", "attempted_by", "attempted_at", "lease_expires_at", "expired_for"]
    assert [(r[1], r[3]) for r in rows] == [("customer.created", "host-a/7")]


def test_connections_per_process(data_db):
    columns, rows = run_file(data_db, "connections.sql", app="clientele-serve/4242")
    assert columns == ["application_name", "program", "process_id", "connections", "active", "idle",
                       "idle_in_transaction", "longest_transaction", "client_addresses"]
    [ours] = [r for r in rows if r[0] == "clientele-serve/4242"]
    assert ours[1:5] == ["clientele-serve", "4242", "1", "1"]  # the psql running the query itself
    assert ours[8] == "{127.0.0.1}"


def test_views_are_read_only_and_commented(data_db):
    with pytest.raises(subprocess.CalledProcessError) as failure:
        data_db.sql("UPDATE inspect.recent_customers SET email = 'x@example.com'")
    assert "cannot update view" in failure.value.stderr
    uncommented = data_db.sql("""
        SELECT c.relname || coalesce('.' || a.attname, '')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'inspect'
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
        WHERE obj_description(c.oid, 'pg_class') IS NULL
           OR (a.attname IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL)""")
    assert uncommented == ""
    for view in ("customer_totals", "customers_per_day", "recent_customers", "customer_group_sizes", "queue",
                 "discarded_jobs", "email_deliveries", "expired_leases", "connections", "imports", "exports"):
        for statement in (f"UPDATE inspect.{view} SET {first_column(data_db, view)} = NULL",
                          f"DELETE FROM inspect.{view}"):
            with pytest.raises(subprocess.CalledProcessError):
                data_db.sql(statement)


def first_column(db, view):
    return db.sql(f"SELECT attname FROM pg_attribute WHERE attrelid = 'inspect.{view}'::regclass AND attnum = 1")


def test_imports_with_their_progress(data_db):
    data_db.sql("""
        INSERT INTO job (id, kind, state, attempt, attempted_by, errors) VALUES
          (9001, 'customer.import', 'running', 2, 'host-c/9',
           '[{"at": "2026-01-01T00:00:00Z", "attempt": 1, "error": "lease expired"}]'),
          (9002, 'customer.import', 'discarded', 10, 'host-c/9', '[]');
        INSERT INTO customer_import (id, state, on_conflict, welcome_email, columns, rows_total, rows_done, rows_created,
                                     rows_skipped, rows_failed, bytes, job_id, created_at, started_at, updated_at)
        VALUES ('cimp_run', 'running', 'skip', false, '{email}', 1000, 250, 200, 30, 20, 2048, 9001,
                now() - interval '1 minute', now() - interval '50 seconds', now() - interval '40 seconds'),
               ('cimp_gone', 'running', 'update', true, '{email}', 10, 0, 0, 0, 0, 10, 9002,
                now() - interval '2 minutes', NULL, now() - interval '2 minutes');
    """)
    columns, rows = run_file(data_db, "imports.sql")
    assert columns == ["id", "state", "rows_done", "rows_total", "percent_done", "rows_created", "rows_updated",
                       "rows_skipped", "rows_failed", "rows_per_second", "on_conflict", "size", "created_at",
                       "job_attempt", "worker", "last_job_error"]
    assert [r[:5] for r in rows] == [["cimp_run", "running", "250", "1000", "25.0"],
                                     ["cimp_gone", "failed", "0", "10", "0.0"]]
    assert rows[0][9] == "25" and rows[0][11] == "2048 bytes" and rows[0][13:] == ["2", "host-c/9", "lease expired"]


def test_exports_running_now(data_db):
    import psycopg
    with psycopg.connect(data_db.url, application_name="clientele-export/77") as exporting:
        exporting.execute("BEGIN")
        exporting.execute("SELECT 1")
        columns, rows = run_file(data_db, "exports.sql")
    assert columns == ["backend_pid", "process_id", "client_address", "started_at", "running_for", "state",
                       "waiting_for"]
    assert [r[1:3] + r[5:] for r in rows] == [["77", "127.0.0.1", "idle in transaction", "client"]]
    assert run_file(data_db, "exports.sql")[1] == []


TESTED = ["customers.sql", "customers-per-day.sql", "recent-customers.sql", "groups.sql", "queue.sql",
          "discarded-jobs.sql", "email-deliveries.sql", "expired-leases.sql", "connections.sql", "job-failures.sql",
          "imports.sql", "exports.sql"]
