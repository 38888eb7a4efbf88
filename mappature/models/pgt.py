"""PGT acts (piani and varianti) of each comune and the features of their regional layers."""

from django.contrib.gis.db import models
from django.db.models import JSONField
from django.utils.translation import gettext_lazy as _

from .territorio import STORAGE_SRID, Comune


class PgtAtto(models.Model):
    """One version of a comune's PGT: the act (PGT or variante) and its publication state.

    Exactly one act per comune is ``vigente`` (published); earlier ones stay as history and
    can be restored; ``bozza`` acts are municipal deliveries under review.
    """

    class Kind(models.TextChoices):
        PGT = "pgt", _("PGT")
        VARIANTE = "variante", _("Variante")

    class State(models.TextChoices):
        BOZZA = "bozza", _("bozza")
        VIGENTE = "vigente", _("vigente")
        SUPERATO = "superato", _("superato")

    comune = models.ForeignKey(Comune, on_delete=models.PROTECT, related_name="pgt_atti")
    kind = models.CharField(_("tipo di atto"), max_length=10, choices=Kind.choices, default=Kind.PGT)
    state = models.CharField(_("stato"), max_length=10, choices=State.choices, default=State.BOZZA)
    adoption_date = models.DateField(_("data di adozione"), null=True, blank=True)
    approval_date = models.DateField(_("data di approvazione"), null=True, blank=True)
    deliberation = models.CharField(_("numero di delibera"), max_length=40, blank=True)
    burl_date = models.DateField(_("data di pubblicazione sul BURL"), null=True, blank=True)
    spec_version = models.CharField(_("versione della specifica regionale"), max_length=20, blank=True)
    synthetic = models.BooleanField(_("dato sintetico"), default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("atto di PGT")
        verbose_name_plural = _("atti di PGT")
        constraints = [
            models.UniqueConstraint(
                fields=["comune"], condition=models.Q(state="vigente"), name="one_vigente_pgt_per_comune"
            )
        ]

    def __str__(self):
        return f"{self.comune} – {self.get_kind_display()} ({self.get_state_display()})"


class PgtFeature(models.Model):
    """A feature of one layer of the regional "Tavola delle previsioni" inside a PGT act.

    ``layer`` is the regional layer code (e.g. ``ambiti_trasformazione``); ``attrs`` keeps the
    regional fields (``NOME_AMB``, ``CATEGORIA``/``DCATEGORIA``…) as the specification names them,
    so a new version of the regional specification needs no schema change.
    """

    # No single-column indexes on atto and layer: the unique key (atto, layer, feature_key), the
    # (istat_code, layer, id) index and the per-layer partial GiSTs already serve those lookups, and
    # each extra index cost a full-scale PGT load 0.2-0.5 s (docs/etl.md).
    atto = models.ForeignKey(PgtAtto, on_delete=models.CASCADE, related_name="features", db_index=False)
    # Byte-order collation on the key columns (migration 0008): codes and identifiers, never sorted
    # for a reader, and the key's index builds a third quicker than with ICU comparisons.
    istat_code = models.CharField(_("codice ISTAT"), max_length=6, db_collation="C")
    layer = models.SlugField(_("strato"), max_length=60, db_index=False, db_collation="C")
    feature_key = models.CharField(_("chiave"), max_length=80, db_collation="C")
    attrs = JSONField(_("attributi"), default=dict)
    # No GiST index on the untyped column: nothing queries it (tiles, bbox and identify go
    # through the pgt_<layer> views and their per-layer partial GiST indexes, migration 0005),
    # and building it cost a full-scale PGT load 0.3 s.
    geom = models.GeometryField(_("geometria"), srid=STORAGE_SRID, spatial_index=False)

    class Meta:
        verbose_name = _("elemento di PGT")
        verbose_name_plural = _("elementi di PGT")
        constraints = [models.UniqueConstraint(fields=["atto", "layer", "feature_key"], name="pgt_feature_key")]
        # (comune, layer, id): a page of one comune's features of one layer in id order is read straight from
        # the index (the primary key walk the planner chose instead read up to the whole table before the first
        # row), and the comune first serves a selection by comune alone or over several layers at once (a zona's
        # comuni over the six layers read each comune's range, not the whole index once per comune).
        indexes = [models.Index(fields=["istat_code", "layer", "id"])]
