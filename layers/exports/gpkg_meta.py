"""Adds what makes a GeoPackage self-explaining: QGIS styles, aliases, metadata and lineage, a readme table.

Works on an open ``sqlite3`` connection to a GeoPackage GDAL has written; tables follow the
GeoPackage 1.3 extensions (schema, metadata) and QGIS' own ``layer_styles`` layout.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from .qml import qml

LAYER_STYLES = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
  useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""
DATA_COLUMNS = """CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,
  mime_type TEXT, constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name))"""
METADATA = """CREATE TABLE IF NOT EXISTS gpkg_metadata (
  id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, md_scope TEXT NOT NULL DEFAULT 'dataset',
  md_standard_uri TEXT NOT NULL, mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')"""
METADATA_REF = """CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (
  reference_scope TEXT NOT NULL, table_name TEXT, column_name TEXT, row_id_value INTEGER,
  timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT NULL,
  md_parent_id INTEGER, CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id))"""
README = "CREATE TABLE remix_leggimi (id INTEGER PRIMARY KEY AUTOINCREMENT, voce TEXT NOT NULL, testo TEXT)"
EXTENSIONS = [
    ("gpkg_data_columns", None, "gpkg_schema", "http://www.geopackage.org/spec/#extension_schema", "read-write"),
    ("gpkg_metadata", None, "gpkg_metadata", "http://www.geopackage.org/spec/#extension_metadata", "read-write"),
    (
        "gpkg_metadata_reference",
        None,
        "gpkg_metadata",
        "http://www.geopackage.org/spec/#extension_metadata",
        "read-write",
    ),
]


def document(db, layers, context: dict) -> None:
    """Write styles, aliases, metadata and the readme for ``layers`` (``LayerExport`` items)."""
    for ddl in (LAYER_STYLES, DATA_COLUMNS, METADATA, METADATA_REF, README):
        db.execute(ddl)
    db.executemany("INSERT OR IGNORE INTO gpkg_extensions VALUES (?, ?, ?, ?, ?)", EXTENSIONS)
    _register_attributes(db, "layer_styles", "Stili QGIS")
    _register_attributes(db, "remix_leggimi", "Leggimi / Readme")
    vectors = [item for item in layers if item.source.kind != "raster"]
    for item in vectors:
        _style(db, item.source)
        _aliases(db, item.source)
    for item in layers:
        _metadata(db, item, context)
    _readme(db, layers, context)


def _register_attributes(db, table: str, identifier: str) -> None:
    db.execute(
        "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, last_change)"
        " VALUES (?, 'attributes', ?, '', strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
        [table, identifier],
    )


def _style(db, src) -> None:
    db.execute(
        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName,"
        " styleQML, styleSLD, useAsDefault, description, owner, ui) VALUES ('', '', ?, 'geom', ?, ?, '', 1, ?, '', '')",
        [src.slug, src.slug, qml(src.style, src.columns, src.geometry_type), "Stile del catalogo Remix"],
    )


def _aliases(db, src) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, description)"
        " VALUES (?, ?, ?, ?, ?)",
        [(src.slug, c.name, c.name, c.label_it, c.label_en) for c in src.columns],
    )


def _metadata(db, item, context: dict) -> None:
    src = item.source
    lineage = src.metadata.get("lineage") or []
    items = {
        "TITLE": src.title_it,
        "TITLE_EN": src.title_en,
        "ABSTRACT": src.abstract_it,
        "KEYWORDS": ", ".join(src.keywords),
        "ATTRIBUTION": src.attribution,
        "SYNTHETIC": "sintetico / synthetic" if src.synthetic else "no",
        "AREA": context.get("area_label") or "intero territorio / whole territory",
        "FEATURES": str(item.features),
        "EXPORTED_AT": context["exported_at"],
        "SOURCE": context.get("source_url", ""),
        "LINEAGE": json.dumps(lineage[-10:], ensure_ascii=False),
    }
    mdi = "".join(f'<MDI key="{k}">{escape(str(v))}</MDI>' for k, v in items.items())
    gdal_xml = f"<GDALMultiDomainMetadata><Metadata>{mdi}</Metadata></GDALMultiDomainMetadata>"
    for standard, mime, text in (
        ("http://gdal.org", "text/xml", gdal_xml),
        (
            "https://www.rndt.gov.it",
            "application/json",
            json.dumps({**src.metadata, "title": src.title_it}, ensure_ascii=False),
        ),
    ):
        cur = db.execute(
            "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) VALUES ('dataset', ?, ?, ?)",
            [standard, mime, text],
        )
        db.execute(
            "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, md_file_id) VALUES ('table', ?, ?)",
            [src.slug, cur.lastrowid],
        )


def _readme(db, layers, context: dict) -> None:
    rows = [
        ("Prodotto da / Produced by", "Remix – Città metropolitana di Milano"),
        ("Data di esportazione / Exported at", context["exported_at"]),
        ("Area", context.get("area_label") or "intero territorio / whole territory"),
        ("Sistema di riferimento / CRS", "EPSG:32632 (WGS84 / UTM 32N)"),
        (
            "Selezione / Selection",
            "elementi che intersecano l'area, non ritagliati / features intersecting the area, not clipped",
        ),
    ]
    for item in layers:
        src = item.source
        label = " (DATI SINTETICI / SYNTHETIC DATA)" if src.synthetic else ""
        rows.append(
            (
                f"Strato / Layer {src.slug}",
                f"{src.title_it}{label}: {item.features} elementi / features. {src.abstract_it}"
                f" Attribuzione / Attribution: {src.attribution or 'Città metropolitana di Milano'}",
            )
        )
    db.executemany("INSERT INTO remix_leggimi (voce, testo) VALUES (?, ?)", rows)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
