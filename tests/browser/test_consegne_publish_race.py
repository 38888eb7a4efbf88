"""Two reviewers in two browsers publish two drafts of one comune: the second reads that the version
in force changed and that the draft must be reviewed again (never an error page)."""

import pytest
from playwright.sync_api import expect

from background.testing import run_jobs
from consegne import actions
from consegne.models import Consegna, Membership
from mappature.models import Comune, PgtAtto
from tests.consegne.conftest import ACT, BESATE, make_user, uploaded

from .test_consegne_flow import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_worker(settings, tmp_path):
    settings.REMIX = {
        **settings.REMIX,
        "CONSEGNE_DIR": tmp_path / "consegne",
        "WORK_DIR": tmp_path / "work",
        "CONSEGNE_INLINE_WORKER": False,
    }


def test_the_second_reviewer_is_told_to_review_again(browser, live_server, comuni, no_worker, request):
    tecnico = make_user("tecnico.besate", Membership.Role.TECNICO, BESATE)
    make_user("revisore.uno", Membership.Role.STAFF)
    make_user("revisore.due", Membership.Role.STAFF)
    besate = Comune.objects.get(istat_code=BESATE)
    drafts = []
    for name in ("variante_32632.gpkg", "good_32632.gpkg"):
        drafts.append(actions.submit(tecnico, besate, uploaded(name), ACT))
        run_jobs()
    one, two = browser.new_page(), browser.new_page()
    request.addfinalizer(one.close)
    request.addfinalizer(two.close)
    for page in (one, two):
        page.on("dialog", lambda dialog: dialog.accept())  # "publish as the PGT in force?" — yes
    for page, user, draft in ((one, "revisore.uno", drafts[0]), (two, "revisore.due", drafts[1])):
        login(page, live_server, user)
        page.goto(f"{live_server.url}/consegne/{draft.pk}/revisione/")
        expect(page.locator("#publish")).to_be_visible()

    one.click("#publish")
    expect(one.locator(".messages")).to_have_count(0)
    two.click("#publish")
    expect(two.locator(".messages li.error")).to_contain_text(
        "La versione in vigore del PGT di Besate è cambiata dopo che hai aperto la revisione"
    )
    expect(two.locator("#publish")).to_be_visible()  # still in review, against the new version in force
    vigenti = PgtAtto.objects.filter(comune=besate, state=PgtAtto.State.VIGENTE)
    assert [a.pk for a in vigenti] == [Consegna.objects.get(pk=drafts[0].pk).atto_id]
    assert Consegna.objects.get(pk=drafts[1].pk).state == Consegna.State.IN_REVISIONE
