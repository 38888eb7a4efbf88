"""Code lists (code → description) of the regional PGT fields the synthetic generator fills.

The pairs mirror how the regional mosaic writes them (``CATEGORIA``/``DCATEGORIA``…); the exact
official lists are not reachable offline, so these are plausible stand-ins and every dataset
using them is labelled synthetic. The ETL checks loaded pairs against the same lists.
"""

TUC_DEST = {  # COD_DEST1 / DCOD_DEST1
    "R": "Residenziale",
    "P": "Produttivo",
    "T": "Terziario e commerciale",
    "S": "Servizi di interesse pubblico",
    "NAF": "Nucleo di antica formazione",
}
AT_FUNZ = {  # FUN_PREV1 / DFUN_PREV1
    "R": "Residenziale",
    "P": "Produttivo",
    "T": "Terziario e commerciale",
    "M": "Mista",
}
RIG_CATEGORIA = {  # CATEGORIA / DCATEGORIA
    "ARU": "Ambito di rigenerazione urbana",
    "ART": "Ambito di rigenerazione territoriale",
}
RIG_TIPO_INT = {  # TIPO_INT / DTIPO_INT
    "RU": "Ristrutturazione urbanistica",
    "RE": "Ristrutturazione edilizia",
    "SP": "Riqualificazione degli spazi pubblici",
    "DM": "Demolizione e rinaturalizzazione",
}
DISMESSE_TIPO = {  # TIPO / DTIPO
    "D": "Area dismessa",
    "A": "Area abbandonata",
    "G": "Area degradata",
}
CONTAMINAZIONE = {  # CONTAMINAZ / DCONTAMINA
    "0": "Non contaminata",
    "1": "Potenzialmente contaminata",
    "2": "Contaminata",
}
AGRICOLE_SPEC = {  # SPEC_AGR / SPEC_AGRD
    "AAS": "Ambito agricolo strategico",
    "AGT": "Area agricola di tutela",
    "AGF": "Area agricola di frangia urbana",
}
CONSUMO_CLASSE = {  # CLASSE / DCLASSE (LR 31/2014)
    "1": "Superficie urbanizzata",
    "2": "Superficie urbanizzabile",
    "3": "Superficie agricola o naturale",
}

# layer -> [(code field, description field, code list)]: what the ETL validates.
PAIRS = {
    "tessuto_urbano_consolidato": [("COD_DEST1", "DCOD_DEST1", TUC_DEST)],
    "ambiti_trasformazione": [("FUN_PREV1", "DFUN_PREV1", AT_FUNZ)],
    "ambiti_rigenerazione": [("CATEGORIA", "DCATEGORIA", RIG_CATEGORIA), ("TIPO_INT", "DTIPO_INT", RIG_TIPO_INT)],
    "aree_dismesse": [("TIPO", "DTIPO", DISMESSE_TIPO), ("CONTAMINAZ", "DCONTAMINA", CONTAMINAZIONE)],
    "aree_agricole": [("SPEC_AGR", "SPEC_AGRD", AGRICOLE_SPEC)],
    "consumo_suolo": [("CLASSE", "DCLASSE", CONSUMO_CLASSE)],
}
