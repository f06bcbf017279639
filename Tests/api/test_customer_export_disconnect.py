"""GET /admin/customers/export when the client goes away in the middle: the server's COPY is cancelled, its
connection comes out of the copy, and the server (one worker, one leased connection) serves the next exports
and lists as before."""
import socket

import requests

from conftest import wait_until
from helpers_api import Api, auth_headers, body

CUSTOMERS = 100_000  # about 15 MiB of CSV: far more than the socket buffers hold


def active_copies(db):
    return db.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND state = 'active' AND query LIKE 'COPY%'").strip()


def start_and_leave(server, headers):
    """Starts an export on a raw socket, reads its head and the first rows, and closes the socket."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        request = "GET /admin/customers/export HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        request += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        connection.sendall(request.encode())
        received = b""
        while len(received) < 64 * 1024:
            data = connection.recv(16 * 1024)
            assert data, received[:200]
            received += data
        assert received.startswith(b"HTTP/1.1 200"), received[:200]
        # A reset rather than an orderly close: the server's next write fails at once.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def test_a_client_that_leaves_mid_export_leaves_the_server_and_its_pool_usable(db, start_server):
    db.sql(f"""
        INSERT INTO customer (id, email, first_name, last_name, phone)
        SELECT 'cus_' || lpad(i::text, 26, '0'), 'gone-' || i || '@example.com', 'First' || i, 'Last' || i,
               '+1 555 ' || i
        FROM generate_series(1, {CUSTOMERS}) AS i
    """)
    server = start_server(db.url, workers=1, env={"DB_POOL_SIZE": 1})
    worker = server.worker_pids()
    api = Api(server, db, auth_headers(server, db))
    for _ in range(3):
        start_and_leave(server, api.headers)
        # The COPY stops on the server soon after: it was cancelled, not read to its end.
        wait_until(lambda: active_copies(db) == "0", timeout=30, what="the abandoned COPY to stop")
    # The one leased connection is back: a search (which takes a leased connection) and a whole export work.
    assert body(api.get("/admin/customers", params={"q": "gone-7@", "limit": 1}), 200)["count"] == 1
    response = requests.get(server.url + "/admin/customers/export", headers=api.headers, timeout=120)
    assert response.status_code == 200
    assert response.content.count(b"\r\n") == CUSTOMERS + 1
    assert server.worker_pids() == worker, "the worker did not crash"
    assert server.proc.poll() is None
