#!/usr/bin/env bash
# Supervises the background worker (`manage.py worker`): starts it, and starts it again whenever it
# dies (crash, kill -9, out of memory); jobs it was running are recovered by the job system itself.
# SIGTERM stops the worker gracefully (running jobs finish) and then the supervisor.
# Pid files: $REMIX_RUN_DIR/worker-supervisor.pid and worker.pid; logs: $REMIX_LOG_DIR/worker.log
# (rotated, written by Django's logging) and worker.out (what the process prints outside logging).
set -uo pipefail
cd "$(dirname "$0")/.."
RUN=${REMIX_RUN_DIR:-var/run}
LOGS=${REMIX_LOG_DIR:-var/log}
PY=${REMIX_VENV:-.venv}/bin/python  # the venv scripts/bootstrap.sh made
mkdir -p "$RUN" "$LOGS"
echo $$ > "$RUN/worker-supervisor.pid"
child=""
stopping=""
stop() {
  stopping=1
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi
  rm -f "$RUN/worker.pid" "$RUN/worker-supervisor.pid"
  exit 0
}
trap stop TERM INT
while [ -z "$stopping" ]; do
  REMIX_LOG_NAME=worker REMIX_LOG_CONSOLE=0 "$PY" manage.py worker >> "$LOGS/worker.out" 2>&1 &
  child=$!
  echo "$child" > "$RUN/worker.pid"
  wait "$child"
  rc=$?
  [ -n "$stopping" ] && break
  echo "$(date -Is) worker $child exited with status $rc: starting a new one" >> "$LOGS/worker.out"
  sleep 1  # a worker that cannot start (database down) is retried every second, not in a busy loop
done
