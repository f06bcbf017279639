#!/usr/bin/env bash
# `make test-fuzz` (part of `make test`): libFuzzer on the JSON parser for a fixed number of inputs from a fixed
# seed, so every run makes the same inputs. Built here with swiftc, outside the package, from the JSON sources,
# the unit tests' table of documents (the seed corpus) and Tests/JSONFuzz/JSONFuzzTarget.swift (what is checked).
#   RUNS=… for more inputs (default 300000), SEED=… for another sequence.
# A failure leaves the input in .build/json-fuzz/crash-…; `.build/json-fuzz/json-fuzz FILE` replays it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.build/json-fuzz
mkdir -p "$out"
swiftc -parse-as-library -sanitize=fuzzer,address -use-ld=lld -O -D JSON_FUZZER -module-name JSONFuzz \
  "$root"/Sources/JSON/*.swift "$root/Tests/JSONTests/JSONDocuments.swift" "$root/Tests/JSONFuzz/JSONFuzzTarget.swift" \
  -o "$out/json-fuzz"
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
log=$out/last-run.log
# -max_total_time only bounds a very slow machine; -runs is what a run does.
if JSON_FUZZ_SEED_DIR=$corpus "$out/json-fuzz" -seed="${SEED:-1}" -runs="${RUNS:-300000}" -max_total_time=50 \
     -max_len=4096 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/" -print_final_stats=1 "$corpus" >"$log" 2>&1
then
  seeds=$(sed -nE "s/^INFO: seed corpus: files: ([0-9]+) .*/\1/p" "$log")
  runs=$(sed -nE 's/^stat::number_of_executed_units: +([0-9]+)/\1/p' "$log")
  echo "json-fuzz: $runs inputs from $seeds seeds, every accepted one round-trips (seed ${SEED:-1}; log: $log)"
else
  tail -40 "$log"
  echo "json-fuzz: FAILED (the input is in $out/crash-*; the whole log: $log)" >&2
  exit 1
fi
