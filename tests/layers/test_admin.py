"""The registry admin: publication only through the actions, styles checked before saving."""

import pytest
from django.contrib.auth.models import Permission, User

from layers.models import Layer, LayerEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def layers():
    return [
        Layer.objects.create(slug=f"s{i}", title_it=f"Strato {i}", theme="ptm", source="mappature_comune")
        for i in range(2)
    ]


def _staff(perms=()):
    user = User.objects.create_user("staff", password="x" * 12, is_staff=True)
    codenames = ["view_layer", "change_layer", *perms]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_admin_action_publishes_through_the_action_with_audit(client, layers):
    client.force_login(_staff(["publish_layer"]))
    response = client.post(
        "/admin/layers/layer/",
        {"action": "publish_selected", "_selected_action": [layer.pk for layer in layers]},
        follow=True,
    )
    assert "2 strati modificati" in response.content.decode()
    assert Layer.objects.filter(published=True).count() == 2
    assert set(LayerEvent.objects.values_list("action", "via", "actor__username")) == {("publish", "admin", "staff")}


def test_staff_without_the_publish_permission_does_not_get_the_action(client, layers):
    client.force_login(_staff())
    page = client.get("/admin/layers/layer/").content.decode()
    assert "publish_selected" not in page
    client.post("/admin/layers/layer/", {"action": "publish_selected", "_selected_action": [layers[0].pk]})
    assert not Layer.objects.filter(published=True).exists() and not LayerEvent.objects.exists()


def test_the_change_form_cannot_publish_and_refuses_a_bad_style(client, layers):
    client.force_login(_staff(["publish_layer"]))
    layer = layers[0]
    data = change_form(
        layer,
        title_it="Nuovo titolo",
        style='{"kind": "graduated", "field": "x", "classes": []}',
        published="on",
    )
    response = client.post(f"/admin/layers/layer/{layer.pk}/change/", data)
    assert "almeno una classe" in response.content.decode()
    data["style"] = '{"kind": "single", "symbol": {"fill": "#112233"}}'
    response = client.post(f"/admin/layers/layer/{layer.pk}/change/", data)
    assert response.status_code == 302
    layer.refresh_from_db()
    assert layer.title_it == "Nuovo titolo" and layer.style["symbol"]["fill"] == "#112233"
    assert not layer.published  # the form field is read-only: publication goes through the action


def test_the_change_page_lists_the_fields_sync_will_keep(client, comuni):
    from layers.sync import sync

    sync()
    Layer.objects.filter(slug="stazioni").update(title_it="Stazioni (titolo dell'amministrazione)")
    client.force_login(_staff())
    layer = Layer.objects.get(slug="stazioni")
    page = client.get(f"/admin/layers/layer/{layer.pk}/change/").content.decode()
    assert "Modificati rispetto alla dichiarazione" in page and "title_it" in page


def change_form(layer, **changes) -> dict:
    """The admin change form of a vector layer on ``mappature_comune``, as a browser posts it, with ``changes``."""
    return {
        "slug": layer.slug,
        "title_it": "Confini",
        "title_en": "",
        "abstract_it": "",
        "abstract_en": "",
        "theme": "ptm",
        "kind": "vector",
        "source": "mappature_comune",
        "dataset_id": "",
        "geometry_type": "",
        "srid": 32632,
        "attributes": "[]",
        "style": "{}",
        "visibility": "public",
        "metadata": "{}",
        "sort_order": 0,
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
        **changes,
    }
