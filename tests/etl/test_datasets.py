"""The real datasets Remix ships: 191 interventions placed at their comuni, 43 railway stations."""

import csv

import pytest
from django.conf import settings
from django.db import connection

from etl.matching import normalise
from mappature.models import Comune, Realizzazione, Stazione

from .conftest import declare


@pytest.fixture
def realizzazioni(comuni, load_source):
    return load_source("realizzazioni")


def _csv_rows():
    with open(settings.REMIX["DATA_DIR"] / "realizzazioni_extended.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_intervention_of_the_file_is_loaded_at_its_comuni(realizzazioni):
    rows = _csv_rows()
    assert realizzazioni.rejected == 0 and realizzazioni.loaded == len(rows) == 191
    assert Realizzazione.objects.count() == 191
    names = dict(Comune.objects.values_list("istat_code", "name"))
    for row in rows:
        item = Realizzazione.objects.get(code=row["id"])
        wanted = [normalise(n) for n in row["comuni"].split(";") if n.strip()]
        assert sorted(normalise(names[c]) for c in item.comuni_istat) == sorted(wanted), row["id"]
        assert item.location_precision == "comune" and not item.synthetic
        assert item.geom.num_geom == len(item.comuni_istat)


def test_each_point_lies_inside_the_comune_it_stands_for(realizzazioni):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM mappature_realizzazione r, LATERAL ST_Dump(r.geom) p "
            "WHERE NOT EXISTS (SELECT 1 FROM mappature_comune c WHERE c.istat_code = ANY(r.comuni_istat) "
            "AND ST_Contains(c.geom, p.geom))"
        )
        assert cur.fetchone()[0] == 0


def test_lists_are_split_and_amounts_typed(realizzazioni):
    r1 = Realizzazione.objects.get(code="R001")
    assert "Cassina de' Pecchi" in _csv_rows()[0]["comuni"]
    assert len(r1.comuni_istat) == 6 and r1.amount_eur == 8709500
    r2 = Realizzazione.objects.get(code="R002")
    assert r2.funding_sources == [
        "Presidenza del Consiglio dei Ministri – Bando Periferie (DPCM 25/05/2016)",
        "Comune di Cernusco sul Naviglio",
    ]
    assert Realizzazione.objects.get(code="R004").domains == ["ambientale", "ricreativo"]


@pytest.mark.parametrize(
    "written", ["CASSINA DE' PECCHI", "Cassina de’ Pecchi", "Cassina de Pecchi", "cassina  de'pecchi"]
)
def test_names_are_matched_whatever_the_spelling(comuni, load_source, tmp_path, written):
    source = declare(
        id="prova-nomi",
        reader="table",
        location=str(tmp_path / "r.csv"),
        target="mappature.Realizzazione",
        natural_key="code",
        geometry=None,
        fields={
            "code": "id",
            "programme": "p",
            "title": "t",
            "comuni_istat": {"from": "c", "split": ";", "match": "mappature.Comune.name", "to": "istat_code"},
        },
    )
    (tmp_path / "r.csv").write_text(f'id,p,t,c\nX1,P,T,"Milano; {written}"\nX2,P,T,Atlantide\n', encoding="utf-8")
    from etl import pipeline

    result = pipeline.run(source, run_by="test")
    assert Realizzazione.objects.get(code="X1").comuni_istat == ["015146", "015060"]
    assert "«Atlantide» non corrisponde a nessun comune" in dict(result.rejects)[2]


def test_a_location_refined_by_staff_survives_a_reload(realizzazioni, load_source):
    """Staff moved R002 to its site; reloading the file does not put it back at the comune."""
    from django.contrib.gis.geos import MultiPoint, Point

    site = MultiPoint(Point(520000, 5040000), srid=32632)
    Realizzazione.objects.filter(code="R002").update(geom=site, location_precision="site")
    Realizzazione.objects.filter(code="R003").update(title="cambiato a mano")
    again = load_source("realizzazioni", force=True)
    assert again.loaded == 1  # only R003's title is put back
    r2 = Realizzazione.objects.get(code="R002")
    assert r2.location_precision == "site" and r2.geom.equals(site)
    assert Realizzazione.objects.get(code="R003").title == "Recupero edifici ERP"


def test_the_43_stations_sit_in_their_comune(comuni, load_source):
    result = load_source("stazioni")
    assert result.loaded == 43 == Stazione.objects.count()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM mappature_stazione s JOIN mappature_comune c "
            "ON c.istat_code = s.istat_code WHERE ST_DWithin(c.geom, s.geom, 50)"
        )
        assert cur.fetchone()[0] == 43
