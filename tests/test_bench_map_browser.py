"""The map_browser benchmark's anchor replays every captured tile layer and GeoJSON layer (no timing here)."""

import json
from types import SimpleNamespace

from bench.b_map_browser import SLUG, STEPS, _write_anchor


def _fc(*points):
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": p}, "properties": {}} for p in points]
    return json.dumps({"type": "FeatureCollection", "numberMatched": len(points), "features": features}).encode()


def test_write_anchor_keeps_each_layer_and_selection_apart(tmp_path):
    base = "http://127.0.0.1:9"
    view = {"center": [45.46, 9.19], "zoom": 10}
    capture = {name: dict(view, responses=[]) for name in ("load", *STEPS)}
    capture["size"] = [1000, 640]
    capture["load"]["responses"] = [
        (f"{base}/tiles/pgt_aree_dismesse/10/544/368.pbf?v=3", b"\x1a\x01A"),
        (f"{base}/api/strati", b'{"layers": []}'),
        (f"{base}/api/strati/realizzazioni/elementi?limit=1000&offset=1000", _fc([9.3, 45.5])),
        (f"{base}/api/strati/realizzazioni/elementi?limit=1000&offset=0", _fc([9.1, 45.4], [9.2, 45.4])),
    ]
    capture["layer_on"]["responses"] = [(f"{base}/tiles/{SLUG}/10/544/368.pbf?v=1", b"\x1a\x01B")]
    capture["zona"] = {
        "center": [45.5, 9.1],
        "zoom": 12,
        "responses": [
            (f"{base}/tiles/pgt_aree_dismesse/12/2177/1473.pbf?v=3&zona=2", b"\x1a\x01C"),
            (f"{base}/tiles/pgt_aree_dismesse/12/2178/1473.pbf?v=3&zona=2", b"\x1a\x01D"),
            (f"{base}/tiles/{SLUG}/12/2177/1473.pbf?v=1&zona=2", b"\x1a\x01E"),
            (f"{base}/tiles/{SLUG}/11/1088/736.pbf?v=1&zona=2", b"\x1a\x01F"),
            (f"{base}/api/strati/realizzazioni/elementi?limit=0&geometry=0&zona=2", b'{"numberMatched": 7}'),
            (f"{base}/api/strati/realizzazioni/elementi?limit=1000&zona=2&offset=0", _fc([9.1, 45.5])),
        ],
    }
    layer = SimpleNamespace(style={"classes": [{"value": "A", "fill": "#123456"}]})

    plan = _write_anchor(tmp_path / "site", capture, layer)

    site = tmp_path / "site"
    # the same tile of two selections, and two layers, never share a file; bytes are written as they came
    assert (site / "tiles/load/pgt_aree_dismesse/10/544/368.pbf").read_bytes() == b"\x1a\x01A"
    assert (site / "tiles/zona/pgt_aree_dismesse/12/2177/1473.pbf").read_bytes() == b"\x1a\x01C"
    assert (site / f"tiles/layer_on/{SLUG}/10/544/368.pbf").read_bytes() == b"\x1a\x01B"
    assert (site / f"tiles/zona/{SLUG}/12/2177/1473.pbf").read_bytes() == b"\x1a\x01E"
    assert (site / f"tiles/zona/{SLUG}/11/1088/736.pbf").read_bytes() == b"\x1a\x01F"
    zona = plan["zona"]
    assert zona["tiles_per_layer"] == {"pgt_aree_dismesse": 2, SLUG: 2}
    assert zona["tiles"]["pgt_aree_dismesse"]["url"] == "tiles/zona/pgt_aree_dismesse"
    assert zona["tiles"][SLUG]["url"] == f"tiles/zona/{SLUG}"
    # the anchor's tile layer asks only the tiles of the step's zoom that the map asked: x 2177-2178, y 1473 at z 12
    west, south, east, north = zona["tiles"]["pgt_aree_dismesse"]["bounds"]
    # 360 / 2**12 = 0.087890625 degrees a tile: x 2177 starts at 11.337890625, x 2178 ends at 11.513671875
    assert 11.33789 < west < 11.33790 and 11.51367 < east < 11.51368 and south < north
    assert plan["load"]["tiles"]["pgt_aree_dismesse"]["url"] == "tiles/load/pgt_aree_dismesse"
    assert plan["identify"]["tiles"] == {}
    # GeoJSON pages are drawn (points: clustered), in order of offset; counts and other JSON are printed
    load = plan["load"]["geojson"]["realizzazioni"]
    assert load["points"] is True and len(load["pages"]) == 2
    first = json.loads((site / load["pages"][0]).read_text())
    assert len(first["features"]) == 2
    assert len(plan["load"]["json"]) == 1 and len(zona["json"]) == 1
    assert json.loads((site / zona["json"][0]).read_text()) == {"numberMatched": 7}
    html = (site / "index.html").read_text()
    assert "width:1000px;height:640px" in html and '"A": "#123456"' in html
    for name in ("leaflet.markercluster.js", "Leaflet.VectorGrid.bundled.min.js", "leaflet/leaflet.js"):
        assert (site / name).exists()
