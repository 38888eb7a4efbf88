"""Admin of the layer registry."""

from django.contrib import admin

from .models import Layer


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin):
    list_display = ("slug", "title_it", "theme", "kind", "visibility", "published", "synthetic")
    list_filter = ("theme", "published", "visibility", "synthetic")
    search_fields = ("slug", "title_it", "title_en")
