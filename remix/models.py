"""API tokens: scripts and GIS tools authenticate to the JSON API without a session (and without CSRF)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A token of one user; only its SHA-256 is stored, the key is shown once when it is made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("utente")
    )
    name = models.CharField(_("nome"), max_length=100, help_text=_("A cosa serve (es. script di QGIS)"))
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("inizio della chiave"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("creato il"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("ultimo uso"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("scade il"), null=True, blank=True)

    class Meta:
        verbose_name = _("token API")
        verbose_name_plural = _("token API")

    def __str__(self):
        return f"{self.prefix}… ({self.user}, {self.name})"

    @classmethod
    def issue(cls, user, name: str, expires_at=None) -> tuple[ApiToken, str]:
        """A new token and its key (the only time the key is known)."""
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, digest=_digest(key), prefix=key[:8], expires_at=expires_at)
        return token, key

    @classmethod
    def user_for(cls, key: str):
        """The active user of a valid, unexpired key, or None."""
        token = cls.objects.select_related("user").filter(digest=_digest(key)).first()
        if token is None or not token.user.is_active or (token.expires_at and token.expires_at <= timezone.now()):
            return None
        if token.last_used_at is None or (timezone.now() - token.last_used_at).total_seconds() > 300:
            cls.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user


class RateCounter(models.Model):
    """Requests of one client in the current window of one rate limit (remix.security.rate_limited).

    One row per (scope, client), reused window after window, so the table is bounded by the number
    of clients; rows of clients not seen for a day are deleted now and then."""

    key = models.CharField(max_length=80, primary_key=True)
    window_start = models.BigIntegerField()
    hits = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.key}: {self.hits}"
