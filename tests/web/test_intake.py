"""Intake: clerks choose among their township's villages, village officials use their own."""

from sqlalchemy import select

from engine.store.models import Case
from tests.factories import valid_application
from tests.web.conftest import as_post, post_form, sign_in, text

URL = "/cases/new?village=V11&procedure=linzi_identification"


def test_a_village_official_takes_in_for_their_own_village_only(world, client):
    sign_in(client, "vil11")
    page = text(client.get("/cases/new"))
    assert "甲一村" in page and "甲二村" not in page
    assert 'value="linzi_identification"' in page
    page = text(client.get("/cases/new?procedure=linzi_identification"))
    assert 'name="head_name"' in page and 'name="members-0-relation"' in page, \
        "their only village is chosen for them"
    form = [("village", "V12"), ("procedure", "linzi_identification")]
    response = post_form(client, "/cases/new", form + as_post(valid_application()), URL)
    assert response.status_code == 422
    assert world.db.scalar(select(Case.id)) is None


def test_a_missing_required_field_is_shown_beside_it(world, client):
    sign_in(client, "clerk1")
    application = valid_application()
    del application["head_name"]
    form = [("village", "V11"), ("procedure", "linzi_identification")]
    response = post_form(client, "/cases/new", form + as_post(application), URL)
    assert response.status_code == 422
    page = text(response)
    block = page[page.index('name="head_name"'):]
    assert 'class="field-error"' in block[:800]
    assert 'value="13805331234"' in page
