"""Who sees which project ideas: the deliveries' rules (consegne.permissions), applied to ideas."""

from __future__ import annotations

from consegne import permissions
from consegne.models import Membership

from .models import ProjectIdea


def visible_ideas(user):
    """Their comune's ideas for a technician; all of them (the art. 14 "elenco") for CMM staff."""
    member = permissions.membership(user)
    qs = ProjectIdea.objects.select_related("comune")
    if member is None:
        return qs.none()
    if member.role == Membership.Role.TECNICO:
        return qs.filter(comune=member.comune)
    return qs


def may_propose(user, istat_code: str) -> bool:
    return permissions.allowed(user, "upload", istat_code)


def proposal_comuni(user):
    return permissions.upload_comuni(user)


def may_see_atto(user, atto) -> bool:
    """A PGT act in force is public; a bozza only for its comune and CMM staff."""
    from mappature.models import PgtAtto

    if atto.state != PgtAtto.State.BOZZA:
        return True
    return permissions.allowed(user, "view", atto.comune.istat_code)


def is_staff(user) -> bool:
    return permissions.allowed(user, "review")
