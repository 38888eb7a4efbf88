"""Signals the registry sends after a layer changes state, once the change is committed.

Receivers (e.g. layers.ogc regenerating the MapServer mapfile) connect in their AppConfig.ready::

    from layers.signals import layer_published
    layer_published.connect(regenerate_mapfile)

Both signals are sent with ``sender=Layer`` and the keyword arguments ``layer`` (the Layer row),
``actor`` (the user, or None for the CLI/sync) and ``via`` ("admin", "cli", "sync", ...). They
run after the transaction commits, so a receiver sees the new state and a failed change sends
nothing.
"""

from django.dispatch import Signal

layer_published = Signal()
layer_unpublished = Signal()
