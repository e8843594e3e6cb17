"""Case search and the case page with its diagram."""

from engine.casework import cases
from engine.time import clock
from tests.web.conftest import household, sign_in, text


def start(world, village="V11", name="王建国"):
    return cases.start(world.db, world.user("clerk1"), "linzi_identification", village,
                       household(head_name=name), now=clock.now())


def test_the_case_list_is_scoped_and_searchable(world, client):
    a = start(world, "V11", "张三")
    b = start(world, "V12", "李四")
    sign_in(client, "vil11")
    page = text(client.get("/cases"))
    assert "张三" in page and "李四" not in page
    sign_in(client, "town1")
    page = text(client.get("/cases"))
    assert "张三" in page and "李四" in page
    assert "李四" not in text(client.get("/cases?q=张"))
    assert "张三" not in text(client.get("/cases?village=V12"))
    assert f"/cases/{a.id}" in text(client.get("/cases?status=running"))
    assert f"/cases/{b.id}" not in text(client.get("/cases?status=approved"))


def test_the_case_page_shows_status_application_and_the_diagram(world, client):
    case = start(world)
    sign_in(client, "vil11")
    page = text(client.get(f"/cases/{case.id}"))
    assert "办理中" in page and "王建国" in page and "户主身份证号码" in page
    assert 'data-current="village_evaluation"' in page
    assert "/static/vendor/bpmn-js/bpmn-viewer.production.min.js" in page
    xml = client.get(f"/cases/{case.id}/diagram.bpmn")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert b'id="linzi_identification"' in xml.data and b"bpmndi:BPMNShape" in xml.data
    assert client.get("/static/vendor/bpmn-js/bpmn-viewer.production.min.js").status_code == 200


def test_another_township_cannot_see_the_case_or_its_diagram(world, client):
    case = start(world)
    sign_in(client, "clerk2")
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert client.get(f"/cases/{case.id}/diagram.bpmn").status_code == 404
