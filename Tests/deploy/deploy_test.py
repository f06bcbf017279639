"""The deployment README.md gives, run for real on a Docker engine and checked as a user would (issue 13).

Run by Tests/deploy/run.sh (`make test-deploy`), which provides the engine and the base images. Each step is
timed; the times are printed as the steps pass and in a table at the end. Whatever happens, the project ends
with `down -v`, and nothing of it is left running.

Environment: COMPOSE (the compose command: `docker compose` if the engine has the v2 plugin, else Debian's
`docker-compose`), DEPLOY_PROJECT (compose project name, default clientele-deploy-test).
"""
import base64
import hashlib
import hmac
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROJECT = os.environ.get("DEPLOY_PROJECT", "clientele-deploy-test")
MAX_IMAGE_BYTES = 170_000_000
ADMIN_EMAIL = "admin@clientele.localhost"  # docker-compose.yml's default
IMAGE = "clientele:local"                   # docker-compose.yml's default CLIENTELE_IMAGE
PUBLISHED_SECRETS = os.path.join(ROOT, "Sources", "clientele", "PublishedSecrets.swift")
TIMES = []


def compose_command():
    if os.environ.get("COMPOSE"):
        return shlex.split(os.environ["COMPOSE"])
    v2 = subprocess.run(["docker", "compose", "version"], capture_output=True)
    return ["docker", "compose"] if v2.returncode == 0 else ["docker-compose"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


COMPOSE = compose_command()
PORTS = {"API_PORT": free_port(), "MAILPIT_UI_PORT": free_port(), "PGBOUNCER_API_PORT": free_port()}
API = f"http://127.0.0.1:{PORTS['API_PORT']}"
MAILPIT = f"http://127.0.0.1:{PORTS['MAILPIT_UI_PORT']}"
API_PGBOUNCER = f"http://127.0.0.1:{PORTS['PGBOUNCER_API_PORT']}"
# No .env: the test runs what a user gets without one (an empty --env-file keeps a developer's .env out).
EMPTY_ENV_FILE = tempfile.NamedTemporaryFile("w", prefix="deploy-test-env-", delete=False).name
# Only the ports differ from the defaults (free ones, so that nothing else on this machine is in the way).
ENVIRONMENT = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "ADMIN_PASSWORD", "POSTGRES_PASSWORD")}
ENVIRONMENT.update({name: str(port) for name, port in PORTS.items()})


def compose(*args, env=None, input=None, check=True, timeout=300, profile=None):
    """Runs `<compose> -p PROJECT [--profile P] ARGS` in the checkout; returns the completed process."""
    command = [*COMPOSE, "-p", PROJECT, "--env-file", EMPTY_ENV_FILE,
               *(["--profile", profile] if profile else []), *args]
    result = subprocess.run(command, cwd=ROOT, env={**ENVIRONMENT, **(env or {})}, input=input, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def docker(*args, check=True, timeout=120):
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result.stdout.strip()


@contextmanager
def step(name):
    print(f"--- {name}", flush=True)
    started = time.monotonic()
    yield
    elapsed = time.monotonic() - started
    TIMES.append((name, elapsed))
    print(f"    ok in {elapsed:.1f} s", flush=True)


def wait_until(predicate, timeout, what, interval=1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (requests.RequestException, AssertionError, ValueError) as error:
            last = error
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last error: {last})")


def containers(service, profile=None):
    return compose("ps", "-q", service, profile=profile).stdout.split()


def state(container):
    """(status, health or '', exit code) of a container."""
    text = docker("inspect", "-f", "{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|"
                  "{{.State.ExitCode}}", container)
    status, health, code = text.split("|")
    return status, health, int(code)


def service_states():
    """{service: [(status, health, exit code) per container]} for every container of the project, stopped too."""
    ids = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}").split()
    states = {}
    for container in ids:
        service = docker("inspect", "-f", '{{index .Config.Labels "com.docker.compose.service"}}', container)
        states.setdefault(service, []).append(state(container))
    return states


