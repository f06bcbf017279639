#!/usr/bin/env python3
"""make bench-data: the customer list, export and import at a million customers, one run, each figure next to
the baseline it is judged against, measured in the same run on the same machine.

1. Pages (limit 50) of GET /admin/customers: the 1st, 20th, 10,000th and last page by cursor (p50 of rounds
   that request each of them in turn, the same cursor each time), against the first page's p50; the same
   pages by offset for comparison.
   Default order, order=email, has_account=true&order=-phone (nullable key), and q=mar (a search).
2. Export: GET /admin/customers/export of every customer through curl into /dev/null, against psql's
   `\\copy (the same SELECT) TO '/dev/null' CSV`; the serve workers' RSS sampled every 20 ms during the export.
3. Import: the same million rows (email, first_name, last_name, phone) as one CSV file, POSTed to
   /admin/customers/imports and run by `clientele worker` into an empty migrated database, against psql's
   `\\copy customer (…) FROM` of the same file into another empty migrated database (same indexes, triggers).

    .venv/bin/python bench/data.py --bin .build/release/clientele --admin-url "$(scripts/db.sh url)"
"""
import argparse
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import requests

JWT_SECRET = secrets.token_urlsafe(32)  # a literal here would be a published secret, which serve refuses
TOKEN = "bench-data-api-token-0123456789"
LIMIT = 50
PAGES = [1, 20, 10_000, "last"]
LISTS = [("default order", {}), ("order=email", {"order": "email"}),
         ("has_account=true&order=-phone", {"has_account": "true", "order": "-phone"}), ("q=mar", {"q": "mar"})]
EXPORT_SQL = """SELECT c.id, c.email, c.first_name, c.last_name, c.phone, c.has_account,
       (SELECT string_agg(replace(replace(g.name, '\\', '\\\\'), ';', '\\;'), ';' ORDER BY g.name)
        FROM customer_group_customers m
        JOIN customer_group g ON g.id = m.customer_group_id AND g.deleted_at IS NULL
        WHERE m.customer_id = c.id) AS groups,
       c.created_at, c.updated_at, c.metadata
FROM customer c WHERE c.deleted_at IS NULL ORDER BY c.created_at DESC, c.id DESC"""


