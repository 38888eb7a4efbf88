"""What `make run` starts: gunicorn with the worker class and count chosen by the load test (bench/b_load.py)."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHOSEN = {"worker_class": "gthread", "workers": "3", "threads": "4"}  # docs/architecture.md, "Serving"
OVERRIDES = ("REMIX_WORKERS", "REMIX_THREADS", "REMIX_WORKER_CLASS")


def _env(**extra) -> dict:
    return {**{k: v for k, v in os.environ.items() if k not in OVERRIDES}, **extra}


def _gunicorn_command() -> str:
    """The gunicorn command line of scripts/serve.sh (continuation lines joined)."""
    text = (ROOT / "scripts" / "serve.sh").read_text().replace("\\\n", " ")
    lines = [line for line in text.splitlines() if "bin/gunicorn " in line]
    assert len(lines) == 1, lines
    return lines[0]


def test_serve_sh_takes_workers_from_the_gunicorn_conf():
    """The command-line would override the configuration file: serve.sh names the file and no worker flags."""
    command = _gunicorn_command()
    assert "-c remix/gunicorn_conf.py" in command
    assert not re.search(r"(--workers|--threads|--worker-class|\s-w\s|\s-k\s)", command), command


def test_gunicorn_resolves_the_chosen_workers(tmp_path):
    """gunicorn's own reading of remix/gunicorn_conf.py, and the load test's "project" is that configuration."""
    out = subprocess.run(
        [sys.executable, "-m", "gunicorn", "remix.wsgi:application", "-c", "remix/gunicorn_conf.py", "--print-config"],
        cwd=ROOT,
        env=_env(REMIX_LOG_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    resolved = dict(re.findall(r"^(\w+)\s+=\s+(.*)$", out, flags=re.MULTILINE))
    assert {k: resolved[k] for k in CHOSEN} == CHOSEN
    from bench.b_load import chosen

    expected = f"{CHOSEN['worker_class']}:{CHOSEN['workers']}"
    assert chosen() == (expected if CHOSEN["worker_class"] == "sync" else f"{expected}x{CHOSEN['threads']}")


@pytest.mark.django_db
def test_the_running_server_has_the_chosen_number_of_workers(tmp_path, django_db_blocker):
    """A server started as serve.sh starts it answers, with as many worker processes as chosen."""
    from layers.exports.jobs import _database_url

    with django_db_blocker.unblock():
        env = _env(DATABASE_URL=_database_url(), REMIX_LOG_DIR=str(tmp_path))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "remix.wsgi:application", "-c", "remix/gunicorn_conf.py"]
        + ["--bind", f"127.0.0.1:{port}", "--timeout", "120"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()  # noqa: S310
                if len(children.read_text().split()) == int(CHOSEN["workers"]):
                    break
            except OSError:
                pass
            time.sleep(0.2)
        assert len(children.read_text().split()) == int(CHOSEN["workers"])
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@pytest.mark.django_db
@pytest.mark.usefixtures("ogc_data")
def test_the_load_tests_slow_requests_are_answered_and_each_export_is_a_new_one(client):
    """The slow half of `bench load` does real work every time: each export request is a new export
    (its extent differs, so no earlier job answers it), and the large WFS and WMS requests are answered."""
    import json
    import random
    from urllib.parse import parse_qsl

    from bench.b_load import SLOW_KINDS, slow_request

    assert "export" in SLOW_KINDS
    rng = random.Random(7)
    jobs = []
    for _ in range(2):
        method, path, body = slow_request("export", rng, slug="ambiti_trasformazione")
        assert method == "POST" and path == "/api/esportazioni/"
        answer = client.post(path, dict(parse_qsl(body.decode())))
        assert answer.status_code in (201, 202), answer.content[:300]
        job = json.loads(answer.content)
        assert job["status"] in ("done", "queued", "running"), job
        jobs.append(job["id"])
    assert jobs[0] != jobs[1]
    for kind in ("wfs_5000", "wms_1024"):
        _method, path, _body = slow_request(kind, rng, slug="ambiti_trasformazione")
        answer = client.get(path)
        assert answer.status_code == 200 and b"Exception" not in answer.content[:2000], answer.content[:300]


def test_the_load_tests_rounds_alternate_so_drift_falls_on_every_configuration_alike():
    """`bench load` alternates its rounds A B B A …: every configuration runs as many rounds, and as early
    on average, so a change of the machine's load during the test does not land on one of them only."""
    from bench.b_load import order

    sequence = order(["a", "b"], 4)
    assert sequence == ["a", "b", "b", "a", "a", "b", "b", "a"]
    three = order(["a", "b", "c"], 4)
    for config in "abc":
        positions = [i for i, c in enumerate(three) if c == config]
        assert len(positions) == 4
        assert sum(positions) == sum(range(len(three))) // 3
