"""The public catalogue: which layers a user finds by text, theme and place, and the links of a layer.

Places (comuni) belong to mappature, which layers may not import: the view layer hands in a
``Places`` provider (``REMIX["CATALOGUE_PLACES"]``, wired in remix) that lists them and returns a
place's geometry; the registry then asks each layer's own data whether it touches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.contrib.gis.geos import GEOSGeometry
from django.db.models import F, Func, TextField, Value
from django.db.models.fields.json import KT, KeyTransform
from django.db.models.functions import Cast, Coalesce, Concat, Lower
from django.urls import reverse
from django.utils.module_loading import import_string

from . import conf, source_data
from .models import Layer


class Places(Protocol):
    def choices(self) -> list[tuple[str, str]]:
        """(code, name) of every place a user can pick, sorted by name."""

    def geometry(self, code: str) -> GEOSGeometry | None:
        """The place's geometry in EPSG:32632, or None for an unknown code."""


@dataclass(frozen=True)
class Query:
    text: str = ""
    theme: str = ""
    place: str = ""


def places() -> Places | None:
    path = conf.CATALOGUE_PLACES
    return import_string(path) if path else None


_ACCENTED, _PLAIN = "àáâäèéêëìíîïòóôöùúûüç", "aaaaeeeeiiiioooouuuuc"


def _fold(text: str) -> str:
    return text.lower().translate(str.maketrans(_ACCENTED, _PLAIN))


def search(user, query: Query, listing: bool = False) -> list[Layer]:
    """Layers the user may see matching every given criterion, in catalogue order.

    ``listing``: only what the catalogue page shows and the place filter needs (the metadata's extent,
    not the whole metadata with its lineage: decoding that was a third of the page's queries).
    """
    # The listing needs neither the attributes nor the declaration snapshot: skip decoding them.
    qs = Layer.objects.visible_to(user).defer("attributes", "declared")
    if listing:
        qs = qs.defer("metadata", "style").annotate(extent=KeyTransform("extent", "metadata"))
    if query.theme:
        qs = qs.filter(theme=query.theme)
    words = [_fold(word) for word in query.text.split()]
    if words:
        # Case- and accent-insensitive: "mobilita" finds "mobilità" (no database extension needed).
        parts = [Cast(F(name), TextField()) for name in ("title_it", "title_en", "abstract_it", "abstract_en", "slug")]
        parts.append(
            Coalesce(
                Cast(KT("metadata__keywords"), TextField()),
                Value("", output_field=TextField()),
                output_field=TextField(),
            )
        )
        spaced = [p for part in parts for p in (part, Value(" ", output_field=TextField()))]
        text = Concat(*spaced, output_field=TextField())
        qs = qs.annotate(
            search_text=Func(
                Lower(text), Value(_ACCENTED), Value(_PLAIN), function="translate", output_field=TextField()
            )
        )
        for word in words:
            qs = qs.filter(search_text__contains=word)
    layers = list(qs)
    if query.place:
        layers = _in_place(layers, query.place)
    return layers


def _in_place(layers: list[Layer], code: str) -> list[Layer]:
    provider = places()
    geom = provider.geometry(code) if provider else None
    if geom is None:
        return []
    box = geom.transform(4326, clone=True).extent
    bbox = {"west": box[0], "south": box[1], "east": box[2], "north": box[3]}
    found = source_data.intersecting(layers, bytes(geom.ewkb), bbox)
    return [layer for layer in layers if layer.slug in found]


def summary(layer: Layer, lang: str = "it") -> dict:
    """What a client needs to list a layer and decide whether to load it (plain JSON data)."""
    meta = layer.metadata or {}
    return {
        "slug": layer.slug,
        "title": layer.title(lang),
        "abstract": layer.abstract(lang),
        "theme": layer.theme,
        "kind": layer.kind,
        "geometry_type": layer.geometry_type,
        "synthetic": layer.synthetic,
        "visibility": layer.visibility,
        "min_zoom": layer.min_zoom,
        "max_zoom": layer.max_zoom,
        "extent": meta.get("extent"),
        "features": meta.get("features"),
        "data_version": layer.data_version,
        "url": reverse("layers:layer", args=[layer.slug]),
        # Classification rules and legend labels, so a map client draws what the legend says.
        "style": layer.classification().as_json(lang),
    }


def links(layer: Layer, request) -> list[dict]:
    """Service and download links of a layer, from the providers in ``REMIX["LAYER_LINKS"]``.

    Each provider is ``provider(layer, request) -> list[{"kind": "service"|"download", "label", "url"}]``
    (layers.ogc adds WMS/WFS and GeoPackage links this way).
    """
    found = []
    for path in conf.LAYER_LINKS:
        found.extend(import_string(path)(layer, request))
    return found
