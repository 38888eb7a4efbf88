#!/usr/bin/env bash
# Runs the PostGIS cluster that belongs to this checkout: data under var/pgdata, its own port,
# listening on 127.0.0.1 only, run as an unprivileged user (PostgreSQL refuses root).
# Never touches a system cluster. Usage: scripts/pg.sh start|stop|status|url|app-url
#
# Nobody is trusted: TCP connections need a generated password (scram-sha-256), kept (for this
# host and port only) in the 0600 file var/secrets/pgpass that libpq reads through PGPASSFILE
# (remix/settings.py points there when it exists); the unix socket in var/run admits only the OS
# user that runs the cluster (peer), which is how this script administers it. Two roles:
#   remix      owner of the database (cluster superuser): migrations, ETL loads, tests
#   remix_app  the app servers and MapServer: no superuser, no CREATEDB/CREATEROLE; reads and writes
#              the tables, and may CREATE in the consegne_staging schema (delivery staging)
# `start` brings clusters made by earlier versions (trust) to this state; it is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

PORT=${REMIX_PG_PORT:-54329}
DB=${REMIX_PG_DB:-remix}
PGBIN=${REMIX_PGBIN:-/usr/lib/postgresql/15/bin}
PGUSER_OS=${REMIX_PG_OSUSER:-remix-pg}
DATA="$ROOT/var/pgdata"
RUN="$ROOT/var/run"
LOG="$ROOT/var/log/postgresql.log"
SECRETS="$ROOT/var/secrets"
PGPASS="$SECRETS/pgpass"
OWNER=remix
APP=${REMIX_PG_APP_ROLE:-remix_app}

say() { printf '\033[1m[remix]\033[0m %s\n' "$*"; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi
}

prepare_dirs() {
  mkdir -p "$ROOT/var/log" "$RUN"
  # var/ and var/log can be traversed (the cluster's user reaches its folders) but not listed.
  chmod 711 "$ROOT/var" "$ROOT/var/log"
  if [ "$(id -u)" -eq 0 ]; then
    id "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
    if ! runuser -u "$PGUSER_OS" -- test -x "$ROOT/var"; then
      say "The folder $ROOT is not reachable by the unprivileged user $PGUSER_OS."
      say "Clone Remix under a path every user can traverse (e.g. /srv or /opt), or set DATABASE_URL."
      exit 1
    fi
    mkdir -p "$DATA"
    chown "$PGUSER_OS" "$DATA" "$RUN"
    touch "$LOG"; chown "$PGUSER_OS" "$LOG"
  fi
}

running() { as_owner "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

url() { echo "postgresql://$OWNER@127.0.0.1:$PORT/$DB"; }
app_url() { echo "postgresql://$APP@127.0.0.1:$PORT/$DB"; }

# Administration over the unix socket as the cluster's OS user (peer authentication).
admin_psql() { as_owner "$PGBIN/psql" -h "$RUN" -p "$PORT" -U "$OWNER" -X -v ON_ERROR_STOP=1 -Atq "$@"; }

password_of() { [ -f "$PGPASS" ] && awk -F: -v r="$1" '$1 == "127.0.0.1" && $4 == r {print $5; exit}' "$PGPASS" || true; }

# The generated passwords, once: one line per role and host in libpq's pgpass format.
write_pgpass() {
  (umask 077; mkdir -p "$SECRETS")
  chmod 700 "$SECRETS"
  local role pw lines=""
  for role in "$OWNER" "$APP"; do
    pw=$(password_of "$role")
    [ -n "$pw" ] || pw=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)
    lines+="127.0.0.1:$PORT:*:$role:$pw"$'\n'"localhost:$PORT:*:$role:$pw"$'\n'
  done
  (umask 077; printf '%s' "$lines" > "$PGPASS.tmp")
  mv "$PGPASS.tmp" "$PGPASS"
  chmod 600 "$PGPASS"
}

# pg_hba.conf and pg_ident.conf of a cluster that trusts nobody (rewritten when not yet ours).
HBA_MARK="# Remix: passwords (scram-sha-256) over TCP, peer for the cluster's OS user on the socket"
write_hba() {
  local osuser
  if [ "$(id -u)" -eq 0 ]; then osuser=$PGUSER_OS; else osuser=$(id -un); fi
  as_owner tee "$DATA/pg_hba.conf" >/dev/null <<HBA
$HBA_MARK
local   all   all                  peer map=remix
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
HBA
  as_owner tee "$DATA/pg_ident.conf" >/dev/null <<IDENT
# MAPNAME  SYSTEM-USERNAME  PG-USERNAME
remix      $osuser          $OWNER
IDENT
}

secure() {
  write_pgpass
  if ! grep -qxF "$HBA_MARK" "$DATA/pg_hba.conf"; then
    say "Securing the cluster: passwords (scram-sha-256) in var/secrets/pgpass, app role $APP"
    write_hba
    if running; then as_owner "$PGBIN/pg_ctl" -D "$DATA" reload >/dev/null; sleep 0.5; fi
  fi
}

# Roles, passwords and privileges (every statement idempotent; passwords go through stdin).
grant() {
  admin_psql -d "$DB" >/dev/null <<SQL
SET password_encryption = 'scram-sha-256';
ALTER ROLE $OWNER PASSWORD '$(password_of "$OWNER")';
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP') THEN CREATE ROLE $APP LOGIN; END IF;
END \$\$;
ALTER ROLE $APP LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD '$(password_of "$APP")';
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE $DB TO $APP;
GRANT USAGE ON SCHEMA public TO $APP;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO $APP;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO $APP;
ALTER DEFAULT PRIVILEGES FOR ROLE $OWNER IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO $APP;
ALTER DEFAULT PRIVILEGES FOR ROLE $OWNER IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO $APP;
CREATE SCHEMA IF NOT EXISTS consegne_staging AUTHORIZATION $OWNER;
GRANT USAGE, CREATE ON SCHEMA consegne_staging TO $APP;
SQL
}

start() {
  prepare_dirs
  if [ ! -f "$DATA/PG_VERSION" ]; then
    say "Initialising the project's PostGIS cluster in var/pgdata (port $PORT)"
    chmod 700 "$DATA" 2>/dev/null || true
    as_owner "$PGBIN/initdb" -D "$DATA" -U "$OWNER" --auth-local=peer --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 --locale-provider=icu --icu-locale=it-IT >/dev/null
    write_hba
    cat >> "$DATA/postgresql.conf" <<CONF
# Remix: a cluster that belongs to this checkout only
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$RUN'
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
synchronous_commit = off
max_connections = 200
CONF
  fi
  secure
  if ! running; then
    if ! as_owner "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null; then
      say "PostgreSQL did not start (set REMIX_PG_PORT if port $PORT is taken). Last lines of var/log/postgresql.log:"
      tail -n 5 "$LOG" >&2
      exit 1
    fi
    say "PostGIS is up on 127.0.0.1:$PORT"
  fi
  if ! admin_psql -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    as_owner "$PGBIN/createdb" -h "$RUN" -p "$PORT" -U "$OWNER" "$DB"
  fi
  admin_psql -d "$DB" -c \
    "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS postgis_raster;" >/dev/null 2>&1
  grant
}

stop() {
  if [ -f "$DATA/PG_VERSION" ] && running; then
    as_owner "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    say "PostGIS stopped"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running on 127.0.0.1:$PORT"; else echo "stopped"; exit 3; fi ;;
  url) url ;;
  app-url) app_url ;;
  grant) grant ;;
  *) echo "usage: $0 start|stop|status|url|app-url|grant" >&2; exit 2 ;;
esac
