"""Registry of published layers: what a layer is, where its data lives, how it looks, who sees it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class LayerQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Published layers the user may see: public ones, plus authenticated or group ones."""
        qs = self.filter(published=True)
        if user is None or not user.is_authenticated:
            return qs.filter(visibility=Layer.Visibility.PUBLIC)
        if user.is_superuser:
            return qs
        return qs.filter(
            Q(visibility__in=[Layer.Visibility.PUBLIC, Layer.Visibility.AUTHENTICATED])
            | Q(visibility=Layer.Visibility.GROUP, groups__in=user.groups.all())
        ).distinct()


class Layer(models.Model):
    """A dataset exposed on the map, in the catalogue and through OGC services.

    ``source`` names a table or view in PostGIS (or a raster path); the registry never copies
    data, so a layer is always as current as its last load.
    """

    class Theme(models.TextChoices):
        PTM = "ptm", _("PTM")
        PGT = "pgt", _("PGT")
        RIGENERAZIONE = "rigenerazione", _("Rigenerazione")
        STTM1 = "sttm1", _("STTM 1")
        STTM2 = "sttm2", _("STTM 2")
        STTM3 = "sttm3", _("STTM 3")
        RIFERIMENTI = "riferimenti", _("Riferimenti")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("pubblico")
        AUTHENTICATED = "authenticated", _("utenti autenticati")
        GROUP = "group", _("gruppo")

    class Kind(models.TextChoices):
        VECTOR = "vector", _("vettoriale")
        RASTER = "raster", _("raster")

    slug = models.SlugField(_("identificativo"), max_length=80, unique=True)
    title_it = models.CharField(_("titolo (italiano)"), max_length=200)
    title_en = models.CharField(_("titolo (inglese)"), max_length=200, blank=True)
    abstract_it = models.TextField(_("descrizione (italiano)"), blank=True)
    abstract_en = models.TextField(_("descrizione (inglese)"), blank=True)
    theme = models.CharField(_("tema"), max_length=20, choices=Theme.choices)
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices, default=Kind.VECTOR)
    source = models.CharField(_("sorgente (tabella, vista o raster)"), max_length=200)
    dataset_id = models.SlugField(_("sorgente ETL"), max_length=80, blank=True)
    geometry_type = models.CharField(_("tipo di geometria"), max_length=30, blank=True)
    srid = models.PositiveIntegerField(default=32632)
    attributes = models.JSONField(_("attributi esposti"), default=list, blank=True)
    style = models.JSONField(_("stile"), default=dict, blank=True)
    min_zoom = models.PositiveSmallIntegerField(null=True, blank=True)
    max_zoom = models.PositiveSmallIntegerField(null=True, blank=True)
    visibility = models.CharField(_("visibilità"), max_length=15, choices=Visibility.choices, default=Visibility.PUBLIC)
    groups = models.ManyToManyField("auth.Group", blank=True, verbose_name=_("gruppi"))
    published = models.BooleanField(_("pubblicato"), default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    synthetic = models.BooleanField(_("dati sintetici"), default=False)
    metadata = models.JSONField(_("metadati (RNDT)"), default=dict, blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    # Bumped by every load of the layer's dataset: caches (tiles, exports) are keyed by it.
    data_version = models.PositiveIntegerField(default=0)
    data_updated_at = models.DateTimeField(null=True, blank=True)
    # The declaration values last applied by `layers sync`: a field whose value still equals its
    # declared value follows the declaration; one edited in the admin differs and is kept.
    declared = models.JSONField(default=dict, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LayerQuerySet.as_manager()

    class Meta:
        verbose_name = _("strato")
        verbose_name_plural = _("strati")
        ordering = ["theme", "sort_order", "slug"]
        permissions = [("publish_layer", _("Può pubblicare e ritirare strati"))]

    def __str__(self):
        return self.title_it

    def title(self, lang: str = "it") -> str:
        return self.title_en if lang == "en" and self.title_en else self.title_it

    def abstract(self, lang: str = "it") -> str:
        return self.abstract_en if lang == "en" and self.abstract_en else self.abstract_it

    def classification(self):
        """The layer's style as a layers.styles.Classification (rasters classify their pixel value)."""
        from .styles import parse_style

        return parse_style(self.style, geometry_type="Raster" if self.kind == self.Kind.RASTER else self.geometry_type)


class LayerEvent(models.Model):
    """Audit trail of the registry: who published, unpublished or synchronised a layer, and when."""

    class Action(models.TextChoices):
        PUBLISH = "publish", _("pubblicato")
        UNPUBLISH = "unpublish", _("ritirato")
        CREATE = "create", _("creato dalla dichiarazione")
        SYNC = "sync", _("aggiornato dalla dichiarazione")

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="events", verbose_name=_("strato"))
    action = models.CharField(_("azione"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("utente"),
    )
    via = models.CharField(_("tramite"), max_length=20)  # admin, cli, sync, api, test
    at = models.DateTimeField(_("quando"), auto_now_add=True)
    detail = models.JSONField(_("dettagli"), default=dict, blank=True)

    class Meta:
        verbose_name = _("evento dello strato")
        verbose_name_plural = _("eventi degli strati")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.layer.slug} {self.action} {self.at:%Y-%m-%d %H:%M}"


from .exports.models import ExportJob  # noqa: E402, F401 - the export jobs belong to this app
