#!/usr/bin/env bash
# `make bench`: Clientele against its peers (../shared/bench) in one run.
#   1. the bench cluster (127.0.0.1:25432) with SEED_N customers (100,000; `make bench SEED_N=1000000`),
#   2. Clientele's own database `bench_clientele` on it, migrated, with the same customers copied in,
#   3. `clientele serve --workers 2` (release build) on :9100 with a bearer token of a fresh admin,
#   4. ../shared/bench/run.sh with Clientele as TARGET, WORKLOADS="id list q create health" by default,
#   5. the table with ratios and a bar chart (PNG) next to the results.
# Knobs: SEED_N, WORKLOADS, RUNS (repeat the whole measurement N times), PEERS, DURATION, and the harness's own.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=${BENCH_DIR:-$root/../shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/clientele-bench}
export SEED_N=${SEED_N:-100000}
export WORKLOADS=${WORKLOADS:-"id list q create health"}
RUNS=${RUNS:-1}
PORT=9100
bin=$root/.build/release/clientele
db=bench_clientele
url=postgresql://postgres@127.0.0.1:25432/$db
py=$root/.venv/bin/python

"$B/build.sh"
"$B/pg.sh" start
"$B/seed.sh" "$SEED_N"
if ! "$B/pg.sh" psql -X -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  "$B/pg.sh" psql -X -qc "CREATE DATABASE $db"
fi
DATABASE_URL=$url "$bin" migrate
# Emptied and refilled each time: a reseed (another SEED_N) brings new ids, and customers created by an earlier
# run's create workload would otherwise pile up and change what list and q measure.
"$B/copy-customers.sh" --truncate "$db"

secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')
admin="bench-$(date +%s)@clientele.local"
password=$(head -c 18 /dev/urandom | base64 | tr -d '\n/+=')
printf '%s\n' "$password" | DATABASE_URL=$url "$bin" user create --email "$admin" --password - >/dev/null

log=$BENCH_WORK/clientele-serve.log
# Passwords hashed with one SHA-256, as the peers do with CHEAP_HASH=1: the create cell then measures the
# HTTP + INSERT path, not scrypt (never set this in production). In a session of its own, as systemd or
# compose would run it, so that it can lower its session's CPU priority (README, SESSION_NICE).
DATABASE_URL=$url JWT_SECRET=$secret UNSAFE_FAST_PASSWORD_HASH=on HTTP_WORKERS=2 PORT=$PORT HOST=127.0.0.1 \
  setsid "$bin" serve >"$log" 2>&1 &
serve=$!
trap 'kill -TERM $serve 2>/dev/null; wait $serve 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
token=$(curl -fs -X POST "http://127.0.0.1:$PORT/admin/auth/token" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$admin\",\"password\":\"$password\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')

[ -x "$py" ] && "$py" -c 'import matplotlib' 2>/dev/null || "$root/.venv/bin/pip" install -q matplotlib
results=()
for run in $(seq 1 "$RUNS"); do
  out=$BENCH_WORK/results/clientele-$(date +%Y%m%d-%H%M%S)
  TARGET_URL=http://127.0.0.1:$PORT TARGET_NAME=clientele TARGET_DB=$db OUT=$out \
    AUTH_HEADER="Authorization: Bearer $token" "$B/run.sh"
  "$py" "$root/scripts/bench_report.py" "$out"
  results+=("$out")
done
echo "results: ${results[*]}"
