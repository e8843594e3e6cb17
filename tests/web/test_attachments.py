"""File fields: upload with the form, checked by content, stored with the case in the same
transaction, downloaded only by the case's officials, as a download that is never sniffed."""

import io
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from engine.casework import cases, tasks
from engine.store.models import Attachment, HumanTask
from engine.time import clock
from tests.factories import open_task, valid_step_data
from tests.web.conftest import as_post, household, post_form, sign_in, text

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


def evaluation_with_file(filename: str, content: bytes, content_type: str | None = None,
                         **changes) -> list:
    data = valid_step_data("village_evaluation")
    del data["minutes_file"]
    data.update(changes)
    upload = (io.BytesIO(content), filename, content_type) if content_type else (
        io.BytesIO(content), filename)
    return as_post({k: v for k, v in data.items() if v is not None}) + [
        ("minutes_file", upload)]


def evaluation_naming(att_id: str) -> list:
    return as_post({**valid_step_data("village_evaluation"), "minutes_file": att_id})


def start(world, village: str = "V11", clerk: str = "clerk1"):
    case = cases.start(world.db, world.user(clerk), "linzi_identification", village,
                       household(), now=clock.now())
    return case, open_task(world.db, case.id)


def stored(world) -> int:
    return world.db.scalar(select(func.count()).select_from(Attachment))


def upload_minutes(world, client, task, filename="评议纪要.pdf", content=PDF) -> str:
    sign_in(client, "vil11")
    response = post_form(client, f"/tasks/{task.id}", evaluation_with_file(filename, content))
    assert response.status_code == 302, text(response)
    world.db.refresh(task)
    return task.data["minutes_file"]


def test_an_uploaded_file_is_kept_and_offered_to_those_who_see_the_case(world, client):
    case, task = start(world)
    sign_in(client, "vil11")
    page = text(client.get(f"/tasks/{task.id}"))
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    att_id = upload_minutes(world, client, task)
    assert att_id.startswith("att-") and stored(world) == 1
    sign_in(client, "town1")
    page = text(client.get(f"/cases/{case.id}"))
    link = f"/cases/{case.id}/attachments/{att_id}"
    assert link in page and "评议纪要.pdf" in page
    download = client.get(link)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition == ('attachment; filename="attachment.pdf"; '
                           f"filename*=UTF-8''{quote('评议纪要.pdf')}")
    sign_in(client, "clerk2")
    assert client.get(link).status_code == 404


def test_the_served_type_is_the_sniffed_one_never_the_declared_one(world, client):
    _, task = start(world)
    sign_in(client, "vil11")
    response = post_form(client, f"/tasks/{task.id}",
                         evaluation_with_file("scan.pdf", PDF, "application/octet-stream"))
    assert response.status_code == 302
    world.db.refresh(task)
    download = client.get(f"/cases/{task.case_id}/attachments/{task.data['minutes_file']}")
    assert download.headers["Content-Type"] == "application/pdf"


@pytest.mark.parametrize(("filename", "content", "declared", "message"), [
    ("scan.pdf", PDF, "text/html", "声明的类型 text/html 与其内容（PDF 文档）不符"),
    ("photo.jpg", EXE, None, "内容不是可接受的文件类型，与扩展名 .jpg 不符"),
    ("photo.jpg", PDF, None, "内容是 PDF 文档，与扩展名 .jpg 不符"),
    ("scan.pdf", b"<html><script>alert(1)</script></html>", None,
     "内容是 纯文本，与扩展名 .pdf 不符"),
    ("x.exe", b"MZ", None, "不支持的附件类型 .exe"),
    ("empty.png", b"", None, "附件是空文件"),
])
def test_a_file_whose_content_disagrees_is_refused_beside_the_field(
        world, client, filename, content, declared, message):
    _, task = start(world)
    sign_in(client, "vil11")
    response = post_form(client, f"/tasks/{task.id}",
                         evaluation_with_file(filename, content, declared))
    assert response.status_code == 422
    page = text(response)
    block = page[page.index('name="minutes_file"'):]
    assert message in block[:800]
    assert 'value="2024-03-05"' in page  # what was typed comes back
    world.db.refresh(task)
    assert task.completed_at is None and stored(world) == 0


def test_a_form_refused_for_another_field_stores_no_file(world, client):
    _, task = start(world)
    sign_in(client, "vil11")
    response = post_form(client, f"/tasks/{task.id}",
                         evaluation_with_file("a.png", PNG, votes_for="many"))
    assert response.status_code == 422
    world.db.refresh(task)
    assert task.completed_at is None and stored(world) == 0
    assert "att-" not in text(response)  # no id of a file that was never kept


def test_a_form_that_loses_a_race_stores_no_file(world, client):
    _, task = start(world)
    sign_in(client, "vil11")
    form_page = client.get(f"/tasks/{task.id}")
    assert form_page.status_code == 200
    tasks.complete(world.db, world.user("vil11"), task.id,
                   valid_step_data("village_evaluation"), now=clock.now())
    response = post_form(client, f"/tasks/{task.id}", evaluation_with_file("a.png", PNG),
                         page_url=f"/cases/{task.case_id}")
    assert response.status_code == 409
    assert stored(world) == 0


def test_an_attachment_of_another_case_cannot_be_named_in_a_form(world, client):
    other_case, other_task = start(world, "V21", "clerk2")
    sign_in(client, "vil21")
    response = post_form(client, f"/tasks/{other_task.id}",
                         evaluation_with_file("别村纪要.pdf", PDF))
    assert response.status_code == 302
    world.db.refresh(other_task)
    foreign = other_task.data["minutes_file"]

    case, task = start(world)
    sign_in(client, "vil11")
    response = post_form(client, f"/tasks/{task.id}", evaluation_naming(foreign))
    assert response.status_code == 422
    block = text(response)[text(response).index('name="minutes_file"'):]
    assert "该附件不属于本案件" in block[:800]
    world.db.refresh(task)
    assert task.completed_at is None
    assert client.get(f"/cases/{case.id}/attachments/{foreign}").status_code == 404
    assert client.get(f"/cases/{case.id}/attachments/../../etc").status_code == 404
    assert client.get(f"/cases/{2**40}/attachments/{foreign}").status_code == 404


def test_an_attachment_of_another_case_is_refused_by_the_api_naming_the_field(world, client):
    other_case, other_task = start(world, "V21", "clerk2")
    foreign = upload_for(world, client, other_task, "vil21")
    _, task = start(world)
    token = api_token(client, "vil11")
    response = client.post(f"/api/tasks/{task.id}/complete", headers=token, json={
        "data": {**valid_step_data("village_evaluation"), "minutes_file": foreign}})
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["minutes_file"]
    world.db.refresh(task)
    assert task.completed_at is None
    assert world.db.scalar(select(HumanTask.data).where(HumanTask.id == other_task.id))[
        "minutes_file"] == foreign


def test_a_file_name_with_separators_gets_a_safe_disposition(world, client):
    case, task = start(world)
    name = "报告 (1); filename=evil.html; b=.pdf"
    att_id = upload_minutes(world, client, task, filename=name)
    download = client.get(f"/cases/{case.id}/attachments/{att_id}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="1_filenameevil.html_b.pdf"; '
        "filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%281%29%3B%20filename%3Devil.html%3B%20b%3D.pdf")
    assert download.headers["Content-Type"] == "application/pdf"


def upload_for(world, client, task, username: str) -> str:
    sign_in(client, username)
    response = post_form(client, f"/tasks/{task.id}", evaluation_with_file("纪要.pdf", PDF))
    assert response.status_code == 302
    world.db.refresh(task)
    return task.data["minutes_file"]


def api_token(client, username: str) -> dict[str, str]:
    from tests.factories import PASSWORD

    response = client.post("/api/tokens", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}
