#!/usr/bin/env bash
# CPU per request of `clientele serve --workers 2`, for one or more builds side by side, in rounds:
#   scripts/bench-cpu.sh [BIN ...]     (default: this checkout's release build)
# For each build, round and workload (WORKLOADS, default "id health"): wrk -t2 -c64 against the server, and
# over the same window the user + system CPU time of both workers (/proc) and their context switches
# (perf stat), divided by the requests wrk saw answered. Builds alternate within a round, so the machine's
# drift touches each alike; the table gives medians. Uses the database `make bench` prepares (bench_clientele)
# and prepares it the same way when it is missing.
# With CALLGRIND=1, instead: each build under valgrind's callgrind with one worker, and the user-space
# instructions per request of each workload in steady state (repeatable whatever else the machine does; the
# kernel's share is not in it), with the profiles kept for callgrind_annotate.
# Knobs: ROUNDS (3), DURATION (10), CONNS (64), WORKLOADS ("id health"), LABELS ("before after" for two builds),
#        CALLGRIND (0), CALLGRIND_SHORT (4) and CALLGRIND_SECONDS (20: how much longer the long run is)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=${BENCH_DIR:-$root/../shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/clientele-bench}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
WORKLOADS=${WORKLOADS:-"id health"}
PORT=9140
db=bench_clientele
url=postgresql://postgres@127.0.0.1:25432/$db
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=("$root/.build/release/clientele")
read -r -a labels <<<"${LABELS:-}"
out=$BENCH_WORK/cpu-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

"$B/pg.sh" start >/dev/null
"$B/seed.sh" >/dev/null
if ! "$B/pg.sh" psql -X -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  "$B/pg.sh" psql -X -qc "CREATE DATABASE $db"
fi
DATABASE_URL=$url "${bins[0]}" migrate >/dev/null
[ "$("$B/pg.sh" psql -X -d "$db" -Atc "SELECT count(*) FROM customer")" -ge 100000 ] || "$B/copy-customers.sh" --truncate "$db" >/dev/null
secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')
admin="cpu-bench-$(date +%s)@clientele.local"
password=$(head -c 18 /dev/urandom | base64 | tr -d '\n/+=')
printf '%s\n' "$password" | DATABASE_URL=$url "${bins[0]}" user create --email "$admin" --password - >/dev/null

serve=
stop() { if [ -n "$serve" ]; then kill -TERM "$serve" 2>/dev/null || true; wait "$serve" 2>/dev/null || true; fi; serve=; }
trap stop EXIT
workers() { pgrep -P "$serve" | tr '\n' ' '; }
ticks() { local u=0 s=0; for pid in $1; do read -r a b < <(awk '{print $14, $15}' "/proc/$pid/stat"); u=$((u + a)); s=$((s + b)); done; echo "$u $s"; }

