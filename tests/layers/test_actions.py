"""Publishing and unpublishing: one action each, with permission check, audit entry and hooks."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command

from layers import actions
from layers.errors import ActionPermissionError
from layers.models import Layer, LayerEvent
from layers.signals import layer_published, layer_unpublished

pytestmark = pytest.mark.django_db


@pytest.fixture
def layer():
    return Layer.objects.create(slug="prova", title_it="Prova", theme="ptm", source="mappature_comune")


@pytest.fixture
def publisher():
    user = User.objects.create_user("editor", password="x" * 12)
    user.user_permissions.add(Permission.objects.get(codename="publish_layer"))
    return User.objects.get(pk=user.pk)


@pytest.fixture
def received():
    calls = []

    def receiver(sender, layer, actor, via, signal, **kwargs):
        calls.append((signal, layer.slug, layer.published, actor, via))

    layer_published.connect(receiver, weak=False)
    layer_unpublished.connect(receiver, weak=False)
    yield calls
    layer_published.disconnect(receiver)
    layer_unpublished.disconnect(receiver)


def test_a_user_without_the_permission_cannot_publish_and_nothing_changes(layer, received):
    clerk = User.objects.create_user("clerk", password="x" * 12)
    with pytest.raises(ActionPermissionError, match="Non hai il permesso"):
        actions.publish(layer, clerk, via="admin")
    layer.refresh_from_db()
    assert not layer.published and layer.published_at is None
    assert not LayerEvent.objects.exists() and received == []


def test_publish_then_unpublish_records_who_and_fires_hooks_after_commit(
    layer, publisher, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.publish(layer, publisher, via="admin") is True
    assert layer.published and layer.published_at is not None
    assert received == [(layer_published, "prova", True, publisher, "admin")]
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.unpublish(layer, publisher, via="admin") is True
    layer.refresh_from_db()
    assert not layer.published and layer.published_at is None
    assert received[-1] == (layer_unpublished, "prova", False, publisher, "admin")
    events = list(LayerEvent.objects.order_by("id").values_list("action", "actor__username", "via"))
    assert events == [("publish", "editor", "admin"), ("unpublish", "editor", "admin")]


def test_publishing_a_published_layer_is_a_no_op(layer, publisher, received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.publish(layer, publisher)
        assert actions.publish(layer, publisher) is False
    assert LayerEvent.objects.count() == 1 and len(received) == 1


def test_the_cli_goes_through_the_same_action(layer, capsys):
    call_command("layers", "publish", "prova")
    assert Layer.objects.get(slug="prova").published
    call_command("layers", "unpublish", "prova")
    assert not Layer.objects.get(slug="prova").published
    assert set(LayerEvent.objects.values_list("via", flat=True)) == {"cli"}
    assert "ritirato" in capsys.readouterr().out
