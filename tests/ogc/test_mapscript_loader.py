"""Loading MapServer's binding under concurrent requests, as the web map's first burst of WMS tiles does."""

import subprocess
import sys
import textwrap
from pathlib import Path

# A fresh process (mapscript not yet imported) where 16 threads ask for the module at the same instant.
SCRIPT = textwrap.dedent("""
    import os, threading
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "remix.settings")
    import django
    django.setup()
    from layers.ogc.mapscript_loader import mapscript
    barrier, bad = threading.Barrier(16), []
    def ask():
        barrier.wait()
        try:
            if not hasattr(mapscript(), "mapObj"):
                bad.append("half-loaded")
        except Exception as err:
            bad.append(repr(err))
    threads = [threading.Thread(target=ask) for _ in range(16)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(len(bad), bad[:1])
""")


def test_concurrent_first_requests_all_get_the_whole_module():
    """Every thread gets a fully loaded module (the tiles of a threaded server used to fail with HTTP 500)."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout
