"""File fields: upload with the form, keep the id in the data, download as the case allows."""

import io

import pytest

from engine import cases, clock
from tests.factories import open_task, valid_step_data
from tests.web.conftest import as_post, household, post_form, sign_in, text


@pytest.fixture
def store(app, tmp_path):
    before = app.config.get("ATTACHMENT_DIR")
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    yield tmp_path / "attachments"
    app.config["ATTACHMENT_DIR"] = before


def evaluation_with_file(filename: str, content: bytes) -> list:
    data = valid_step_data("village_evaluation")
    del data["minutes_file"]
    return as_post(data) + [("minutes_file", (io.BytesIO(content), filename))]


def start(world):
    case = cases.start(world.db, world.user("clerk1"), "linzi_identification", "V11",
                       household(), now=clock.now())
    return case, open_task(world.db, case.id)


def test_an_uploaded_file_is_kept_and_offered_to_those_who_see_the_case(world, client, store):
    case, task = start(world)
    sign_in(client, "vil11")
    page = text(client.get(f"/tasks/{task.id}"))
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    response = post_form(client, f"/tasks/{task.id}",
                         evaluation_with_file("评议纪要.pdf", b"%PDF-1.4 minutes"))
    assert response.status_code == 302
    world.db.refresh(task)
    att_id = task.data["minutes_file"]
    assert att_id.startswith("att-") and (store / att_id).exists()
    sign_in(client, "town1")
    page = text(client.get(f"/cases/{case.id}"))
    link = f"/cases/{case.id}/attachments/{att_id}"
    assert link in page and "评议纪要.pdf" in page
    download = client.get(link)
    assert download.status_code == 200 and download.data == b"%PDF-1.4 minutes"
    assert "attachment" in download.headers["Content-Disposition"]
    sign_in(client, "clerk2")
    assert client.get(link).status_code == 404


def test_an_id_not_named_by_the_case_is_not_served(world, client, store):
    case, task = start(world)
    other, _ = start(world)
    sign_in(client, "vil11")
    post_form(client, f"/tasks/{task.id}", evaluation_with_file("a.png", b"\x89PNG"))
    world.db.refresh(task)
    att_id = task.data["minutes_file"]
    assert client.get(f"/cases/{other.id}/attachments/{att_id}").status_code == 404
    assert client.get(f"/cases/{case.id}/attachments/../../etc").status_code == 404


def test_a_refused_type_is_reported_beside_the_field(world, client, store):
    _, task = start(world)
    sign_in(client, "vil11")
    response = post_form(client, f"/tasks/{task.id}", evaluation_with_file("x.exe", b"MZ"))
    assert response.status_code == 422
    page = text(response)
    block = page[page.index('name="minutes_file"'):]
    assert "不支持的附件类型 .exe" in block[:600]
    assert 'value="2024-03-05"' in page
    world.db.refresh(task)
    assert task.completed_at is None
