"""Admin of the layer registry: edits are kept by `layers sync`; publishing goes through layers.actions."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import actions, registry
from .errors import LayersError, StyleError
from .models import Layer, LayerEvent
from .styles import parse_style
from .sync import edited_fields


class LayerForm(forms.ModelForm):
    """The admin's form (model and fields come from LayerAdmin); a style must parse to be saved."""

    def clean_style(self):
        style = self.cleaned_data.get("style") or {}
        raster = self.data.get("kind") == Layer.Kind.RASTER
        try:
            parse_style(style, geometry_type="Raster" if raster else "")
        except StyleError as err:
            raise forms.ValidationError(str(err)) from err
        return style


class LayerEventInline(admin.TabularInline):
    model = LayerEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "action", "actor", "via", "detail")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin):
    form = LayerForm
    list_display = ("slug", "title_it", "theme", "kind", "visibility", "published", "synthetic", "data_version")
    list_filter = ("theme", "published", "visibility", "synthetic", "kind")
    search_fields = ("slug", "title_it", "title_en", "abstract_it")
    # Publication changes only through the actions, so that each one is checked, audited and hooked.
    readonly_fields = ("published", "published_at", "data_version", "data_updated_at", "updated_at", "edited")
    filter_horizontal = ("groups",)
    inlines = [LayerEventInline]
    actions = ["publish_selected", "unpublish_selected"]
    fieldsets = (
        (None, {"fields": ("slug", "title_it", "title_en", "abstract_it", "abstract_en", "theme", "synthetic")}),
        (_("Sorgente"), {"fields": ("kind", "source", "dataset_id", "geometry_type", "srid", "attributes")}),
        (_("Rappresentazione"), {"fields": ("style", "min_zoom", "max_zoom", "sort_order")}),
        (_("Accesso"), {"fields": ("visibility", "groups", "published", "published_at")}),
        (_("Metadati"), {"fields": ("metadata", "data_version", "data_updated_at", "updated_at")}),
        (_("Dichiarazione"), {"fields": ("edited",)}),
    )

    # Fields that point the layer at other data: changing one is a change of the layer's data.
    DATA_FIELDS = ("kind", "source", "srid", "geometry_type")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and any(name in form.changed_data for name in self.DATA_FIELDS):
            registry.data_changed([obj])  # new version: tiles, OGC maps and exports of the old data are not reused

    @admin.display(description=_("Modificati rispetto alla dichiarazione (mantenuti da «layers sync»)"))
    def edited(self, obj):
        return ", ".join(edited_fields(obj)) or "—"

    @admin.action(description=_("Pubblica gli strati selezionati"), permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._run(request, queryset, actions.publish)

    @admin.action(description=_("Ritira gli strati selezionati"), permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        self._run(request, queryset, actions.unpublish)

    def has_publish_permission(self, request):
        return actions.can_publish(request.user)

    def _run(self, request, queryset, action):
        try:
            done = sum(action(layer, request.user, via="admin") for layer in queryset)
        except LayersError as err:
            self.message_user(request, str(err), messages.ERROR)
            return
        self.message_user(request, ngettext("%(n)d strato modificato.", "%(n)d strati modificati.", done) % {"n": done})