def all_settled(expected_services):
    """Every long-running service healthy (or running, without a healthcheck); one-shots exited 0."""
    states = service_states()
    missing = set(expected_services) - set(states)
    assert not missing, f"no container yet for {sorted(missing)}"
    for service, entries in states.items():
        for status, health, code in entries:
            if service in ("secrets", "migrate"):
                assert status == "exited" and code == 0, f"{service}: {status}, exit {code}"
            else:
                assert status == "running" and health in ("healthy", ""), f"{service}: {status} {health}"
    return states


def published_secrets():
    with open(PUBLISHED_SECRETS) as f:
        return set(re.findall(r'^\s*"((?:[^"\\]|\\.)*)",?$', f.read(), re.M))


def jwt_signed_with(token, secret):
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.urlsafe_b64encode(expected).rstrip(b"=").decode(), signature)


def network_psql(password, sql):
    """A shell command for the postgres container: psql with `password` over the network (its own bridge
    address, so pg_hba.conf's `host all all all scram-sha-256` applies, not the loopback's trust)."""
    return f'PGPASSWORD={shlex.quote(password)} psql -h "$(hostname -i)" -U clientele -c {shlex.quote(sql)}'


def login(base, email, password):
    response = requests.post(base + "/admin/auth/token", json={"email": email, "password": password}, timeout=30)
    assert response.status_code == 200, f"login {email} on {base}: {response.status_code} {response.text}"
    return {"Authorization": f"Bearer {response.json()['access_token']}"}, response.json()["access_token"]


def create_customer(base, headers, email):
    response = requests.post(base + "/admin/customers", headers=headers, timeout=30, json={
        "email": email, "first_name": "Deploy", "last_name": "Test", "password": "deploy-test-pw-1"})
    assert response.status_code == 201, f"create {email}: {response.status_code} {response.text}"
    return response.json()["customer"]


def customer_count(base, headers):
    response = requests.get(base + "/admin/customers?limit=1", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["count"]


def mailpit_recipients():
    """Every recipient of every message Mailpit holds, read the way a user's script would: its API."""
    recipients, start = [], 0
    while True:
        page = requests.get(f"{MAILPIT}/api/v1/messages", params={"start": start, "limit": 200}, timeout=30).json()
        for message in page["messages"]:
            recipients += [to["Address"] for to in message["To"]]
        start += len(page["messages"])
        if not page["messages"] or start >= page["messages_count"]:
            return recipients


def readme_section(title):
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else len(text)]


def readme_compose_commands(title, prefix):
    """The README's command lines in a section that start with `docker compose <prefix>`, comments removed."""
    lines = []
    for line in readme_section(title).splitlines():
        line = line.strip()
        if line.startswith(f"docker compose {prefix}"):
            lines.append(line.split("  #")[0].strip())
    return lines


def run_readme_command(line):
    """A README line `docker compose exec ...` [< file], through this test's compose and project."""
    words = shlex.split(line)
    stdin = None
    if "<" in words:
        at = words.index("<")
        with open(os.path.join(ROOT, words[at + 1])) as f:
            stdin = f.read()
        words = words[:at]
    assert words[:2] == ["docker", "compose"], line
    return compose(*words[2:], input=stdin, timeout=120)


def main():
    print(f"compose: {' '.join(COMPOSE)} ({compose('version').stdout.strip().splitlines()[0]}); project {PROJECT}; "
          f"ports {PORTS}", flush=True)
    try:
        run_steps()
    except BaseException:
        print("=== FAILED; the project's state and logs:", flush=True)
        print(compose("ps", "-a", profile="pgbouncer", check=False).stdout)
        print(compose("logs", "--no-color", "--tail", "80", profile="pgbouncer", check=False).stdout[-20000:])
        raise
    finally:
        with step("down -v: nothing left"):
            compose("down", "-v", "--remove-orphans", profile="pgbouncer", timeout=180)
            leftovers = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}")
            volumes = docker("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}")
            networks = docker("network", "ls", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}")
            assert (leftovers, volumes, networks) == ("", "", ""), (leftovers, volumes, networks)
        os.unlink(EMPTY_ENV_FILE)
        print("\nstep times (s):")
        for name, elapsed in TIMES:
            print(f"  {elapsed:8.1f}  {name}")


