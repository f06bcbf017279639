"""No known secret is ever accepted (issue 15): the published list against the repository's files, serve and
migrate refusing a published value (also through *_FILE), the *_FILE variants themselves, and `clientele
secrets`, which generates a deployment's own (docker-compose.yml's `secrets` service)."""
import json
import os
import re
import secrets
import stat
import subprocess

import requests

from conftest import BIN, ROOT, base_env, free_port, run_cli, wait_until
from published_secrets import found_in_repository, listed, published

def refused(name):
    """The one line serve, migrate and secrets print for a published value: it names the variable, not the value."""
    return (f"clientele: {name} is a value published in Clientele's repository (a default, example or test value); "
            "set a secret of your own\n")


def test_published_list_covers_every_secret_the_repository_files_assign():
    """Every literal a tracked file assigns to a secret setting is on the list serve, migrate and secrets refuse
    (the refusal tests below use former values on purpose); `current` holds only values still in the files."""
    current, former = listed()
    found = found_in_repository()
    unlisted = {value: sorted(files) for value, files in found.items() if value not in current | former}
    assert unlisted == {}, "assigned in these files but not in PublishedSecrets.current (add them there)"
    assert sorted(current - set(found)) == [], "in PublishedSecrets.current but in no file any more: move to former"
    assert current.isdisjoint(former)


def serve_settings_error(env):
    """serve's exit code and stderr when its settings are refused (it stops before listening)."""
    result = subprocess.run([BIN, "serve", "--port", "0", "--workers", "1"], env=env, capture_output=True,
                            text=True, timeout=60)
    return result.returncode, result.stderr


def test_serve_refuses_every_published_value_as_jwt_secret_naming_only_the_variable(db, tmp_path):
    for value in sorted(published()):
        code, stderr = serve_settings_error(base_env(db.url, JWT_SECRET=value))
        assert (code, stderr) == (1, refused("JWT_SECRET")), value
    # The same through a file, as compose and Docker secrets pass it (with the line ending `echo` adds).
    secret_file = tmp_path / "jwt_secret"
    secret_file.write_text("change-me-this-placeholder-secret-is-public-0123456789\n")
    env = base_env(db.url, JWT_SECRET_FILE=secret_file)
    del env["JWT_SECRET"]
    code, stderr = serve_settings_error(env)
    assert (code, stderr) == (1, refused("JWT_SECRET"))


def test_migrate_refuses_a_published_admin_password_and_creates_no_admin(fresh_db, tmp_path):
    env = {"DATABASE_URL": fresh_db.url, "ADMIN_EMAIL": "first@example.com", "ADMIN_PASSWORD": "change-me-admin-password"}
    result = run_cli(["migrate"], env=env, check=False)
    assert (result.returncode, result.stderr) == (1, refused("ADMIN_PASSWORD"))
    password_file = tmp_path / "admin_password"
    password_file.write_text("api-tests-password-123\n")
    result = run_cli(["migrate"], env={**env, "ADMIN_PASSWORD": "", "ADMIN_PASSWORD_FILE": str(password_file)},
                     check=False)
    assert (result.returncode, result.stderr) == (1, refused("ADMIN_PASSWORD"))
    # Refused before it touched the database: no table, so no admin.
    assert fresh_db.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0"


def test_file_variants_are_read_without_their_line_ending_and_misuse_is_one_line(fresh_db, tmp_path):
    jwt_file, password_file = tmp_path / "jwt", tmp_path / "password"
    jwt_file.write_text("a-jwt-secret-of-this-deployment-only-7Hq2xP9mZ\n")
    password_file.write_text("a-password-of-this-deployment-only-4Kd8\r\n")
    run_cli(["migrate"], env={"DATABASE_URL": fresh_db.url, "ADMIN_EMAIL": "files@example.com",
                              "ADMIN_PASSWORD_FILE": str(password_file)})
    env = base_env(fresh_db.url, JWT_SECRET_FILE=jwt_file)
    del env["JWT_SECRET"]
    port = free_port()
    server = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: requests.get(base + "/health", timeout=2).status_code == 200, timeout=60, what="serve")
        login = requests.post(base + "/admin/auth/token", timeout=30, json={
            "email": "files@example.com", "password": "a-password-of-this-deployment-only-4Kd8"})
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        me = requests.get(base + "/admin/auth", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert me.status_code == 200, me.text
    finally:
        server.terminate()
        server.wait(60)

    both = serve_settings_error({**env, "JWT_SECRET": "x" * 40})
    assert both == (1, "clientele: JWT_SECRET and JWT_SECRET_FILE are both set; set one of them\n")
    missing = serve_settings_error({**env, "JWT_SECRET_FILE": str(tmp_path / "absent")})
    assert missing == (1, f"clientele: JWT_SECRET_FILE: {tmp_path / 'absent'} does not exist\n")
    (tmp_path / "empty").write_text("\n")
    empty = serve_settings_error({**env, "JWT_SECRET_FILE": str(tmp_path / "empty")})
    assert empty == (1, f"clientele: JWT_SECRET_FILE: {tmp_path / 'empty'} is empty\n")


def secrets_command(folder, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "ADMIN_PASSWORD", "POSTGRES_PASSWORD")}
    return subprocess.run([BIN, "secrets", "--dir", str(folder)], env={**clean, **env}, capture_output=True, text=True,
                          timeout=60)


