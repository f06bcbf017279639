#!/usr/bin/env bash
# `make bench-handoff`: the hand-off prototypes of Benchmarks/Sources/HandOffPrototypes side by side, in one run,
# on the bench cluster's customers: the same GET /admin/customers/:id served by one process (one event loop)
# in each design, under the same wrk load, in rounds (A B C D, A B C D, ...) so that the machine's drift
# touches every design alike. For each design and round: req/s, p50/p99 (wrk), and from `perf stat` on the
# server process during the load: CPU time (user + system) and context switches per request.
# With CALLGRIND=1, also user-space instructions per request under valgrind's callgrind (counted after a
# warm-up, over a fixed load; repeatable whatever else the machine does; the kernel's share is not in it).
# Knobs: DESIGNS, ROUNDS (3), DURATION (10 s), CONNS (32), BODY (bytes|strings), CONNECTIONS (2 pipelined),
#        WORKLOAD (id|health), CALLGRIND (0), CALLGRIND_SECONDS (20)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=${BENCH_DIR:-$root/../shared/bench}
export BENCH_WORK=${BENCH_WORK:-/tmp/clientele-bench}
DESIGNS=${DESIGNS:-"pool-thread loop-thread pool-direct loop-direct"}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
BODY=${BODY:-bytes}
CONNECTIONS=${CONNECTIONS:-2}
WORKLOAD=${WORKLOAD:-id}
CALLGRIND=${CALLGRIND:-0}
CALLGRIND_SECONDS=${CALLGRIND_SECONDS:-20}
PORT=9130
url=postgresql://postgres@127.0.0.1:25432/bench
out=$BENCH_WORK/handoff-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"

swift build -c release --package-path "$root/Benchmarks" --product handoff-prototypes >"$out/build.log" 2>&1 \
  || { tail -20 "$out/build.log"; exit 1; }
bin=$root/Benchmarks/.build/release/handoff-prototypes
# valgrind 3.19 cannot read the DWARF 5 that Swift 6 writes: callgrind runs a copy without it (names stay).
strip --strip-debug -o "$out/handoff-prototypes" "$bin"
"$B/pg.sh" start >/dev/null
"$B/seed.sh" >/dev/null

server=
stop_server() { if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi; server=; }
trap stop_server EXIT
start_server() {  # design [wrapper...]
  local design=$1; shift
  local program=$bin
  [ $# -gt 0 ] && program=$out/handoff-prototypes
  "$@" "$program" "$design" "$PORT" "$url" "$CONNECTIONS" "$BODY" >"$out/server-$design.log" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "the $design server did not start" >&2; cat "$out/server-$design.log" >&2; exit 1
}
load() {  # seconds file
  WRK_MODE=$WORKLOAD IDS_FILE=$BENCH_WORK/ids.txt wrk -t1 -c"$CONNS" -d"$1s" --latency -s "$B/wrk.lua" \
    "http://127.0.0.1:$PORT" >"$2" 2>&1
}
requests() { sed -n 's/^WRKJSON //p' "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }

echo "designs: $DESIGNS; workload $WORKLOAD; wrk -t1 -c$CONNS -d${DURATION}s; $CONNECTIONS pipelined connections; body from $BODY"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "design round req/s p50 p99 cpu_us_per_request switches_per_request load1 user_us sys_us" >"$out/results.txt"
# user and system CPU ticks of the server process (all its threads), from /proc
ticks() { awk '{print $14, $15}' "/proc/$server/stat"; }
for round in $(seq 1 "$ROUNDS"); do
  for design in $DESIGNS; do
    start_server "$design"
    load 2 "$out/warmup-$design-$round.txt"
    perf stat -e task-clock,context-switches -x, -o "$out/perf-$design-$round.txt" -p "$server" -- sleep "$DURATION" &
    perf=$!
    before=$(ticks)
    load "$DURATION" "$out/wrk-$design-$round.txt"
    after=$(ticks)
    wait "$perf" || true
    stop_server
    python3 - "$design" "$round" "$out/wrk-$design-$round.txt" "$out/perf-$design-$round.txt" "$before" "$after" \
      "$(getconf CLK_TCK)" >>"$out/results.txt" <<'PY'
import json, sys
design, round_, wrk, perf, before, after, hz = sys.argv[1:]
w = json.loads(next(l for l in open(wrk) if l.startswith("WRKJSON "))[8:])
counters = {}
for line in open(perf):
    parts = line.strip().split(",")
    if len(parts) > 2 and parts[0] and parts[0][0].isdigit():
        counters[parts[2]] = float(parts[0])
n = max(1, w["requests"])
load1 = open("/proc/loadavg").read().split()[0]
(u0, s0), (u1, s1) = map(int, before.split()), map(int, after.split())
print(design, round_, round(w["rps"]), w["p50_us"], w["p99_us"],
      round(counters.get("task-clock", 0) * 1000 / n, 1), round(counters.get("context-switches", 0) / n, 2), load1,
      round((u1 - u0) * 1e6 / int(hz) / n, 1), round((s1 - s0) * 1e6 / int(hz) / n, 1))
PY
    tail -1 "$out/results.txt"
  done
done

if [ "$CALLGRIND" = 1 ]; then
  echo "design instructions_per_request requests" >"$out/callgrind.txt"
  for design in $DESIGNS; do
    start_server "$design" valgrind --tool=callgrind --callgrind-out-file="$out/callgrind-$design.%p"
    load 5 "$out/cg-warmup-$design.txt"
    callgrind_control -z "$server" >/dev/null
    load "$CALLGRIND_SECONDS" "$out/cg-wrk-$design.txt"
    callgrind_control -d "$server" >/dev/null
    stop_server
    n=$(requests "$out/cg-wrk-$design.txt")
    # The dump made right after the load holds what ran since the counters were zeroed.
    total=$(awk '/^summary:/ {print $2}' "$out"/callgrind-"$design".*.1)
    echo "$design $(( total / (n > 0 ? n : 1) )) $n" | tee -a "$out/callgrind.txt"
  done
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out/results.txt" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
designs = list(dict.fromkeys(r[0] for r in rows))
print("\n| design | req/s | p50 µs | p99 µs | CPU µs/request (user + system) | context switches/request |")
print("|---|---|---|---|---|---|")
for d in designs:
    rs = [r for r in rows if r[0] == d]
    med = lambda i: statistics.median(float(r[i]) for r in rs)
    print(f"| {d} | {med(2):,.0f} | {med(3):,.0f} | {med(4):,.0f} | {med(5):.1f} ({med(8):.1f} + {med(9):.1f}) | {med(6):.2f} |")
print("(medians over rounds)")
PY
echo "results: $out"
