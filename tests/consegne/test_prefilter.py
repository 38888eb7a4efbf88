"""The GEOS prefilters of the geometric checks: they may keep too much, never too little."""

import shapely
from shapely.geometry import MultiPolygon, box

from consegne.prefilter import MARGIN_M, Layers


def _wkb(geoms):
    return [None if g is None else shapely.to_wkb(g) for g in geoms]


def _grid(n: int, size: float = 10.0, x0: float = 0.0):
    return [box(x0 + i * size, j * size, x0 + (i + 1) * size, (j + 1) * size) for j in range(n) for i in range(n)]


def test_a_tessellation_has_no_candidates_and_an_overlap_is_found_once():
    layers = Layers()
    tiles = _grid(3)  # fids 1..9: neighbours share edges only
    layers.add_wkb("tuc", 1, _wkb([*tiles, box(12, 12, 18, 18)]))  # fid 10 lies on tile 5 (fid 5)
    assert layers.pairs(["tuc"], []).tolist() == [[5, 10]]


def test_a_strip_thinner_than_the_tolerance_is_still_a_candidate():
    layers = Layers()
    layers.add_wkb("tuc", 1, _wkb([box(0, 0, 10, 10), box(2, 5, 8, 5.03)]))
    assert layers.pairs(["tuc"], []).tolist() == [[1, 2]]


def test_cross_layer_pairs_put_the_first_layer_first_and_skip_touching_features():
    layers = Layers()
    layers.add_wkb("at", 1, _wkb([box(0, 0, 10, 10), box(30, 0, 40, 10)]))
    layers.add_wkb("agr", 3, _wkb([box(5, 5, 20, 20), box(40, 0, 50, 10), None]))  # fid 4 touches fid 2
    assert layers.pairs([], [("at", "agr")]).tolist() == [[1, 3]]
    assert layers.pairs([], [("agr", "at")]).tolist() == [[3, 1]]
    assert layers.pairs([], [("at", "missing")]).shape == (0, 2)


def test_edge_features_are_those_not_well_inside_the_comune():
    inner = box(0, 0, 100, 100)
    layers = Layers()
    layers.add_wkb(
        "cs",
        1,
        _wkb(
            [
                box(10, 10, 20, 20),  # 1: well inside
                box(90, 90, 110, 110),  # 2: crosses the boundary
                box(100 - MARGIN_M / 2, 50, 100, 60),  # 3: within the margin of the boundary
                box(200, 200, 210, 210),  # 4: outside
                MultiPolygon([box(30, 30, 40, 40), box(50, 50, 60, 60)]),  # 5: inside, in two parts
                None,  # 6: no geometry: never checked
            ]
        ),
    )
    assert sorted(layers.edge(shapely.to_wkb(inner)).tolist()) == [2, 3, 4]
    assert sorted(layers.edge(None).tolist()) == [1, 2, 3, 4, 5]  # no boundary: everything is an edge


def test_a_layer_with_a_geometry_shapely_cannot_read_is_refused_whole():
    """The caller then takes that layer's boxes from PostGIS: nothing is silently left out."""
    layers = Layers()
    unclosed = bytes.fromhex(
        "0103000000010000000300000000000000000000000000000000000000"
        "000000000000244000000000000000000000000000002440000000000000244000"
    )
    assert not layers.add_wkb("tuc", 1, [shapely.to_wkb(box(0, 0, 1, 1)), None, unclosed])
    assert "tuc" not in layers.boxes and "tuc" not in layers.geoms
    assert layers.add_wkb("tuc", 1, [shapely.to_wkb(box(0, 0, 1, 1)), None])
