#!/usr/bin/env bash
# `clientele seed` against psql's \copy of the same rows, on this machine's private cluster.
#   scripts/bench-seed.sh [N]        N customers (default 1000000)
# 1. seeds N customers (with their addresses, groups and memberships) into a fresh migrated database;
# 2. exports those rows to CSV files and loads them with psql's \copy into another fresh migrated database
#    (same schema, indexes and triggers), in one psql session;
# 3. prints rows/s of customers for both and the ratio. The databases are dropped afterwards.
# Uses .build/release/clientele if it exists, else .build/debug/clientele (seeding runs in PostgreSQL, so the
# build type barely matters).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
N=${1:-1000000}
BIN=${CLIENTELE_BIN:-}
[ -n "$BIN" ] || { [ -x .build/release/clientele ] && BIN=.build/release/clientele || BIN=.build/debug/clientele; }
scripts/db.sh start
admin=$(scripts/db.sh url postgres)
seed_db=bench_seed_$$; copy_db=bench_copy_$$
work=$(mktemp -d); chmod 755 "$work"
cleanup() {
  psql "$admin" -Xq -c "DROP DATABASE IF EXISTS $seed_db WITH (FORCE)" -c "DROP DATABASE IF EXISTS $copy_db WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s%N; }

for db in $seed_db $copy_db; do
  psql "$admin" -Xq -c "CREATE DATABASE $db"
  DATABASE_URL=$(scripts/db.sh url $db) "$BIN" migrate >/dev/null
done
seed_url=$(scripts/db.sh url $seed_db); copy_url=$(scripts/db.sh url $copy_db)

echo "bench-seed: $N customers, $BIN"
start=$(now)
DATABASE_URL=$seed_url "$BIN" seed --customers "$N" 2>/dev/null
seed_ns=$(($(now) - start))

tables=(customer_group customer address customer_group_customers)
for t in "${tables[@]}"; do
  psql "$seed_url" -Xq -c "\\copy $t TO '$work/$t.csv' CSV"
done
rows=$(psql "$seed_url" -XAtc "SELECT (SELECT count(*) FROM customer) + (SELECT count(*) FROM address) + (SELECT count(*) FROM customer_group_customers) + (SELECT count(*) FROM customer_group)")
ls -l "$work"/*.csv | awk '{print "  " $5 " bytes " $9}'

# One psql session loads every table, as seed does in one process.
script="$work/load.sql"
for t in "${tables[@]}"; do echo "\\copy $t FROM '$work/$t.csv' CSV" >>"$script"; done
start=$(now)
psql "$copy_url" -Xq -v ON_ERROR_STOP=1 -f "$script"
copy_ns=$(($(now) - start))

copied=$(psql "$copy_url" -XAtc "SELECT count(*) FROM customer")
[ "$copied" = "$N" ] || { echo "bench-seed: \\copy loaded $copied customers, expected $N" >&2; exit 1; }
awk -v n="$N" -v rows="$rows" -v s="$seed_ns" -v c="$copy_ns" 'BEGIN {
  s /= 1e9; c /= 1e9
  printf "seed:  %.1f s, %d customers/s (%d rows/s over all %d rows)\n", s, n / s, rows / s, rows
  printf "\\copy: %.1f s, %d customers/s (%d rows/s over all %d rows)\n", c, n / c, rows / c, rows
  printf "seed / \\copy speed: %.2f\n", c / s
}'
