"""clientele seed: fake customers straight into the tables, with no jobs (so no welcome emails)."""
import re

from conftest import run_cli
from helpers_api import ADDRESS_ID, CUSTOMER_ID


def test_seed_inserts_customers_groups_and_addresses_and_no_jobs(fresh_db):
    fresh_db.migrate()
    result = run_cli(["seed", "--customers", "2500", "--batch-size", "1000"], env={"DATABASE_URL": fresh_db.url})
    # Not a terminal: plain progress lines on stderr, the summary on stdout.
    assert "100% 2500/2500 customers" in result.stderr, result.stderr
    assert "\r" not in result.stderr
    assert re.match(r"seed: 2500 customers, \d+ addresses, \d+ group memberships \(8 groups\)", result.stdout), result.stdout

    assert fresh_db.sql("SELECT count(*), count(DISTINCT email), count(DISTINCT id) FROM customer") == "2500|2500|2500"
    assert fresh_db.sql("SELECT count(*) FROM job") == "0"
    assert fresh_db.sql("SELECT sum(live) FROM customer_counter") == "2500"
    # created_at spread over the past year, and the id's ULID time is created_at's.
    spread = fresh_db.sql("SELECT min(created_at) > now() - interval '366 days', max(created_at) <= now(), "
                          "max(created_at) - min(created_at) > interval '300 days' FROM customer")
    assert spread == "t|t|t"
    for row in fresh_db.sql("SELECT id FROM customer ORDER BY random() LIMIT 50").split("\n"):
        assert CUSTOMER_ID.match(row), row
    ordered = fresh_db.sql("SELECT bool_and(id_order = time_order) FROM ("
                           "SELECT rank() OVER (ORDER BY substr(id, 5, 10)) AS id_order, "
                           "rank() OVER (ORDER BY created_at) AS time_order FROM customer) AS o")
    assert ordered == "t"
    addresses, members, groups = fresh_db.sql(
        "SELECT (SELECT count(*) FROM address), (SELECT count(*) FROM customer_group_customers), "
        "(SELECT count(*) FROM customer_group)").split("|")
    assert 0 < int(addresses) < 2500 and 0 < int(members) < 2500 and groups == "8"
    assert ADDRESS_ID.match(fresh_db.sql("SELECT id FROM address LIMIT 1"))

    # Seeding again adds as many, reusing the groups, with no collision.
    run_cli(["seed", "--customers", "500"], env={"DATABASE_URL": fresh_db.url})
    assert fresh_db.sql("SELECT count(*), count(DISTINCT email) FROM customer") == "3000|3000"
    assert fresh_db.sql("SELECT count(*) FROM customer_group") == "8"
