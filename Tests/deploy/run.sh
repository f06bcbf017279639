#!/usr/bin/env bash
# `make test-deploy`: `docker compose up` as README.md gives it, on a real Docker engine (issue 13).
#   1. installs what is missing with apt: docker.io, a compose implementation (Debian's docker-compose when
#      no Compose v2 plugin answers), mmdebstrap;
#   2. starts dockerd when no engine answers, and stops it at the end (only one it started);
#   3. makes the base images the Dockerfile and docker-compose.yml name (images/build.sh; the Swift one is
#      kept between runs);
#   4. runs deploy_test.py: the README's steps, timed, ending with `down -v`.
# Usage: Tests/deploy/run.sh [PYTHON]   (PYTHON needs `requests`: the venv of `make deps`)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${1:-python3}
started_at=$SECONDS
timed() { printf 'deploy: %-44s %6d s\n' "$1" "$((SECONDS - $2))"; }

t=$SECONDS
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
  missing+=(docker-compose)
fi
if ((${#missing[@]})); then
  echo "deploy: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
timed "install (${missing[*]:-nothing missing})" "$t"

t=$SECONDS
dockerd_pid=
stop_dockerd() {
  [ -n "$dockerd_pid" ] || return 0
  echo "deploy: stopping the dockerd this run started (pid $dockerd_pid)"
  kill -TERM "$dockerd_pid" 2>/dev/null || return 0
  for _ in $(seq 60); do kill -0 "$dockerd_pid" 2>/dev/null || return 0; sleep 1; done
  kill -KILL "$dockerd_pid" 2>/dev/null || true
}
trap stop_dockerd EXIT
if ! docker info >/dev/null 2>&1; then
  log=$(mktemp /tmp/clientele-dockerd.XXXXXX.log)
  echo "deploy: no engine answers; starting dockerd (log $log)"
  dockerd >"$log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 "$log" >&2; echo "deploy: dockerd did not come up" >&2; exit 1; }
fi
timed "engine ($(docker version -f '{{.Server.Version}}'))" "$t"

t=$SECONDS
"$here/images/build.sh"
timed "base images" "$t"

"$python" "$here/deploy_test.py"
timed "make test-deploy, in all" "$started_at"
