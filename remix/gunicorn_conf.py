"""gunicorn settings of `make run` (scripts/serve.sh): workers, and request and error logs rotated under var/log/.

Unhandled exceptions of Django views are logged by Django itself (LOGGING, var/log/web.log); this
file keeps gunicorn's own word (worker timeouts, crashes, start/stop) and the access log, and sends
what the workers print on stdout/stderr to the error log.
"""

import os
from pathlib import Path

# Worker class and size, chosen with the load test (`python -m bench load`, docs/architecture.md);
# REMIX_WORKERS / REMIX_THREADS / REMIX_WORKER_CLASS change them for one server.
worker_class = os.environ.get("REMIX_WORKER_CLASS", "gthread")
workers = int(os.environ.get("REMIX_WORKERS", "3"))
threads = int(os.environ.get("REMIX_THREADS", "4")) if worker_class != "sync" else 1

_logs = Path(os.environ.get("REMIX_LOG_DIR") or Path(__file__).resolve().parent.parent / "var" / "log")
_logs.mkdir(parents=True, exist_ok=True)
capture_output = True
errorlog = str(_logs / "gunicorn-error.log")
accesslog = str(_logs / "gunicorn-access.log")


def _rotating(name: str) -> dict:
    return {
        "class": "logging.handlers.RotatingFileHandler",
        "filename": str(_logs / name),
        "maxBytes": 10 * 1024 * 1024,
        "backupCount": 5,
        "encoding": "utf-8",
        "formatter": "generic",
    }


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "generic": {"format": "%(asctime)s [%(process)d] %(levelname)s %(message)s"},
        "access": {"format": "%(message)s"},
    },
    "handlers": {
        "error_file": _rotating("gunicorn-error.log"),
        "access_file": {**_rotating("gunicorn-access.log"), "formatter": "access"},
    },
    "root": {"level": "WARNING", "handlers": ["error_file"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_file"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access_file"], "propagate": False},
    },
}
