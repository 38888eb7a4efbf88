"""Cache of generalised vector tiles (low zooms), keyed by the layer's data version."""

from django.db import models


class TileCache(models.Model):
    """One rendered MVT tile; rows of older data versions are deleted when a newer one is written."""

    layer = models.SlugField(max_length=80)
    data_version = models.PositiveIntegerField()
    z = models.PositiveSmallIntegerField()
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    filter_key = models.CharField(max_length=64, blank=True)
    tile = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["layer", "data_version", "z", "x", "y", "filter_key"], name="tile_cache_key"
            )
        ]

    def __str__(self):
        return f"{self.layer} v{self.data_version} {self.z}/{self.x}/{self.y}"
