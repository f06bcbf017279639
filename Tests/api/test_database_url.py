"""A DATABASE_URL (or DATABASE_LISTEN_URL) that libpq cannot parse stops every command that reads it at start,
with one line naming the variable and libpq's reason, and never its password."""
import pytest

from conftest import run_cli

SECRET = "s3cret-Pa55"

# Each malformed form libpq's parser (PQconninfoParse) refuses, with the reason it gives. The password is in
# every one, and in the places libpq's message would quote it.
FORMS = {
    "unterminated IPv6 host": (f"postgresql://app:{SECRET}@[::1", 'matching "]" in IPv6 host address in URI'),
    "unknown query parameter": (f"postgresql://app:{SECRET}@localhost/db?bogus=1",
                                'invalid URI query parameter: "bogus"'),
    "query parameter without =": (f"postgres://app:{SECRET}@localhost/db?sslmode",
                                  'missing key/value separator "=" in URI query parameter: "sslmode"'),
    "bad percent-encoding in the password": (f"postgresql://app:{SECRET}%zz@localhost/db",
                                             'invalid percent-encoded token: "***"'),
    "%00 in the password": (f"postgresql://app:{SECRET}%00@localhost/db",
                            'forbidden value %00 in percent-encoded value: "***"'),
    "bad percent-encoding in a password parameter": (
        f"postgresql://app@localhost/db?password={SECRET}%zz", 'invalid percent-encoded token: "***"'),
    "unknown keyword": (f"host=localhost password={SECRET} bogus=1", 'invalid connection option "bogus"'),
    "unterminated quote": (f"host=localhost password='{SECRET}", "unterminated quoted string in connection info string"),
    "keyword without =": (f"password={SECRET} host", 'missing "=" after "host" in connection info string'),
}


def assert_named(result, variable, reason):
    assert result.returncode == 1, result
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"clientele: {variable} is not a valid PostgreSQL connection string: "), line
    assert reason in line, line
    assert SECRET not in result.stderr


@pytest.mark.parametrize("form", FORMS)
def test_each_malformed_form_is_named_without_its_password(form):
    url, reason = FORMS[form]
    assert_named(run_cli(["migrate"], env={"DATABASE_URL": url}, check=False), "DATABASE_URL", reason)


def test_the_whole_uri_in_libpqs_message_has_its_password_hidden():
    result = run_cli(["migrate"], env={"DATABASE_URL": f"postgresql://app:{SECRET}@[::1"}, check=False)
    assert_named(result, "DATABASE_URL", 'in URI: "postgresql://app:***@[::1"')


@pytest.mark.parametrize("command", [
    ["migrate"], ["serve", "--port", "0"], ["worker"], ["user", "list"], ["user", "delete", "--email", "a@b.co"],
    ["user", "create", "--email", "a@b.co", "--password", "pw-123456789"], ["seed", "--customers", "10"],
])
def test_every_command_that_reads_database_url_names_it(command):
    url, reason = FORMS["unknown query parameter"]
    result = run_cli(command, env={"DATABASE_URL": url, "JWT_SECRET": "x" * 40}, check=False)
    assert_named(result, "DATABASE_URL", reason)


def test_the_worker_names_a_malformed_listen_url(db):
    url, reason = FORMS["unterminated quote"]
    result = run_cli(["worker"], env={"DATABASE_URL": db.url, "DATABASE_LISTEN_URL": url}, check=False)
    assert_named(result, "DATABASE_LISTEN_URL", reason)


@pytest.mark.parametrize("url", ["postgresql://app@localhost:99999/db", "dbname_only", "host=/nowhere dbname=x"])
def test_what_libpq_parses_passes_the_check_and_fails_only_at_connect(url):
    # A plain database name, or a port libpq only checks when connecting: not a malformed setting.
    result = run_cli(["migrate"], env={"DATABASE_URL": url}, check=False)
    assert result.returncode == 1
    assert "not a valid PostgreSQL connection string" not in result.stderr
    assert result.stderr.startswith("clientele: migrate: "), result.stderr
