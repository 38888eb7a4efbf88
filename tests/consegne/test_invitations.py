"""Accounts of the comuni from a CSV, invitations by e-mail, password reset by e-mail."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from consegne.models import Membership

from .conftest import BESATE, CASSINA, PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Una-nuova-Password-99"


def _link(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def accounts_csv(tmp_path, comuni):
    path = tmp_path / "tecnici.csv"
    path.write_text(
        "username;email;comune;role\n"
        f"tecnico.besate;ufficio.tecnico@comune.besate.mi.it;{BESATE};tecnico\n"
        "tecnico.cassina;pgt@comune.cassinadepecchi.mi.it;Cassina de' Pecchi;tecnico\n"
        "revisore.cmm;revisore@cittametropolitana.mi.it;;staff\n",
        encoding="utf-8",
    )
    return path


def test_the_command_creates_the_accounts_and_mails_links_that_set_a_password(client, accounts_csv):
    call_command("invite_technicians", str(accounts_csv), "--base-url", "https://remix.example.org")
    besate = User.objects.get(username="tecnico.besate")
    assert not besate.has_usable_password()
    assert (besate.membership.role, besate.membership.comune.istat_code) == (Membership.Role.TECNICO, BESATE)
    assert User.objects.get(username="tecnico.cassina").membership.comune.istat_code == CASSINA
    assert User.objects.get(username="revisore.cmm").membership.role == Membership.Role.STAFF
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["ufficio.tecnico@comune.besate.mi.it", "pgt@comune.cassinadepecchi.mi.it", "revisore@cittametropolitana.mi.it"]
    )
    message = next(m for m in mail.outbox if m.to == ["ufficio.tecnico@comune.besate.mi.it"])
    assert "tecnico.besate" in message.body and "Besate" in message.body
    url = _link(message)
    assert url.startswith("https://remix.example.org/consegne/password/")
    # The link sets the password once; then the technician logs in with it.
    form = client.get(_path(url), follow=True)
    assert form.status_code == 200 and "Imposta la password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.login(username="tecnico.besate", password=NEW_PASSWORD)
    assert "non è valido" in client.get(_path(url), follow=True).content.decode()  # used once only


def test_a_bad_row_names_its_line_and_field_and_nothing_is_created(tmp_path, comuni):
    path = tmp_path / "tecnici.csv"
    path.write_text(
        "username,email,comune,role\n"
        f"tecnico.a,a@example.org,{BESATE},tecnico\n"
        "tecnico.b,non-una-mail,Atlantide,tecnico\n"
        "tecnico.c,c@example.org,,tecnico\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as err:
        call_command("invite_technicians", str(path))
    text = str(err.value)
    assert "riga 3, campo email" in text and "riga 3, campo comune" in text and "Atlantide" in text
    assert "riga 4, campo comune" in text
    assert not User.objects.filter(username__startswith="tecnico.").exists()
    assert mail.outbox == []


def test_running_it_again_updates_and_does_not_reinvite_who_set_a_password(accounts_csv):
    call_command("invite_technicians", str(accounts_csv))
    user = User.objects.get(username="tecnico.besate")
    user.set_password(PASSWORD)
    user.save()
    mail.outbox.clear()
    call_command("invite_technicians", str(accounts_csv))
    assert User.objects.filter(username__in=["tecnico.besate", "tecnico.cassina", "revisore.cmm"]).count() == 3
    assert "ufficio.tecnico@comune.besate.mi.it" not in [m.to[0] for m in mail.outbox]
    assert len(mail.outbox) == 2


def test_the_admin_imports_a_csv_and_its_action_sends_invitations(admin_client, accounts_csv):
    url = reverse("admin:auth_user_import_csv")
    assert admin_client.get(reverse("admin:auth_user_changelist")).content.decode().count(url) == 1
    with accounts_csv.open("rb") as handle:
        response = admin_client.post(url, {"file": handle})
    assert response.status_code == 302
    assert Membership.objects.filter(role="tecnico").count() == 2 and len(mail.outbox) == 3
    mail.outbox.clear()
    cassina = User.objects.get(username="tecnico.cassina")
    response = admin_client.post(
        reverse("admin:auth_user_changelist"), {"action": "send_invitations", "_selected_action": [cassina.pk]}
    )
    assert response.status_code == 302 and [m.to for m in mail.outbox] == [[cassina.email]]


def test_the_admin_shows_the_errors_of_a_bad_csv(admin_client, tmp_path, comuni):
    path = tmp_path / "bad.csv"
    path.write_text("username,email\nx,x@example.org\n")
    with path.open("rb") as handle:
        response = admin_client.post(reverse("admin:auth_user_import_csv"), {"file": handle})
    assert response.status_code == 200 and "Colonne mancanti" in response.content.decode()


@pytest.mark.parametrize(("prefix", "words"), [("", "nuova password"), ("/en", "new password")])
def test_password_reset_by_email_in_both_languages(client, tecnico, prefix, words):
    assert "Password dimenticata" in client.get(reverse("consegne:login")).content.decode()
    response = client.post(f"{prefix}/consegne/password/", {"email": tecnico.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [tecnico.email] and words in message.body.lower()
    form = client.get(_path(_link(message)), follow=True)
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert client.login(username=tecnico.username, password=NEW_PASSWORD)


def test_password_reset_of_an_unknown_address_says_the_same_and_sends_nothing(client, comuni):
    response = client.post("/consegne/password/", {"email": "nessuno@example.org"})
    assert response.status_code == 302 and mail.outbox == []
