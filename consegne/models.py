"""Accounts, deliveries, findings, the versioned regional specification and the audit log."""

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from mappature.models import Comune, PgtAtto


class Membership(models.Model):
    """The role of a user in Remix's deliveries; a municipal technician belongs to one comune."""

    class Role(models.TextChoices):
        TECNICO = "tecnico", _("tecnico comunale")
        STAFF = "staff", _("personale CMM")
        ADMIN = "admin", _("amministratore")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(_("ruolo"), max_length=10, choices=Role.choices)
    comune = models.ForeignKey(Comune, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("comune"))

    class Meta:
        verbose_name = _("ruolo utente")
        verbose_name_plural = _("ruoli utente")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="tecnico") | models.Q(comune__isnull=False), name="tecnico_has_comune"
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()}"


class Consegna(models.Model):
    """One delivery of a comune's PGT layers, from upload to publication."""

    class State(models.TextChoices):
        IN_CODA = "in_coda", _("in coda per la validazione")
        IN_VALIDAZIONE = "in_validazione", _("validazione in corso")
        RESPINTA = "respinta", _("non valida")
        IN_REVISIONE = "in_revisione", _("in revisione da CMM")
        RINVIATA = "rinviata", _("rinviata al comune")
        PUBBLICATA = "pubblicata", _("pubblicata")
        FALLITA = "fallita", _("errore interno di validazione")

    # States in which a delivery ended without becoming a PGT version: its file may be deleted in time.
    ENDED_WITHOUT_VERSION = (State.RESPINTA, State.FALLITA, State.RINVIATA)

    comune = models.ForeignKey(Comune, on_delete=models.PROTECT, related_name="consegne", verbose_name=_("comune"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(_("tipo di atto"), max_length=10, choices=PgtAtto.Kind.choices)
    adoption_date = models.DateField(_("data di adozione"), null=True, blank=True)
    approval_date = models.DateField(_("data di approvazione"), null=True, blank=True)
    deliberation = models.CharField(_("numero di delibera"), max_length=40)
    burl_date = models.DateField(_("data di pubblicazione sul BURL"), null=True, blank=True)
    original_name = models.CharField(_("file caricato"), max_length=255)
    stored_path = models.CharField(max_length=500)
    size_bytes = models.PositiveBigIntegerField(default=0)
    spec_version = models.CharField(_("versione della specifica"), max_length=20)
    state = models.CharField(_("stato"), max_length=16, choices=State.choices, default=State.IN_CODA)
    progress = models.PositiveSmallIntegerField(_("avanzamento %"), default=0)
    progress_step = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    atto = models.OneToOneField(PgtAtto, on_delete=models.SET_NULL, null=True, blank=True, related_name="consegna")
    review_comment = models.TextField(_("commento della revisione"), blank=True)
    # When CMM staff published the delivery or sent it back.
    reviewed_at = models.DateTimeField(_("revisionata il"), null=True, blank=True)
    # When the retention policy deleted the stored file (consegne.retention); the records stay.
    purged_at = models.DateTimeField(_("file eliminato il"), null=True, blank=True)

    class Meta:
        verbose_name = _("consegna PGT")
        verbose_name_plural = _("consegne PGT")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self):
        return f"{self.comune} #{self.pk} ({self.get_state_display()})"


class Finding(models.Model):
    """One result of validation: severity, rule, layer, feature, location and message parameters."""

    class Severity(models.TextChoices):
        ERROR = "errore", _("errore")
        WARNING = "avviso", _("avviso")
        INFO = "info", _("informazione")

    consegna = models.ForeignKey(Consegna, on_delete=models.CASCADE, related_name="findings")
    severity = models.CharField(_("gravità"), max_length=8, choices=Severity.choices)
    rule = models.CharField(_("regola"), max_length=40)
    layer = models.CharField(_("strato"), max_length=60, blank=True)
    feature = models.CharField(_("elemento"), max_length=120, blank=True)
    params = models.JSONField(default=dict)
    geom = models.GeometryField(srid=32632, null=True, blank=True)

    class Meta:
        ordering = ["consegna", "id"]
        indexes = [models.Index(fields=["consegna", "severity"])]


class SpecVersion(models.Model):
    """A version of the regional delivery specification, loaded from a committed spec file."""

    code = models.CharField(_("versione"), max_length=20, unique=True)
    title = models.CharField(_("titolo"), max_length=200)
    source = models.TextField(_("fonte"), blank=True)
    valid_from = models.DateField(_("in vigore dal"))
    checksum = models.CharField(max_length=64)
    accepted_srids = models.JSONField(default=list)
    loaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.code


class SpecLayer(models.Model):
    """A layer of the delivery in one spec version, with its geometry and topology rules."""

    version = models.ForeignKey(SpecVersion, on_delete=models.CASCADE, related_name="layers")
    code = models.SlugField(max_length=60)
    required = models.BooleanField(default=False)
    geometry_type = models.CharField(max_length=20)
    key_field = models.CharField(max_length=10, blank=True)
    class_field = models.CharField(max_length=10, blank=True)
    no_overlap = models.BooleanField(default=False)
    full_coverage = models.BooleanField(default=False)
    min_area_m2 = models.FloatField(default=1.0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="spec_layer_unique")]
        ordering = ["version", "id"]


