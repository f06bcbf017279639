"""Beyond one machine: two `serve` instances and two workers share one PostgreSQL through PgBouncer in
transaction mode (DB_PREPARED_STATEMENTS=off), the workers' LISTEN going straight to PostgreSQL
(DATABASE_LISTEN_URL). The acceptance flows must come out as with a direct connection."""
import collections
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pytest
import requests

from conftest import ADMIN_URL, Database, Process, Server, base_env, free_port, run_cli, wait_until
from smtp_sink import SmtpSink

PGBOUNCER = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
MAIL_FROM = "Clientele Shop <shop@clientele.test>"
ADMIN = ("bouncer-admin@example.com", "bouncer-admin-password-1")
CUSTOMERS = 30

pytestmark = pytest.mark.skipif(PGBOUNCER is None, reason="pgbouncer is not installed (make deps installs it)")


class PgBouncer:
    """pgbouncer in the foreground with its own config in a temp folder; as the postgres user when we are
    root (it refuses to run as root), like scripts/db.sh does for PostgreSQL."""

    def __init__(self):
        cluster = urllib.parse.urlparse(ADMIN_URL)
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="clientele-pgbouncer-")
        os.chmod(self.dir, 0o755)
        with open(os.path.join(self.dir, "pgbouncer.ini"), "w") as f:
            f.write(f"""[databases]
* = host={cluster.hostname} port={cluster.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/userlist.txt
admin_users = {cluster.username}
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = {self.dir}/pgbouncer.log
pidfile = {self.dir}/pgbouncer.pid
""")
        with open(os.path.join(self.dir, "userlist.txt"), "w") as f:
            f.write(f'"{cluster.username}" ""\n')
        command = [PGBOUNCER, os.path.join(self.dir, "pgbouncer.ini")]
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        wait_until(self.accepts, timeout=30, what=f"pgbouncer on port {self.port}:\n{self.log()}")

    def url(self, database):
        return f"postgresql://{urllib.parse.urlparse(ADMIN_URL).username}@127.0.0.1:{self.port}/{database}"

    def accepts(self):
        assert self.proc.poll() is None, self.log()
        return subprocess.run(["psql", self.url("pgbouncer"), "-XAtqc", "SHOW VERSION"],
                              capture_output=True).returncode == 0

    def show(self, what):
        """Rows of an admin console SHOW command as dicts."""
        out = subprocess.run(["psql", self.url("pgbouncer"), "-XAq", "-F", "\t", "-P", "footer=off", "-c", f"SHOW {what}"],
                             check=True, capture_output=True, text=True).stdout.strip().split("\n")
        columns = out[0].split("\t")
        return [dict(zip(columns, line.split("\t"))) for line in out[1:]]

    def log(self):
        try:
            with open(os.path.join(self.dir, "pgbouncer.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return "(no log)"

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)  # SIGTERM to runuser and pgbouncer (its own session)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def bouncer():
    pooler = PgBouncer()
    yield pooler
    pooler.stop()


@pytest.fixture(scope="module")
def bounce_db():
    database = Database().migrate()
    yield database
    database.drop()


@pytest.fixture
def sink():
    server = SmtpSink(free_port()).start()
    yield server
    server.stop()


def test_two_servers_and_two_workers_through_pgbouncer(bounce_db, bouncer, sink, tmp_path):
    pooled = bouncer.url(bounce_db.name)
    through_pooler = {"DB_PREPARED_STATEMENTS": "off", "PASSWORD_SCRYPT_LOG_N": "10"}
    run_cli(["user", "create", "--email", ADMIN[0], "--password", ADMIN[1]], env={"DATABASE_URL": bounce_db.url})
    servers = [Server(pooled, tmp_path, workers=2, env=through_pooler) for _ in range(2)]
    workers = []
    try:
        for index in range(2):
            env = base_env(pooled, DB_PREPARED_STATEMENTS="off", DATABASE_LISTEN_URL=bounce_db.url,
                           MAIL_TRANSPORT="smtp", SMTP_URL=sink.url, MAIL_FROM=MAIL_FROM)
            worker = Process(["worker"], env, tmp_path / f"worker-{index}.log")
            workers.append(worker)
            wait_until(lambda: "worker started" in worker.output(), timeout=30, what=f"worker:\n{worker.output()}")

        login = requests.post(servers[0].url + "/admin/auth/token", json=dict(zip(("email", "password"), ADMIN)),
                              timeout=60)
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

        # Create through both servers at once.
        created, failures = [], []

        def create(index):
            server = servers[index % 2]
            response = requests.post(server.url + "/admin/customers", headers=headers, timeout=60, json={
                "email": f"bounced-{index}@example.com", "first_name": f"First{index}", "last_name": "Bouncer",
                "password": "correct-horse-1"})
            (created if response.status_code == 201 else failures).append(
                response.json()["customer"] if response.status_code == 201 else response.text)

        started = time.monotonic()
        threads = [threading.Thread(target=create, args=(i,)) for i in range(CUSTOMERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert failures == []
        assert len(created) == CUSTOMERS

        # Each server lists all of them.
        for server in servers:
            listed = requests.get(server.url + "/admin/customers", params={"limit": 100, "q": "bounced-"},
                                  headers=headers, timeout=60).json()
            assert listed["count"] == CUSTOMERS
            assert sorted(c["email"] for c in listed["customers"]) == sorted(c["email"] for c in created)

        # Update through one server, read through the other.
        target = created[0]
        updated = requests.post(f"{servers[1].url}/admin/customers/{target['id']}", headers=headers, timeout=60,
                                json={"first_name": "Renamed", "metadata": {"via": "pgbouncer"}})
        assert updated.status_code == 200, updated.text
        read = requests.get(f"{servers[0].url}/admin/customers/{target['id']}", headers=headers, timeout=60).json()
        assert read["customer"]["first_name"] == "Renamed"
        assert read["customer"]["metadata"] == {"via": "pgbouncer"}

        # Exactly one welcome email per customer, between the two workers.
        wait_until(lambda: sink.count() >= CUSTOMERS, timeout=90,
                   what=f"{CUSTOMERS} welcome emails:\n{workers[0].output()[-2000:]}")
        print(f"\n{CUSTOMERS} created and welcomed through pgbouncer in {time.monotonic() - started:.2f} s")
        wait_until(lambda: bounce_db.sql("SELECT count(*) FROM job WHERE kind = 'customer.created' "
                                         "AND state <> 'completed'") == "0", timeout=60, what="jobs completed")
        time.sleep(0.5)  # room for a wrong second send to show up
        recipients = collections.Counter(m["envelope_to"][0] for m in sink.snapshot())
        assert recipients == collections.Counter(c["email"] for c in created)
        assert bounce_db.sql("SELECT status, count(*) FROM email_delivery GROUP BY 1") == f"sent|{CUSTOMERS}"

        # The traffic went through the pooler, and the workers' LISTEN went around it.
        [stats] = [row for row in bouncer.show("STATS") if row["database"] == bounce_db.name]
        assert int(stats["total_xact_count"]) > CUSTOMERS, stats
        listening = bounce_db.sql("SELECT count(*) FROM pg_stat_activity "
                                  "WHERE application_name LIKE 'clientele-worker-listen/%'")
        assert listening == "2"
        for process in [*servers, *workers]:
            assert process.proc.poll() is None, process.output()
            assert "prepared statement" not in process.output(), process.output()
    finally:
        for worker in workers:
            worker.stop()
        for server in servers:
            server.stop()
