"""docker-compose.yml without Docker: each of our services (migrate, api, worker) is run natively with the
command and environment compose would give it, so a wrong command or variable name fails here.

Compose's `${VAR:-default}` is resolved as compose does without a .env file; service hostnames are mapped to
this machine (postgres -> the private cluster and a fresh database, mailpit -> a local SMTP sink, the API's
port 9000 -> a free port); the image's ENV and WORKDIR come from the Dockerfile (/app -> this checkout). The
schema itself is checked by `check-jsonschema --builtin-schema vendor.compose-spec` in `make test`."""
import json
import os
import re
import shlex
import subprocess
import urllib.parse

import pytest
import requests
import yaml

from conftest import ADMIN_URL, BIN, ROOT, Database, Process, free_port, wait_until
from smtp_sink import SmtpSink

OURS = ("migrate", "api", "worker")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\$\{[^}]*\})*))?\}|\$\$")


def interpolate(value, env):
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $$."""
    def replace(match):
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        present = name in env and (env[name] != "" or operator in ("-", "?"))
        if present:
            return env[name]
        if operator in (":-", "-"):
            return interpolate(argument, env)
        if operator in (":?", "?"):
            raise AssertionError(f"{name} is required: {argument}")
        return ""
    return VARIABLE.sub(replace, value)


def resolve(node, env):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [resolve(item, env) for item in node]
    if isinstance(node, dict):
        return {key: resolve(item, env) for key, item in node.items()}
    return node


def load_compose(env=None):
    with open(os.path.join(ROOT, "docker-compose.yml")) as f:
        return resolve(yaml.safe_load(f), env or {})


def env_example():
    values = {}
    with open(os.path.join(ROOT, ".env.example")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, value = line.partition("=")
                values[name] = value
    return values


def dockerfile():
    """The runtime stage's ENV, WORKDIR, ENTRYPOINT and HEALTHCHECK command."""
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        text = f.read().replace("\\\n", " ")
    runtime = text[text.rindex("\nFROM "):]
    env = {}
    for line in re.findall(r"^ENV (.*)$", runtime, re.M):
        for part in shlex.split(line):
            name, _, value = part.partition("=")
            env[name] = value
    return {
        "env": env,
        "workdir": re.search(r"^WORKDIR (\S+)", runtime, re.M).group(1),
        "entrypoint": json.loads(re.search(r"^ENTRYPOINT (.*)$", runtime, re.M).group(1)),
        "healthcheck": re.search(r"^HEALTHCHECK .*? CMD (.*)$", runtime, re.M).group(1),
    }


class Natively:
    """Maps one compose service onto this machine."""

    def __init__(self, database, smtp_port, http_port, tmp_path):
        self.database = database
        self.smtp_port = smtp_port
        self.http_port = http_port
        self.tmp_path = tmp_path
        self.image = dockerfile()
        cluster = urllib.parse.urlparse(ADMIN_URL)
        self.pg_netloc = f"{cluster.username}@{cluster.hostname}:{cluster.port}"

    def map_value(self, name, value):
        if value.startswith("postgresql://"):
            url = urllib.parse.urlparse(value)
            assert (url.hostname, url.port) == ("postgres", 5432), f"{name} points at {url.hostname}:{url.port}"
            # The private cluster has its own superuser (trust auth); the database is this test's.
            return url._replace(netloc=self.pg_netloc, path="/" + self.database.name).geturl()
        if value.startswith("smtp://"):
            url = urllib.parse.urlparse(value)
            assert (url.hostname, url.port) == ("mailpit", 1025), f"{name} points at {url.hostname}:{url.port}"
            return url._replace(netloc=f"127.0.0.1:{self.smtp_port}").geturl()
        if value.startswith(self.image["workdir"] + "/"):
            return ROOT + value[len(self.image["workdir"]):]
        if value.startswith("/tmp/"):
            return str(self.tmp_path / os.path.basename(value))
        if name == "PORT":
            return str(self.http_port)
        return value

    def environment(self, service):
        declared = {**self.image["env"], **{k: str(v) for k, v in service["environment"].items()}}
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLIENTELE_") and k not in declared}
        env.update({name: self.map_value(name, value) for name, value in declared.items()})
        return env

    def command(self, service):
        assert self.image["entrypoint"] == ["clientele"]
        return service["command"]

    def healthcheck(self, test):
        assert test[0] == "CMD", test
        argv = [BIN if word == "clientele" else word for word in test[1:]]
        return [word.replace("127.0.0.1:9000", f"127.0.0.1:{self.http_port}") for word in argv]


