"""Admin of the territory and the domain data."""

from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from .actions import refine_location
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
    """Staff place an intervention at its site on the map; saving records precision, who and when."""

    list_display = (
        "code",
        "title",
        "programme",
        "status",
        "amount_eur",
        "location_precision",
        "location_refined_by",
        "location_refined_at",
    )
    list_filter = ("status", "location_precision", "synthetic")
    search_fields = ("code", "title", "programme")
    readonly_fields = ("location_precision", "location_refined_by", "location_refined_at")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "geom" in form.changed_data and obj.geom is not None:
            refine_location(obj, obj.geom, request.user)


@admin.register(Stazione)
class StazioneAdmin(LeafletGeoAdmin):
    list_display = ("name", "code", "istat_code")
    search_fields = ("name",)


@admin.register(PgtAtto)
class PgtAttoAdmin(admin.ModelAdmin):
    list_display = ("comune", "kind", "state", "approval_date", "synthetic")
    list_filter = ("state", "kind", "synthetic")
