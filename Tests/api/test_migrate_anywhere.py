"""`clientele migrate` from any folder: the migrations are compiled into the binary (byte for byte the files of
sql/migrations, so the checksums a database recorded from the folder still match), and MIGRATIONS_DIR or --dir
still name another folder."""
import hashlib
import os
import shutil
import subprocess

from conftest import BIN, ROOT

MIGRATIONS = os.path.join(ROOT, "sql", "migrations")


def migrate(db, *args, cwd="/", **env):
    """`clientele migrate` run from `cwd` with only the variables given (no MIGRATIONS_DIR unless given)."""
    environment = {"PATH": "/usr/bin:/bin", "DATABASE_URL": db.url, **env}
    return subprocess.run([BIN, "migrate", *args], env=environment, cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def folder_checksums():
    checksums = {}
    for name in sorted(os.listdir(MIGRATIONS)):
        if name.endswith(".sql"):
            with open(os.path.join(MIGRATIONS, name), "rb") as f:
                checksums[name[:-4]] = hashlib.sha256(f.read()).hexdigest()
    return checksums


def recorded(db):
    rows = db.sql("SELECT name, checksum FROM schema_migrations ORDER BY version")
    return dict(line.split("|") for line in rows.splitlines())


def test_migrate_from_the_root_folder_applies_the_built_in_migrations(fresh_db):
    first = migrate(fresh_db)
    assert first.returncode == 0, first.stderr
    assert "applied 0001_customers" in first.stderr and "migrations=built-in" in first.stderr
    assert "cannot read" not in first.stderr
    # Every file of sql/migrations, with the checksum of the file itself.
    assert recorded(fresh_db) == folder_checksums()
    assert fresh_db.sql("SELECT count(*) FROM customer_group") == "0"
    again = migrate(fresh_db)
    assert again.returncode == 0, again.stderr
    assert again.stderr.strip().endswith("schema is current migrations=built-in")


def test_a_database_migrated_from_the_folder_sees_no_change_from_the_binary(fresh_db):
    from_folder = migrate(fresh_db, "--dir", MIGRATIONS, cwd=ROOT)
    assert from_folder.returncode == 0, from_folder.stderr
    before = fresh_db.sql("SELECT json_agg(m ORDER BY version) FROM schema_migrations m")
    built_in = migrate(fresh_db)
    assert built_in.returncode == 0, built_in.stderr
    assert "schema is current" in built_in.stderr
    assert fresh_db.sql("SELECT json_agg(m ORDER BY version) FROM schema_migrations m") == before


def test_migrations_dir_and_dir_still_name_another_folder(fresh_db, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, folder)
    (folder / "0999_extra.sql").write_text("CREATE TABLE extra (id int);\nCOMMENT ON TABLE extra IS 'test';\n"
                                           "COMMENT ON COLUMN extra.id IS 'test';\n")
    result = migrate(fresh_db, MIGRATIONS_DIR=str(folder))
    assert result.returncode == 0, result.stderr
    assert f"migrations={folder}" in result.stderr and "0999_extra" in result.stderr
    assert "0999_extra" in recorded(fresh_db)
    # --dir wins over MIGRATIONS_DIR.
    missing = migrate(fresh_db, "--dir", str(tmp_path / "nowhere"), MIGRATIONS_DIR=str(folder))
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"clientele: migrate: cannot read migrations from {tmp_path / 'nowhere'}"


def test_a_changed_file_is_still_refused(fresh_db, tmp_path):
    assert migrate(fresh_db).returncode == 0
    folder = tmp_path / "changed"
    shutil.copytree(MIGRATIONS, folder)
    with open(folder / "0001_customers.sql", "a") as f:
        f.write("\n-- edited after it was applied\n")
    result = migrate(fresh_db, "--dir", str(folder))
    assert result.returncode == 1
    assert "migration 0001_customers was changed after it was applied" in result.stderr
