"""GET /admin/operations: the job queue by kind and state, the email deliveries, and the latest failed
attempts with their errors, read from the inspect views (migrations 0004 and 0009)."""
import pytest

from conftest import Database, Server
from helpers_api import Api, assert_error, auth_headers, body

JOBS = """
    INSERT INTO job (kind, state, created_at, scheduled_at) VALUES
      ('customer.created', 'available', now() - interval '10 minutes', now() - interval '10 minutes'),
      ('customer.created', 'available', now() - interval '1 minute', now() - interval '1 minute'),
      ('customer.created', 'completed', now(), now());
    INSERT INTO job (kind, state, attempt, max_attempts, finalized_at, errors) VALUES
      ('customer.created', 'discarded', 20, 20, now(),
       '[{"at": "2026-01-01T00:00:00Z", "attempt": 19, "error": "first"},
         {"at": "2026-01-02T00:00:00Z", "attempt": 20, "error": "550 5.1.1 <x@example.com>: no such mailbox"}]'),
      ('customer.updated', 'completed', 2, 20, now(),
       '[{"at": "2026-01-03T00:00:00Z", "attempt": 1, "error": "database restarted"}]');
    INSERT INTO job (kind, state, attempt, scheduled_at, errors) VALUES
      ('customer.created', 'retryable', 3, '2030-01-01T00:00:00Z',
       '[{"at": "2026-01-04T00:00:00Z", "attempt": 3, "error": "SMTP: connection refused <script>x</script>"}]');
    INSERT INTO email_delivery (customer_id, template, recipient, status, idempotency_key, message_id, attempts,
                                last_error, created_at, sent_at) VALUES
      ('cus_01', 'welcome', 'a@example.com', 'sent', 'welcome/cus_01', 'm1', 1, NULL, '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z'),
      ('cus_02', 'welcome', 'b@example.com', 'sent', 'welcome/cus_02', 'm2', 2, 'timeout', '2026-01-02T00:00:00Z', '2026-01-02T00:00:05Z'),
      ('cus_04', 'welcome', 'd@example.com', 'failed', 'welcome/cus_04', 'm4', 1, '550 no such mailbox', '2026-01-03T00:00:00Z', NULL);
"""


@pytest.fixture(scope="module")
def operations(tmp_path_factory):
    database = Database().migrate()
    server = Server(database.url, tmp_path_factory.mktemp("operations-serve"), workers=1)
    try:
        yield Api(server, database, auth_headers(server, database))
    finally:
        server.stop()
        database.drop()


def test_an_empty_queue_is_three_empty_lists(operations):
    assert body(operations.get("/admin/operations"), 200) == {"queue": [], "email_deliveries": [], "failures": []}


def test_counts_by_kind_and_state_deliveries_and_the_latest_failures(operations):
    operations.db.sql(JOBS)
    response = operations.get("/admin/operations")
    overview = body(response, 200)
    assert response.headers["Cache-Control"] == "no-store"
    assert [(row["kind"], row["state"], row["jobs"]) for row in overview["queue"]] == [
        ("customer.created", "available", 2), ("customer.created", "completed", 1),
        ("customer.created", "discarded", 1), ("customer.created", "retryable", 1),
        ("customer.updated", "completed", 1)]
    available = overview["queue"][0]
    assert set(available) == {"kind", "state", "jobs", "oldest_age_seconds", "next_run_at", "max_attempt"}
    assert 590 <= available["oldest_age_seconds"] < 3600, available  # the oldest was enqueued 10 minutes ago
    assert available["next_run_at"] is not None and overview["queue"][1]["next_run_at"] is None

    assert overview["email_deliveries"] == [
        {"template": "welcome", "status": "failed", "deliveries": 1, "attempts": 1,
         "first_created_at": "2026-01-03T00:00:00.000Z", "last_sent_at": None, "latest_error": "550 no such mailbox"},
        {"template": "welcome", "status": "sent", "deliveries": 2, "attempts": 3,
         "first_created_at": "2026-01-01T00:00:00.000Z", "last_sent_at": "2026-01-02T00:00:05.000Z",
         "latest_error": "timeout"}]

    # Every job with a failed attempt, whatever its state now, newest failure first, with its last error.
    failures = overview["failures"]
    assert [(f["kind"], f["state"], f["attempt"], f["failures"], f["last_error"], f["last_error_at"], f["next_run_at"])
            for f in failures] == [
        ("customer.created", "retryable", 3, 1, "SMTP: connection refused <script>x</script>",
         "2026-01-04T00:00:00.000Z", "2030-01-01T00:00:00.000Z"),
        ("customer.updated", "completed", 2, 1, "database restarted", "2026-01-03T00:00:00.000Z", None),
        ("customer.created", "discarded", 20, 2, "550 5.1.1 <x@example.com>: no such mailbox",
         "2026-01-02T00:00:00.000Z", None)]
    assert all(isinstance(f["id"], int) and f["max_attempts"] == 20 for f in failures)


def test_at_most_the_twenty_latest_failures(operations):
    operations.db.sql("""
        INSERT INTO job (kind, state, attempt, errors)
        SELECT 'noop', 'retryable', 1,
               jsonb_build_array(jsonb_build_object('at', '2027-01-01T00:00:00Z'::timestamptz + i * interval '1 hour',
                                                    'attempt', 1, 'error', 'failure ' || i))
        FROM generate_series(1, 30) AS i""")
    failures = body(operations.get("/admin/operations"), 200)["failures"]
    assert [f["last_error"] for f in failures] == [f"failure {i}" for i in range(30, 10, -1)]


def test_needs_an_admin_and_takes_no_parameters(operations):
    assert_error(operations.get("/admin/operations", auth=False), 401, "unauthorized", "Unauthorized")
    assert_error(operations.get("/admin/operations", params={"limit": "5"}), 400, "invalid_data",
                 "property limit should not exist")
    assert_error(operations.post("/admin/operations", json={}), 405, "not_allowed")
