"""Login throttling, the password policy, and the spec as versioned data."""

from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from consegne import spec
from consegne.errors import SpecError
from consegne.models import SpecField, SpecVersion

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_is_refused_after_repeated_failures_even_with_the_right_password(client, tecnico, settings):
    url = reverse("consegne:login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(url, {"username": tecnico.username, "password": "sbagliata"})
        assert response.status_code == 200
    assert client.post(url, {"username": tecnico.username, "password": "sbagliata"}).status_code == 429
    response = client.post(url, {"username": tecnico.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "Troppi tentativi" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_successful_login_clears_earlier_failures(client, tecnico):
    url = reverse("consegne:login")
    client.post(url, {"username": tecnico.username, "password": "sbagliata"})
    response = client.post(url, {"username": tecnico.username, "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(tecnico.pk)


@pytest.mark.parametrize("password", ["corta1", "123456789012345", "password1234"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_new_spec_version_is_new_rows_and_a_changed_file_needs_a_new_code(tmp_path):
    spec.ensure_loaded()
    current = SpecVersion.objects.get(code=spec.current_code())
    text = (spec.SPEC_DIR / f"{current.code}.yaml").read_text()
    newer = (
        text.replace(f'code: "{current.code}"', 'code: "pgt-2099.1"')
        .replace("valid_from: 2024-01-01", "valid_from: 2025-06-01")
        .replace('"600": MISTA}', '"600": MISTA, "700": AGRICOLA}')
    )
    path = tmp_path / "pgt-2099.1.yaml"
    path.write_text(newer)
    spec.load_file(path)
    assert spec.current_code() == "pgt-2099.1"
    codes = spec.get("pgt-2099.1").layers["tessuto_urbano_consolidato"].fields
    assert next(f for f in codes if f.name == "COD_DEST1").codes["700"] == "AGRICOLA"
    # The earlier version is untouched: deliveries validated with it keep their rules.
    assert (
        "700"
        not in SpecField.objects.get(
            layer__version=current, layer__code="tessuto_urbano_consolidato", name="COD_DEST1"
        ).codes
    )
    path.write_text(newer.replace("AGRICOLA", "ALTRO"))
    with pytest.raises(SpecError):
        spec.load_file(Path(path))
