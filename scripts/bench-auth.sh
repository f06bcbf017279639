#!/usr/bin/env bash
# The cost of authentication on GET /admin/customers/:id, in one run: requests per second with a bearer JWT,
# a session cookie and an API token, each as a ratio to the same route without authentication
# (GET /debug/customers/:id, served only with DEBUG_ROUTES=on). Uses the database `make bench` prepared.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=${BENCH_DIR:-$root/../shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/clientele-bench}
bin=$root/.build/release/clientele
url=postgresql://postgres@127.0.0.1:25432/bench_clientele
PORT=9110
DURATION=${DURATION:-10}
"$B/pg.sh" start >/dev/null
[ -s "$BENCH_WORK/ids.txt" ] || { echo "run make bench first (it seeds bench_clientele)" >&2; exit 1; }
DATABASE_URL=$url "$bin" migrate >/dev/null
admin="auth-bench-$(date +%s)@clientele.local"
password=$(head -c 18 /dev/urandom | base64 | tr -d '\n/+=')
api_token=$(head -c 24 /dev/urandom | base64 | tr -d '\n/+=')
printf '%s\n' "$password" | DATABASE_URL=$url "$bin" user create --email "$admin" --password - --api-token "$api_token" >/dev/null
DATABASE_URL=$url JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=') DEBUG_ROUTES=on HTTP_WORKERS=2 \
  HOST=127.0.0.1 PORT=$PORT setsid "$bin" serve >"$BENCH_WORK/bench-auth-serve.log" 2>&1 &
serve=$!
trap 'kill -TERM $serve 2>/dev/null; wait $serve 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
login="{\"email\":\"$admin\",\"password\":\"$password\"}"
jwt=$(curl -fs -X POST "http://127.0.0.1:$PORT/admin/auth/token" -H 'Content-Type: application/json' -d "$login" \
  | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
cookie=$(curl -fs -D - -o /dev/null -X POST "http://127.0.0.1:$PORT/admin/auth" -H 'Content-Type: application/json' \
  -d "$login" | sed -nE 's/^Set-Cookie: (clientele\.sid=[^;]+);.*/\1/ip')
run() {  # name prefix header
  local rps
  PATH_PREFIX=$2 AUTH_HEADER=$3 IDS_FILE=$BENCH_WORK/ids.txt wrk -t2 -c64 -d"${DURATION}s" -s "$root/scripts/bench-auth.lua" \
    "http://127.0.0.1:$PORT" >"$BENCH_WORK/bench-auth-$1.txt" 2>&1
  rps=$(awk '/Requests\/sec/ {print $2}' "$BENCH_WORK/bench-auth-$1.txt")
  echo "$rps"
}
none=$(run none /debug/customers/ "")
bearer=$(run bearer /admin/customers/ "Authorization: Bearer $jwt")
session=$(run session /admin/customers/ "Cookie: $cookie")
token=$(run token /admin/customers/ "x-medusa-access-token: $api_token")
printf '| GET /admin/customers/:id | req/s | ratio to no auth |\n|---|---|---|\n'
for pair in "no auth:$none" "bearer JWT:$bearer" "session cookie:$session" "API token:$token"; do
  name=${pair%%:*}; value=${pair#*:}
  awk -v n="$name" -v v="$value" -v base="$none" 'BEGIN { printf "| %s | %.0f | %.2f |\n", n, v, v / base }'
done
