#!/usr/bin/env bash
# Starts or stops the Remix web server (gunicorn) and the supervised background worker
# (scripts/worker.sh → manage.py worker); pid files under var/run, logs (rotated) under var/log.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 027  # logs and whatever the app writes are not world-readable
PID=var/run/gunicorn.pid
SUPERVISOR=var/run/worker-supervisor.pid
LOGS=var/log
say() { printf '\033[1m[remix]\033[0m %s\n' "$*"; }

stop_pid() {  # stop_pid FILE NAME: SIGTERM, wait up to 30 s (running jobs finish), then SIGKILL
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    say "$2 stopped"
  fi
  rm -f "$1"
}

stop() {
  stop_pid "$PID" "App server"
  stop_pid "$SUPERVISOR" "Background worker"
  # A worker left by a supervisor that was killed itself.
  stop_pid var/run/worker.pid "Orphan background worker"
}

start() {
  local host=$1 port=$2
  stop >/dev/null
  mkdir -p var/run "$LOGS"
  # The worker runs ETL loads (ALTER TABLE, overview tables): it connects as the owner when
  # REMIX_WORKER_DATABASE_URL is given (make run), the web server as the unprivileged app role.
  DATABASE_URL="${REMIX_WORKER_DATABASE_URL:-${DATABASE_URL:-}}" nohup scripts/worker.sh >/dev/null 2>&1 &
  # Worker class and count (REMIX_WORKERS, REMIX_THREADS) are set in remix/gunicorn_conf.py,
  # chosen by `python -m bench load` (docs/architecture.md).
  REMIX_LOG_NAME=web REMIX_LOG_CONSOLE=0 .venv/bin/gunicorn remix.wsgi:application -c remix/gunicorn_conf.py \
    --bind "$host:$port" --timeout 120 --umask 0o027 --daemon --pid "$PID"
  for _ in $(seq 100); do
    if curl -fs -o /dev/null "http://$host:$port/healthz"; then
      say "Remix is running at http://$host:$port/ (English: http://$host:$port/en/), with its background worker."
      say "Logs in $LOGS/ (web.log, worker.log, gunicorn-*.log). Stop both with 'make stop'."
      return 0
    fi
    sleep 0.2
  done
  say "The app server did not answer; see $LOGS/gunicorn-error.log"; tail -n 20 "$LOGS/gunicorn-error.log"; exit 1
}

case "${1:-}" in
  start) start "${2:-127.0.0.1}" "${3:-8000}" ;;
  stop) stop ;;
  *) echo "usage: $0 start HOST PORT|stop" >&2; exit 2 ;;
esac
