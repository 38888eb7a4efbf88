"""GeoPackage exports as an analyst gets them: right features, styled for QGIS, documented, never truncated."""

import sqlite3
import time
from contextlib import closing

import pyogrio
import pytest
from django.core.management import CommandError, call_command

from layers.exports import jobs
from layers.exports.errors import ExportRejected
from layers.exports.models import ExportJob
from remix import storage

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("export_data")]
# Interiors meet (touching the border is not enough): the definition, not the implementation.
IN_AREA = (
    "SELECT count(*) FROM {table} t, {area} a WHERE a.{key} = %s AND t.geom && a.geom"
    " AND ST_Relate(t.geom, a.geom, 'T********')"
)


def stored(job: ExportJob) -> str:
    """The export's GeoPackage in the exports' filesystem storage."""
    return storage.get(storage.EXPORTS).path(job.file)


def _expected(sql, table, area_table, key, value):
    return sql(IN_AREA.format(table=table, area=area_table, key=key), [value])[0][0]


def test_cli_export_of_a_comune(sql, tmp_path):
    """`manage.py layers export … --comune` writes every chosen layer, in EPSG:32632, with the database's counts."""
    out = tmp_path / "milano.gpkg"
    call_command("layers", "export", "ambiti_trasformazione", "comuni", "--comune", "015146", "--output", str(out))
    listed = {name for name, _geom in pyogrio.list_layers(out)}
    assert {"ambiti_trasformazione", "comuni"} <= listed
    for layer, table in (("ambiti_trasformazione", "pgt_ambiti_trasformazione"), ("comuni", "mappature_comune")):
        info = pyogrio.read_info(out, layer=layer)
        assert info["crs"] == "EPSG:32632"
        assert info["features"] == _expected(sql, table, "mappature_comune", "istat_code", "015146")
    assert pyogrio.read_info(out, layer="comuni")["features"] == 1  # the neighbours that only touch are left out


