"""LOG_FORMAT=json for every command (README "Output of the commands"): every line a command writes, on standard
error (its log lines) and on standard output (its result), is one JSON object with serve's fields: time, level,
logger, message (and then the line's own fields, all strings)."""
import json
import secrets
import signal
import subprocess

import requests

from conftest import BIN, JWT_SECRET, ROOT, Process, Server, base_env, wait_until
from helpers_api import TIMESTAMP

LEVELS = {"trace", "debug", "info", "notice", "warning", "error", "critical"}


def json_lines(text, what):
    """Each line of `text` parsed as a log object; fails naming the first line that is not one."""
    objects = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            raise AssertionError(f"{what}: not a JSON line: {line!r}")
        assert isinstance(value, dict), (what, line)
        assert list(value)[:4] == ["time", "level", "logger", "message"], (what, line)
        assert TIMESTAMP.match(value["time"]) and value["level"] in LEVELS, (what, line)
        assert all(isinstance(v, str) for v in value.values()), (what, line)
        objects.append(value)
    return objects


def run(args, db_url, input=None, **env):
    result = subprocess.run([BIN, *args], env={**base_env(db_url, LOG_FORMAT="json"), **env}, input=input,
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    what = "clientele " + " ".join(args)
    return result, json_lines(result.stdout, what + " stdout"), json_lines(result.stderr, what + " stderr")


def test_migrate_writes_only_json_lines(fresh_db):
    # Generated: migrate refuses an admin password written in the repository (PublishedSecrets).
    password = secrets.token_urlsafe(12)
    first, out, err = run(["migrate"], fresh_db.url, ADMIN_EMAIL="root@example.com", ADMIN_PASSWORD=password)
    assert first.returncode == 0 and out == []
    assert [(e["logger"], e["message"]) for e in err][-1] == ("clientele.migrate", "created admin user root@example.com")
    assert err[0]["message"].startswith("applied 0001_customers") and err[0]["migrations"] == "built-in"
    again, out, err = run(["migrate"], fresh_db.url)
    assert again.returncode == 0 and out == []
    assert [e["message"] for e in err] == ["schema is current"]


def test_user_commands_write_only_json_lines(db):
    created, out, err = run(["user", "create", "--email", "json@example.com", "--password", "-"], db.url,
                            input="pw-123456789\n")
    assert created.returncode == 0 and err == []
    [user] = out
    assert (user["logger"], user["message"], user["email"]) == ("clientele.user", "created", "json@example.com")
    assert user["id"].startswith("usr_") and "password" not in json.dumps(user).replace("json@", "")
    listed, out, err = run(["user", "list"], db.url)
    assert listed.returncode == 0 and err == []
    assert {(u["id"], u["email"], u["role"]) for u in out} >= {(user["id"], "json@example.com", "admin")}
    assert all(set(u) == {"time", "level", "logger", "message", "id", "email", "role", "created_at"} for u in out)
    deleted, out, err = run(["user", "delete", "--email", "json@example.com"], db.url)
    assert deleted.returncode == 0 and [u["message"] for u in out] == ["deleted"]
    refused, out, err = run(["user", "delete", "--email", "json@example.com"], db.url)
    assert refused.returncode == 1 and out == []
    assert [(e["level"], e["logger"]) for e in err] == [("error", "clientele")]
    assert err[0]["message"] == "user delete: no user with email json@example.com"


def test_seed_writes_only_json_lines(fresh_db):
    fresh_db.migrate()
    result, out, err = run(["seed", "--customers", "300", "--batch-size", "100"], fresh_db.url)
    assert result.returncode == 0
    [summary] = out
    assert (summary["logger"], summary["message"], summary["customers"]) == ("clientele.seed", "seeded", "300")
    assert err and err[-1]["done"] == "300" and err[-1]["total"] == "300"


def test_worker_and_its_check_write_only_json_lines(db, tmp_path):
    heartbeat = tmp_path / "heartbeat"
    env = base_env(db.url, LOG_FORMAT="json", WORKER_HEARTBEAT_FILE=str(heartbeat))
    missing, out, err = run(["worker", "--check"], db.url, WORKER_HEARTBEAT_FILE=str(heartbeat))
    assert missing.returncode == 1 and err == [] and [o["message"] for o in out] == ["unhealthy"]
    worker = Process(["worker"], env, tmp_path / "worker.log")
    try:
        wait_until(heartbeat.exists, timeout=30, what=f"the worker's heartbeat:\n{worker.output()}")
        healthy, out, err = run(["worker", "--check"], db.url, WORKER_HEARTBEAT_FILE=str(heartbeat))
        assert healthy.returncode == 0 and [o["message"] for o in out] == ["healthy"]
    finally:
        assert worker.stop(signal.SIGTERM) == 0, worker.output()
    lines = json_lines(worker.log_path.read_text(), "clientele worker")
    assert any(line["message"] == "signal received: stopping" for line in lines)


def test_serve_writes_only_json_lines(db, tmp_path):
    server = Server(db.url, tmp_path, workers=1, env={"LOG_FORMAT": "json"})
    try:
        assert requests.get(server.url + "/health", timeout=30).status_code == 200
        assert requests.get(server.url + "/admin/customers", timeout=30).status_code == 401
    finally:
        server.stop()
    lines = json_lines(server.log_path.read_text(), "clientele serve")
    assert {line["logger"] for line in lines} >= {"clientele.serve", "clientele.http"}


def test_stops_and_refused_command_lines_are_json_lines(db):
    missing, out, err = run(["migrate"], db.url, DATABASE_URL="")
    assert missing.returncode == 1 and out == []
    assert [(e["level"], e["message"]) for e in err] == [("error", "DATABASE_URL is required but not set")]
    bad_flag, out, err = run(["migrate", "--bogus"], db.url)
    assert bad_flag.returncode != 0 and out == [] and len(err) == 1 and "--bogus" in err[0]["message"]
    bad_setting, out, err = run(["serve"], db.url, JWT_SECRET="short")
    assert bad_setting.returncode == 1 and out == [] and "JWT_SECRET" in err[0]["message"]
    assert JWT_SECRET not in bad_setting.stderr
