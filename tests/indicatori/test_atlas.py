"""Atlas sheets: the PDF has the map, the charts and the sources (pdftotext / pdfimages of poppler-utils).

MapServer reads the database through its own connection, so the data is committed (transaction=True).
"""

import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from background.testing import queued, run_jobs

pytestmark = pytest.mark.django_db(transaction=True)
DATA = Path(settings.BASE_DIR) / "data"


@pytest.fixture
def atlas_dir(tmp_path, settings):
    from layers.ogc import service

    settings.REMIX = {**settings.REMIX, "ATLAS_DIR": tmp_path / "atlante"}
    yield tmp_path / "atlante"
    service.close_connections()  # MapServer's PostGIS connections: let the test database go


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_a_comune_sheet_has_the_map_the_charts_and_the_sources(everything, atlas_dir):
    from PIL import Image

    from indicatori import atlas

    area = atlas.get_area("015002")
    path = atlas.render_pdf(area, "it")
    text = pdf_text(path)
    rec = json.loads((DATA / "ispra" / "ispra_consumo_suolo_015_2006_2024.json").read_text())["015002"][0]
    ha = f"{rec['Suolo consumato 2024 [ettari]']:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert "Comune di Abbiategrasso" in text and "Mappa dell’area" in text
    assert f"{ha} ha" in text  # 710,40 ha, Italian format, as in ISPRA's file
    # The map: one raster image as wide as the WMS request, with its scale bar and north arrow.
    images = subprocess.run(["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in images.splitlines()[2:] if line.strip()]
    assert any(int(r[3]) == atlas.MAP_W and int(r[4]) == atlas.MAP_H for r in rows), images
    subprocess.run(["pdfimages", "-png", "-f", "1", "-l", "1", str(path), str(atlas_dir / "img")], check=True)
    colours = [Image.open(p).convert("RGB").getcolors(maxcolors=1_000_000) for p in atlas_dir.glob("img-*.png")]
    assert any(c is None or len(c) > 5 for c in colours)  # a drawn map, not a blank or error image (nor its mask)
    assert " km" in text and "N" in text.split()
    # Charts: the series' axis labels and the reference lines' names (zona, CMM).
    assert "2006-2012" in text and "2023-2024" in text
    assert "Magentino e Abbiatense" in text and "Città metropolitana di Milano" in text
    # Sources with licences and dates, and synthetic data marked.
    assert "Fonti, licenze e date dei dati" in text
    assert "CC BY 3.0 IT" in text and "ISTAT" in text and "Italia Domani" in text
    assert "SINTETICO" in text.upper()


def test_sheets_are_cached_by_the_data_versions_and_a_zona_zip_holds_its_comuni(everything, atlas_dir, load_source):
    from indicatori import atlas

    cmm = atlas.get_area("cmm")
    first = atlas.render_pdf(cmm, "it")
    stamp = first.stat().st_mtime_ns
    assert atlas.render_pdf(cmm, "it") == first and first.stat().st_mtime_ns == stamp  # reused
    load_source("realizzazioni", force=True)  # a new version of an input the sheet uses
    second = atlas.render_pdf(cmm, "it")
    assert second != first and not first.exists()

    client = Client(HTTP_HOST="127.0.0.1")
    page = client.get("/atlante/nord-milano/")
    assert page.status_code == 200 and "schede.zip" in page.content.decode()
    # The zip's sheets are not built: the request queues their build and answers at once (202).
    waiting = client.get("/atlante/nord-milano/schede.zip")
    assert waiting.status_code == 202 and "in preparazione" in waiting.content.decode()
    assert waiting["Retry-After"] and not list(atlas_dir.glob("*nord-milano*.pdf"))
    assert run_jobs("exports", raise_errors=True) == 1  # the atlas build (the load above queued other work)
    response = client.get("/atlante/nord-milano/schede.zip")
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == 1 + len(atlas.zona_members("nord-milano")) == 7
    assert client.get("/atlante/999999/").status_code == 404
    assert len(atlas.all_areas()) == 141


def test_pdf_and_zip_not_built_are_queued_once_with_progress_a_user_can_read(everything, atlas_dir):
    from django.core.management import call_command

    from indicatori import atlas
    from indicatori.models import AtlasBuild

    client = Client(HTTP_HOST="127.0.0.1")
    index = client.get("/atlante/").content.decode()
    assert "/atlante/cmm/scheda.pdf" in index and "/atlante/nord-milano/schede.zip" in index
    assert "/atlante/015002/scheda.pdf" in index
    members = 1 + len(atlas.zona_members("nord-milano"))
    for _ in range(3):  # a burst of requests (and the CLI) queues one build, not three
        page = client.get("/atlante/nord-milano/schede.zip")
        assert page.status_code == 202
        assert f"In coda: {members} schede da preparare" in page.content.decode()
    out = io.StringIO()
    call_command("atlante", "build", "--zona", "nord-milano", stdout=out)
    assert len(queued()) == 1 and AtlasBuild.objects.count() == 1
    build = AtlasBuild.objects.get()
    assert f"preparazione {build.pk} in background ({members} schede" in out.getvalue()
    # While it runs, the page says how far it got.
    AtlasBuild.objects.filter(pk=build.pk).update(status="running", done=2, current="Bresso")
    page = client.get("/atlante/nord-milano/schede.zip").content.decode()
    assert f"2 di {members} schede pronte" in page and "Bresso" in page
    AtlasBuild.objects.filter(pk=build.pk).update(status="queued", done=0, current="")
    # The CMM sheet alone is also queued (its map and figures cover 133 comuni), not rendered in the request.
    assert client.get("/atlante/cmm/scheda.pdf").status_code == 202
    assert len(queued()) == 2
    assert run_jobs(raise_errors=True) == 2
    build.refresh_from_db()
    assert (build.status, build.done, build.total) == ("done", members, members)
    status = io.StringIO()
    call_command("atlante", "status", str(build.pk), stdout=status)
    assert f"zona:nord-milano it completata {members}/{members}" in status.getvalue()
    assert len(zipfile.ZipFile(io.BytesIO(client.get("/atlante/nord-milano/schede.zip").content)).namelist()) == members
    cmm = client.get("/atlante/cmm/scheda.pdf")
    assert cmm.status_code == 200 and cmm["Content-Type"] == "application/pdf"
    # A comune's single sheet is still rendered in the request; --now renders synchronously, no job.
    assert client.get("/atlante/015002/scheda.pdf").status_code == 200
    out = io.StringIO()
    call_command("atlante", "build", "--comune", "015011", "--now", stdout=out)
    assert "[1/1]" in out.getvalue() and not queued()
    assert atlas.pdf_path(atlas.get_area("015011"), "it").exists()


def test_the_geopackage_export_of_comuni_and_zone_carries_the_indicator_columns(everything, tmp_path):
    import pyogrio
    from django.core.management import call_command

    from layers.ogc import service

    records = json.loads((DATA / "ispra" / "ispra_consumo_suolo_015_2006_2024.json").read_text())
    path = tmp_path / "indicatori.gpkg"
    call_command("layers", "export", "indicatori_comuni", "indicatori_zone", "--output", str(path))
    _meta, comuni = pyogrio.read_arrow(path, layer="indicatori_comuni", read_geometry=False)
    comuni = comuni.to_pydict()
    assert len(comuni["istat_code"]) == 133
    got = dict(zip(comuni["istat_code"], comuni["suolo_consumato_pct"], strict=True))
    assert got == {c: pytest.approx(r[0]["Suolo consumato 2024 [%]"], abs=1e-5) for c, r in records.items()}
    assert set(comuni["suolo_consumato_pct_periodo"]) == {"2024"}
    assert "anomalia_termica_media" not in comuni  # synthetic indicators stay out of the real layer
    _meta, zone = pyogrio.read_arrow(path, layer="indicatori_zone", read_geometry=False)
    assert sum(zone.to_pydict()["popolazione"]) == pytest.approx(sum(comuni["popolazione"]))
    service.close_connections()
