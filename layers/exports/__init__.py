"""GeoPackage exports of registry layers: chosen layers, an area, styles, metadata, in the background if large."""
