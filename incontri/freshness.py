"""Keep the stored analyses current when data changed without an ETL load (e.g. a published delivery).

The ETL hook covers loads; a PGT published through consegne bumps the layers' ``data_version``
only. Readers call :func:`ensure`: one query when nothing moved, else the stale pairs are recomputed.
"""

from __future__ import annotations

import threading

from layers.models import Layer

_lock = threading.Lock()
_seen: tuple | None = None


def ensure() -> None:
    global _seen
    stamp = tuple(Layer.objects.order_by("slug").values_list("slug", "data_version"))
    if stamp == _seen:
        return
    with _lock:
        from . import refresh

        refresh.run()  # waits for a refresh running elsewhere (advisory lock), then only what is stale
        _seen = stamp
