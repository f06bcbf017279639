"""GET /metrics: Prometheus text with the totals of every worker process, whichever worker answers."""
import os
import re
import signal

import requests

from conftest import wait_until


def scrape(server):
    response = requests.get(server.url + "/metrics", headers={"Connection": "close"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.text


def health_count(text):
    match = re.search(r'clientele_http_requests_total\{method="GET",route="/health",status="200"\} (\d+)', text)
    return int(match.group(1)) if match else 0


def test_a_scrape_sees_the_requests_of_every_worker(db, start_server):
    server = start_server(db.url, workers=2)
    before = health_count(scrape(server))
    for _ in range(100):
        assert requests.get(server.url + "/health", headers={"Connection": "close"}).status_code == 200
    # Every scrape, whichever of the two workers answers it, sees all 100.
    for _ in range(6):
        assert health_count(scrape(server)) == before + 100


def test_counts_survive_a_worker_that_died(db, start_server):
    server = start_server(db.url, workers=2)
    for _ in range(40):
        requests.get(server.url + "/health", headers={"Connection": "close"})
    counted = health_count(scrape(server))
    victim = server.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(server.worker_pids()) == 2 and victim not in server.worker_pids())
    assert health_count(scrape(server)) >= counted


def test_metrics_cover_latency_pool_and_jobs(db, start_server):
    server = start_server(db.url, workers=1)
    requests.get(server.url + "/ready")
    db.sql("INSERT INTO job (kind, args) VALUES ('noop', '{}')")
    text = scrape(server)
    assert 'clientele_http_request_duration_seconds_bucket{method="GET",route="/ready",le="+Inf"} 1' in text
    assert 'clientele_http_request_duration_seconds_count{method="GET",route="/ready"} 1' in text
    assert re.search(r'^clientele_db_pool_connections\{state="in_use"\} \d+$', text, re.M)
    assert re.search(r'^clientele_db_pool_waiting \d+$', text, re.M)
    assert re.search(r'^clientele_db_pool_timeouts_total \d+$', text, re.M)
    assert re.search(r'^clientele_jobs\{state="available"\} [1-9]\d*$', text, re.M)
    unmatched = requests.get(server.url + "/no/such/route")
    assert unmatched.status_code == 404
    assert 'clientele_http_requests_total{method="",route="unmatched",status="404"} 1' in scrape(server)
