"""clientele worker: the job queue in PostgreSQL and the welcome email, through a real SMTP server.

Customers and `customer.created` jobs are inserted with SQL, as the API will do in its transactions.
Waits are generous bounds on events; measured times are printed (pytest -s), never asserted."""
import collections
import os
import signal
import time

import pytest

from conftest import Database, Process, base_env, free_port, run_cli, wait_until
from smtp_sink import SmtpSink

MAIL_FROM = "Clientele Shop <shop@clientele.test>"


@pytest.fixture
def jobs_db():
    database = Database().migrate()
    yield database
    database.drop()


@pytest.fixture
def sink():
    server = SmtpSink(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(tmp_path):
    workers = []

    def start(db, smtp=None, args=(), **env):
        settings = {"MAIL_TRANSPORT": "smtp", "SMTP_URL": smtp.url, "MAIL_FROM": MAIL_FROM} if smtp else {}
        settings.update(env)
        worker = Process(["worker", *args], base_env(db.url, **settings), tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        wait_until(lambda: "worker started" in worker.output() or worker.proc.poll() is not None, timeout=30,
                   what="worker start")
        assert worker.proc.poll() is None, worker.output()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def add_customers(db, count, start=1, email=None, notify=True):
    """Inserts customers cus_000001… and one customer.created job each, in one transaction."""
    db.sql(f"""
        INSERT INTO customer (id, email, first_name, last_name)
        SELECT 'cus_' || lpad(i::text, 6, '0'), {"'%s'" % email if email else "'c' || i || '@example.com'"},
               'First' || i, 'Last' || i
        FROM generate_series({start}, {start + count - 1}) AS i;
        INSERT INTO job (kind, args)
        SELECT 'customer.created', jsonb_build_object('customer_id', 'cus_' || lpad(i::text, 6, '0'))
        FROM generate_series({start}, {start + count - 1}) AS i;
        {"SELECT pg_notify('clientele_jobs', '');" if notify else ""}
    """)


def sent_count(db):
    return int(db.sql("SELECT count(*) FROM email_delivery WHERE status = 'sent'"))


def settled(db, sink):
    """No send can still arrive: a send happens only inside a running attempt, and every job is finished
    (none available, scheduled, retryable or running), and the sink is receiving nothing."""
    return db.sql("SELECT count(*) FROM job WHERE state NOT IN ('completed', 'discarded')") == "0" and sink.idle()


def assert_no_duplicates(messages, expected):
    by_recipient = collections.Counter(m["envelope_to"][0] for m in messages)
    assert len(by_recipient) == expected
    twice = {r: n for r, n in by_recipient.items() if n > 1}
    assert not twice, f"sent more than once: {twice}"


def test_one_customer_gets_exactly_one_welcome_email(jobs_db, sink, start_worker):
    start_worker(jobs_db, sink)
    started = time.time()
    add_customers(jobs_db, 1)
    wait_until(lambda: sink.count() >= 1, timeout=30, what="the welcome email")
    print(f"\ncommit → message at the SMTP server: {(sink.snapshot()[0]['received_at'] - started) * 1000:.1f} ms")
    wait_until(lambda: jobs_db.sql("SELECT state FROM job") == "completed", what="job completed")
    wait_until(lambda: settled(jobs_db, sink), what="no send in flight")
    [message] = sink.snapshot()
    assert message["envelope_to"] == ["c1@example.com"]
    assert message["envelope_from"] == "shop@clientele.test"
    assert message["to"] == "First1 Last1 <c1@example.com>"
    assert message["from"] == MAIL_FROM
    assert message["subject"] == "Welcome to Clientele"
    assert message["message_id"] == "<welcome.cus_000001@clientele.test>"
    assert message["idempotency_key"] == "welcome/cus_000001"
    assert "Hello First1," in message["text"]
    assert "<strong>Clientele</strong>" in message["html"]
    row = jobs_db.sql("SELECT customer_id, template, status, idempotency_key, message_id, attempts, "
                      "sent_at IS NOT NULL FROM email_delivery")
    assert row == "cus_000001|welcome|sent|welcome/cus_000001|welcome.cus_000001@clientele.test|1|t"


def test_two_hundred_customers_get_two_hundred_emails_none_twice(jobs_db, sink, start_worker):
    start_worker(jobs_db, sink)
    started = time.time()
    add_customers(jobs_db, 200)
    wait_until(lambda: sent_count(jobs_db) == 200, timeout=60, what="200 deliveries")
    print(f"\n200 emails delivered in {time.time() - started:.2f} s")
    wait_until(lambda: settled(jobs_db, sink), what="no send in flight")
    assert_no_duplicates(sink.snapshot(), 200)
    assert len(sink.snapshot()) == 200
    assert jobs_db.sql("SELECT state, count(*) FROM job GROUP BY state") == "completed|200"


def test_a_worker_killed_mid_burst_loses_nothing_and_repeats_only_under_one_message_id(jobs_db, sink, start_worker):
    sink.delay = 0.02
    first = start_worker(jobs_db, sink)
    add_customers(jobs_db, 300)
    wait_until(lambda: sink.count() >= 40, timeout=60, what="the burst to start")
    os.kill(first.pid, signal.SIGKILL)
    first.proc.wait(10)
    at_kill = sent_count(jobs_db)
    running = int(jobs_db.sql("SELECT count(*) FROM job WHERE state = 'running'"))
    print(f"\nkilled with {at_kill} sent and {running} jobs running")
    started = time.time()
    start_worker(jobs_db, sink)
    # The killed worker's leases run out (30 s) and the rescuer (every 15 s) returns its jobs.
    wait_until(lambda: sent_count(jobs_db) == 300, timeout=150, what="every delivery after the restart")
    print(f"all 300 delivered {time.time() - started:.1f} s after the restart")
    wait_until(lambda: settled(jobs_db, sink), what="no send in flight")
    messages = sink.snapshot()
    by_recipient = collections.defaultdict(set)
    for m in messages:
        by_recipient[m["envelope_to"][0]].add(m["message_id"])
    assert len(by_recipient) == 300
    # The documented window (accepted by the server, killed before recording it) may repeat a message
    # that was in flight at the kill, but always under its one Message-ID, so receivers drop the repeat.
    assert all(len(ids) == 1 for ids in by_recipient.values())
    repeats = len(messages) - 300
    print(f"repeats (same Message-ID) from the crash window: {repeats}")
    assert repeats <= 16
    assert jobs_db.sql("SELECT count(*) FROM job WHERE state <> 'completed'") == "0"


def test_mail_delivered_after_the_smtp_server_was_down_for_ten_seconds(jobs_db, sink, start_worker):
    sink.stop()
    start_worker(jobs_db, sink)
    down_at = time.time()
    add_customers(jobs_db, 5)
    wait_until(lambda: jobs_db.sql("SELECT count(*) FROM job WHERE state = 'retryable'") == "5", timeout=30,
               what="failed first attempts")
    errors = jobs_db.sql("SELECT DISTINCT last_error FROM email_delivery")
    assert errors.startswith("smtp:"), errors
    time.sleep(max(0.0, 10 - (time.time() - down_at)))
    sink.start()
    up_at = time.time()
    wait_until(lambda: sent_count(jobs_db) == 5, timeout=120, what="delivery after the outage")
    print(f"\ndelivered {time.time() - up_at:.1f} s after the server came back (backoff attempt^4 s)")
    assert_no_duplicates(sink.snapshot(), 5)
    assert jobs_db.sql("SELECT min(jsonb_array_length(errors)) > 0 FROM job") == "t"


def test_two_workers_at_once_send_each_email_once(jobs_db, sink, start_worker):
    start_worker(jobs_db, sink, args=["--concurrency", "8"])
    start_worker(jobs_db, sink, args=["--concurrency", "8"])
    add_customers(jobs_db, 300)
    wait_until(lambda: sent_count(jobs_db) == 300, timeout=90, what="300 deliveries")
    wait_until(lambda: settled(jobs_db, sink), what="no send in flight")
    assert_no_duplicates(sink.snapshot(), 300)
    assert len(sink.snapshot()) == 300
    print("\njobs per worker:", jobs_db.sql("SELECT attempted_by, count(*) FROM job GROUP BY 1").replace("\n", "; "))


def test_term_mid_burst_exits_zero_and_the_next_worker_delivers_the_rest(jobs_db, sink, start_worker):
    sink.delay = 0.05
    first = start_worker(jobs_db, sink, args=["--concurrency", "4"])
    add_customers(jobs_db, 200)
    wait_until(lambda: sink.count() >= 10, timeout=60, what="the burst to start")
    first.send(signal.SIGTERM)
    assert first.proc.wait(45) == 0, first.output()
    after_term = sent_count(jobs_db)
    assert after_term < 200
    assert jobs_db.sql("SELECT count(*) FROM job WHERE state = 'running'") == "0"
    print(f"\nTERM: exited 0 with {after_term} sent, the rest back in the queue")
    start_worker(jobs_db, sink, args=["--concurrency", "16"])
    wait_until(lambda: sent_count(jobs_db) == 200, timeout=90, what="the rest")
    wait_until(lambda: settled(jobs_db, sink), what="no send in flight")
    assert_no_duplicates(sink.snapshot(), 200)
    assert len(sink.snapshot()) == 200


def test_a_recipient_refused_with_5xx_fails_the_delivery_and_discards_the_job(jobs_db, sink, start_worker):
    sink.reject.add("bounce@example.com")
    start_worker(jobs_db, sink)
    add_customers(jobs_db, 1, email="bounce@example.com")
    wait_until(lambda: jobs_db.sql("SELECT state FROM job") == "discarded", timeout=30, what="discarded job")
    delivery = jobs_db.sql("SELECT status, last_error FROM email_delivery")
    assert delivery.startswith("failed|smtp:") and "550" in delivery, delivery
    reason = jobs_db.sql("SELECT errors->0->>'error' FROM job")
    assert "550" in reason, reason
    assert jobs_db.sql("SELECT attempt FROM job") == "1"
    assert sink.count() == 0


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_credentials_never_go_to_a_server_that_offers_no_starttls(jobs_db, start_worker):
    """With a user and password in SMTP_URL, a server without STARTTLS (or a connection stripped of it) must
    not receive them: no AUTH, no message, and an error that says why (issue 15)."""
    server = SmtpSink(free_port(), credentials=("mailer", "s3cret-pa55")).start()
    try:
        url = f"smtp://mailer:s3cret-pa55@127.0.0.1:{server.port}"
        worker = start_worker(jobs_db, None, MAIL_TRANSPORT="smtp", SMTP_URL=url, MAIL_FROM=MAIL_FROM)
        add_customers(jobs_db, 1)
        wait_until(lambda: jobs_db.sql("SELECT jsonb_array_length(errors) FROM job") == "1", timeout=30,
                   what="the refused attempt")
        error = jobs_db.sql("SELECT errors->0->>'error' FROM job")
        assert "offers no STARTTLS" in error and "never sent in clear" in error, error
        assert jobs_db.sql("SELECT state FROM job") == "retryable"
        assert server.logins == [] and server.count() == 0
        assert "offers no STARTTLS" in worker.output()
        assert "s3cret" not in worker.output()
    finally:
        server.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_auth_in_clear_only_with_tls_none_with_a_warning_and_the_password_is_never_logged(jobs_db, start_worker):
    server = SmtpSink(free_port(), credentials=("mailer", "s3cret-pa55")).start()
    try:
        url = f"smtp://mailer:s3cret-pa55@127.0.0.1:{server.port}?tls=none"
        worker = start_worker(jobs_db, None, MAIL_TRANSPORT="smtp", SMTP_URL=url, MAIL_FROM=MAIL_FROM,
                              LOG_LEVEL="trace")
        add_customers(jobs_db, 1)
        wait_until(lambda: sent_count(jobs_db) == 1, timeout=30, what="delivery with AUTH")
        assert server.logins == ["mailer"]
        warnings = [line for line in worker.output().splitlines() if " WARNING " in line and "tls=none" in line]
        assert len(warnings) == 1 and "password" in warnings[0] and "in clear" in warnings[0], worker.output()
        assert "s3cret" not in worker.output()
    finally:
        server.stop()


def test_a_send_that_hangs_is_timed_out_retried_and_completes_once_the_server_recovers(jobs_db, sink, start_worker):
    """The SMTP server stops answering in the middle of a transaction: the attempt is cancelled at
    JOB_TIMEOUT (the send aborted), recorded as timed out, retried with backoff, and delivered once the
    server answers again (issue 15)."""
    sink.hang = True
    worker = start_worker(jobs_db, sink, JOB_TIMEOUT="2")
    add_customers(jobs_db, 1)
    wait_until(lambda: jobs_db.sql("SELECT jsonb_array_length(errors) FROM job") not in ("", "0"), timeout=30,
               what="the timed-out attempt")
    first = jobs_db.sql("SELECT errors->0->>'error' FROM job")
    assert first.startswith("timed out after 2 s"), first
    assert sink.hung >= 1
    sink.hang = False
    wait_until(lambda: jobs_db.sql("SELECT state FROM job") == "completed", timeout=90, what="the job to complete")
    assert sent_count(jobs_db) == 1
    [message] = sink.snapshot()
    assert message["envelope_to"] == ["c1@example.com"]
    assert int(jobs_db.sql("SELECT attempt FROM job")) >= 2
    assert "job failed; will retry" in worker.output()


def test_deleted_customers_and_welcome_email_off_send_nothing(jobs_db, sink, start_worker):
    add_customers(jobs_db, 2, notify=False)
    jobs_db.sql("UPDATE customer SET deleted_at = now() WHERE id = 'cus_000001'")
    jobs_db.sql("DELETE FROM customer WHERE id = 'cus_000002'")
    first = start_worker(jobs_db, sink)
    wait_until(lambda: jobs_db.sql("SELECT count(*) FROM job WHERE state = 'completed'") == "2", what="completed")
    assert first.stop() == 0
    add_customers(jobs_db, 1, start=3)
    start_worker(jobs_db, sink, WELCOME_EMAIL="off")
    wait_until(lambda: jobs_db.sql("SELECT count(*) FROM job WHERE state = 'completed'") == "3", what="completed")
    assert sink.count() == 0
    assert jobs_db.sql("SELECT count(*) FROM email_delivery") == "0"


def test_other_kinds_complete_and_an_unknown_kind_fails_with_a_clear_error(jobs_db, start_worker):
    jobs_db.sql("""INSERT INTO job (kind, args) VALUES ('customer.updated', '{"customer_id": "cus_1"}'),
                   ('customer.deleted', '{"customer_id": "cus_1"}'), ('noop', '{}'), ('nonsense', '{}')""")
    start_worker(jobs_db)
    wait_until(lambda: jobs_db.sql("SELECT count(*) FROM job WHERE state = 'completed'") == "3", what="completed")
    wait_until(lambda: jobs_db.sql("SELECT state FROM job WHERE kind = 'nonsense'") == "retryable", what="retry")
    assert 'no handler for job kind "nonsense"' in jobs_db.sql("SELECT errors->0->>'error' FROM job WHERE kind = 'nonsense'")


@pytest.mark.parametrize("setting, value, line", [
    ("WORKER_CONCURRENCY", "many", 'WORKER_CONCURRENCY must be a whole number in 1...1000, got "many"'),
    ("MAIL_TRANSPORT", "pigeon", 'MAIL_TRANSPORT must be log, smtp or file:<dir>, got "pigeon"'),
    ("SMTP_URL", "http://mail.example.com", "SMTP_URL must be smtp://host[:port] or smtps://host[:port]"),
    ("SMTP_URL", "smtp://mail.example.com?tls=off", "SMTP_URL takes no query but ?tls=none (plain SMTP, for a local sink)"),
    ("SMTP_URL", "smtps://mail.example.com?tls=none", "SMTP_URL ?tls=none is for smtp:// only (smtps:// is TLS)"),
    ("JOB_TIMEOUT", "0", 'JOB_TIMEOUT must be a whole number in 1...86400, got "0"'),
    ("DB_STATEMENT_TIMEOUT", "soon", 'DB_STATEMENT_TIMEOUT must be a whole number in 1...86400, got "soon"'),
    ("MAIL_FROM", "not an address", 'MAIL_FROM must be an address or Name <address>, got "not an address"'),
    ("WELCOME_EMAIL", "maybe", 'WELCOME_EMAIL must be true or false (on/off), got "maybe"'),
])
def test_a_malformed_setting_stops_the_worker_with_one_line_naming_it(jobs_db, setting, value, line):
    env = {"MAIL_TRANSPORT": "smtp", "SMTP_URL": "smtp://127.0.0.1:25", "MAIL_FROM": MAIL_FROM, setting: value}
    result = run_cli(["worker"], env=base_env(jobs_db.url, **env), check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == f"clientele: {line}"


def test_jobs_still_running_after_the_graceful_timeout_are_handed_back(jobs_db, sink, start_worker):
    sink.delay = 8  # every send outlasts GRACEFUL_TIMEOUT
    first = start_worker(jobs_db, sink, args=["--concurrency", "2"], GRACEFUL_TIMEOUT="1")
    add_customers(jobs_db, 4)
    wait_until(lambda: jobs_db.sql("SELECT count(*) FROM email_delivery") == "2", what="two sends in flight")
    stopped_at = time.time()
    first.send(signal.SIGTERM)
    assert first.proc.wait(30) == 0, first.output()
    print(f"\nTERM → exit 0 in {time.time() - stopped_at:.2f} s with two sends unfinished")
    # The running sends were cancelled, and their jobs went back only once the handlers had returned.
    log = first.output()
    assert log.index("cancelling the running jobs") < log.index("job cancelled: the worker is stopping") \
        < log.index("handed unfinished jobs back"), log
    assert log.count("job cancelled: the worker is stopping") == 2, log
    assert jobs_db.sql("SELECT count(*) FROM job WHERE state = 'available'") == "4"
    handed_back = jobs_db.sql("SELECT errors->0->>'error' FROM job WHERE attempt = 1")
    assert handed_back.count("stopped before the job finished; handed back") == 2, handed_back
    sink.delay = 0
    start_worker(jobs_db, sink)
    wait_until(lambda: sent_count(jobs_db) == 4, timeout=60, what="every delivery")
    # The sink may still record the two interrupted sends (it had the whole message): the documented
    # window, under the same Message-ID. Once it receives nothing, nothing more can come.
    wait_until(sink.idle, timeout=30, what="the sink to finish the interrupted sends")
    by_recipient = collections.defaultdict(set)
    for m in sink.snapshot():
        by_recipient[m["envelope_to"][0]].add(m["message_id"])
    assert len(by_recipient) == 4 and all(len(ids) == 1 for ids in by_recipient.values())
