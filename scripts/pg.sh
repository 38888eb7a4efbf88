#!/usr/bin/env bash
# Runs the PostGIS cluster that belongs to this checkout: data under var/pgdata, its own port,
# listening on 127.0.0.1 only, run as an unprivileged user (PostgreSQL refuses root).
# Never touches a system cluster. Usage: scripts/pg.sh start|stop|status|url
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

say() { printf '\033[1m[remix]\033[0m %s\n' "$*"; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi
}

prepare_dirs() {
  mkdir -p "$ROOT/var/log" "$RUN"
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

url() { echo "postgresql://remix@127.0.0.1:$PORT/$DB"; }

start() {
  prepare_dirs
  if [ ! -f "$DATA/PG_VERSION" ]; then
    say "Initialising the project's PostGIS cluster in var/pgdata (port $PORT)"
    chmod 700 "$DATA" 2>/dev/null || true
    as_owner "$PGBIN/initdb" -D "$DATA" -U remix --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 --locale-provider=icu --icu-locale=it-IT >/dev/null
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
  if ! running; then
    if ! as_owner "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null; then
      say "PostgreSQL did not start (set REMIX_PG_PORT if port $PORT is taken). Last lines of var/log/postgresql.log:"
      tail -n 5 "$LOG" >&2
      exit 1
    fi
    say "PostGIS is up on 127.0.0.1:$PORT"
  fi
  if ! as_owner "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U remix -d postgres -Atqc \
      "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    as_owner "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U remix "$DB"
  fi
  as_owner "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U remix -d "$DB" -qc \
    "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS postgis_raster;" >/dev/null 2>&1
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
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
