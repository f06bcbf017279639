"""clientele user create/list/delete, and migrate's first admin, as an operator runs them."""
import pytest

from conftest import Database, run_cli

PASSWORD = "Tr0ub4dor&3-never-printed"


@pytest.fixture
def users_db():
    database = Database().migrate()
    yield database
    database.drop()


def cli(db, *args, **kwargs):
    return run_cli(list(args), env={"DATABASE_URL": db.url}, **kwargs)


def assert_password_hidden(result, password=PASSWORD):
    assert password not in result.stdout
    assert password not in result.stderr


def test_create_list_delete(users_db):
    created = cli(users_db, "user", "create", "--email", "Admin@Example.com", "--password", PASSWORD,
                  "--first-name", "Ada", "--last-name", "Lovelace")
    assert_password_hidden(created)
    assert created.stdout.startswith("user create: created usr_")
    user_id, email = created.stdout.split()[3:5]
    assert len(user_id) == 30 and email == "admin@example.com"

    row = users_db.sql(
        "SELECT email, first_name, last_name, role, password_hash LIKE '$scrypt$ln=15,r=8,p=1$%' FROM \"user\"")
    assert row == "admin@example.com|Ada|Lovelace|admin|t"

    listed = cli(users_db, "user", "list")
    lines = listed.stdout.splitlines()
    assert lines[0] == "id\temail\trole\tcreated_at"
    fields = lines[1].split("\t")
    assert fields[:3] == [user_id, "admin@example.com", "admin"]
    assert fields[3].endswith("Z") and len(fields[3]) == 24  # 2024-01-01T00:00:00.000Z
    assert "$scrypt$" not in listed.stdout

    deleted = cli(users_db, "user", "delete", "--email", "ADMIN@example.com")
    assert deleted.stdout.strip() == f"user delete: deleted {user_id} admin@example.com"
    assert cli(users_db, "user", "list").stdout.strip() == "id\temail\trole\tcreated_at"
    assert users_db.sql("SELECT deleted_at IS NOT NULL FROM \"user\"") == "t"


def test_password_from_standard_input(users_db):
    created = cli(users_db, "user", "create", "--email", "stdin@example.com", "--password", "-",
                  "--api-token", "tok_from_cli", input=PASSWORD + "\n")
    assert_password_hidden(created)
    # The hash is of the line without its newline: verify with PostgreSQL-independent Python scrypt.
    stored = users_db.sql("SELECT password_hash FROM \"user\" WHERE email = 'stdin@example.com'")
    assert verify_scrypt(PASSWORD, stored)
    assert not verify_scrypt(PASSWORD + "\n", stored)
    # Only the SHA-256 of the API token is stored.
    assert users_db.sql("SELECT api_token = encode(sha256('tok_from_cli'), 'hex') FROM \"user\"") == "t"


def test_an_empty_or_missing_password_on_standard_input_is_refused(users_db):
    empty = cli(users_db, "user", "create", "--email", "e@example.com", "--password", "-", input="\n", check=False)
    assert empty.returncode == 1
    assert empty.stderr.strip() == "clientele: user create: the password must not be empty"
    missing = cli(users_db, "user", "create", "--email", "e@example.com", "--password", "-", input="", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "clientele: user create: no password on standard input"


def test_a_duplicate_email_is_one_clear_line_and_exit_1(users_db):
    cli(users_db, "user", "create", "--email", "dup@example.com", "--password", PASSWORD)
    again = cli(users_db, "user", "create", "--email", " DUP@example.com", "--password", PASSWORD, check=False)
    assert again.returncode == 1
    assert again.stderr == "clientele: user create: a user with email dup@example.com already exists\n"
    assert again.stdout == ""
    assert_password_hidden(again)
    assert users_db.sql("SELECT count(*) FROM \"user\"") == "1"


def test_deleting_an_unknown_email_fails_clearly(users_db):
    result = cli(users_db, "user", "delete", "--email", "nobody@example.com", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "clientele: user delete: no user with email nobody@example.com"


def test_migrate_creates_the_first_admin_once(fresh_db):
    env = {"DATABASE_URL": fresh_db.url, "ADMIN_EMAIL": "root@example.com", "ADMIN_PASSWORD": PASSWORD}
    first = run_cli(["migrate"], env=env)
    assert_password_hidden(first)
    # migrate's status lines are log lines: on standard error, nothing on standard output.
    assert "INFO clientele.migrate: created admin user root@example.com" in first.stderr and first.stdout == ""
    second = run_cli(["migrate"], env={**env, "ADMIN_EMAIL": "other@example.com"})
    assert "created admin" not in second.stderr and "an admin user exists; ADMIN_EMAIL not used" in second.stderr
    assert fresh_db.sql("SELECT string_agg(email, ',') FROM \"user\" WHERE deleted_at IS NULL") == "root@example.com"
    # After the only admin is deleted, the next migrate creates one again.
    run_cli(["user", "delete", "--email", "root@example.com"], env={"DATABASE_URL": fresh_db.url})
    third = run_cli(["migrate"], env=env)
    assert "clientele.migrate: created admin user root@example.com" in third.stderr


def test_migrate_without_admin_variables_creates_no_user(fresh_db):
    run_cli(["migrate"], env={"DATABASE_URL": fresh_db.url, "ADMIN_EMAIL": "", "ADMIN_PASSWORD": ""})
    assert fresh_db.sql("SELECT count(*) FROM \"user\"") == "0"


def test_migrate_with_only_one_admin_variable_stops_with_one_line(fresh_db):
    result = run_cli(["migrate"], env={"DATABASE_URL": fresh_db.url, "ADMIN_EMAIL": "root@example.com",
                                       "ADMIN_PASSWORD": ""}, check=False)
    assert result.returncode == 1
    assert result.stderr == "clientele: ADMIN_PASSWORD is required when ADMIN_EMAIL is set\n"


def verify_scrypt(password, stored):
    """Checks our $scrypt$ln=..,r=..,p=..$salt$key format with Python's hashlib, independently of Swift."""
    import base64
    import hashlib
    import hmac
    _, scheme, params, salt, key = stored.split("$")
    assert scheme == "scrypt"
    p = dict(kv.split("=") for kv in params.split(","))
    unb64 = lambda s: base64.b64decode(s + "=" * (-len(s) % 4))
    derived = hashlib.scrypt(password.encode(), salt=unb64(salt), n=2 ** int(p["ln"]), r=int(p["r"]), p=int(p["p"]),
                             dklen=32, maxmem=2 ** 27)
    return hmac.compare_digest(derived, unb64(key))