if [ "${CALLGRIND:-0}" = 1 ]; then
  # callgrind_control cannot reach a forked worker (valgrind makes its control pipe for the first process
  # only), so nothing is zeroed or dumped mid-run: each build and workload runs twice, a short and a long
  # wrk, each in a fresh `serve --workers 1` whose worker writes its profile when it exits. Startup, the
  # login and warm-up are the same in both, so the difference of the two totals over the difference of the
  # requests is the cost of one request in steady state. AUTH_CACHE_TTL=60: under callgrind a worker runs
  # some 50 times slower, and the default second would look the token up every few requests, not once a
  # second of real time.
  short=${CALLGRIND_SHORT:-4}
  long=$((short + ${CALLGRIND_SECONDS:-20}))
  echo "build workload instructions_per_request requests" >"$out/callgrind.txt"
  for index in "${!bins[@]}"; do
    label=${labels[$index]:-build$index}
    # valgrind 3.19 cannot read the DWARF 5 that Swift 6 writes: it runs a copy without it (names stay).
    strip --strip-debug -o "$out/clientele-$label" "${bins[$index]}"
    for workload in $WORKLOADS; do
      declare -A totals=() counts=()
      for seconds in "$short" "$long"; do
        run_dir=$out/cg-$label-$workload-$seconds
        mkdir -p "$run_dir"
        # The watchdog must not take the slow worker for a hung one.
        DATABASE_URL=$url JWT_SECRET=$secret HTTP_WORKERS=1 WORKER_TIMEOUT=3600 AUTH_CACHE_TTL=60 PORT=$PORT \
          HOST=127.0.0.1 setsid valgrind --tool=callgrind --callgrind-out-file="$run_dir/callgrind.%p" \
          "$out/clientele-$label" serve >"$run_dir/serve.log" 2>&1 &
        serve=$!
        for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
        token=$(curl -fs -X POST "http://127.0.0.1:$PORT/admin/auth/token" -H 'Content-Type: application/json' \
          -d "{\"email\":\"$admin\",\"password\":\"$password\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
        worker=$(pgrep -P "$serve" | head -1)
        WRK_MODE=$workload IDS_FILE=$BENCH_WORK/ids.txt AUTH_HEADER="Authorization: Bearer $token" \
          wrk -t1 -c16 -d"${seconds}s" -s "$B/wrk.lua" "http://127.0.0.1:$PORT" >"$run_dir/wrk.txt" 2>&1
        stop
        counts[$seconds]=$(sed -n 's/^WRKJSON //p' "$run_dir/wrk.txt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
        totals[$seconds]=$(awk '/^summary:/ {print $2}' "$run_dir/callgrind.$worker")
        cp "$run_dir/callgrind.$worker" "$out/profile-$label-$workload-$seconds.callgrind"
      done
      n=$((counts[$long] - counts[$short]))
      echo "$label $workload $(( (totals[$long] - totals[$short]) / (n > 0 ? n : 1) )) $n" | tee -a "$out/callgrind.txt"
    done
  done
  echo "results: $out (profile-BUILD-WORKLOAD-SECONDS.callgrind: the long run minus the short one is the requests' share)"
  exit 0
fi

echo "build round workload req/s p50_us p99_us cpu_us user_us sys_us switches load1" >"$out/results.txt"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$ROUNDS"); do
  for index in "${!bins[@]}"; do
    bin=${bins[$index]}
    label=${labels[$index]:-build$index}
    DATABASE_URL=$url JWT_SECRET=$secret HTTP_WORKERS=2 PORT=$PORT HOST=127.0.0.1 setsid "$bin" serve >"$out/serve-$label-$round.log" 2>&1 &
    serve=$!
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
    token=$(curl -fs -X POST "http://127.0.0.1:$PORT/admin/auth/token" -H 'Content-Type: application/json' \
      -d "{\"email\":\"$admin\",\"password\":\"$password\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
    pids=$(workers)
    for workload in $WORKLOADS; do
      run() {  # seconds file
        WRK_MODE=$workload IDS_FILE=$BENCH_WORK/ids.txt AUTH_HEADER="Authorization: Bearer $token" \
          wrk -t2 -c"$CONNS" -d"$1s" --latency -s "$B/wrk.lua" "http://127.0.0.1:$PORT" >"$2" 2>&1
      }
      run 3 "$out/warmup-$label-$workload-$round.txt"
      perf stat -e context-switches -x, -o "$out/perf-$label-$workload-$round.txt" -p "${pids// /,}" -- sleep "$DURATION" &
      perf=$!
      before=$(ticks "$pids")
      run "$DURATION" "$out/wrk-$label-$workload-$round.txt"
      after=$(ticks "$pids")
      wait "$perf" || true
      python3 - "$label" "$round" "$workload" "$out/wrk-$label-$workload-$round.txt" \
        "$out/perf-$label-$workload-$round.txt" "$before" "$after" "$(getconf CLK_TCK)" >>"$out/results.txt" <<'PY'
import json, sys
label, round_, workload, wrk, perf, before, after, hz = sys.argv[1:]
w = json.loads(next(l for l in open(wrk) if l.startswith("WRKJSON "))[8:])
switches = 0.0
for line in open(perf):
    parts = line.strip().split(",")
    if len(parts) > 2 and parts[2] == "context-switches" and parts[0][:1].isdigit():
        switches = float(parts[0])
n = max(1, w["requests"] - w["err_status"])
(u0, s0), (u1, s1) = map(int, before.split()), map(int, after.split())
user, system = (u1 - u0) * 1e6 / int(hz) / n, (s1 - s0) * 1e6 / int(hz) / n
print(label, round_, workload, round(w["rps"]), w["p50_us"], w["p99_us"], round(user + system, 1), round(user, 1),
      round(system, 1), round(switches / n, 2), open("/proc/loadavg").read().split()[0])
PY
      tail -1 "$out/results.txt"
    done
    stop
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out/results.txt" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
keys = list(dict.fromkeys((r[0], r[2]) for r in rows))
print("\n| build | workload | req/s | p50 µs | p99 µs | CPU µs/request (user + system) | context switches/request |")
print("|---|---|---|---|---|---|---|")
for label, workload in keys:
    rs = [r for r in rows if r[0] == label and r[2] == workload]
    med = lambda i: statistics.median(float(r[i]) for r in rs)
    print(f"| {label} | {workload} | {med(3):,.0f} | {med(4):,.0f} | {med(5):,.0f} | {med(6):.1f} ({med(7):.1f} + {med(8):.1f}) | {med(9):.2f} |")
print(f"(medians of {len(rs)} rounds)")
PY
echo "results: $out"
