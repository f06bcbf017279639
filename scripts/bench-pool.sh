#!/usr/bin/env bash
# `make bench-pool`: the pipelined path of the Postgres module against pgbench, in one run, on the same
# machine and database: point SELECTs of a customer by primary key (the bench harness's 100,000 customers).
#   64 tasks through Database.query (2 pipelined connections)  vs  pgbench -M prepared -c 16 -j 2
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=${BENCH_DIR:-$root/../shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/clientele-bench}
SECONDS_RUN=${DURATION:-10}
# The benchmark lives in its own package (Benchmarks/), so that the product build never builds it.
swift build -c release --package-path "$root/Benchmarks" --product pool-benchmark >/dev/null
"$B/pg.sh" start >/dev/null
"$B/seed.sh" >/dev/null
url=postgresql://postgres@127.0.0.1:25432/bench
pgbench=/usr/lib/postgresql/15/bin/pgbench
[ -x "$pgbench" ] || pgbench=pgbench
script=$(mktemp)
cat >"$script" <<'SQL'
\set n random(1, 10000)
SELECT c.id, c.email, c.first_name, c.last_name, c.billing_address_id, c.phone, c.has_account, c.created_at, c.updated_at, c.deleted_at, c.metadata FROM customer c WHERE c.id = (SELECT id FROM bench_ids WHERE n = :n) AND c.deleted_at IS NULL;
SQL
echo "pgbench -M prepared -c 16 -j 2 -T $SECONDS_RUN (the same SELECT; the id comes from bench_ids in SQL)"
pg_tps=$("$pgbench" -h 127.0.0.1 -p 25432 -U postgres -n -M prepared -c 16 -j 2 -T "$SECONDS_RUN" -f "$script" bench \
  | awk '/^tps = / {print $3}')
rm -f "$script"
echo "  pgbench: $pg_tps tx/s"
line=$("$root/Benchmarks/.build/release/pool-benchmark" "$url" 64 "$SECONDS_RUN" "${DB_PIPELINES:-2}")
echo "  $line"
ours=$(sed -E 's/.* ([0-9.]+) queries\/s/\1/' <<<"$line")
awk -v a="$ours" -v b="$pg_tps" 'BEGIN { printf "ratio pipelined/pgbench: %.2f (goal >= 0.8)\n", a / b }'
