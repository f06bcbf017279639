"""clientele serve: the forking master, its workers, signals, watchdog and HTTP limits (issue 3)."""
import os
import random
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import BIN, base_env, free_port, wait_until


def loop_requests(url, stop, results, path="/health"):
    """A curl loop: one new connection per request, until `stop` is set."""
    while not stop.is_set():
        try:
            r = requests.get(url + path, timeout=10, headers={"Connection": "close"})
            results.append(r.status_code)
        except requests.RequestException as error:
            results.append(repr(error))


def run_loops(server, count, body):
    stop = threading.Event()
    results = []
    threads = [threading.Thread(target=loop_requests, args=(server.url, stop, results)) for _ in range(count)]
    for t in threads:
        t.start()
    try:
        body()
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    return results


def alive(pid):
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False


def test_master_forks_the_requested_number_of_workers(db, start_server):
    server = start_server(db.url, workers=3)
    assert len(wait_until(lambda: len(server.worker_pids()) == 3 and server.worker_pids())) == 3
    response = requests.get(server.url + "/health")
    assert response.status_code == 200
    assert response.text == "OK"
    assert response.headers["Server"] == "Clientele"
    assert "GMT" in response.headers["Date"]
    assert len(response.headers["X-Request-Id"]) > 0
    given = requests.get(server.url + "/health", headers={"X-Request-Id": "abc-123"})
    assert given.headers["X-Request-Id"] == "abc-123"


def test_ready_answers_when_the_database_does(db, start_server):
    server = start_server(db.url, workers=1)
    assert requests.get(server.url + "/ready").status_code == 200


def test_ready_is_503_when_the_database_is_unreachable(db, start_server):
    server = start_server("postgresql://postgres@127.0.0.1:1/none", workers=1)
    response = requests.get(server.url + "/ready", timeout=10)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["type"] == "service_unavailable"
    assert requests.get(server.url + "/health").status_code == 200


def test_kill_9_of_a_worker_under_load_is_replaced_with_at_most_one_failure(db, start_server):
    server = start_server(db.url, workers=2)
    before = wait_until(lambda: len(server.worker_pids()) == 2 and server.worker_pids())
    victim = before[0]
    measured = {}

    def kill_and_wait():
        time.sleep(0.5)
        started = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: len(server.worker_pids()) == 2 and victim not in server.worker_pids(), timeout=15,
                   interval=0.01)
        measured["respawn_s"] = time.monotonic() - started
        time.sleep(0.5)

    results = run_loops(server, 1, kill_and_wait)
    failures = [r for r in results if r != 200]
    print(f"kill -9 -> replacement worker running after {measured['respawn_s'] * 1000:.0f} ms; "
          f"{len(results)} requests, {len(failures)} failed")
    assert len(failures) <= 1, failures
    assert len(results) > 20


def test_hup_replaces_every_worker_without_a_failed_request(db, start_server):
    server = start_server(db.url, workers=2)
    before = set(wait_until(lambda: len(server.worker_pids()) == 2 and server.worker_pids()))

    def reload():
        time.sleep(0.5)
        server.send(signal.SIGHUP)
        wait_until(lambda: len(set(server.worker_pids()) & before) == 0 and len(server.worker_pids()) == 2,
                   timeout=30)
        time.sleep(0.5)

    results = run_loops(server, 4, reload)
    failures = [r for r in results if r != 200]
    assert failures == []
    assert len(results) > 20
    assert set(server.worker_pids()).isdisjoint(before)


def test_term_lets_slow_requests_finish_and_exits_0(db, start_server):
    server = start_server(db.url, workers=2, env={"DEBUG_ROUTES": "on"})
    outcomes = []

    def slow():
        try:
            r = requests.get(server.url + "/debug/sleep?ms=1500", timeout=20)
            outcomes.append((r.status_code, r.text))
        except requests.RequestException as error:
            outcomes.append(repr(error))

    threads = [threading.Thread(target=slow) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    server.send(signal.SIGTERM)
    for t in threads:
        t.join(30)
    assert server.proc.wait(30) == 0
    assert outcomes == [(200, "slept 1500")] * 4
    # Nothing listens any more.
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/health", timeout=2)


def test_a_stopped_worker_is_replaced_after_the_timeout_and_its_queued_requests_answered(db, start_server):
    server = start_server(db.url, workers=2, env={"WORKER_TIMEOUT": "2"})
    pids = wait_until(lambda: len(server.worker_pids()) == 2 and server.worker_pids())
    victim = pids[0]
    os.kill(victim, signal.SIGSTOP)
    # kill() returns before every thread has stopped: on a busy machine the event loop thread can still
    # accept a few connections, which then die with the worker (a reset this test would blame on serve).
    wait_until(lambda: all_threads_stopped(victim), timeout=10, what="every thread of the worker stopped")
    started = time.monotonic()
    results = []

    def one():
        try:
            results.append(requests.get(server.url + "/health", timeout=30, headers={"Connection": "close"}).status_code)
        except requests.RequestException as error:
            results.append(repr(error))

    threads = [threading.Thread(target=one) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
    wait_until(lambda: victim not in server.worker_pids() and len(server.worker_pids()) == 2, timeout=20)
    print(f"SIGSTOPped worker replaced; all queued requests answered within {time.monotonic() - started:.1f} s")
    assert results == [200] * 16


def test_a_body_over_the_limit_is_413(db, start_server):
    server = start_server(db.url, workers=1)
    response = requests.post(server.url + "/admin/customers", data=b"x" * (2 * 1024 * 1024),
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["type"] == "payload_too_large"


def test_a_request_head_over_32_kib_is_431(db, start_server):
    server = start_server(db.url, workers=1)
    response = requests.get(server.url + "/health", headers={"X-Big": "a" * 64 * 1024})
    assert response.status_code == 431
    assert response.content == b""
    assert requests.get(server.url + "/health").status_code == 200


def test_500_connections_of_random_bytes_leave_it_serving(db, start_server):
    server = start_server(db.url, workers=2)
    rng = random.Random(7)
    sockets = []
    for _ in range(500):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        s.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300))))
        sockets.append(s)
    for s in sockets:
        s.close()
    for _ in range(20):
        assert requests.get(server.url + "/health", timeout=5).status_code == 200
    assert len(server.worker_pids()) == 2


