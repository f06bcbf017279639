"""clientele migrate: applies sql/migrations in order, once each, safely from several processes."""
import subprocess

from conftest import BIN, ROOT, run_cli


def test_migrate_applies_every_file_once_and_then_reports_current(fresh_db):
    first = run_cli(["migrate"], env={"DATABASE_URL": fresh_db.url})
    assert "INFO clientele.migrate: applied 0001_customers" in first.stderr, first.stderr
    second = run_cli(["migrate"], env={"DATABASE_URL": fresh_db.url})
    assert second.stderr.strip().endswith("INFO clientele.migrate: schema is current migrations=built-in")
    assert first.stdout == second.stdout == ""
    files = fresh_db.sql("SELECT count(*) FROM schema_migrations")
    assert int(files) >= 3


def test_concurrent_migrations_apply_each_file_once(fresh_db):
    procs = [subprocess.Popen([BIN, "migrate"], env={"DATABASE_URL": fresh_db.url, "PATH": "/usr/bin:/bin"},
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    applied = [e for _, e in outputs if "applied" in e]
    assert len(applied) == 1, outputs
    assert fresh_db.sql("SELECT count(*) = count(DISTINCT version) FROM schema_migrations") == "t"


def test_every_table_and_column_carries_a_comment(db):
    missing = db.sql("""
        SELECT c.relname || coalesce('.' || a.attname, '')
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind = 'r'
          AND (obj_description(c.oid, 'pg_class') IS NULL
               OR (a.attname IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL))
        """)
    assert missing == ""


def test_missing_database_url_is_one_clear_line():
    result = run_cli(["migrate"], env={"DATABASE_URL": ""}, check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == "clientele: DATABASE_URL is required but not set"
