from django import forms
from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _

from . import criteria

DOMAINS = ("ambientale", "sociale", "mobilità", "abitativo", "ricreativo", "culturale")


class IdeaForm(forms.Form):
    comune = forms.ModelChoiceField(queryset=None, label=_("Comune"))
    title = forms.CharField(label=_("Titolo"), max_length=200)
    domains = forms.MultipleChoiceField(
        label=_("Ambiti tematici"), choices=[(d, d) for d in DOMAINS], widget=forms.CheckboxSelectMultiple
    )
    expected_cost_eur = forms.DecimalField(
        label=_("Costo previsto (€)"), max_digits=14, decimal_places=2, min_value=0, required=False, localize=True
    )
    description = forms.CharField(label=_("Descrizione"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    lat = forms.FloatField(label=_("Latitudine (facoltativa)"), required=False, min_value=44.5, max_value=46.5)
    lon = forms.FloatField(label=_("Longitudine (facoltativa)"), required=False, min_value=8.0, max_value=10.5)

    def __init__(self, *args, comuni, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comune"].queryset = comuni

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise forms.ValidationError(_("Indica sia la latitudine sia la longitudine, oppure nessuna delle due."))
        return data

    def point(self):
        d = self.cleaned_data
        if d.get("lat") is None:
            return None
        p = Point(d["lon"], d["lat"], srid=4326)
        p.transform(32632)
        return p


class DrawnProposalForm(forms.Form):
    title = forms.CharField(label=_("Titolo"), max_length=200, required=False)
    geometry = forms.CharField(
        label=_("Poligono (GeoJSON, EPSG:4326)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=200_000
    )
    function = forms.ChoiceField(label=_("Funzione prevista"))
    surface_m2 = forms.FloatField(label=_("Superficie dichiarata (m²)"), required=False, min_value=0, localize=True)

    def __init__(self, *args, lang="it", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["function"].choices = [
            (code, criteria.text(f, "label", lang)) for code, f in criteria.bilancio()["functions"].items()
        ]
