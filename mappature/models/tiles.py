"""Vector tiles: the cache of rendered tiles and the generalised overviews low zooms read."""

from django.db import models
from django.utils import timezone


class TileCache(models.Model):
    """One rendered MVT tile, bounded in size: least recently used rows are evicted (``mappature.tiles``).

    Rows of older data versions are deleted when a newer one is written; ``filter_key`` hashes the
    layer's own WHERE clause and values, so filters that do not change a layer's SQL share its tiles.
    """

    layer = models.SlugField(max_length=80)
    data_version = models.PositiveIntegerField()
    z = models.PositiveSmallIntegerField()
    x = models.PositiveIntegerField()
    y = models.PositiveIntegerField()
    filter_key = models.CharField(max_length=64, blank=True)
    tile = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["layer", "data_version", "z", "x", "y", "filter_key"], name="tile_cache_key"
            )
        ]

    def __str__(self):
        return f"{self.layer} v{self.data_version} {self.z}/{self.x}/{self.y}"


class TileOverview(models.Model):
    """An overview band of a layer: the table it was built into, for which data version (``mappature.overviews``).

    The table holds ``istat_code``, ``props`` (the style's class), ``features`` (how many source features
    a row stands for) and ``geom`` (EPSG:3857).
    """

    layer = models.SlugField(max_length=80)
    band = models.PositiveSmallIntegerField()
    data_version = models.PositiveIntegerField()
    source_features = models.PositiveIntegerField()
    rows = models.PositiveIntegerField()
    table = models.CharField(max_length=63)
    class_field = models.CharField(max_length=63, blank=True)
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["layer", "band"], name="tile_overview_band")]

    def __str__(self):
        return f"{self.layer} z≤{self.band} v{self.data_version}"
