"""Forms of the delivery pages: upload with the act's data, review comment (logins are throttled by
django-axes, see remix/settings.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mappature.models import PgtAtto

from . import conf
from .actions import ActData
from .errors import MESSAGES


class UploadForm(forms.Form):
    """The delivery file and the data of the act it documents."""

    comune = forms.ModelChoiceField(queryset=None, label=_("Comune"))
    kind = forms.ChoiceField(label=_("Tipo di atto"), choices=PgtAtto.Kind.choices)
    deliberation = forms.CharField(label=_("Numero di delibera"), max_length=40)
    adoption_date = forms.DateField(
        label=_("Data di adozione"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    approval_date = forms.DateField(
        label=_("Data di approvazione"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    burl_date = forms.DateField(
        label=_("Data di pubblicazione sul BURL"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # Last: browsers send the fields in this order, so when an over-large file is cut off while it
    # is received (consegne.uploads) every other field has already arrived and is shown again.
    file = forms.FileField(label=_("File della consegna (.zip di shapefile o .gpkg)"))

    def __init__(self, *args, comuni, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comune"].queryset = comuni
        # The browser can refuse an over-large file before sending it (static/consegne/upload.js).
        limit = conf.CONSEGNE_MAX_UPLOAD_MB
        self.fields["file"].widget.attrs.update(
            {"data-max-bytes": limit * 1024 * 1024, "data-too-big": MESSAGES["too_big"] % {"limit": limit}}
        )
        if comuni.count() == 1:
            self.fields["comune"].initial = comuni.first()

    def clean(self):
        data = super().clean()
        if not data.get("adoption_date") and not data.get("approval_date"):
            raise forms.ValidationError(_("Indica la data di adozione o quella di approvazione dell'atto."))
        adopted, approved = data.get("adoption_date"), data.get("approval_date")
        if adopted and approved and approved < adopted:
            raise forms.ValidationError(_("La data di approvazione precede quella di adozione."))
        return data

    def act(self) -> ActData:
        d = self.cleaned_data
        return ActData(
            d["kind"], d["deliberation"].strip(), d.get("adoption_date"), d.get("approval_date"), d.get("burl_date")
        )


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Commento per il comune"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
