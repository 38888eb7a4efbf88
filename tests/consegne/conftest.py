"""Fixtures of the delivery tests: the committed corpus, users with roles, an upload helper."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from background.testing import run_jobs
from consegne import actions
from consegne.models import Consegna, Membership
from mappature.models import Comune

CORPUS = Path(__file__).resolve().parent / "corpus"
BESATE, CASSINA = "015022", "015060"
PASSWORD = "una-Password-lunga-42"


@pytest.fixture(autouse=True)
def italian():
    """Messages are asserted in Italian whatever language an earlier request left active."""
    with translation.override("it"):
        yield


@pytest.fixture
def consegne_settings(settings, tmp_path):
    """Uploads go to a scratch folder; validation runs when the test says so (``run_jobs``)."""
    settings.REMIX = {**settings.REMIX, "CONSEGNE_DIR": tmp_path / "consegne", "WORK_DIR": tmp_path / "work"}
    return settings


def make_user(username: str, role: str, istat: str | None = None) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD)
    comune = Comune.objects.get(istat_code=istat) if istat else None
    Membership.objects.create(user=user, role=role, comune=comune)
    return user


@pytest.fixture
def tecnico(comuni):
    return make_user("tecnico.besate", Membership.Role.TECNICO, BESATE)


@pytest.fixture
def tecnico_cassina(comuni):
    return make_user("tecnico.cassina", Membership.Role.TECNICO, CASSINA)


@pytest.fixture
def staff(comuni):
    return make_user("revisore.cmm", Membership.Role.STAFF)


def uploaded(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (CORPUS / name).read_bytes())


ACT = actions.ActData(
    kind="pgt", deliberation="DCC 12/2024", approval_date=None, adoption_date=__import__("datetime").date(2024, 3, 1)
)


@pytest.fixture
def deliver(consegne_settings):
    """Upload a corpus file as ``user`` for ``istat`` and run its validation now."""

    def run(user, name: str, istat: str = BESATE, act=ACT) -> Consegna:
        consegna = actions.submit(user, Comune.objects.get(istat_code=istat), uploaded(name), act)
        run_jobs()
        consegna.refresh_from_db()
        return consegna

    return run


def rules_of(consegna: Consegna, severity: str | None = None) -> set[str]:
    qs = consegna.findings.all()
    if severity:
        qs = qs.filter(severity=severity)
    return set(qs.values_list("rule", flat=True))