def run_steps():
    services = ["secrets", "postgres", "migrate", "api", "worker", "mailpit"]
    compose("down", "-v", "--remove-orphans", profile="pgbouncer", check=False)  # what a failed earlier run left

    with step("build the image"):
        compose("build", timeout=3600)
        size = int(docker("image", "inspect", "-f", "{{.Size}}", IMAGE))
        print(f"    image {IMAGE}: {size / 1e6:.1f} MB", flush=True)
        assert size <= MAX_IMAGE_BYTES, f"the image is {size / 1e6:.1f} MB, over {MAX_IMAGE_BYTES / 1e6:.0f} MB"
        compilers = docker("run", "--rm", "--entrypoint", "sh", IMAGE, "-c",
                           "command -v swift swiftc clang gcc cc ld || true")
        assert compilers == "", f"a compiler in the runtime image: {compilers}"

    with step("up -d"):
        compose("up", "-d", timeout=600)

    with step("every service healthy"):
        wait_until(lambda: all_settled(services), timeout=180, what="every service healthy")

    with step("secrets generated, migrate exited 0 and created the first admin"):
        secrets_log = compose("logs", "--no-color", "secrets").stdout
        match = re.search(r"first admin login: (\S+) / (\S+)", secrets_log)
        assert match and match.group(1) == ADMIN_EMAIL, secrets_log
        admin_password = match.group(2)
        assert f"created admin user {ADMIN_EMAIL}" in compose("logs", "--no-color", "migrate").stdout
        # README: how a user sees the generated credentials later.
        seen = compose("exec", "-T", "api", "cat", "/secrets/admin_password").stdout.strip()
        jwt_secret = compose("exec", "-T", "api", "cat", "/secrets/jwt_secret").stdout.strip()
        database_password = compose("exec", "-T", "api", "cat", "/secrets/postgres_password").stdout.strip()
        assert seen == admin_password
        known = published_secrets()
        assert known and not {admin_password, jwt_secret, database_password} & known

    with step("safe by default: no published secret, API on loopback only"):
        public = requests.post(API + "/admin/auth/token", timeout=30,
                               json={"email": ADMIN_EMAIL, "password": "change-me-admin-password"})
        assert public.status_code == 401, public.text
        for service in ("api", "mailpit"):
            [container] = containers(service)
            bindings = json.loads(docker("inspect", "-f", "{{json .HostConfig.PortBindings}}", container))
            addresses = {b["HostIp"] for entries in bindings.values() for b in entries}
            assert addresses == {"127.0.0.1"}, f"{service} published on {addresses}"
        # PostgreSQL asks for the generated password over the network (scram-sha-256), which libpq found in pgpass.
        hba = compose("exec", "-T", "postgres", "sh", "-c", 'grep -v "^#" "$PGDATA/pg_hba.conf"').stdout
        assert "host all all all scram-sha-256" in hba, hba
        wrong = compose("exec", "-T", "postgres", "sh", "-c", network_psql("clientele", "SELECT 1"), check=False)
        assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr, wrong.stderr
        # A published value is refused on the engine too: `up` with the JWT secret compose once defaulted to.
        refused = compose("run", "--rm", "-T", "secrets", check=False,
                          env={"JWT_SECRET": "change-me-this-placeholder-secret-is-public-0123456789"})
        assert refused.returncode != 0, refused.stdout
        assert "clientele: JWT_SECRET is a value published in Clientele's repository" in refused.stderr + refused.stdout

    with step("log in on the published port"):
        headers, token = login(API, ADMIN_EMAIL, admin_password)
        assert jwt_signed_with(token, jwt_secret)

    with step("create a customer and list it"):
        email = "deploy-first@example.com"
        created = create_customer(API, headers, email)
        listed = requests.get(API + "/admin/customers", params={"q": email}, headers=headers, timeout=30).json()
        assert [c["id"] for c in listed["customers"]] == [created["id"]], listed

    with step("its welcome email in Mailpit's API"):
        wait_until(lambda: email in mailpit_recipients(), timeout=90, what=f"the welcome email to {email}")
        page = requests.get(f"{MAILPIT}/api/v1/messages", timeout=30).json()
        message = next(m for m in page["messages"] if m["To"][0]["Address"] == email)
        assert message["From"]["Address"] == "no-reply@clientele.localhost" and message["Subject"], message

    with step("the README's SQL inspection commands (docker compose exec -T postgres psql)"):
        commands = readme_compose_commands("SQL inspection", "exec")
        assert commands, "no `docker compose exec` line in README's SQL inspection section"
        files = sorted(f for f in os.listdir(os.path.join(ROOT, "sql", "inspect")) if f.endswith(".sql"))
        for line in commands:
            runs = [line.replace("queue.sql", name) for name in files] if "-f /inspect/queue.sql" in line else [line]
            for command in runs:
                output = run_readme_command(command).stdout
                assert re.search(r"^\(\d+ rows?\)$", output, re.M), f"{command}:\n{output}"
        print(f"    {len(files)} files, {len(commands)} README command forms", flush=True)

    with step("--scale worker=2: 30 customers, 30 emails, none twice"):
        compose("up", "-d", "--scale", "worker=2", timeout=300)
        wait_until(lambda: len(service_states()["worker"]) == 2 and all_settled(services), timeout=120,
                   what="two healthy workers")
        batch = [f"deploy-scale-{i:02d}@example.com" for i in range(30)]
        for address in batch:
            create_customer(API, headers, address)
        wait_until(lambda: set(batch) <= set(mailpit_recipients()), timeout=180, what="30 welcome emails")
        time.sleep(5)  # a duplicate would be a second send of an already-delivered job: give it time to show
        received = [r for r in mailpit_recipients() if r in batch]
        assert sorted(received) == sorted(batch), f"{len(received)} emails for 30 customers"

    with step("restart api under a request loop: no failure once healthy again"):
        failures_after_healthy, requests_after_healthy = restart_under_load(headers)
        print(f"    {requests_after_healthy} requests after the restart, {failures_after_healthy} failed", flush=True)
        assert requests_after_healthy > 0 and failures_after_healthy == 0

    with step("down, then up: every customer kept"):
        before = customer_count(API, headers)
        compose("down", timeout=300)
        compose("up", "-d", timeout=600)
        wait_until(lambda: all_settled(services), timeout=180, what="every service healthy again")
        headers, _ = login(API, ADMIN_EMAIL, admin_password)
        assert customer_count(API, headers) == before
        assert "kept JWT_SECRET, ADMIN_PASSWORD, POSTGRES_PASSWORD" in compose("logs", "--no-color", "secrets").stdout

    with step("run --rm api user create, and seed --customers 1000"):
        before = customer_count(API, headers)
        compose("run", "--rm", "-T", "api", "user", "create", "--email", "second-admin@example.com", "--password", "-",
                input="deploy-second-admin-pw\n", timeout=300)
        login(API, "second-admin@example.com", "deploy-second-admin-pw")
        compose("run", "--rm", "-T", "api", "seed", "--customers", "1000", timeout=600)
        assert customer_count(API, headers) == before + 1000

    with step("profile pgbouncer: its API on its port"):
        compose("up", "-d", profile="pgbouncer", timeout=600)
        wait_until(lambda: all_settled(services + ["pgbouncer", "api-pgbouncer", "worker-pgbouncer"]), timeout=180,
                   what="the pgbouncer profile healthy")
        pooled_headers, _ = login(API_PGBOUNCER, ADMIN_EMAIL, admin_password)
        email = "deploy-pgbouncer@example.com"
        create_customer(API_PGBOUNCER, pooled_headers, email)
        assert customer_count(API_PGBOUNCER, pooled_headers) == customer_count(API, headers)
        wait_until(lambda: email in mailpit_recipients(), timeout=90, what="the email of the pooled customer")

    with step("non-root containers, healthy HEALTHCHECKs"):
        ours = 0
        for container in docker("ps", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}").split():
            service = docker("inspect", "-f", '{{index .Config.Labels "com.docker.compose.service"}}', container)
            image = docker("inspect", "-f", "{{.Config.Image}}", container)
            uids = {line.split()[1] for line in docker("top", container, "-o", "pid,uid").splitlines()[1:]}
            if image == IMAGE:
                ours += 1
                assert docker("inspect", "-f", "{{.Config.User}}", container) == "clientele", service
                assert docker("exec", container, "id", "-u") == "10001", service
                assert uids == {"10001"}, f"{service}: processes as uids {uids}"
            elif service in ("postgres", "pgbouncer"):
                assert "0" not in uids, f"{service}: a process runs as root"
            print(f"    {service}: uid {', '.join(sorted(uids))}", flush=True)
        assert ours >= 4  # api, worker, api-pgbouncer, worker-pgbouncer
        image_check = docker("image", "inspect", "-f", "{{json .Config.Healthcheck.Test}}", IMAGE)
        assert "/health" in image_check, image_check
        for service in ("api", "worker", "api-pgbouncer", "worker-pgbouncer", "postgres"):
            for container in containers(service, profile="pgbouncer"):
                assert state(container)[1] == "healthy", f"{service}: {state(container)}"

    with step("change the generated credentials as README says (JWT_SECRET, POSTGRES_PASSWORD)"):
        change_credentials(headers)