def test_styles_aliases_metadata_and_readme(tmp_path):
    """QGIS opens the file styled (layer_styles), with aliases, metadata, lineage and a readme; synthetic is said."""
    out = tmp_path / "zona.gpkg"
    call_command(
        "layers", "export", "ambiti_trasformazione", "comuni", "--zona", "comune-di-milano", "--output", str(out)
    )
    with closing(sqlite3.connect(out)) as db:
        styles = dict(db.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault").fetchall())
        aliases = dict(db.execute("SELECT column_name, title FROM gpkg_data_columns WHERE table_name = 'comuni'"))
        readme = " ".join(r[0] for r in db.execute("SELECT testo FROM remix_leggimi"))
        contents = {r[0] for r in db.execute("SELECT table_name FROM gpkg_contents")}
    qml = styles["ambiti_trasformazione"]
    assert 'type="categorizedSymbol" attr="dfun_prev1"' in qml
    assert 'value="Residenziale"' in qml and 'value="255,0,0,255"' in qml
    assert aliases == {"name": "Nome", "istat_code": "Codice ISTAT"}
    assert "DATI SINTETICI" in readme and "EPSG:32632" in readme
    assert {"layer_styles", "remix_leggimi"} <= contents
    meta = pyogrio.read_info(out, layer="ambiti_trasformazione")["layer_metadata"]
    assert meta["SYNTHETIC"] == "sintetico / synthetic"
    assert meta["TITLE"] == "Ambiti di trasformazione"


def test_bbox_export_matches_postgis(sql):
    """An extent export holds the features that intersect the box."""
    box = (500000.0, 5020000.0, 530000.0, 5050000.0)
    job = jobs.run(jobs.plan(None, ["ambiti_trasformazione"], "bbox", "", box))
    expected = sql(
        "SELECT count(*) FROM pgt_ambiti_trasformazione WHERE ST_Intersects(geom,"
        " ST_MakeEnvelope(%s, %s, %s, %s, 32632))",
        list(box),
    )[0][0]
    assert job.status == "done"
    assert expected, "the box must hold features"
    assert pyogrio.read_info(stored(job), layer="ambiti_trasformazione")["features"] == expected


def test_lon_lat_extent_from_the_web_map_is_reprojected(client, sql):
    """The web map sends its extent in lon/lat (bbox_crs=EPSG:4326): the job's area covers it in EPSG:32632
    and the file holds the features meeting it; an unknown CRS is refused with a message."""
    box = (9.10, 45.44, 9.25, 45.52)  # central and western Milano, reaching Rho's edge
    answer = client.post(
        "/api/esportazioni/",
        {
            "layers": ["ambiti_trasformazione"],
            "area_kind": "bbox",
            "bbox": ",".join(map(str, box)),
            "bbox_crs": "EPSG:4326",
        },
    )
    assert answer.status_code == 201, answer.content
    job = ExportJob.objects.get(pk=answer.json()["id"])
    view = "ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 32632)"
    assert sql(f"SELECT ST_Covers(ST_Buffer(area, 0.001), {view}) FROM layers_exportjob WHERE id = %s", [*box, job.pk])[
        0
    ][0]
    expected = sql(f"SELECT count(*) FROM pgt_ambiti_trasformazione WHERE ST_Intersects(geom, {view})", list(box))[0][0]
    assert 0 < expected == pyogrio.read_info(stored(job), layer="ambiti_trasformazione")["features"]
    answer = client.post(
        "/api/esportazioni/", {"layers": ["comuni"], "area_kind": "bbox", "bbox": "1,2,3,4", "bbox_crs": "EPSG:3857"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "Sistema di riferimento dell'estensione non supportato: EPSG:3857."


def test_limits_are_explicit_and_nothing_is_written(settings):
    """Over the configured limit the export is refused with a message; no job, no file, no silent cap."""
    settings.REMIX = {**settings.REMIX, "EXPORT_MAX_FEATURES": 10}
    with pytest.raises(ExportRejected, match="oltre il limite di 10"):
        jobs.plan(None, ["ambiti_trasformazione"])
    assert not ExportJob.objects.exists()
    with pytest.raises(CommandError, match="oltre il limite"):
        call_command("layers", "export", "ambiti_trasformazione")


def test_restricted_and_unknown_layers_are_refused(client):
    """Anonymous users cannot export restricted or unpublished layers; the API says which, in Italian."""
    answer = client.post("/api/esportazioni/", {"layers": ["riservato_autenticati", "non_pubblicato"]})
    assert answer.status_code == 400
    assert answer.json()["error"] == "Strati inesistenti o non accessibili: riservato_autenticati, non_pubblicato."
    answer = client.post("/api/esportazioni/", {"layers": ["comuni"], "area_kind": "comune", "comune": "999999"})
    assert answer.status_code == 400 and "Area non trovata" in answer.json()["error"]


@pytest.mark.real_jobs
def test_large_exports_run_in_background_with_progress(client, settings, supervised_worker):
    """Above the synchronous threshold the API answers 202 at once; the worker's job progresses to a
    download link."""
    settings.REMIX = {**settings.REMIX, "EXPORT_SYNC_MAX_FEATURES": 5}
    supervised_worker()
    answer = client.post("/api/esportazioni/", {"layers": ["ambiti_trasformazione", "comuni"]})
    assert answer.status_code == 202, answer.content
    status_url = answer.json()["status_url"]
    deadline = time.monotonic() + 60
    data = answer.json()
    while data["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.3)
        data = client.get(status_url).json()
    assert data["status"] == "done", data
    assert data["progress"] == 100 and data["features_done"] == data["features_total"] == 48 + 133
    download = client.get(data["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content)[:16] == b"SQLite format 3\x00"


def test_export_form_and_job_page(client):
    """The page flow: choose layers and a zona, get the job page with the download link."""
    page = client.get("/esportazioni/")
    assert "Milano" in page.content.decode()
    answer = client.post("/esportazioni/", {"layers": ["comuni"], "area_kind": "zona", "zona": "nord-milano"})
    assert answer.status_code == 302
    job_page = client.get(answer["Location"]).content.decode()
    assert "Scarica il GeoPackage" in job_page
    wrong_token = answer["Location"].rstrip("/").rsplit("/", 1)[0] + "/sbagliato/"
    assert client.get(wrong_token).status_code == 404


def test_an_area_without_features_gives_empty_layers_not_an_error():
    """An extent with no data still yields every chosen layer (empty, with its fields) and says 0."""
    job = jobs.run(jobs.plan(None, ["ambiti_trasformazione", "comuni"], "bbox", "", (0, 0, 1000, 1000)))
    assert job.status == "done", job.message
    assert job.features_total == 0
    assert {name for name, _g in pyogrio.list_layers(stored(job))} >= {"ambiti_trasformazione", "comuni"}
    assert "nome_amb" in pyogrio.read_info(stored(job), layer="ambiti_trasformazione")["fields"]


def test_old_exports_are_purged_with_their_files():
    """Finished exports older than EXPORT_KEEP_HOURS disappear with their file when a new one is planned."""
    from datetime import timedelta
    from pathlib import Path

    from django.utils import timezone

    old = jobs.run(jobs.plan(None, ["comuni"]))
    assert Path(stored(old)).is_file()
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=49))
    fresh = jobs.plan(None, ["comuni"])
    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert not Path(stored(old)).exists()
    assert ExportJob.objects.filter(pk=fresh.pk).exists()


def test_qml_gives_features_without_amount_their_own_class():
    """QGIS draws nothing for a NULL in a graduated renderer: the QML uses rules, the last one ELSE."""
    import xml.etree.ElementTree as ET

    from layers.declarations import load_all
    from layers.exports.qml import qml
    from layers.styles import parse_style

    decl = next(d for d in load_all() if d.slug == "realizzazioni")
    style = parse_style(decl.fields["style"])
    root = ET.fromstring(qml(style, (), "MULTIPOINT").split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "RuleRenderer"
    rules = renderer.findall("rules/rule")
    assert [r.get("label") for r in rules] == [c.label_it for c in (*style.classes, style.other)]
    assert rules[-1].get("filter") == "ELSE"
    assert rules[0].get("filter") == '"amount_eur" IS NOT NULL AND "amount_eur" >= 0.0 AND "amount_eur" < 500000.0'
    symbols = renderer.findall("symbols/symbol")
    assert len(symbols) == len(rules)
    grey = next(o.get("value") for o in symbols[-1].iter("Option") if o.get("name") == "color")
    assert grey.startswith("153,153,153")  # #999999, the web map's colour for "Importo non indicato"
    assert style.classify(None) is style.other  # the web map's rule (layers.styles / webmap.js)
