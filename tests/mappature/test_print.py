"""Server-side print: a PDF whose first page has the map from Remix's WMS, scale bar, north arrow and legend."""

import re
import subprocess

import numpy as np
import pytest

pytestmark = pytest.mark.django_db(transaction=True)  # MapServer reads the data through its own connection


def _page_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "map.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _page_pixels(pdf: bytes, tmp_path) -> np.ndarray:
    path = tmp_path / "map.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "40", str(path), str(tmp_path / "p")], check=True)
    data = next(tmp_path.glob("p*.ppm")).read_bytes()
    _magic, w, h, _max, raw = data.split(maxsplit=4)
    return np.frombuffer(raw, dtype=np.uint8).reshape(int(h), int(w), 3)


def _pdfinfo(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout


def test_print_a4_landscape_has_map_scale_bar_north_arrow_and_legend(client, realizzazioni, tmp_path):
    query = {
        "layers": "comuni,realizzazioni",
        "zona": "nord-milano",
        "paper": "A4",
        "orientation": "landscape",
        "scale": "25000",
        "center": "9.23,45.54",
        "title": "Nord Milano: realizzazioni",
    }
    answer = client.get("/mappa/stampa.pdf", query)
    assert answer.status_code == 200, answer.content[:300]
    assert answer["Content-Type"] == "application/pdf"
    text = _page_text(answer.content, tmp_path)
    for expected in (
        "Nord Milano: realizzazioni",
        "1:25.000",
        "Legenda",
        "Realizzazioni della rigenerazione urbana",
        "Importo non indicato",
        "N",
        "0 — 1 km",
        "Sintesi della selezione",
    ):
        assert expected in text, expected
    assert "A4" in _pdfinfo(answer.content, tmp_path) and "841.89 x 595.276" in _pdfinfo(answer.content, tmp_path)
    pixels = _page_pixels(answer.content, tmp_path)
    h, w, _ = pixels.shape
    frame = pixels[int(h * 0.15) : int(h * 0.85), int(w * 0.05) : int(w * 0.65)]
    drawn = ~np.all(frame > 235, axis=2)  # the map image is not blank: boundaries and points drawn
    assert drawn.mean() > 0.005  # only the selected zona is drawn


def test_print_a3_portrait_and_english(client, realizzazioni, tmp_path):
    answer = client.get(
        "/en/mappa/stampa.pdf",
        {
            "layers": "realizzazioni",
            "paper": "A3",
            "orientation": "portrait",
            "scale": "100000",
            "center": "9.19,45.46",
        },
    )
    assert answer.status_code == 200
    assert "841.89 x 1190.55" in _pdfinfo(answer.content, tmp_path)
    text = _page_text(answer.content, tmp_path)
    assert "Legend" in text and "1:100,000" in text and "Urban regeneration interventions" in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"paper": "A0"}, "A4"),
        ({"scale": "10"}, "scala"),
        ({"center": "0,0"}, "fuori"),
    ],
)
def test_print_refuses_bad_options_with_a_clear_message(client, comuni, query, message):
    answer = client.get("/mappa/stampa.pdf", query)
    assert answer.status_code == 400 and message in answer.json()["error"]


def _dark_pixels(pdf: bytes, tmp_path) -> int:
    for old in tmp_path.glob("p*.ppm"):
        old.unlink()
    pixels = _page_pixels(pdf, tmp_path)
    h, w, _ = pixels.shape
    frame = pixels[int(h * 0.15) : int(h * 0.85), int(w * 0.05) : int(w * 0.65)]
    return int((~np.all(frame > 235, axis=2)).sum())


def test_print_map_image_shows_only_the_selected_territory(client, realizzazioni, tmp_path):
    """Selecting Milano prints Milano's boundary only, not the neighbouring comuni the frame also covers."""
    base = {"layers": "comuni", "paper": "A4", "orientation": "landscape", "scale": "100000", "center": "9.19,45.46"}
    whole = client.get("/mappa/stampa.pdf", base)
    milano = client.get("/mappa/stampa.pdf", {**base, "comune": "015146"})
    assert whole.status_code == milano.status_code == 200, milano.content[:300]
    drawn_whole, drawn_milano = _dark_pixels(whole.content, tmp_path), _dark_pixels(milano.content, tmp_path)
    assert 0 < drawn_milano < 0.6 * drawn_whole, (drawn_milano, drawn_whole)


def test_print_filter_lists_the_interventions_the_web_map_shows(client, realizzazioni, tmp_path):
    """The print's WMS filter keeps exactly the interventions of the web map's features API for the same filter,
    and the printed markers shrink accordingly."""
    from layers.models import Layer
    from mappature.filters import parse_filter
    from mappature.printing import layer_filter

    query = {"zona": "nord-milano"}
    flt = parse_filter(query)
    expected = client.get("/api/strati/realizzazioni/elementi", {**query, "limit": 1000, "geometry": "0"}).json()
    expected_ids = sorted(int(f["id"]) for f in expected["features"])
    printed = layer_filter(Layer.objects.get(slug="realizzazioni"), flt, "it")
    found = [int(x) for x in re.findall(r"<Literal>(\d+)</Literal>", printed)]
    assert sorted(found) == expected_ids and 0 < len(found) < len(realizzazioni)
    base = {
        "layers": "realizzazioni",
        "paper": "A4",
        "orientation": "landscape",
        "scale": "250000",
        "center": "9.19,45.48",
    }
    whole = client.get("/mappa/stampa.pdf", base)
    nord = client.get("/mappa/stampa.pdf", {**base, **query})
    assert whole.status_code == nord.status_code == 200, nord.content[:300]
    assert _dark_pixels(nord.content, tmp_path) < _dark_pixels(whole.content, tmp_path)