def test_ttin_and_ttou_change_the_number_of_workers(db, start_server):
    server = start_server(db.url, workers=2)
    wait_until(lambda: len(server.worker_pids()) == 2)
    server.send(signal.SIGTTIN)
    wait_until(lambda: len(server.worker_pids()) == 3, timeout=15)
    # Signals of one kind sent back to back may merge into one (POSIX): wait between them.
    server.send(signal.SIGTTOU)
    wait_until(lambda: len(server.worker_pids()) == 2, timeout=15)
    server.send(signal.SIGTTOU)
    wait_until(lambda: len(server.worker_pids()) == 1, timeout=15)
    for _ in range(10):
        assert requests.get(server.url + "/health", timeout=5).status_code == 200


def test_workers_exit_when_the_master_is_killed(db, start_server):
    server = start_server(db.url, workers=2)
    pids = wait_until(lambda: len(server.worker_pids()) == 2 and server.worker_pids())
    os.kill(server.pid, signal.SIGKILL)
    server.proc.wait(10)
    wait_until(lambda: not any(alive(p) for p in pids), timeout=15)


def test_int_stops_everything_quickly(db, start_server):
    server = start_server(db.url, workers=2)
    pids = wait_until(lambda: len(server.worker_pids()) == 2 and server.worker_pids())
    server.send(signal.SIGINT)
    assert server.proc.wait(15) == 0
    assert not any(alive(p) for p in pids)


def test_max_requests_recycles_workers(db, start_server):
    server = start_server(db.url, workers=1, env={"MAX_REQUESTS": "20"})
    first = wait_until(lambda: server.worker_pids())
    results = [requests.get(server.url + "/health", timeout=10).status_code for _ in range(60)]
    assert results == [200] * 60
    assert wait_until(lambda: server.worker_pids() and server.worker_pids() != first)


def test_a_malformed_setting_stops_serve_with_one_line(db):
    from conftest import run_cli
    result = run_cli(["serve", "--port", "0"], env={"DATABASE_URL": db.url, "HTTP_WORKERS": "lots"}, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == 'clientele: HTTP_WORKERS must be a whole number in 1...64, got "lots"'


def test_a_second_server_on_a_port_in_use_refuses_to_start(db, start_server):
    from conftest import run_cli
    server = start_server(db.url, workers=1)
    result = run_cli(["serve", "--host", "127.0.0.1", "--port", str(server.port), "--workers", "1"],
                     env={"DATABASE_URL": db.url, "JWT_SECRET": "x" * 40}, check=False)
    assert result.returncode == 1
    assert "cannot listen on 127.0.0.1:%d" % server.port in result.stderr
    assert requests.get(server.url + "/health").status_code == 200


def autogroup(pid):
    """['/autogroup-N', 'nice', 'V'] of a process: its session's group in the CPU scheduler."""
    with open(f"/proc/{pid}/autogroup") as f:
        return f.read().split()


needs_autogroup = pytest.mark.skipif(not os.path.exists("/proc/self/autogroup"), reason="kernel without autogroups")


@needs_autogroup
def test_a_server_leading_its_session_lowers_that_sessions_cpu_priority(db, start_server):
    # conftest starts serve in a session of its own, as systemd or compose would.
    server = start_server(db.url, workers=2)
    workers = wait_until(lambda: len(server.worker_pids()) == 2 and server.worker_pids())
    group, _, nice = autogroup(server.pid)
    assert nice == "10"
    assert [autogroup(pid) for pid in workers] == [[group, "nice", "10"]] * 2
    assert "session_nice=10" in server.output()
    untouched = start_server(db.url, workers=1, env={"SESSION_NICE": "0"})
    assert autogroup(untouched.pid)[2] == "0"


@needs_autogroup
def test_a_server_sharing_a_session_leaves_its_priority_alone(db):
    # Started like a command in a script: in the session of the caller, whose priority must not change.
    ours = autogroup(os.getpid())
    port = free_port()
    proc = subprocess.Popen(
        [BIN, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"], env=base_env(db.url),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: requests.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200)
        assert autogroup(proc.pid) == ours
        assert autogroup(os.getpid()) == ours
    finally:
        proc.terminate()
        proc.wait(30)


def all_threads_stopped(pid):
    """True once every thread of `pid` is in the stopped state (T in /proc/<pid>/task/*/stat)."""
    states = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/stat") as f:
            states.append(f.read().rsplit(")", 1)[1].split()[0])
    return bool(states) and all(state in ("T", "t") for state in states)
