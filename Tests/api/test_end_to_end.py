"""The whole product as a user runs it: `serve` and `worker` together, a customer created over HTTP, and
its welcome email arriving at a real SMTP server (DESIGN.md "Async work")."""
import time

import requests

from conftest import Process, Server, base_env, wait_until
from helpers_api import auth_headers, new_email
from test_worker import MAIL_FROM, sink, start_worker  # noqa: F401  (fixtures)


def test_a_customer_created_over_http_gets_one_welcome_email(db, tmp_path, sink, start_worker):
    server = Server(db.url, tmp_path, workers=2)
    try:
        worker = start_worker(db, smtp=sink)
        headers = auth_headers(server, db)
        email = new_email("e2e")
        started = time.monotonic()
        response = requests.post(server.url + "/admin/customers", headers=headers, json={
            "email": email, "first_name": "Ada", "last_name": "Lovelace", "password": "supersecret"})
        assert response.status_code == 201, response.text
        customer = response.json()["customer"]
        wait_until(lambda: [m for m in sink.messages if m["to"].endswith(email + ">") or m["to"] == email],
                   timeout=30, what="the welcome email")
        print(f"POST /admin/customers -> welcome email at the SMTP server in {(time.monotonic() - started) * 1000:.0f} ms")
        messages = [m for m in sink.messages if email in m["to"]]
        assert len(messages) == 1
        assert messages[0]["from"] == MAIL_FROM
        assert messages[0]["idempotency_key"] == f"welcome/{customer['id']}"
        assert "Ada" in messages[0]["text"]
        delivery = db.sql(f"SELECT status, attempts FROM email_delivery WHERE customer_id = '{customer['id']}'")
        assert delivery == "sent|1"
        # An update and a delete record their events too, and send no email.
        assert requests.post(server.url + f"/admin/customers/{customer['id']}", headers=headers,
                             json={"first_name": "Augusta"}).status_code == 200
        assert requests.delete(server.url + f"/admin/customers/{customer['id']}", headers=headers).status_code == 200
        wait_until(lambda: db.sql(
            "SELECT count(*) FROM job WHERE state = 'completed' AND args->>'customer_id' = '%s'" % customer["id"]) == "3",
            timeout=30, what="all three events completed")
        assert len([m for m in sink.messages if email in m["to"]]) == 1
    finally:
        server.stop()
