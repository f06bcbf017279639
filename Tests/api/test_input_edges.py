"""Values that pass validation but that PostgreSQL refuses are the client's mistake: a 400, never a 500."""
import pytest

from helpers_api import api, body, customer_body, new_email  # noqa: F401  (fixture)


def test_a_metadata_number_beyond_numerics_range_is_400_and_stores_nothing(api):
    email = new_email("hugenum")
    raw = ('{"email": "%s", "first_name": "A", "last_name": "B", "password": "supersecret", '
           '"metadata": {"n": 1e1000000}}' % email)
    response = api.post("/admin/customers", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["type"] == "invalid_data"
    assert api.db.sql(f"SELECT count(*) FROM customer WHERE email = '{email}'") == "0"