def restart_under_load(headers):
    """GET /admin/customers in a loop while `restart api` runs; failures counted from the moment the restarted
    api answers /health again."""
    stop = threading.Event()
    counts = {"after": 0, "failed_after": 0}
    healthy_again = threading.Event()

    def loop():
        session = requests.Session()
        while not stop.is_set():
            ok = False
            try:
                ok = session.get(API + "/admin/customers?limit=5", headers=headers, timeout=10).status_code == 200
            except requests.RequestException:
                session = requests.Session()
            if healthy_again.is_set():
                counts["after"] += 1
                counts["failed_after"] += 0 if ok else 1
            time.sleep(0.02)

    worker = threading.Thread(target=loop)
    worker.start()
    try:
        time.sleep(2)
        compose("restart", "api", timeout=180)
        [container] = containers("api")
        wait_until(lambda: state(container)[1] == "healthy", timeout=120, what="api healthy after the restart")
        healthy_again.set()
        time.sleep(10)
    finally:
        stop.set()
        worker.join(30)
    return counts["failed_after"], counts["after"]


def change_credentials(headers):
    """A new JWT secret and a new database password from the environment (.env for a user), in README's steps:
    `run --rm secrets` stores them, psql gives PostgreSQL the new password, PgBouncer is recreated (it keeps the
    password it started with), and `restart api` signs with the new secret."""
    new_jwt = "deploy-test-" + os.urandom(24).hex()
    new_password = "deploy-test-" + os.urandom(12).hex()
    env = {"JWT_SECRET": new_jwt, "POSTGRES_PASSWORD": new_password}
    stored = compose("run", "--rm", "-T", "secrets", env=env, timeout=300)
    assert "JWT_SECRET, POSTGRES_PASSWORD set from the environment" in stored.stdout + stored.stderr, stored
    compose("exec", "-T", "postgres", "psql", "-U", "clientele", "-v", "ON_ERROR_STOP=1", input=(
        "\\set password `cat /secrets/postgres_password`\n"
        "ALTER ROLE CURRENT_USER PASSWORD :'password';\n"))
    compose("up", "-d", "--no-deps", "--force-recreate", "pgbouncer", profile="pgbouncer", timeout=300)
    compose("restart", "api", timeout=300)
    wait_until(lambda: all_settled(["secrets", "postgres", "migrate", "api", "worker", "mailpit", "pgbouncer",
                                    "api-pgbouncer", "worker-pgbouncer"]), timeout=180, what="healthy after the change")
    old = requests.get(API + "/admin/customers?limit=1", headers=headers, timeout=30)
    assert old.status_code == 401, f"a token signed with the old JWT secret: {old.status_code}"
    admin_password = compose("exec", "-T", "api", "cat", "/secrets/admin_password").stdout.strip()
    new_headers, token = login(API, ADMIN_EMAIL, admin_password)
    assert jwt_signed_with(token, new_jwt)
    # New connections authenticate with the new password: through libpq's pgpass, and through PgBouncer.
    compose("exec", "-T", "postgres", "sh", "-c", network_psql(new_password, "SELECT 1"))
    compose("restart", "worker", timeout=300)
    wait_until(lambda: all_settled(["worker"]), timeout=120, what="workers healthy on new connections")
    pooled_headers, _ = login(API_PGBOUNCER, ADMIN_EMAIL, admin_password)
    assert customer_count(API_PGBOUNCER, pooled_headers) == customer_count(API, new_headers)


if __name__ == "__main__":
    try:
        main()
    except AssertionError:
        traceback.print_exc()
        print("deploy test FAILED", file=sys.stderr)
        sys.exit(1)
