#!/usr/bin/env bash
# The private PostgreSQL 15 cluster of this checkout, for `make run` and `make test`.
#   scripts/db.sh start    initdb if missing, start (idempotent), create the databases; prints nothing else
#   scripts/db.sh stop     fast shutdown (idempotent)
#   scripts/db.sh url [DB] print the libpq URL of database DB (default clientele)
#   scripts/db.sh psql ... psql on database clientele
# Data and socket live under /tmp, keyed by this checkout's path: CI clones into folders the `postgres`
# user may not enter, and two checkouts must not share a cluster. The port is derived from the same key.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
key=$(printf '%s' "$root" | cksum | cut -d' ' -f1)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PGDATA_DIR=${CLIENTELE_PGDATA:-/tmp/clientele-pg-$key}
PGPORT=${CLIENTELE_PGPORT:-$((26000 + key % 2000))}
OS_USER=postgres   # the server refuses to run as root

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$OS_USER" -- "$@"; else "$@"; fi; }
is_running() { [ -s "$PGDATA_DIR/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; }
url() { echo "postgresql://postgres@127.0.0.1:$PGPORT/${1:-clientele}"; }

case "${1:-}" in
  start)
    if [ ! -s "$PGDATA_DIR/PG_VERSION" ]; then
      mkdir -p "$PGDATA_DIR"
      [ "$(id -u)" = 0 ] && chown "$OS_USER": "$PGDATA_DIR"
      chmod 700 "$PGDATA_DIR"
      as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
      cat >>"$PGDATA_DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGDATA_DIR'
max_connections = 200
shared_buffers = 128MB
logging_collector = off
CONF
    fi
    if ! is_running; then
      as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -w -t 60 start >/dev/null || {
        echo "db.sh: postgres did not start; tail of $PGDATA_DIR/server.log:" >&2
        tail -5 "$PGDATA_DIR/server.log" >&2
        exit 1
      }
    fi
    for db in clientele; do
      if ! "$PG_BIN/psql" "$(url postgres)" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
        "$PG_BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres "$db"
      fi
    done
    ;;
  stop)
    if is_running; then as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null; fi
    ;;
  restart)
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 restart -l "$PGDATA_DIR/server.log" >/dev/null
    ;;
  url) url "${2:-}" ;;
  port) echo "$PGPORT" ;;
  datadir) echo "$PGDATA_DIR" ;;
  psql) shift; exec "$PG_BIN/psql" "$(url)" "$@" ;;
  *) echo "usage: $0 {start|stop|restart|url [DB]|port|datadir|psql ...}" >&2; exit 2 ;;
esac
