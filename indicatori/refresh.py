"""Recompute the indicators that depend on a source that was just loaded."""

import logging

log = logging.getLogger(__name__)


def on_source_loaded(sender, source, version, **kwargs):
    """A failing indicator never undoes or fails the load that triggered it: it is logged, and
    ``manage.py indicatori refresh`` reports it."""
    from .compute import refresh_dependants

    try:
        refresh_dependants(source.id, trigger=f"{source.id} v{version.version}")
    except Exception:
        log.exception("indicators depending on %s not recomputed", source.id)
