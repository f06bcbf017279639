"""What Medusa v1.20.10's integration tests start from, rebuilt here with SQL (their seeders write the tables
directly too): `integration-tests/helpers/admin-seeder.js` (the admin `admin@medusa.js` with api token
`test_token` and a scrypt-kdf password hash, as Medusa stores one) and `customer-seeder.js` (eight customers,
one address, seven groups, five memberships), and the per-module server the ported tests talk to.

Medusa empties its database after every test (`db.teardown()`); `reset_customers` does the same for the
customer tables before each ported test, so every test starts from exactly the seeder's rows.
"""
import base64
import hashlib
import hmac
import os

import pytest

from conftest import Server
from helpers_api import Api, sql_literal

ADMIN_EMAIL = "admin@medusa.js"
ADMIN_PASSWORD = "secret_password"
ADMIN_TOKEN = "test_token"
ADMIN_HEADERS = {"x-medusa-access-token": ADMIN_TOKEN}


def medusa_scrypt_hash(password, log_n=15, r=8, p=1):
    """`Scrypt.kdf(password, {logN, r, p})` of the npm package scrypt-kdf, base64: the 96-byte header of the
    scrypt file format (magic, parameters, salt, a SHA-256 checksum and an HMAC keyed by the derived key)."""
    salt = os.urandom(32)
    header = b"scrypt" + bytes([0, log_n]) + r.to_bytes(4, "big") + p.to_bytes(4, "big") + salt
    header += hashlib.sha256(header).digest()[:16]
    key = hashlib.scrypt(password.encode(), salt=salt, n=2 ** log_n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=64)
    return base64.b64encode(header + hmac.new(key[32:], header, hashlib.sha256).digest()).decode()


def seed_admin(db):
    """admin-seeder.js: user `admin_user`. Clientele keeps only the SHA-256 of an api token."""
    token_digest = hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()
    db.sql('INSERT INTO "user" (id, email, api_token, role, password_hash) VALUES '
           f"('admin_user', {sql_literal(ADMIN_EMAIL)}, {sql_literal(token_digest)}, 'admin', "
           f"{sql_literal(medusa_scrypt_hash(ADMIN_PASSWORD))})")


# customer-seeder.js, in its order. Each row is created a second after the one before it, as the seeder's
# separate inserts are, so that ordering by created_at gives the seeder's order.
CUSTOMERS = [
    ("test-customer-1", "test1@email.com", False),
    ("test-customer-2", "test2@email.com", False),
    ("test-customer-3", "test3@email.com", False),
    ("test-customer-has_account", "test4@email.com", True),
    ("test-customer-5", "test5@email.com", False),
    ("test-customer-6", "test6@email.com", False),
    ("test-customer-7", "test7@email.com", False),
    ("test-customer-delete-cg", "test-deletetion-cg@email.com", False),
]
GROUPS = [
    ("customer-group-1", "vip-customers", None),
    ("customer-group-2", "test-group-2", '{"data1": "value1"}'),
    ("customer-group-3", "test-group-3", None),
    ("test-group-4", "test-group-4", None),
    ("test-group-5", "test-group-5", None),
    ("test-group-6", "test-group-6", None),
    ("test-group-delete", "test-group-delete", None),
]
MEMBERSHIPS = [
    ("test-group-5", "test-customer-5"),
    ("test-group-5", "test-customer-6"),
    ("test-group-5", "test-customer-7"),
    ("test-group-6", "test-customer-7"),
    ("test-group-delete", "test-customer-delete-cg"),
]


def reset_customers(db):
    """Empties the customer tables and writes customer-seeder.js's rows again."""
    def at(second):
        return f"now() - interval '1 hour' + interval '{second} seconds'"

    statements = ["TRUNCATE customer_group_customers, address, customer, customer_group, job CASCADE"]
    statements.append(f"INSERT INTO address (id, first_name, last_name, created_at, updated_at) "
                      f"VALUES ('test-address', 'Lebron', 'James', {at(0)}, {at(0)})")
    for second, (cid, email, has_account) in enumerate(CUSTOMERS, start=1):
        statements.append(f"INSERT INTO customer (id, email, has_account, created_at, updated_at) VALUES "
                          f"({sql_literal(cid)}, {sql_literal(email)}, {str(has_account).lower()}, "
                          f"{at(second)}, {at(second)})")
    # test-customer-1 has the address as its billing address and as its (only) shipping address.
    statements.append("UPDATE address SET customer_id = 'test-customer-1' WHERE id = 'test-address'")
    statements.append("UPDATE customer SET billing_address_id = 'test-address' WHERE id = 'test-customer-1'")
    for second, (gid, name, metadata) in enumerate(GROUPS, start=20):
        statements.append(f"INSERT INTO customer_group (id, name, metadata, created_at, updated_at) VALUES "
                          f"({sql_literal(gid)}, {sql_literal(name)}, {sql_literal(metadata)}::jsonb, "
                          f"{at(second)}, {at(second)})")
    for gid, cid in MEMBERSHIPS:
        statements.append("INSERT INTO customer_group_customers (customer_group_id, customer_id) VALUES "
                          f"({sql_literal(gid)}, {sql_literal(cid)})")
    db.sql("; ".join(statements))


@pytest.fixture(scope="module")
def medusa(db, tmp_path_factory):
    """A server on a database holding admin-seeder.js's admin; requests authenticate as Medusa's tests do,
    with `x-medusa-access-token: test_token`."""
    seed_admin(db)
    server = Server(db.url, tmp_path_factory.mktemp("medusa-serve"), workers=2)
    try:
        yield Api(server, db, dict(ADMIN_HEADERS))
    finally:
        server.stop()


@pytest.fixture
def seeded(medusa):
    """customer-seeder.js's rows, fresh for this test."""
    reset_customers(medusa.db)
    return medusa
