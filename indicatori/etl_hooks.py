"""After-load hooks of the indicators' input sources."""

from django.db import connection

from remix import db

# Programme names of the M5C2 I2.x sub-measures (Italia Domani codes).
PNRR_PROGRAMMES = {
    "M5C2I2.01": "PNRR M5C2 I2.1 Rigenerazione urbana (contributi ai comuni)",
    "M5C2I2.02": "PNRR M5C2 I2.2 Piani Urbani Integrati",
    "M5C2I2.03": "PNRR M5C2 I2.3 PINQuA – Programma innovativo della qualità dell'abitare",
}


def complete_pnrr_realizzazioni(source, version):
    """PNRR interventions: a readable programme, and title and amounts from the validated projects
    (same CUP) where Italia Domani gives them; the rest keep the measure's description."""
    with connection.cursor() as cur:
        for prefix, name in PNRR_PROGRAMMES.items():
            db.execute(
                cur,
                "UPDATE mappature_realizzazione SET programme = %s WHERE source_id = %s AND programme LIKE %s",
                [name, source.id, prefix + ".%"],
            )
        db.execute(
            cur,
            "UPDATE mappature_realizzazione r SET title = p.title, amount_eur = p.pnrr_eur, "
            "cofunding_eur = nullif(p.total_eur - p.pnrr_eur, 0) "
            "FROM indicatori_pnrrprogetto p WHERE r.source_id = %s AND r.cup = p.cup AND p.title <> ''",
            [source.id],
        )
