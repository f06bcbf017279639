#!/usr/bin/env bash
# Load with plain curl loops, as people do: N loops in parallel, each sending R requests, a mix of
# list (GET /admin/customers), get (GET /admin/customers/:id) and create (POST /admin/customers).
#
#   TOKEN=… scripts/load.sh [-n loops] [-r requests-per-loop] URL        (defaults: 8 loops, 250 requests)
#
# TOKEN authenticates every request: a JWT (sent as Authorization: Bearer) or an admin API token (sent as
# x-medusa-access-token). This script creates no user and logs nobody in; get a JWT with
#   curl -s URL/admin/auth/token -H 'content-type: application/json' \
#        -d '{"email":"…","password":"…"}' | jq -r .access_token
# Creates make customers (and welcome email jobs) named load-…@example.com.
# Prints one summary line: requests, errors (curl failures and non-2xx answers), seconds, requests/s.
set -euo pipefail

loops=8
requests=250
while getopts "n:r:h" option; do
  case $option in
    n) loops=$OPTARG ;;
    r) requests=$OPTARG ;;
    *) sed -n '2,12p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: TOKEN=… $0 [-n loops] [-r requests-per-loop] URL" >&2; exit 2; }
url=${1%/}
[ -n "${TOKEN:-}" ] || { echo "load.sh: set TOKEN (POST $url/admin/auth/token gives one; see the top of $0)" >&2; exit 2; }
if [[ $TOKEN == *.*.* ]]; then auth="Authorization: Bearer $TOKEN"; else auth="x-medusa-access-token: $TOKEN"; fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
run_id="$(date +%s)-$$"

# One loop: every third request creates, the others list or get (the customer it created last, or one
# from the first page of the list).
loop() {
  local number=$1 sent=0 errors=0 id="" status body
  for ((i = 0; i < requests; i++)); do
    case $((i % 3)) in
      0)
        body=$(curl -s -w '\n%{http_code}' -X POST "$url/admin/customers" -H "$auth" \
          -H 'content-type: application/json' \
          -d "{\"email\":\"load-$run_id-$number-$i@example.com\",\"first_name\":\"Load\",\"last_name\":\"Test $number\",\"password\":\"load-test-pw-1\"}" \
          || true)
        status=${body##*$'\n'}
        if [[ $body =~ \"id\":\"(cus_[0-9A-Z]+)\" ]]; then id=${BASH_REMATCH[1]}; fi
        ;;
      1)
        body=$(curl -s -w '\n%{http_code}' "$url/admin/customers?limit=20&offset=$((i % 100))" -H "$auth" || true)
        status=${body##*$'\n'}
        if [ -z "$id" ] && [[ $body =~ \"id\":\"(cus_[0-9A-Z]+)\" ]]; then id=${BASH_REMATCH[1]}; fi
        ;;
      2)
        status=$(curl -s -o /dev/null -w '%{http_code}' "$url/admin/customers/${id:-cus_none}" -H "$auth" || true)
        ;;
    esac
    sent=$((sent + 1))
    [[ $status == 2?? ]] || errors=$((errors + 1))
  done
  echo "$sent $errors" >"$results/$number"
}

start=$(date +%s%N)
for ((n = 1; n <= loops; n++)); do loop "$n" & done
wait
elapsed_ns=$(($(date +%s%N) - start))

cat "$results"/* | awk -v ns="$elapsed_ns" -v loops="$loops" '
  { sent += $1; errors += $2 }
  END { s = ns / 1e9; printf "load: %d loops, %d requests, %d errors, %.2f s, %.0f requests/s\n", loops, sent, errors, s, sent / s }'
