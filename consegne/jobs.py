"""The validation queue: deliveries in state ``in_coda`` claimed with SKIP LOCKED, so any number of
workers (a thread of the web process or ``manage.py consegne worker``) can share it safely.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from . import retention
from .models import Consegna
from .validation import validate

log = logging.getLogger(__name__)
_drain_lock = threading.Lock()


def claim_next() -> Consegna | None:
    """Atomically move the oldest queued delivery to ``in_validazione`` and return it."""
    with connection.cursor() as cur:
        cur.execute("""
            UPDATE consegne_consegna SET state = 'in_validazione', started_at = %s, progress = 1
            WHERE id = (SELECT id FROM consegne_consegna WHERE state = 'in_coda'
                        ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1)
            RETURNING id""", [timezone.now()])
        row = cur.fetchone()
    return Consegna.objects.select_related("comune").get(pk=row[0]) if row else None


def requeue_stale(minutes: int = 30) -> int:
    """Queue again deliveries whose validation was interrupted (the worker died) ``minutes`` ago or more."""
    cutoff = timezone.now() - timedelta(minutes=minutes)
    return Consegna.objects.filter(state=Consegna.State.IN_VALIDAZIONE, started_at__lt=cutoff).update(
        state=Consegna.State.IN_CODA, progress=0, progress_step="")


def run_pending(limit: int | None = None) -> int:
    """Validate queued deliveries until the queue is empty (or ``limit`` is reached)."""
    done = 0
    while limit is None or done < limit:
        consegna = claim_next()
        if consegna is None:
            break
        validate(consegna)
        done += 1
    return done


def _drain() -> None:
    try:
        with _drain_lock:
            run_pending()
            retention.purge_if_due()  # with no separate worker service, uploads are what runs the retention
    finally:
        connections.close_all()


def kick() -> None:
    """Start a background thread draining the queue (when the inline worker is enabled)."""
    if settings.REMIX["CONSEGNE_INLINE_WORKER"]:
        threading.Thread(target=_drain, name="consegne-worker", daemon=True).start()
