"""The audit log shows people names of actions and objects, in their language, never internal codes."""

from django.utils import translation

from consegne.models import AuditEntry


def test_audit_entries_are_named_not_coded():
    entry = AuditEntry(action="pubblicazione", object_type="pgtatto", object_id="7", username="revisore")
    assert entry.action_label == "pubblicazione" and entry.object_label == "atto di PGT"
    with translation.override("en"):
        assert entry.action_label == "publication" and entry.object_label == "PGT act"
    assert AuditEntry(action="caricamento_rifiutato").action_label == "caricamento rifiutato"
    assert AuditEntry(action="azione_futura").action_label == "azione futura"  # an unknown code stays readable
