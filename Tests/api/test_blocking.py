"""Password hashing across the workers of `serve` (issue 16, "one mechanism for blocking work").

Each worker runs its blocking calls on one bounded pool and may run at most cores ÷ workers password hashes
(scrypt, 32 MiB each) at once, at least one, so that the workers together never run more than the machine's
cores' worth. Each worker counts, on the threads that run them, the most hashes that ran at once, and shows
it with its bound at `GET /debug/blocking` (DEBUG_ROUTES=on).
"""
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import run_cli, wait_until

PASSWORD = "correct horse battery"
WORKERS = 2


def test_the_workers_of_serve_together_hash_at_most_the_cores_worth_at_once(db, start_server):
    server = start_server(db.url, workers=WORKERS, env={"DEBUG_ROUTES": "on", "AUTH_CACHE_TTL": "0"})
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    run_cli(["user", "create", "--email", email, "--password", PASSWORD], env={"DATABASE_URL": db.url})

    def login(_):
        # A new connection each time, so the logins spread over both workers.
        return requests.post(server.url + "/admin/auth/token", json={"email": email, "password": PASSWORD},
                             timeout=180).status_code

    # Hashes wait their turn: 12 of them, one slot per worker on two cores, each slow in a debug build on a
    # busy machine, so the bound on each login is generous.
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(login, range(12)))
    assert statuses == [200] * 12

    seen = {}

    def both_workers_answered():
        answer = requests.get(server.url + "/debug/blocking", timeout=5).json()
        seen[answer["pid"]] = answer
        return len(seen) == WORKERS

    wait_until(both_workers_answered, timeout=30, what="/debug/blocking from both workers")
    # The cores the workers count (Foundation's, which may honour a CPU quota below what the machine has).
    cores = next(iter(seen.values()))["cores"]
    assert 1 <= cores <= os.cpu_count()
    for worker in seen.values():
        # The bound each worker was given: its share of the cores, at least one.
        assert worker["hashing_slots"] == max(1, cores // WORKERS), worker
        # …and kept: counted where the hashes ran.
        assert worker["most_hashes_at_once"] <= worker["hashing_slots"], worker
    assert sum(worker["hashing_slots"] for worker in seen.values()) <= max(cores, WORKERS)
    assert sum(worker["most_hashes_at_once"] for worker in seen.values()) >= 1, seen
