"""docker-compose.yml without Docker: each of our services (secrets, migrate, api, worker) is run natively with
the command and environment compose would give it, so a wrong command or variable name fails here. (The real
thing, on a Docker engine, is `make test-deploy`: Tests/deploy/.)

Compose's `${VAR:-default}` is resolved as compose does without a .env file; service hostnames are mapped to
this machine (postgres -> the private cluster and a fresh database, mailpit -> a local SMTP sink, the API's
port 9000 -> a free port), named volumes to folders of the test; the image's ENV and WORKDIR come from the
Dockerfile (/app -> this checkout). The schema itself is checked by `check-jsonschema --builtin-schema
vendor.compose-spec` in `make test`."""
import base64
import hashlib
import hmac
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
from published_secrets import published
from smtp_sink import SmtpSink

OURS = ("secrets", "migrate", "api", "worker")
# Compose's own settings, which .env.example sets but the file does not interpolate.
COMPOSE_SETTINGS = {"COMPOSE_PROJECT_NAME"}
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


def jwt_signature_valid(token, secret):
    """Whether an HS256 JWT is signed with `secret`."""
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.urlsafe_b64encode(expected).rstrip(b"=").decode(), signature)


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

    def volume(self, name):
        """The folder standing in for the named volume `name`, shared by every service that mounts it."""
        folder = self.tmp_path / "volumes" / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def mounts(self, service):
        """{path in the container: folder here} for the service's named volumes."""
        mounts = {}
        for entry in service.get("volumes", []):
            source, target = entry.split(":")[:2]
            if not source.startswith((".", "/")):
                mounts[target] = str(self.volume(source))
        return mounts

    def map_path(self, value, service):
        for target, folder in self.mounts(service).items():
            if value == target or value.startswith(target + "/"):
                return folder + value[len(target):]
        return value

    def map_value(self, name, value, service):
        mapped = self.map_path(value, service)
        if mapped != value:
            return mapped
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
        env.update({name: self.map_value(name, value, service) for name, value in declared.items()})
        return env

    def command(self, service):
        assert self.image["entrypoint"] == ["clientele"]
        return [self.map_path(word, service) for word in service["command"]]

    def run(self, service):
        return subprocess.run([BIN, *self.command(service)], env=self.environment(service), cwd="/",
                              capture_output=True, text=True, timeout=120)

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
    assert sorted(set(documented) - set(used) - COMPOSE_SETTINGS) == [], "in .env.example, unused by docker-compose.yml"
    for name, defaults in used.items():
        assert defaults == {documented[name]}, f"{name}: compose defaults {defaults}, .env.example {documented[name]!r}"
    # And so the example file changes nothing when copied to .env.
    assert load_compose(documented) == load_compose({})


def test_without_a_env_file_no_secret_is_known_and_ports_stay_on_loopback():
    """Compose's default environment holds no secret (the `secrets` service generates them), no password in a
    database URL, and publishes ports on 127.0.0.1 only: nobody else can reach a fresh deployment."""
    compose = load_compose()
    assert "name" not in compose, "docker-compose 1.29 (Debian 12's) refuses the top-level name:"
    known = published()
    for name, service in compose["services"].items():
        for variable, value in service.get("environment", {}).items():
            value = str(value)
            if re.search(r"SECRET|PASSWORD", variable):
                assert value not in known, f"{name}: {variable} defaults to a value published in this repository"
            if value.startswith("postgresql://"):
                assert urllib.parse.urlparse(value).password is None, f"{name}: {variable} carries a password"
            if variable in ("JWT_SECRET", "ADMIN_PASSWORD", "POSTGRES_PASSWORD", "DB_PASSWORD"):
                assert value == "" and name == "secrets", f"{name}: {variable}={value!r} by default"
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    for secret in ("JWT_SECRET", "ADMIN_PASSWORD", "POSTGRES_PASSWORD"):
        assert env_example()[secret] == "", f".env.example sets {secret}"


def test_the_image_builds_with_the_toolchain_and_dependency_versions_the_tests_ran_with():
    """The Dockerfile's default SWIFT_IMAGE carries the Swift that built this test run, and Package.versions
    (which the Dockerfile pins the whole dependency graph to) matches this build's Package.resolved."""
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        swift_image = re.search(r"^ARG SWIFT_IMAGE=(\S+)$", f.read(), re.M).group(1)
    version = re.search(r"Swift version (\S+)", subprocess.run(["swift", "--version"], capture_output=True,
                                                               text=True).stdout).group(1)
    assert swift_image == f"swift:{version}-bookworm"

    with open(os.path.join(ROOT, "Package.resolved")) as f:
        resolved = {pin["identity"]: (pin["location"], pin["state"].get("version")) for pin in json.load(f)["pins"]}
    pinned = {}
    with open(os.path.join(ROOT, "Package.versions")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                identity, location, version = line.split()
                pinned[identity] = (location, version)
    assert pinned == resolved, "run scripts/package-versions.sh write and commit Package.versions"


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


def test_secrets_migrate_api_and_worker_run_as_compose_runs_them(empty_db, sink, tmp_path):
    compose = load_compose()
    services = compose["services"]
    native = Natively(empty_db, sink.port, free_port(), tmp_path)

    # secrets: generates the deployment's own secrets and prints the first admin's login once.
    generated = native.run(services["secrets"])
    assert generated.returncode == 0, generated.stdout + generated.stderr
    secrets_folder = native.volume("secrets")
    admin_password = (secrets_folder / "admin_password").read_text().strip()
    jwt_secret = (secrets_folder / "jwt_secret").read_text().strip()
    assert not {admin_password, jwt_secret} & published()
    admin_email = services["migrate"]["environment"]["ADMIN_EMAIL"]
    assert f"first admin login: {admin_email} / {admin_password}" in generated.stdout, generated.stdout
    kept = native.run(services["secrets"])
    assert kept.returncode == 0 and admin_password not in kept.stdout, kept.stdout + kept.stderr

    # migrate: applies every migration and creates the first admin; a second run changes nothing.
    migrate = services["migrate"]
    result = native.run(migrate)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"created admin user {admin_email}" in result.stderr, result.stderr
    again = native.run(migrate)
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

        # The admin that migrate created logs in with the generated password, never with the one compose
        # defaulted to before; the API signs with the generated JWT secret.
        public = requests.post(base + "/admin/auth/token", timeout=60,
                               json={"email": admin_email, "password": "change-me-admin-password"})
        assert public.status_code == 401, public.text
        login = requests.post(base + "/admin/auth/token", timeout=60,
                              json={"email": admin_email, "password": admin_password})
        assert login.status_code == 200, login.text
        assert jwt_signature_valid(login.json()["access_token"], jwt_secret)
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
