#!/usr/bin/env bash
# A selective search, GET /admin/customers?q=<fragment>&limit=20 where the fragment (a piece of one
# customer's email) matches fewer than 10 customers, against pgbench running the very statement Clientele
# sends, on the database `make bench` prepared (`make bench SEED_N=1000000` for the issue's million):
#   1. the plan PostgreSQL uses once the statement is prepared and has run more than five times (when it
#      may switch to a generic plan), which must not contain a sequential scan of customer;
#   2. p50 latency with one client each: wrk against the endpoint, pgbench -M prepared against the SQL.
# The SQL is taken from pg_stat_activity after one request, so it is the statement the server really runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=${BENCH_DIR:-$root/../shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/clientele-bench}
bin=$root/.build/release/clientele
db=bench_clientele
url=postgresql://postgres@127.0.0.1:25432/$db
PORT=9120
DURATION=${DURATION:-10}
psql_db() { "$B/pg.sh" psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
"$B/pg.sh" start >/dev/null
[ -s "$BENCH_WORK/ids.txt" ] || { echo "run make bench first (it seeds $db)" >&2; exit 1; }
customers=$(psql_db -Atc "SELECT count(*) FROM customer")

# A fragment of a random email (the 10 characters around the @) that fewer than 10 customers match.
fragment=
for _ in $(seq 1 20); do
  candidate=$(psql_db -Atc "SELECT substr(email, greatest(strpos(email, '@') - 6, 1), 10)
                            FROM customer TABLESAMPLE SYSTEM (1) LIMIT 1")
  matches=$(psql_db -Atc "SELECT count(*) FROM customer WHERE customer_search_text(email, first_name, last_name, phone)
                          LIKE '%' || lower(\$\$$candidate\$\$) || '%'")
  if [ "$matches" -ge 1 ] && [ "$matches" -lt 10 ]; then fragment=$candidate; break; fi
done
[ -n "$fragment" ] || { echo "no fragment with fewer than 10 matches found" >&2; exit 1; }
pattern="%$(printf '%s' "$fragment" | tr '[:upper:]' '[:lower:]')%"
encoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$fragment")

admin="selective-bench-$(date +%s)@clientele.local"
password=$(head -c 18 /dev/urandom | base64 | tr -d '\n/+=')
printf '%s\n' "$password" | DATABASE_URL=$url "$bin" user create --email "$admin" --password - >/dev/null
DATABASE_URL=$url JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=') HTTP_WORKERS=2 \
  HOST=127.0.0.1 PORT=$PORT setsid "$bin" serve >"$BENCH_WORK/bench-selective-serve.log" 2>&1 &
serve=$!
trap 'kill -TERM $serve 2>/dev/null; wait $serve 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
jwt=$(curl -fs -X POST "http://127.0.0.1:$PORT/admin/auth/token" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$admin\",\"password\":\"$password\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
endpoint="http://127.0.0.1:$PORT/admin/customers?q=$encoded&limit=20"
answer=$(curl -fs -H "Authorization: Bearer $jwt" "$endpoint")
count=$(printf '%s' "$answer" | python3 -c 'import json, sys; print(json.load(sys.stdin)["count"])')
[ "$count" = "$matches" ] || { echo "the endpoint counted $count, SQL $matches" >&2; exit 1; }

sql=$(psql_db -Atc "SELECT query FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()
                    AND query LIKE '%customer_search_text%LIMIT%' ORDER BY query_start DESC LIMIT 1")
[ -n "$sql" ] || { echo "the statement was not found in pg_stat_activity" >&2; exit 1; }
# Which parameter is which, from where it stands: after LIKE the pattern, after LIMIT and OFFSET the page.
script=$BENCH_WORK/bench-selective.sql
prepared=$(python3 - "$sql" "$pattern" "$script" <<'PY'
import re, sys
sql, pattern, script = sys.argv[1:]
roles = {}
for keyword, role in (("LIKE", "p"), ("LIMIT", "lim"), ("OFFSET", "off")):
    for number in re.findall(keyword + r" \$(\d+)\b", sql):
        roles[int(number)] = role
numbers = sorted(int(n) for n in set(re.findall(r"\$(\d+)\b", sql)))
if numbers != list(range(1, len(numbers) + 1)) or set(numbers) != set(roles):
    sys.exit(f"unexpected parameters in: {sql}")
with open(script, "w") as out:
    out.write(re.sub(r"\$(\d+)\b", lambda m: ":" + roles[int(m.group(1))], sql).replace("\n", " ") + "\n")
types = {"p": "text", "lim": "bigint", "off": "bigint"}
values = {"p": "$$" + pattern + "$$", "lim": "20", "off": "0"}
print(", ".join(types[roles[n]] for n in numbers))
print(", ".join(values[roles[n]] for n in numbers))
PY
)
types=$(sed -n 1p <<<"$prepared")
arguments=$(sed -n 2p <<<"$prepared")

echo "customers: $customers; fragment: $fragment (matches $matches)"
echo
echo "plan of the prepared statement at its 7th execution:"
execute="EXECUTE selective($arguments)"
session=(-c "PREPARE selective($types) AS $sql")
for _ in 1 2 3 4 5 6; do session+=(-c "$execute"); done
plan=$(psql_db -At "${session[@]}" -c "EXPLAIN (ANALYZE, COSTS OFF) $execute" | grep -v '^[0-9]*|')
echo "$plan" | sed 's/^/    /'
if grep -q 'Seq Scan on customer' <<<"$plan"; then seq="yes"; else seq="no"; fi

wrk -t1 -c1 -d"${DURATION}s" --latency -H "Authorization: Bearer $jwt" "$endpoint" >"$BENCH_WORK/bench-selective-wrk.txt"
wrk_p50=$(awk '$1 == "50%" {print $2}' "$BENCH_WORK/bench-selective-wrk.txt")
logs=$BENCH_WORK/bench-selective-pgbench
rm -rf "$logs"; mkdir -p "$logs"
(cd "$logs" && /usr/lib/postgresql/15/bin/pgbench -h 127.0.0.1 -p 25432 -U postgres -n -M prepared -c1 -j1 \
  -T"$DURATION" -l -D p="$pattern" -D lim=20 -D off=0 -f "$script" "$db" >summary.txt 2>&1)
pgbench_p50_us=$(cat "$logs"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
python3 - "$wrk_p50" "$pgbench_p50_us" "$seq" <<'EOF'
import re, sys
def ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
endpoint, sql = ms(sys.argv[1]), int(sys.argv[2]) / 1000
print()
print("| one client, p50 | ms |")
print("|---|---|")
print(f"| GET /admin/customers?q=…&limit=20 (wrk -c1) | {endpoint:.3f} |")
print(f"| the same SQL (pgbench -M prepared -c1) | {sql:.3f} |")
print(f"| ratio (goal ≤ 1.5) | {endpoint / sql:.2f} |")
print(f"sequential scan of customer in the plan: {sys.argv[3]}")
EOF
