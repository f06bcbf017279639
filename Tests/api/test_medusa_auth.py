"""Medusa v1.20.10's own integration tests of admin auth, ported: `integration-tests/api/__tests__/admin/auth.js`,
its v1 branch (`breaking(v1, v2)`), against the admin of Medusa's `admin-seeder.js`: `admin@medusa.js` with
`secret_password`, stored as Medusa stores passwords (a scrypt-kdf hash, which Clientele verifies and then
re-hashes in its own scheme)."""
import base64
import json

import requests

from helpers_api import body, parse_timestamp
from medusa_seed import ADMIN_EMAIL, ADMIN_PASSWORD, medusa  # noqa: F401


def test_creates_admin_session_correctly(medusa):
    """admin/auth.js (medusaIntegrationTestRunner, v1 branch) › creates admin session correctly"""
    response = requests.post(medusa.url + "/admin/auth", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                             timeout=60)
    payload = body(response, 200)
    assert set(payload) == {"user"}
    assert payload["user"]["email"] == ADMIN_EMAIL and payload["user"]["id"] == "admin_user"
    parse_timestamp(payload["user"]["created_at"])
    parse_timestamp(payload["user"]["updated_at"])
    # The session works: the cookie alone authenticates.
    me = requests.get(medusa.url + "/admin/auth", cookies=response.cookies, timeout=60)
    assert body(me, 200)["user"]["id"] == "admin_user"


def test_creates_admin_jwt_token_correctly(medusa):
    """admin/auth.js (medusaIntegrationTestRunner, v1 branch) › creates admin JWT token correctly"""
    response = requests.post(medusa.url + "/admin/auth/token",
                             json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, timeout=60)
    token = body(response, 200)["access_token"]
    assert isinstance(token, str)
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert (claims["user_id"], claims["domain"]) == ("admin_user", "admin")
    me = requests.get(medusa.url + "/admin/auth", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert body(me, 200)["user"]["email"] == ADMIN_EMAIL