@pytest.fixture
def sink():
    server = SmtpSink(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def empty_db():
    database = Database()  # not migrated: the migrate service does it
    yield database
    database.drop()


def test_env_example_documents_exactly_what_compose_reads_with_the_same_defaults():
    with open(os.path.join(ROOT, "docker-compose.yml")) as f:
        text = f.read()
    used = {}
    for match in VARIABLE.finditer(text):
        if match.group(1):
            used.setdefault(match.group(1), set()).add(match.group(3) or "")
    documented = env_example()
    assert sorted(set(used) - set(documented)) == [], "used by docker-compose.yml, missing in .env.example"
    assert sorted(set(documented) - set(used)) == [], "in .env.example, unused by docker-compose.yml"
    for name, defaults in used.items():
        assert defaults == {documented[name]}, f"{name}: compose defaults {defaults}, .env.example {documented[name]!r}"
    # And so the example file changes nothing when copied to .env.
    assert load_compose(documented) == load_compose({})


def test_workers_can_be_scaled_and_pgbouncer_services_go_through_the_pooler():
    services = load_compose()["services"]
    for name in ("worker", "worker-pgbouncer"):
        assert "container_name" not in services[name] and "ports" not in services[name], name
    for name in ("pgbouncer", "api-pgbouncer", "worker-pgbouncer"):
        assert services[name]["profiles"] == ["pgbouncer"]
    assert services["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"
    for name in ("api-pgbouncer", "worker-pgbouncer"):
        env = services[name]["environment"]
        assert urllib.parse.urlparse(env["DATABASE_URL"]).netloc.endswith("@pgbouncer:6432")
        assert env["DB_PREPARED_STATEMENTS"] == "off"
    listen = services["worker-pgbouncer"]["environment"]["DATABASE_LISTEN_URL"]
    assert urllib.parse.urlparse(listen).netloc.endswith("@postgres:5432")
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_migrate_api_and_worker_run_as_compose_runs_them(empty_db, sink, tmp_path):
    compose = load_compose()
    services = compose["services"]
    native = Natively(empty_db, sink.port, free_port(), tmp_path)

    # migrate: applies every migration and creates the first admin; a second run changes nothing.
    migrate = services["migrate"]
    result = subprocess.run([BIN, *native.command(migrate)], env=native.environment(migrate), cwd="/",
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    admin_email = migrate["environment"]["ADMIN_EMAIL"]
    assert f"created admin user {admin_email}" in result.stderr, result.stderr
    again = subprocess.run([BIN, *native.command(migrate)], env=native.environment(migrate), cwd="/",
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "schema is current" in again.stderr, again.stdout + again.stderr

    api_service, worker_service = services["api"], services["worker"]
    api = Process(native.command(api_service), native.environment(api_service), tmp_path / "api.log")
    worker = Process(native.command(worker_service), native.environment(worker_service), tmp_path / "worker.log")
    try:
        base = f"http://127.0.0.1:{native.http_port}"
        wait_until(lambda: requests.get(base + "/health", timeout=2).status_code == 200, timeout=60,
                   what=f"the api service:\n{api.output()}")
        # Both healthchecks, compose's and the image's own, pass as written.
        check = subprocess.run(native.healthcheck(api_service["healthcheck"]["test"]), capture_output=True, timeout=30)
        assert check.returncode == 0, check
        image_check = subprocess.run(["sh", "-c", native.image["healthcheck"]], capture_output=True, timeout=30,
                                     env={**os.environ, "PORT": str(native.http_port)})
        assert image_check.returncode == 0, image_check

        # The admin that migrate created can log in.
        login = requests.post(base + "/admin/auth/token", timeout=60,
                              json={"email": admin_email, "password": migrate["environment"]["ADMIN_PASSWORD"]})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

        # The worker delivers the welcome email of a customer created through the api.
        created = requests.post(base + "/admin/customers", headers=headers, timeout=60, json={
            "email": "compose-customer@example.com", "first_name": "Compose", "last_name": "Test",
            "password": "correct-horse-1"})
        assert created.status_code == 201, created.text
        wait_until(lambda: sink.count() >= 1, timeout=60, what=f"the welcome email:\n{worker.output()}")
        [message] = sink.snapshot()
        assert message["envelope_to"] == ["compose-customer@example.com"]
        assert message["from"] == worker_service["environment"]["MAIL_FROM"]

        # The worker's healthcheck: healthy while it runs (its heartbeat is fresh).
        worker_check = native.healthcheck(worker_service["healthcheck"]["test"])
        wait_until(lambda: subprocess.run(worker_check, env=native.environment(worker_service),
                                          capture_output=True, timeout=30).returncode == 0,
                   timeout=30, what="worker --check to pass")
        assert worker.proc.poll() is None and api.proc.poll() is None
    finally:
        worker_code = worker.stop()
        api_code = api.stop()
    assert worker_code == 0, worker.output()
    assert api_code == 0, api.output()
    # Stopped, the heartbeat ages: with --max-age 0 the check fails.
    stale = subprocess.run([BIN, "worker", "--check", "--max-age", "0"], env=native.environment(worker_service),
                           capture_output=True, text=True, timeout=30)
    assert stale.returncode == 1 and "unhealthy" in stale.stdout, stale.stdout + stale.stderr
