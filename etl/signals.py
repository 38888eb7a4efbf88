"""Signals other apps connect to (the ETL never imports them).

``source_loaded(sender=None, source=<Source>, version=<DatasetVersion>)`` is sent after a load
committed a new version of a source (not when the source was unchanged).
"""

from django.dispatch import Signal

source_loaded = Signal()