def log(text):
    print(text, flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.processes = []
        self.work = tempfile.mkdtemp(prefix="bench-data-")
        os.chmod(self.work, 0o755)

    # --- databases and processes -----------------------------------------------------------------------------

    def url(self, name):
        return urllib.parse.urlparse(self.args.admin_url)._replace(path="/" + name).geturl()

    def psql(self, url, *commands):
        argv = ["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1"]
        for command in commands:
            argv += ["-c", command]
        return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()

    def fresh(self, name):
        self.psql(self.args.admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
        url = self.url(name)
        subprocess.run([self.args.bin, "migrate"], env={**os.environ, "DATABASE_URL": url}, check=True,
                       capture_output=True)
        return url

    def drop(self, name):
        self.psql(self.args.admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def start(self, args, url, **env):
        environment = {**os.environ, "DATABASE_URL": url, "JWT_SECRET": JWT_SECRET, "LOG_LEVEL": "warning",
                       **{k: str(v) for k, v in env.items()}}
        process = subprocess.Popen([self.args.bin, *args], env=environment, stdout=subprocess.DEVNULL,
                                   stderr=open(os.path.join(self.work, f"{args[0]}-{len(self.processes)}.log"), "w"),
                                   start_new_session=True)
        self.processes.append(process)
        return process

    def serve(self, url, **env):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        master = self.start(["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"], url, **env)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/ready", timeout=2).status_code == 200:
                    return master, base
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise SystemExit("serve did not become ready")

    def stop(self, process):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self):
        for process in self.processes:
            self.stop(process)

    # --- 1. pages --------------------------------------------------------------------------------------------

    def pages(self, base):
        session = requests.Session()
        session.headers["x-medusa-access-token"] = TOKEN

        def get(params):
            started = time.perf_counter()
            response = session.get(base + "/admin/customers", params={**params, "fields": "id"}, timeout=600)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            return response.json(), elapsed * 1000

        def p50(params, repeat):
            get(params)  # the statement prepared and the plan cached on the connection that serves it
            return statistics.median(get(params)[1] for _ in range(repeat))

        rows = []
        for name, filters in LISTS:
            count = get({**filters, "limit": 0})[0]["count"]
            last_page = math.ceil(count / LIMIT)
            numbers = sorted({last_page if page == "last" else page for page in PAGES if page == "last" or page <= last_page})
            # Walk to each page's start with pages of up to 1,000 rows and keep the cursor there.
            cursors, cursor, position = {}, None, 0
            for number in numbers:
                target = (number - 1) * LIMIT
                while position < target:
                    step = min(1000, target - position)
                    payload, _ = get({**filters, "limit": step, **({"cursor": cursor} if cursor else {})})
                    cursor, position = payload["next_cursor"], position + step
                cursors[number] = cursor
            # Rounds that ask for every page in turn, so that the machine's bursts of load fall on all of them
            # alike; the first page is the one without a cursor.
            samples = {number: [] for number in numbers}
            requests_of = {number: {**filters, "limit": LIMIT, **({"cursor": cursors[number]} if cursors[number] else {})}
                           for number in numbers}
            for number in numbers:
                get(requests_of[number])  # prepared and planned on the connection before timing
            for _ in range(self.args.repeat):
                for number in numbers:
                    samples[number].append(get(requests_of[number])[1])
            first = statistics.median(samples[1])
            for number in numbers:
                target = (number - 1) * LIMIT
                by_cursor = statistics.median(samples[number])
                by_offset = p50({**filters, "limit": LIMIT, "offset": target}, 3 if target > 10_000 else self.args.repeat)
                rows.append((name, f"{number:,}", by_cursor, by_cursor / first, by_offset))
                log(f"  {name}: page {number:,} by cursor {by_cursor:.2f} ms ({by_cursor / first:.2f} × page 1), "
                    f"by offset {by_offset:.2f} ms")
        return rows

    # --- 2. export -------------------------------------------------------------------------------------------

    @staticmethod
    def rss(pid):
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def export(self, base, url, master):
        workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True,
                                                  text=True).stdout.split()]
        before = {pid: self.rss(pid) for pid in workers}
        peak = dict(before)
        done = threading.Event()

        def sample():
            while not done.is_set():
                for pid in workers:
                    peak[pid] = max(peak[pid], self.rss(pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        # Ours and psql's, alternating, so that both see the same (noisy) machine; the median of each.
        export_runs, copy_runs = [], []
        for _ in range(self.args.rounds):
            started = time.perf_counter()
            result = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                                     "-H", f"x-medusa-access-token: {TOKEN}", base + "/admin/customers/export"],
                                    check=True, capture_output=True, text=True)
            export_runs.append(time.perf_counter() - started)
            status, size = result.stdout.split()
            assert status == "200", result.stdout
            started = time.perf_counter()
            self.psql(url, f"\\copy ({' '.join(EXPORT_SQL.split())}) TO '/dev/null' CSV HEADER")
            copy_runs.append(time.perf_counter() - started)
            log(f"  export {export_runs[-1]:.1f} s, psql \\copy {copy_runs[-1]:.1f} s: "
                f"ratio {copy_runs[-1] / export_runs[-1]:.2f}")
        done.set()
        sampler.join()
        growth = max(peak[pid] - before[pid] for pid in workers)
        return {"export_s": statistics.median(export_runs), "bytes": int(size), "copy_s": statistics.median(copy_runs),
                "rss_growth": growth, "rss_before": max(before.values()), "rounds": self.args.rounds}

    # --- 3. import -------------------------------------------------------------------------------------------

    def import_(self, source_url, rows):
        path = os.path.join(self.work, "customers.csv")
        self.psql(source_url, f"\\copy (SELECT email, first_name, last_name, phone FROM customer ORDER BY id) "
                              f"TO '{path}' CSV HEADER")
        size = os.path.getsize(path)
        target = self.fresh("bench_data_import")
        subprocess.run([self.args.bin, "user", "create", "--email", "bench@example.com", "--password", "bench-password-1",
                        "--api-token", TOKEN], env={**os.environ, "DATABASE_URL": target}, check=True,
                       capture_output=True)
        # A file this size takes longer to arrive than the default KEEPALIVE_TIMEOUT allows a request body.
        master, base = self.serve(target, KEEPALIVE_TIMEOUT=600)
        worker = self.start(["worker"], target)
        try:
            started = time.perf_counter()
            with open(path, "rb") as body:
                response = requests.post(base + "/admin/customers/imports", data=body, timeout=600,
                                         headers={"x-medusa-access-token": TOKEN, "Content-Type": "text/csv"})
            assert response.status_code == 202, response.text
            upload_s = time.perf_counter() - started
            import_id = response.json()["import"]["id"]
            while True:
                state = requests.get(f"{base}/admin/customers/imports/{import_id}", timeout=60,
                                     headers={"x-medusa-access-token": TOKEN}).json()["import"]
                if state["state"] in ("completed", "failed"):
                    break
                time.sleep(0.2)
            import_s = time.perf_counter() - started
            assert state["state"] == "completed" and state["rows_created"] == rows, state
        finally:
            self.stop(worker)
            self.stop(master)
        self.drop("bench_data_import")
        baseline = self.fresh("bench_data_copy")
        self.psql(baseline, "ALTER TABLE customer ALTER COLUMN id SET DEFAULT 'cus_' || upper(md5(random()::text))")
        started = time.perf_counter()
        self.psql(baseline, f"\\copy customer (email, first_name, last_name, phone) FROM '{path}' CSV HEADER")
        copy_s = time.perf_counter() - started
        copied = int(self.psql(baseline, "SELECT count(*) FROM customer"))
        assert copied == rows, copied
        self.drop("bench_data_copy")
        return {"upload_s": upload_s, "import_s": import_s, "copy_s": copy_s, "bytes": size}

    # --- the run ---------------------------------------------------------------------------------------------

    def seeded(self, n):
        """bench_data with n customers: kept from an earlier --keep run when --reuse finds it so, else seeded."""
        url = self.url("bench_data")
        if self.args.reuse:
            try:
                if int(self.psql(url, "SELECT count(*) FROM customer")) == n:
                    subprocess.run([self.args.bin, "migrate"], env={**os.environ, "DATABASE_URL": url}, check=True,
                                   capture_output=True)
                    log(f"bench-data: {n:,} customers (reused), {self.args.bin}")
                    return url
            except subprocess.CalledProcessError:
                pass
        url = self.fresh("bench_data")
        log(f"bench-data: {n:,} customers, {self.args.bin}")
        started = time.perf_counter()
        subprocess.run([self.args.bin, "seed", "--customers", str(n)], env={**os.environ, "DATABASE_URL": url},
                       check=True, capture_output=True)
        log(f"  seeded in {time.perf_counter() - started:.0f} s")
        self.psql(url, "VACUUM ANALYZE customer", "VACUUM ANALYZE customer_group_customers")
        subprocess.run([self.args.bin, "user", "create", "--email", "bench@example.com", "--password", "bench-password-1",
                        "--api-token", TOKEN], env={**os.environ, "DATABASE_URL": url}, check=True, capture_output=True)
        return url

    def run(self):
        n = self.args.customers
        url = self.seeded(n)
        master, base = self.serve(url)
        only = self.args.only
        pages = self.pages(base) if only in (None, "pages") else []
        exported = self.export(base, url, master) if only in (None, "export") else None
        self.stop(master)
        imported = self.import_(url, n) if only in (None, "import") else None
        if not self.args.keep:
            self.drop("bench_data")
        self.report(n, pages, exported, imported)

    def report(self, n, pages, exported, imported):
        if pages:
            log("\n| list | page | by cursor, p50 | × page 1 | by offset, p50 |\n|---|---|---|---|---|")
        for name, page, cursor, ratio, offset in pages:
            log(f"| {name} | {page} | {cursor:.2f} ms | {ratio:.2f} | {offset:.2f} ms |")
        mib = 1024 * 1024
        if exported:
            e, c = n / exported["export_s"], n / exported["copy_s"]
            log(f"\nexport of {n:,} customers ({exported['bytes'] / mib:.0f} MiB), median of {exported['rounds']} "
                f"alternating rounds: {exported['export_s']:.1f} s, {e:,.0f} rows/s; psql \\copy (same SELECT) TO: "
                f"{exported['copy_s']:.1f} s, {c:,.0f} rows/s; ratio {e / c:.2f}")
            log(f"serve worker RSS during the export: {exported['rss_before'] / mib:.1f} MiB before, "
                f"+{exported['rss_growth'] / mib:.1f} MiB at most")
        if not imported:
            return
        i, k = n / imported["import_s"], n / imported["copy_s"]
        log(f"import of {n:,} rows ({imported['bytes'] / mib:.0f} MiB): upload {imported['upload_s']:.1f} s, "
            f"completed after {imported['import_s']:.1f} s, {i:,.0f} rows/s; psql \\copy FROM: "
            f"{imported['copy_s']:.1f} s, {k:,.0f} rows/s; ratio {i / k:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--admin-url", required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=21, help="requests per p50")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database bench_data")
    parser.add_argument("--reuse", action="store_true", help="use bench_data as kept by --keep if it has the customers")
    parser.add_argument("--only", choices=["pages", "export", "import"], help="run one part")
    parser.add_argument("--rounds", type=int, default=3, help="alternating export and psql rounds")
    args = parser.parse_args()
    bench = Bench(args)
    try:
        bench.run()
    finally:
        bench.close()


if __name__ == "__main__":
    sys.exit(main())
