"""The RNDT-shaped metadata record of a layer (domain-model.md §4), built from the registry row.

A pure function of the Layer: declared metadata (owner, contact, licence, keywords, INSPIRE theme,
topic category), registry facts (titles, dates, CRS) and what the data tells (extent, feature
count, lineage from the dataset versions the ETL recorded).
"""

from __future__ import annotations

from . import conf
from .models import Layer

METADATA_STANDARD = {"name": "Linee Guida RNDT", "version": "2.0"}


def file_identifier(layer: Layer) -> str:
    """Persistent identifier ``<iPA code>:<local id>`` (RNDT rule); the iPA code is a setting."""
    return f"{conf.IPA_CODE}:remix-{layer.slug}"


def rndt_record(layer: Layer, *, lang: str = "it", distributions: list[dict] | None = None) -> dict:
    """The metadata record as plain data (JSON-serialisable), in the order of the RNDT guidelines."""
    meta = layer.metadata or {}
    lineage = meta.get("lineage") or []
    return {
        "file_identifier": file_identifier(layer),
        "language": meta.get("language", "ita"),
        "character_set": "utf8",
        "metadata_standard": METADATA_STANDARD,
        "metadata_date": _iso(layer.updated_at),
        "metadata_contact": meta.get("contact") or {},
        "title": layer.title(lang),
        "abstract": layer.abstract(lang),
        "synthetic": layer.synthetic,
        "resource_identifier": file_identifier(layer),
        "owner": meta.get("owner") or {},
        "point_of_contact": meta.get("contact") or {},
        "dates": {
            "creation": lineage[0]["loaded_at"] if lineage else None,
            "publication": _iso(layer.published_at),
            "revision": _iso(layer.data_updated_at),
        },
        "presentation_form": meta.get("presentation_form", "mapDigital"),
        "maintenance_frequency": meta.get("update_frequency"),
        "keywords": list(meta.get("keywords") or []),
        "inspire_theme": meta.get("inspire_theme"),
        "topic_category": meta.get("topic_category"),
        "reference_system": meta.get("reference_system", f"EPSG:{layer.srid}"),
        "rndt_reference_system": meta.get("rndt_reference_system"),
        "scale_denominator": meta.get("scale_denominator"),
        "extent": meta.get("extent"),
        "features": meta.get("features"),
        "geometry_type": layer.geometry_type,
        "lineage": {"statement": meta.get("lineage_note", ""), "versions": lineage_versions(layer)},
        "licence": meta.get("licence"),
        "access_constraints": meta.get("access_constraints"),
        "attribution": meta.get("attribution", ""),
        "plan_level": meta.get("plan_level"),
        "process_step": meta.get("process_step"),
        "data_version": layer.data_version,
        "distributions": distributions or [],
    }


def lineage_versions(layer: Layer, limit: int = 20) -> list[dict]:
    """The latest dataset versions that fed the layer, newest first."""
    versions = (layer.metadata or {}).get("lineage") or []
    return list(reversed(versions[-limit:]))


def _iso(value) -> str | None:
    return value.isoformat() if value else None
