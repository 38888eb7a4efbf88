"""Remote readers (HTTP, WFS, ArcGIS REST, WebSIT catalogue): registered on import."""
