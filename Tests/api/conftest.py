"""Process-level tests: the real `clientele` binary against the private PostgreSQL cluster.

Each test module gets a fresh, migrated database; servers and workers are started on free ports and
talked to over HTTP, as a user would.
"""
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.parse

import pytest
import requests

BIN = os.environ.get("CLIENTELE_BIN", "")
ADMIN_URL = os.environ.get("CLIENTELE_ADMIN_URL", "")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Generated per run: a fixed one would be a secret published in the repository, which serve refuses.
JWT_SECRET = secrets.token_urlsafe(32)


def database_url(name):
    parsed = urllib.parse.urlparse(ADMIN_URL)
    return parsed._replace(path="/" + name).geturl()


def psql(url, sql, *args):
    """Runs SQL with psql and returns its unaligned output (rows separated by newlines)."""
    out = subprocess.run(
        ["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql, *args],
        check=True, capture_output=True, text=True)
    return out.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(args, env=None, input=None, check=True):
    result = subprocess.run([BIN, *args], env={**os.environ, **(env or {})}, input=input,
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    if check and result.returncode != 0:
        raise AssertionError(f"clientele {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


class Database:
    def __init__(self):
        self.name = f"apitest_{random.getrandbits(32)}_{os.getpid()}"
        psql(ADMIN_URL, f"CREATE DATABASE {self.name}")
        self.url = database_url(self.name)

    def migrate(self):
        run_cli(["migrate"], env={"DATABASE_URL": self.url})
        return self

    def sql(self, statement, *args):
        return psql(self.url, statement, *args)

    def drop(self):
        psql(ADMIN_URL, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


@pytest.fixture(scope="module")
def db():
    database = Database().migrate()
    yield database
    database.drop()


@pytest.fixture
def fresh_db():
    database = Database()
    yield database
    database.drop()


class Process:
    """A `clientele` process with its output collected in a file."""

    def __init__(self, args, env, log_path):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([BIN, *args], env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=ROOT, start_new_session=True)

    @property
    def pid(self):
        return self.proc.pid

    def output(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=40):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        # Nothing of ours may outlive the master.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.log.close()
        return self.proc.returncode


def base_env(db_url, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIENTELE_")}
    env.update({
        "DATABASE_URL": db_url,
        "JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": "info",
        "MAIL_TRANSPORT": "log",
        "LOGIN_MAX_FAILURES": "1000",
        "LOGIN_MAX_FAILURES_PER_ADDRESS": "100000",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def wait_until(predicate, timeout=20.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception:
            pass
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Server(Process):
    def __init__(self, db_url, tmp_path, workers=2, env=None, args=()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = base_env(db_url, **(env or {}))
        super().__init__(["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
                          *args], full_env, tmp_path / f"serve-{self.port}.log")
        wait_until(self.healthy, timeout=30, what=f"serve on {self.url}:\n{self.output()}")

    def healthy(self):
        return requests.get(self.url + "/health", timeout=2).status_code == 200

    def stop(self, sig=signal.SIGTERM, timeout=40):
        returncode = super().stop(sig, timeout)
        if returncode == -signal.SIGKILL:
            # A master killed with SIGKILL cannot remove its hashing semaphore set (README, "Signals"): removed
            # here as an operator would, by the id it logged.
            with open(self.log_path) as f:
                for semaphore_set in re.findall(r"semaphore_set\W+(\d+)", f.read()):
                    subprocess.run(["ipcrm", "-s", semaphore_set], capture_output=True)
        return returncode

    def worker_pids(self):
        out = subprocess.run(["pgrep", "-P", str(self.pid)], capture_output=True, text=True).stdout
        return sorted(int(p) for p in out.split())


@pytest.fixture
def start_server(tmp_path):
    servers = []

    def start(db_url, **kwargs):
        server = Server(db_url, tmp_path, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def pytest_terminal_summary(terminalreporter):
    """Prints the figures the hardening tests (issue 9) and the admin page's browser tests (issue 18) measured,
    whatever the output capture."""
    import sys
    for module, title in (("helpers_hardening", "hardening figures"), ("helpers_browser", "admin page figures")):
        figures = getattr(sys.modules.get(module), "FIGURES", None)
        if figures:
            terminalreporter.section(title)
            for line in figures:
                terminalreporter.write_line(line)
