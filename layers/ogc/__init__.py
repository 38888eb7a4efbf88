"""OGC services (WMS/WFS) generated from the layer registry and served by MapServer in-process."""
