#!/usr/bin/env bash
# Writes /etc/pgbouncer/pgbouncer.ini (unless it exists) and the auth file from the environment variables
# edoburu/pgbouncer reads, then runs the command. What this stand-in honours:
#   DATABASE_URL (postgres://user:password@host:port/db) or DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME;
#   AUTH_FILE, AUTH_TYPE (default md5; the password is stored in clear for plain and scram-sha-256, else as
#   md5), LISTEN_ADDR, LISTEN_PORT (default 5432), IGNORE_STARTUP_PARAMETERS (default extra_float_digits),
#   ADMIN_USERS (default postgres), and the pgbouncer settings of the table below, each written only when set.
set -euo pipefail
config_dir=/etc/pgbouncer
config=$config_dir/pgbouncer.ini
auth_file=${AUTH_FILE:-$config_dir/userlist.txt}
[ -e "$auth_file" ] || touch "$auth_file"

if [ -n "${DATABASE_URL:-}" ]; then
  rest=${DATABASE_URL#*://}
  if [[ $rest == *@* ]]; then
    userpass=${rest%@*}
    rest=${rest##*@}
    DB_USER=${userpass%%:*}
    [[ $userpass == *:* ]] && DB_PASSWORD=${userpass#*:}
  fi
  hostport=${rest%%/*}
  DB_NAME=${rest#*/}
  [ "$DB_NAME" = "$rest" ] && DB_NAME=
  DB_HOST=${hostport%%:*}
  [[ $hostport == *:* ]] && DB_PORT=${hostport#*:}
fi

if [ -n "${DB_USER:-}" ] && [ -n "${DB_PASSWORD:-}" ] && ! grep -q "^\"$DB_USER\"" "$auth_file"; then
  case "${AUTH_TYPE:-}" in
    plain|scram-sha-256) secret=$DB_PASSWORD ;;
    *) secret="md5$(printf '%s' "$DB_PASSWORD$DB_USER" | md5sum | cut -d' ' -f1)" ;;
  esac
  printf '"%s" "%s"\n' "$DB_USER" "$secret" >> "$auth_file"
  echo "Wrote authentication credentials for '$DB_USER' to $auth_file"
fi

optional() {  # ENV_NAME ini_key: one line when the variable is set
  local value=${!1:-}
  [ -z "$value" ] || printf '%s = %s\n' "$2" "$value"
}

if [ ! -f "$config" ]; then
  echo "Creating pgbouncer config in $config_dir"
  : "${DB_HOST:?Setup pgbouncer config error! You must set DB_HOST env}"
  {
    echo "[databases]"
    echo "${DB_NAME:-*} = host=$DB_HOST port=${DB_PORT:-5432} auth_user=${DB_USER:-postgres}"
    optional CLIENT_ENCODING client_encoding
    echo
    echo "[pgbouncer]"
    echo "listen_addr = ${LISTEN_ADDR:-0.0.0.0}"
    echo "listen_port = ${LISTEN_PORT:-5432}"
    echo "unix_socket_dir = ${UNIX_SOCKET_DIR:-}"
    echo "user = postgres"
    echo "auth_file = $auth_file"
    echo "auth_type = ${AUTH_TYPE:-md5}"
    echo "ignore_startup_parameters = ${IGNORE_STARTUP_PARAMETERS:-extra_float_digits}"
    echo "admin_users = ${ADMIN_USERS:-postgres}"
    while read -r name key; do optional "$name" "$key"; done <<'TABLE'
AUTH_HBA_FILE auth_hba_file
AUTH_USER auth_user
AUTH_QUERY auth_query
AUTH_DBNAME auth_dbname
POOL_MODE pool_mode
MAX_CLIENT_CONN max_client_conn
DEFAULT_POOL_SIZE default_pool_size
MIN_POOL_SIZE min_pool_size
RESERVE_POOL_SIZE reserve_pool_size
RESERVE_POOL_TIMEOUT reserve_pool_timeout
MAX_DB_CONNECTIONS max_db_connections
MAX_USER_CONNECTIONS max_user_connections
SERVER_ROUND_ROBIN server_round_robin
MAX_PREPARED_STATEMENTS max_prepared_statements
LOG_CONNECTIONS log_connections
LOG_DISCONNECTIONS log_disconnections
LOG_POOLER_ERRORS log_pooler_errors
STATS_USERS stats_users
SERVER_RESET_QUERY server_reset_query
SERVER_CHECK_QUERY server_check_query
SERVER_LIFETIME server_lifetime
SERVER_IDLE_TIMEOUT server_idle_timeout
SERVER_CONNECT_TIMEOUT server_connect_timeout
QUERY_TIMEOUT query_timeout
QUERY_WAIT_TIMEOUT query_wait_timeout
CLIENT_IDLE_TIMEOUT client_idle_timeout
IDLE_TRANSACTION_TIMEOUT idle_transaction_timeout
TABLE
  } > "$config"
  cat "$config"
fi

echo "Starting $*..."
exec "$@"