class SpecField(models.Model):
    """A field of a spec layer: type, whether mandatory, code list and paired description field."""

    layer = models.ForeignKey(SpecLayer, on_delete=models.CASCADE, related_name="fields")
    name = models.CharField(max_length=10)
    type = models.CharField(max_length=10)  # text | integer | real | date
    mandatory = models.BooleanField(default=False)
    description_field = models.CharField(max_length=10, blank=True)
    codes = models.JSONField(default=dict, blank=True)  # {code: description}; empty = free text

    class Meta:
        constraints = [models.UniqueConstraint(fields=["layer", "name"], name="spec_field_unique")]
        ordering = ["layer", "id"]


class SpecCrossRule(models.Model):
    """A cross-layer rule: features of ``layer`` should not lie on features of ``other``."""

    version = models.ForeignKey(SpecVersion, on_delete=models.CASCADE, related_name="cross_rules")
    rule = models.CharField(max_length=40)
    layer = models.SlugField(max_length=60)
    other = models.SlugField(max_length=60)
    severity = models.CharField(max_length=8, choices=Finding.Severity.choices)
    min_area_m2 = models.FloatField(default=10.0)


class AuditEntry(models.Model):
    """Who did what, when, on which object: every upload, validation, review, publish, rollback."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    username = models.CharField(max_length=150)
    action = models.CharField(_("azione"), max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    istat_code = models.CharField(max_length=6, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("voce del registro delle attività")
        verbose_name_plural = _("registro delle attività")
        ordering = ["-at"]

    # What the log shows people: names of the actions and objects, not their codes.
    ACTION_LABELS = {
        "caricamento": _("caricamento"),
        "caricamento_rifiutato": _("caricamento rifiutato"),
        "validazione": _("validazione"),
        "pubblicazione": _("pubblicazione"),
        "rinvio": _("rinvio al comune"),
        "ripristino": _("ripristino di una versione"),
        "eliminazione_file": _("eliminazione dei file conservati"),
    }
    OBJECT_LABELS = {"consegna": _("consegna"), "pgtatto": _("atto di PGT"), "comune": _("comune")}

    @property
    def action_label(self) -> str:
        return str(self.ACTION_LABELS.get(self.action, self.action.replace("_", " ")))

    @property
    def object_label(self) -> str:
        return str(self.OBJECT_LABELS.get(self.object_type, self.object_type))

    @property
    def who(self) -> str:
        """The person's full name when known (the username otherwise); background work is "sistema"."""
        if self.username == "sistema" and self.user_id is None:
            return str(_("sistema"))
        full = self.user.get_full_name() if self.user_id and self.user else ""
        return full or self.username

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_type}#{self.object_id}"
