#!/usr/bin/env bash
# `make run`: migrate the private cluster's database, make sure a first admin exists, then run
# `clientele serve` and `clientele worker` together in the foreground. Ctrl-C stops both, leaving nothing behind.
# Local secrets (JWT secret, admin password) are generated once and kept in .run/ (git-ignored).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${CLIENTELE_BIN:-$root/.build/release/clientele}
mkdir -p .run
chmod 700 .run
[ -s .run/jwt_secret ] || head -c 48 /dev/urandom | base64 | tr -d '\n/+=' > .run/jwt_secret
[ -s .run/admin_password ] || head -c 18 /dev/urandom | base64 | tr -d '\n/+=' > .run/admin_password

export DATABASE_URL=${DATABASE_URL:-$(scripts/db.sh url)}
export JWT_SECRET=${JWT_SECRET:-$(cat .run/jwt_secret)}
export ADMIN_EMAIL=${ADMIN_EMAIL:-admin@clientele.local}
export ADMIN_PASSWORD=${ADMIN_PASSWORD:-$(cat .run/admin_password)}
export PORT=${PORT:-9000}
export MAIL_TRANSPORT=${MAIL_TRANSPORT:-file:$root/.run/mail}
mkdir -p "$root/.run/mail"

"$bin" migrate
# The admin printed below must exist even when the database already had other admins (migrate only creates
# ADMIN_EMAIL into an empty user table); an existing one is left as it is.
printf '%s\n' "$ADMIN_PASSWORD" | "$bin" user create --email "$ADMIN_EMAIL" --password - >/dev/null 2>&1 || true
cat <<MSG

Clientele is starting on http://127.0.0.1:$PORT
  admin page:   http://127.0.0.1:$PORT/app
  admin login:  $ADMIN_EMAIL / $ADMIN_PASSWORD   (kept in .run/admin_password)
  get a token:  curl -s -X POST localhost:$PORT/admin/auth/token -H 'Content-Type: application/json' \\
                  -d '{"email":"$ADMIN_EMAIL","password":"$ADMIN_PASSWORD"}'
  emails:       $MAIL_TRANSPORT
  psql:         scripts/db.sh psql
Ctrl-C stops everything.

MSG

pids=()
stop() {
  trap - INT TERM
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT
"$bin" serve & pids+=($!)
"$bin" worker & pids+=($!)
# When either stops on its own, stop the other too.
wait -n "${pids[@]}" || true
