#!/usr/bin/env bash
# The official postgres image's entrypoint contract, re-implemented for the stand-in:
#  - POSTGRES_PASSWORD, POSTGRES_USER (default postgres), POSTGRES_DB (default: the user), POSTGRES_INITDB_ARGS,
#    each also as *_FILE (Docker secrets; setting both is an error);
#  - on an empty PGDATA: initdb with that superuser and password, `host all all all scram-sha-256` appended to
#    pg_hba.conf (local connections trusted, as initdb writes them), POSTGRES_DB created, then
#    /docker-entrypoint-initdb.d/* run (*.sh executed or sourced, *.sql, *.sql.gz/.xz/.zst through psql) on a
#    socket-only temporary server;
#  - run as root, it fixes ownership and re-executes itself as postgres; `-x` arguments mean `postgres -x`.
set -Eeo pipefail

file_env() {
  local var=$1 file_var=${1}_FILE default=${2:-}
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$file_var"
    exit 1
  fi
  local value=$default
  if [ -n "${!var:-}" ]; then value=${!var}; elif [ -n "${!file_var:-}" ]; then value=$(< "${!file_var}"); fi
  export "$var"="$value"
  unset "$file_var"
}

setup_env() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  DATABASE_ALREADY_EXISTS=
  [ -s "$PGDATA/PG_VERSION" ] && DATABASE_ALREADY_EXISTS=true
  return 0
}

create_directories() {
  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" || :
  mkdir -p /var/run/postgresql || :
  chmod 03775 /var/run/postgresql || :
  if [ "$(id -u)" = 0 ]; then
    find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
    find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
  fi
}

run_sql() {
  local runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  [ -n "$POSTGRES_DB" ] && runner+=(--dbname "$POSTGRES_DB")
  PGHOST= PGHOSTADDR= "${runner[@]}" "$@"
}

initialize() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
    echo >&2 'Error: Database is uninitialized and superuser password is not specified (POSTGRES_PASSWORD).'
    exit 1
  fi
  ls /docker-entrypoint-initdb.d/ >/dev/null
  eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"
  local method=${POSTGRES_HOST_AUTH_METHOD:-$(postgres -C password_encryption "${@:2}")}
  printf '\nhost all all all %s\n' "$method" >> "$PGDATA/pg_hba.conf"

  export PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}
  PGUSER=${PGUSER:-$POSTGRES_USER} pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start
  # psql interpolates :'db' in what it reads, not in -c: the statements go through standard input.
  if [ -z "$(POSTGRES_DB= run_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only \
              <<< "SELECT 1 FROM pg_database WHERE datname = :'db'")" ]; then
    POSTGRES_DB= run_sql --dbname postgres --set db="$POSTGRES_DB" <<< 'CREATE DATABASE :"db";'
  fi
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) if [ -x "$f" ]; then echo "$0: running $f"; "$f"; else echo "$0: sourcing $f"; . "$f"; fi ;;
      *.sql) echo "$0: running $f"; run_sql -f "$f" ;;
      *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | run_sql ;;
      *.sql.xz) echo "$0: running $f"; xzcat "$f" | run_sql ;;
      *.sql.zst) echo "$0: running $f"; zstd -dc "$f" | run_sql ;;
      */\*) ;;
      *) echo "$0: ignoring $f" ;;
    esac
  done
  PGUSER=${PGUSER:-postgres} pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  printf '\nPostgreSQL init process complete; ready for start up.\n\n'
}

if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ]; then
  setup_env
  create_directories
  if [ "$(id -u)" = 0 ]; then
    HOME=/var/lib/postgresql exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
  fi
  if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
    initialize "$@"
  else
    printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
  fi
fi
exec "$@"
