"""A real, supervised worker (scripts/worker.sh → manage.py worker) on the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# Short thresholds: a worker silent for 3 s is dead; recovery looks every 2 s. Values set in the
# environment win, so the same tests measure the production defaults too (docs/architecture.md).
FAST = {
    "REMIX_JOBS_HEARTBEAT_S": "0.5",
    "REMIX_JOBS_STALLED_AFTER_S": "3",
    "REMIX_JOBS_RECOVER_EVERY_S": "2",
    "REMIX_JOBS_POLL_S": "0.5",
}


def wait_for(predicate, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def forget_jobs():
    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM procrastinate_jobs; DELETE FROM procrastinate_workers;"
            " DELETE FROM procrastinate_periodic_defers"
        )


class Supervisor:
    def __init__(self, tmp: Path, env: dict):
        from layers.exports.jobs import _database_url

        self.run_dir, self.log_dir = tmp / "run", tmp / "log"
        self.env = {
            **FAST,
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REMIX_RUN_DIR": str(self.run_dir),
            "REMIX_LOG_DIR": str(self.log_dir),
            **env,
        }
        self.proc = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "worker.sh")],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def worker_pid(self) -> int:
        def alive():
            try:
                pid = int((self.run_dir / "worker.pid").read_text())
                os.kill(pid, 0)
                return pid
            except (OSError, ValueError):
                return None

        return wait_for(alive, 30, "the supervised worker")

    def log(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("worker*")))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def supervised_worker(transactional_db, tmp_path):
    """Start ``scripts/worker.sh`` (extra environment as keyword arguments); stopped after the test."""
    started = []
    forget_jobs()

    def start(**env) -> Supervisor:
        sup = Supervisor(tmp_path, env)
        started.append(sup)
        return sup

    yield start
    for sup in started:
        sup.stop()
    forget_jobs()
