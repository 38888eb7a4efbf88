"""The one place that decides who may do what on which comune's deliveries and PGT versions.

Municipal technicians act only on their own comune; CMM staff see everything and review,
publish and roll back; administrators can do all that and manage accounts.
"""

from __future__ import annotations

from django.db.models import QuerySet

from .errors import MESSAGES, NotAllowed
from .models import Consegna, Membership

ROLE_ACTIONS = {
    Membership.Role.TECNICO: {"view", "upload"},
    Membership.Role.STAFF: {"view", "upload", "review", "publish", "rollback"},
    Membership.Role.ADMIN: {"view", "upload", "review", "publish", "rollback", "manage_accounts"},
}


_CACHE_ATTR = "_consegne_membership"


def membership(user) -> Membership | None:
    """The user's Membership (or None), with its comune. It is kept on the user object after the first
    look-up, as Django keeps related objects: ``request.user`` is built anew for every request, so a
    page that checks several permissions asks the database once."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Membership(user=user, role=Membership.Role.ADMIN)
    if not hasattr(user, _CACHE_ATTR):
        setattr(user, _CACHE_ATTR, Membership.objects.select_related("comune").filter(user=user).first())
    return getattr(user, _CACHE_ATTR)


def allowed(user, action: str, istat_code: str | None = None) -> bool:
    """True when ``user`` may perform ``action`` (on the comune ``istat_code`` when given)."""
    member = membership(user)
    if member is None or action not in ROLE_ACTIONS[member.role]:
        return False
    if member.role == Membership.Role.TECNICO:
        return istat_code is not None and member.comune.istat_code == istat_code
    return True


def check(user, action: str, istat_code: str | None = None) -> None:
    """Raise :class:`NotAllowed` unless :func:`allowed`."""
    if not allowed(user, action, istat_code):
        raise NotAllowed(MESSAGES["not_allowed"])


def visible_consegne(user) -> QuerySet[Consegna]:
    """The deliveries ``user`` may see: their comune's, or all for CMM staff and admins."""
    member = membership(user)
    qs = Consegna.objects.select_related("comune", "uploaded_by")
    if member is None:
        return qs.none()
    if member.role == Membership.Role.TECNICO:
        return qs.filter(comune=member.comune)
    return qs


def upload_comuni(user):
    """Comuni ``user`` may upload for (their own one, or all for staff)."""
    from mappature.models import Comune

    member = membership(user)
    if member is None:
        return Comune.objects.none()
    if member.role == Membership.Role.TECNICO:
        return Comune.objects.filter(pk=member.comune_id)
    return Comune.objects.all()
