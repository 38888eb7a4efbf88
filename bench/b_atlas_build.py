"""atlas_build: seconds per atlas sheet (A4 PDF) for all 141 sheets (133 comuni, 7 zone, CMM), data
gathering, the WMS map and WeasyPrint included. The anchor is WeasyPrint alone rendering the same
sheets' HTML (already built, map included), so the ratio says what the data and the map add.
No target: the figure is the seconds per sheet (`--quick`: the CMM, one zona and its comuni).
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

from django.conf import settings

from . import Context, Result
from .b_indicators_refresh import indicators_database


def run(ctx: Context) -> list[Result]:
    from weasyprint import CSS, HTML

    from indicatori import atlas
    from layers.ogc import service
    from tests.mappature.factories import make_layers

    out = ctx.work_dir / "atlante"
    settings.REMIX = {**settings.REMIX, "ATLAS_DIR": out}
    with indicators_database():
        make_layers()
        areas = atlas.all_areas()
        if ctx.quick:
            zona = next(a for a in areas if a.level == "zona")
            areas = [areas[0], zona, *atlas.zona_members(zona.code)]
        for old in Path(out).glob("*.pdf"):
            old.unlink()
        started = time.perf_counter()
        atlas.build(areas)
        project = (time.perf_counter() - started) / len(areas)
        css = CSS(filename=str(Path(atlas.__file__).parent / "static" / "indicatori" / "atlante.css"))
        sample = areas[:: max(1, len(areas) // 10)]
        htmls = [
            atlas.render_html(
                a, "it", "data:image/png;base64," + base64.b64encode(atlas.map_png(a)).decode(), standalone=True
            )
            for a in sample
        ]
        started = time.perf_counter()
        for html in htmls:
            HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(stylesheets=[css])
        anchor = (time.perf_counter() - started) / len(htmls)
        service.close_connections()
    return [
        Result(
            name="atlas_build",
            project=project,
            anchor=anchor,
            unit="s/sheet",
            target=0.0,
            higher_is_better=False,
            scale=f"{len(areas)} sheets",
            notes=f"{project:.2f} s per sheet ({project * len(areas):.0f} s in all); "
            "anchor: WeasyPrint alone on the same HTML",
        )
    ]
