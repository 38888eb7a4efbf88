"""The audit log: one call records who did what, when, on which object."""

from __future__ import annotations

from .models import AuditEntry


def record(user, action: str, obj, istat_code: str = "", **details) -> AuditEntry:
    """Append an entry; ``user`` may be None for the background worker, ``obj`` for a run over many objects."""
    return AuditEntry.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        username=user.get_username() if user is not None and user.is_authenticated else "sistema",
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        istat_code=istat_code,
        details=details,
    )
