"""Password hashing across the workers of `serve` (issue 16, "one mechanism for blocking work").

Each worker runs its blocking calls on one bounded pool and may run at most cores ÷ workers password hashes
(scrypt, 32 MiB each) at once, at least one. With more workers than cores that share alone would let
`workers` hashes run at once: a System V semaphore made by the master before it forks (SEM_UNDO: the kernel
gives back the slots of a worker that dies) keeps the workers together to the cores' worth. Each worker
counts, on the threads that run them, the most hashes that ran at once in it and on the whole machine, and
shows them with its bounds at `GET /debug/blocking` (DEBUG_ROUTES=on).
"""
import os
import re
import signal
import socket
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import BIN, ROOT, base_env, free_port, run_cli, wait_until

PASSWORD = "correct horse battery"
WORKERS = 2


def test_the_workers_of_serve_together_hash_at_most_the_cores_worth_at_once(db, start_server):
    server, login = start_hashing_server(db, start_server, WORKERS)
    # Hashes wait their turn: 12 of them, one slot per worker on two cores.
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(login, range(12)))
    assert statuses == [200] * 12

    seen = every_worker(server, WORKERS)
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


# More workers than cores: each worker's own share (one slot) no longer keeps the machine to its cores.
CORES = os.cpu_count()
MANY_WORKERS = CORES + 2


def semaphore_sets():
    """The ids of the System V semaphore sets on this machine (the kernel's list, what `ipcs -s` shows)."""
    with open("/proc/sysvipc/sem") as f:
        return {int(line.split()[1]) for line in f.readlines()[1:] if line.strip()}


def start_hashing_server(db, start_server, workers):
    """serve with `workers` workers and the debug routes, and a login (a password hash) to send to it."""
    server = start_server(db.url, workers=workers, env={"DEBUG_ROUTES": "on", "AUTH_CACHE_TTL": "0"})
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    run_cli(["user", "create", "--email", email, "--password", PASSWORD], env={"DATABASE_URL": db.url})

    def login(_):
        # A new connection each time, so the logins spread over the workers. Hashes wait their turn, each slow
        # in a debug build on a busy machine, so the bound is generous.
        return requests.post(server.url + "/admin/auth/token", json={"email": email, "password": PASSWORD},
                             timeout=180).status_code

    return server, login


def every_worker(server, count):
    """/debug/blocking from `count` different workers (new connections land on any of them)."""
    seen = {}

    def all_answered():
        answer = requests.get(server.url + "/debug/blocking", timeout=5).json()
        seen[answer["pid"]] = answer
        return len(seen) >= count

    wait_until(all_answered, timeout=60, what=f"/debug/blocking from {count} workers")
    return seen


def test_more_workers_than_cores_still_hash_at_most_the_cores_worth_at_once_on_the_machine(db, start_server):
    server, login = start_hashing_server(db, start_server, MANY_WORKERS)
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(login, range(16)))
    assert statuses == [200] * 16

    seen = every_worker(server, MANY_WORKERS)
    assert len({worker["machine_hashing_semaphore_set"] for worker in seen.values()}) == 1, seen
    for worker in seen.values():
        assert worker["machine_hashing_slots"] == worker["cores"] <= CORES, worker
        # Counted in the kernel at the start of each of its hashes: the hashes then running on the machine.
        assert worker["most_machine_hashes_at_once"] <= CORES, worker
        assert worker["machine_hashing_free"] == worker["machine_hashing_slots"], worker
    assert max(worker["most_machine_hashes_at_once"] for worker in seen.values()) >= 1, seen
    assert sum(worker["most_hashes_at_once"] for worker in seen.values()) >= 1, seen


def test_a_worker_killed_while_hashing_gives_its_slot_back(db, start_server):
    server, login = start_hashing_server(db, start_server, MANY_WORKERS)

    def login_or_error(index):
        try:
            return login(index)
        except requests.RequestException as error:
            return repr(error)

    def all_slots_taken():
        return requests.get(server.url + "/debug/blocking", timeout=5).json()["machine_hashing_free"] == 0

    with ThreadPoolExecutor(max_workers=16) as pool:
        # Enough logins to keep every slot of the machine taken while the workers are killed.
        in_flight = [pool.submit(login_or_error, index) for index in range(32)]
        wait_until(all_slots_taken, timeout=60, interval=0.01, what="every hashing slot taken")
        killed = server.worker_pids()
        assert len(killed) == MANY_WORKERS
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        for future in in_flight:
            future.result(timeout=300)  # Some fail with the workers; none hangs.

    # The master replaced every worker, and hashing works as before.
    wait_until(lambda: len(set(server.worker_pids()) - set(killed)) == MANY_WORKERS, timeout=60,
               what="every worker replaced")
    # No slot was lost with the workers that held them (the logins are over): the kernel undid their operations.
    for worker in every_worker(server, MANY_WORKERS).values():
        assert worker["pid"] not in killed
        assert worker["machine_hashing_free"] == worker["machine_hashing_slots"] == worker["cores"], worker
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(login, range(8))) == [200] * 8


def test_serve_removes_its_semaphore_set_however_it_stops(db, start_server):
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        server = start_server(db.url, workers=2, env={"DEBUG_ROUTES": "on"})
        semaphore_set = requests.get(server.url + "/debug/blocking", timeout=5).json()["machine_hashing_semaphore_set"]
        assert semaphore_set in semaphore_sets()
        assert server.stop(stop_signal) == 0
        assert semaphore_set not in semaphore_sets(), f"set {semaphore_set} left after {stop_signal.name}"

    # A start that fails after the set was made (the port is taken) removes it too; the master logs its id.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [BIN, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=base_env(db.url), capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 1, result.stdout + result.stderr
    logged = re.search(r"semaphore_set\W+(\d+)", result.stdout + result.stderr)
    assert logged, result.stdout + result.stderr
    assert int(logged.group(1)) not in semaphore_sets()
