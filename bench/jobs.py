#!/usr/bin/env python3
"""make bench-jobs: how fast `clientele worker` drains its queue, and how soon it starts a job, each as a
ratio to a baseline measured in the same run on the same machine.

1. Throughput: 10,000 `noop` jobs committed at once, drained by one worker with --concurrency 16 (jobs per
   second from the commit to the last completion), against pgbench running the worker's own claim and
   complete statements with 16 clients (one job per claim) on a scratch database.
2. Latency: on an idle queue, the delay from issuing an enqueue (INSERT + pg_notify, autocommit) to the
   job's claim (`attempted_at`), p50 of 200, against a bare NOTIFY → LISTEN round trip (psycopg).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import psycopg

JOBS = 10_000
RUNS = 3
SAMPLES = 200
ENQUEUE = """WITH inserted AS (INSERT INTO job (kind, args) VALUES ('noop', '{}') RETURNING state)
             SELECT pg_notify('clientele_jobs', '') FROM inserted"""
CLAIM = """UPDATE job
SET state = 'running', attempt = job.attempt + 1, attempted_at = now(), attempted_by = 'pgbench',
    lease_expires_at = now() + make_interval(secs => 30::float8)
WHERE id IN (
    SELECT id FROM job
    WHERE state IN ('available', 'retryable', 'scheduled') AND scheduled_at <= now()
    ORDER BY priority, scheduled_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
RETURNING id, attempt \\gset
UPDATE job SET state = 'completed', finalized_at = now(), lease_expires_at = NULL
WHERE id = :id AND attempt = :attempt AND state = 'running';
"""


def database_url(admin_url, name):
    return urllib.parse.urlparse(admin_url)._replace(path="/" + name).geturl()


def scratch_database(args, name):
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    url = database_url(args.admin_url, name)
    subprocess.run([args.bin, "migrate"], env={**os.environ, "DATABASE_URL": url}, check=True,
                   capture_output=True)
    return url


def drop_database(args, name):
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Worker:
    def __init__(self, args, url):
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-worker-", suffix=".log")
        env = {**os.environ, "DATABASE_URL": url, "MAIL_TRANSPORT": "log", "LOG_LEVEL": "info"}
        self.proc = subprocess.Popen([args.bin, "worker", "--concurrency", "16"], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while "worker started" not in open(self.log.name).read():
            if time.time() > deadline or self.proc.poll() is not None:
                sys.exit("bench: the worker did not start:\n" + open(self.log.name).read())
            time.sleep(0.05)
        time.sleep(0.5)  # its listener connects

    def stop(self):
        self.proc.terminate()
        self.proc.wait(60)


def worker_throughput(args, url):
    rates = []
    worker = Worker(args, url)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            for _ in range(RUNS):
                conn.execute("DELETE FROM job")
                with conn.transaction():
                    conn.execute(f"INSERT INTO job (kind, args) SELECT 'noop', '{{}}' FROM generate_series(1, {JOBS})")
                    conn.execute("SELECT pg_notify('clientele_jobs', '')")
                committed = time.time()
                while conn.execute("SELECT count(*) FROM job WHERE state = 'completed'").fetchone()[0] < JOBS:
                    time.sleep(0.01)
                last = conn.execute("SELECT extract(epoch FROM max(finalized_at))::float8 FROM job").fetchone()[0]
                rates.append(JOBS / (last - committed))
    finally:
        worker.stop()
    return rates


def pgbench_throughput(url):
    rates = []
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(CLAIM)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            for _ in range(RUNS):
                conn.execute("DELETE FROM job")
                # A few spare jobs, so that no client's last claim finds the queue empty.
                conn.execute(f"INSERT INTO job (kind, args) SELECT 'noop', '{{}}' FROM generate_series(1, {JOBS + 100})")
                conn.execute("VACUUM ANALYZE job")
                out = subprocess.run(
                    ["pgbench", "-n", "-M", "prepared", "-c", "16", "-j", "2", "-t", str(JOBS // 16), "-f",
                     script.name, url], capture_output=True, text=True, check=True).stdout
                tps = [line for line in out.splitlines() if line.startswith("tps")][0]
                rates.append(float(tps.split()[2]))
    finally:
        os.unlink(script.name)
    return rates


def enqueue_latency(args, url):
    worker = Worker(args, url)
    delays = []
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM job")
            issued = []
            for _ in range(SAMPLES):
                issued.append(time.time())
                conn.execute(ENQUEUE)
                time.sleep(0.05)  # idle again before the next one
            time.sleep(0.5)
            started = [row[0] for row in conn.execute(
                "SELECT extract(epoch FROM attempted_at)::float8 FROM job ORDER BY id").fetchall()]
            delays = [(s - i) * 1000 for s, i in zip(started, issued)]
    finally:
        worker.stop()
    return delays


def notify_round_trip(url):
    received = {}
    ready = threading.Event()

    def listen():
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("LISTEN bench_round_trip")
            ready.set()
            for notification in conn.notifies():
                received[int(notification.payload)] = time.time()
                if len(received) == SAMPLES:
                    return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    ready.wait(10)
    sent = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for i in range(SAMPLES):
            sent[i] = time.time()
            conn.execute(f"NOTIFY bench_round_trip, '{i}'")
            time.sleep(0.05)
    thread.join(10)
    return [(received[i] - sent[i]) * 1000 for i in range(SAMPLES) if i in received]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--admin-url", required=True)
    args = parser.parse_args()

    url = scratch_database(args, "bench_jobs_worker")
    baseline_url = scratch_database(args, "bench_jobs_pgbench")
    try:
        worker = worker_throughput(args, url)
        pgbench = pgbench_throughput(baseline_url)
        latency = enqueue_latency(args, url)
        round_trip = notify_round_trip(baseline_url)
    finally:
        drop_database(args, "bench_jobs_worker")
        drop_database(args, "bench_jobs_pgbench")

    w, b = statistics.median(worker), statistics.median(pgbench)
    lp50, rp50 = percentile(latency, 50), percentile(round_trip, 50)
    print(f"bench-jobs: {JOBS:,} noop jobs, {os.cpu_count()} cores, binary {args.bin}")
    print(f"  worker --concurrency 16 : {w:8.0f} jobs/s   (runs: {', '.join(f'{r:.0f}' for r in worker)})")
    print(f"  pgbench, 16 clients     : {b:8.0f} jobs/s   (claim 1 + complete per transaction; runs: "
          f"{', '.join(f'{r:.0f}' for r in pgbench)})")
    print(f"  throughput ratio worker/pgbench: {w / b:.2f}")
    print(f"  enqueue commit → job claimed, idle queue: p50 {lp50:.2f} ms, p90 {percentile(latency, 90):.2f} ms "
          f"({len(latency)} samples)")
    print(f"  bare NOTIFY → LISTEN round trip:          p50 {rp50:.2f} ms, p90 {percentile(round_trip, 90):.2f} ms "
          f"({len(round_trip)} samples)")
    print(f"  latency ratio worker/bare NOTIFY: {lp50 / rp50:.2f}")


if __name__ == "__main__":
    main()
