"""Admin of the territory and the domain data."""

from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from .models import Comune, PgtAtto, Realizzazione, Stazione, ZonaOmogenea


@admin.register(ZonaOmogenea)
class ZonaOmogeneaAdmin(LeafletGeoAdmin):
    list_display = ("name", "code")
    readonly_fields = ("geom",)


@admin.register(Comune)
class ComuneAdmin(LeafletGeoAdmin):
    list_display = ("name", "istat_code", "zona", "zona_confirmed", "population")
    list_filter = ("zona", "zona_confirmed")
    search_fields = ("name", "istat_code")


@admin.register(Realizzazione)
class RealizzazioneAdmin(LeafletGeoAdmin):
    list_display = ("code", "title", "programme", "status", "amount_eur", "location_precision")
    list_filter = ("status", "location_precision")
    search_fields = ("code", "title", "programme")


@admin.register(Stazione)
class StazioneAdmin(LeafletGeoAdmin):
    list_display = ("name", "code", "istat_code")
    search_fields = ("name",)


@admin.register(PgtAtto)
class PgtAttoAdmin(admin.ModelAdmin):
    list_display = ("comune", "kind", "state", "approval_date", "synthetic")
    list_filter = ("state", "kind", "synthetic")