def read_secrets(folder):
    return {name: (folder / name).read_text() for name in ("jwt_secret", "admin_password", "postgres_password", "pgpass")}


def test_secrets_generates_once_prints_the_admin_once_and_takes_the_environments_values(tmp_path):
    folder = tmp_path / "secrets"
    first = secrets_command(folder, ADMIN_EMAIL="admin@example.com")
    assert first.returncode == 0, first.stderr
    values = read_secrets(folder)
    jwt, password, database = (values[n].rstrip("\n") for n in ("jwt_secret", "admin_password", "postgres_password"))
    assert [len(jwt), len(password), len(database)] == [64, 24, 32]
    assert all(re.fullmatch(r"[A-Za-z0-9]+", v) for v in (jwt, password, database))
    assert not {jwt, password, database} & published()
    assert values["pgpass"] == f"*:*:*:*:{database}\n"
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert {stat.S_IMODE(os.stat(folder / n).st_mode) for n in values} == {0o600}
    # The admin's login is the result (standard output); what was done, log lines (standard error).
    assert first.stdout == (f"secrets: first admin login: admin@example.com / {password}   "
                            f"(printed this once; kept in {folder}/admin_password)\n")
    assert f"INFO clientele.secrets: generated JWT_SECRET, ADMIN_PASSWORD, POSTGRES_PASSWORD in {folder}\n" \
        in first.stderr, first.stderr
    assert not {jwt, password, database} & set(first.stderr.split()), "a secret in a log line"

    # Every later start keeps them and prints no secret.
    again = secrets_command(folder, ADMIN_EMAIL="admin@example.com")
    assert again.returncode == 0 and read_secrets(folder) == values, again.stderr
    assert again.stdout == ""
    assert again.stderr.endswith(f"INFO clientele.secrets: kept JWT_SECRET, ADMIN_PASSWORD, POSTGRES_PASSWORD in {folder}\n")

    # Under LOG_FORMAT=json the login is one JSON object, its parts as fields.
    json_folder = tmp_path / "json"
    as_json = secrets_command(json_folder, ADMIN_EMAIL="admin@example.com", LOG_FORMAT="json")
    result = json.loads(as_json.stdout)
    assert (result["message"], result["email"]) == ("first admin login", "admin@example.com")
    assert result["password"] == (json_folder / "admin_password").read_text().strip()
    assert all(json.loads(line)["logger"] == "clientele.secrets" for line in as_json.stderr.splitlines())

    # A value from the environment (.env under compose) replaces the stored one; pgpass follows, escaped.
    own = "with:colon\\backslash-" + secrets.token_hex(8)
    replaced = secrets_command(folder, POSTGRES_PASSWORD=own, JWT_SECRET="")
    assert replaced.returncode == 0, replaced.stderr
    assert f"POSTGRES_PASSWORD set from the environment into {folder}\n" in replaced.stderr, replaced.stderr
    assert (folder / "postgres_password").read_text() == own + "\n"
    assert (folder / "pgpass").read_text() == "*:*:*:*:" + own.replace("\\", "\\\\").replace(":", "\\:") + "\n"
    assert (folder / "jwt_secret").read_text() == values["jwt_secret"]

    # A published value is refused, from the environment or found in the folder; the message names the variable.
    rejected = secrets_command(folder, ADMIN_PASSWORD="change-me-admin-password")
    assert (rejected.returncode, rejected.stderr) == (1, refused("ADMIN_PASSWORD"))
    (folder / "jwt_secret").write_text("change-me-this-placeholder-secret-is-public-0123456789\n")
    planted = secrets_command(folder)
    assert planted.returncode == 1 and planted.stderr == (
        f"clientele: secrets: {folder}/jwt_secret holds a value published in Clientele's repository; "
        "delete the file or set JWT_SECRET\n")
