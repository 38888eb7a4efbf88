#!/usr/bin/env bash
# Starts or stops the Remix web server (gunicorn) in the background; pid and log under var/.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 027  # logs and whatever the app writes are not world-readable
PID=var/run/gunicorn.pid
LOG=var/log/gunicorn.log
say() { printf '\033[1m[remix]\033[0m %s\n' "$*"; }

stop() {
  local pid
  pid=$(cat "$PID" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    say "App server stopped"
  fi
  rm -f "$PID"
}

start() {
  local host=$1 port=$2
  stop >/dev/null
  mkdir -p var/run var/log
  .venv/bin/gunicorn remix.wsgi:application --bind "$host:$port" --workers "${REMIX_WORKERS:-3}" \
    --timeout 120 --umask 0o027 --daemon --pid "$PID" --access-logfile "$LOG" --error-logfile "$LOG"
  for _ in $(seq 100); do
    if curl -fs -o /dev/null "http://$host:$port/healthz"; then
      say "Remix is running at http://$host:$port/ (English: http://$host:$port/en/). Stop it with 'make stop'."
      return 0
    fi
    sleep 0.2
  done
  say "The app server did not answer; see $LOG"; tail -n 20 "$LOG"; exit 1
}

case "${1:-}" in
  start) start "${2:-127.0.0.1}" "${3:-8000}" ;;
  stop) stop ;;
  *) echo "usage: $0 start HOST PORT|stop" >&2; exit 2 ;;
esac
