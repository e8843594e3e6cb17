"""The designers' workspace: the modeler over a deployed bundle, validate, deploy, download,
upload and the version list."""

from __future__ import annotations

import io
import re

from engine.workflow import procedures
from tests.factories import LINZI
from tests.web.conftest import csrf_token, sign_in, text

KEY = "linzi_identification"
MODELER = f"/designer/{KEY}?region=D1"


def stored_bpmn() -> str:
    return (LINZI / "identification.bpmn").read_text(encoding="utf-8")


def edited(world, old: str, new: str) -> dict:
    """What the modeler page posts: every BPMN and DMN file of the newest version, one edited."""
    version = procedures.newest_in_region(world.db, KEY, "D1")
    bpmn = dict(version.bpmn)
    bpmn["identification.bpmn"] = bpmn["identification.bpmn"].replace(old, new)
    return {"key": KEY, "region": "D1", "bpmn": bpmn, "dmn": dict(version.dmn)}


def numbers(world) -> list[int]:
    return sorted(v.version for v in procedures.list_versions(world.db) if v.key == KEY)


def post_json(client, url: str, body: dict, page: str = MODELER):
    token = csrf_token(text(client.get(page)))
    return client.post(url, json=body, headers={"X-CSRFToken": token})


def test_officials_are_refused(world, client):
    sign_in(client, "dist")
    assert client.get("/designer").status_code == 403
    assert client.get(MODELER).status_code == 403
    assert client.get(f"/designer/{KEY}/versions?region=D1").status_code == 403
    assert client.get(f"/designer/{KEY}/files/identification.bpmn?region=D1").status_code == 403
    page = text(client.get("/cases"))
    assert "/designer" not in page
    token = csrf_token(page)
    body = {"key": KEY, "region": "D1", "bpmn": {"identification.bpmn": stored_bpmn()}}
    assert client.post("/designer/validate", json=body,
                       headers={"X-CSRFToken": token}).status_code == 403
    assert client.post("/designer/deploy", json=body,
                       headers={"X-CSRFToken": token}).status_code == 403


def test_the_designer_page_lists_each_procedure_newest_version(world, client):
    sign_in(client, "designer")
    page = text(client.get("/designer"))
    assert "临淄区困难家庭识别认定" in page and KEY in page
    assert f'href="/designer/{KEY}?region=D1"' in page
    assert "v1" in page
    assert 'href="/designer"' in text(client.get("/procedures"))  # the navigation link


def test_the_modeler_page_serves_its_scripts_and_styles_itself(world, client):
    sign_in(client, "admin")
    page = text(client.get(MODELER))
    assert "/static/vendor/bpmn-js-modeler/bpmn-modeler.production.min.js" in page
    assert "/static/vendor/dmn-js/dmn-modeler.production.min.js" in page
    assert "/static/vendor/bpmn-js-modeler/bpmn-js.css" in page
    assert "/static/designer.js" in page
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page), "no other hosts"
    assert not re.search(r"https?://(?!localhost)", page)
    assert 'data-tab="bpmn:identification.bpmn"' in page
    # the forms the bundle names, with their source and a read-only view
    assert "village_evaluation" in page and "共享（forms/）" in page
    yaml = client.get(f"/designer/{KEY}/forms/village_evaluation?region=D1")
    assert yaml.status_code == 200 and "fields" in text(yaml)
    for path in ("vendor/bpmn-js-modeler/bpmn-modeler.production.min.js",
                 "vendor/bpmn-js-modeler/diagram-js.css",
                 "vendor/bpmn-js-modeler/bpmn-font/css/bpmn.css",
                 "vendor/dmn-js/dmn-modeler.production.min.js",
                 "vendor/dmn-js/dmn-js-decision-table.css",
                 "designer.js", "designer.css"):
        response = client.get(f"/static/{path}")
        assert response.status_code == 200, path
        response.close()


def test_validate_names_the_element_in_a_renamed_lane(world, client):
    sign_in(client, "designer")
    before = len(procedures.list_versions(world.db))
    ok = post_json(client, "/designer/validate", edited(world, "", ""))
    assert ok.status_code == 200 and ok.get_json() == {"ok": True, "problems": []}
    response = post_json(client, "/designer/validate",
                         edited(world, 'name="区级"', 'name="省级"'))
    assert response.status_code == 200
    problems = response.get_json()["problems"]
    assert any("中的 district_crosscheck（" in p and "省级" in p for p in problems)
    assert len(procedures.list_versions(world.db)) == before  # nothing written


def test_validate_needs_the_csrf_token(world, client):
    sign_in(client, "designer")
    body = {"key": KEY, "region": "D1", "bpmn": {"identification.bpmn": stored_bpmn()}}
    assert client.post("/designer/validate", json=body).status_code == 400


def test_deploy_creates_the_next_version_or_changes_nothing(world, client):
    sign_in(client, "designer")
    first = procedures.newest_in_region(world.db, KEY, "D1")
    first_forms = dict(first.forms)
    refused = post_json(client, "/designer/deploy",
                        edited(world, 'name="区级"', 'name="省级"'))
    assert refused.status_code == 422 and refused.get_json()["problems"]
    assert numbers(world) == [1]

    response = post_json(client, "/designer/deploy",
                         edited(world, 'name="区级信息比对"', 'name="区级信息核对比对"'))
    assert response.status_code == 201, response.get_json()
    created = {v["key"]: v["version"] for v in response.get_json()["versions"]}
    assert created == {KEY: 2} and numbers(world) == [1, 2], "exit and review kept v1"
    assert {v.key: v.version for v in procedures.list_versions(world.db)
            if v.key != KEY} == {"linzi_exit": 1, "linzi_review": 1}
    newest = procedures.newest_in_region(world.db, KEY, "D1")
    assert newest.version == 2 and "区级信息核对比对" in newest.bpmn["identification.bpmn"]
    assert newest.forms == first_forms  # the same forms, bundle and shared alike

    again = post_json(client, "/designer/deploy",
                      edited(world, 'name="区级信息比对"', 'name="区级信息核对比对"'))
    assert (again.status_code, again.get_json()["versions"]) == (201, []), "nothing changed"
    assert numbers(world) == [1, 2]

    versions = text(client.get(f"/designer/{KEY}/versions?region=D1"))
    assert "v2" in versions and "v1" in versions and "district_crosscheck" in versions


def test_download_returns_the_stored_bpmn(world, client):
    sign_in(client, "designer")
    response = client.get(f"/designer/{KEY}/files/identification.bpmn?region=D1")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert "attachment" in response.headers["Content-Disposition"]
    assert b'<bpmn:process id="linzi_identification"' in response.data
    assert client.get(f"/designer/{KEY}/files/nope.bpmn?region=D1").status_code == 404


def test_a_multipart_upload_deploys_or_lists_the_problems(world, client):
    sign_in(client, "designer")
    token = csrf_token(text(client.get("/designer")))
    broken = stored_bpmn().replace('name="区级"', 'name="省级"').encode()
    dmn = (LINZI / "eligibility.dmn").read_bytes()  # the bundle's decision table goes with it
    refused = client.post("/designer/upload", data={
        "csrf_token": token, "region": "D1",
        "files": [(io.BytesIO(broken), "identification.bpmn"),
                  (io.BytesIO(dmn), "eligibility.dmn")]},
        content_type="multipart/form-data")
    assert refused.status_code == 422 and "district_crosscheck" in text(refused)
    done = client.post("/designer/upload", data={
        "csrf_token": token, "region": "D1",
        "files": [(io.BytesIO(stored_bpmn().encode()), "identification.bpmn"),
                  (io.BytesIO(dmn), "eligibility.dmn")]},
        content_type="multipart/form-data", follow_redirects=True)
    assert done.status_code == 200 and "第 2 版" in text(done)
    assert numbers(world) == [1, 2]


def test_the_modeler_page_lists_the_bundle_assumptions_kept_at_deploy(world, client):
    """Deploy keeps README.md with the version; the page lists its "Assumptions" items, and a
    deploy from the designer keeps them for the new version."""
    version = procedures.newest_in_region(world.db, KEY, "D1")
    assert version.readme == (LINZI / "README.md").read_text(encoding="utf-8")
    sign_in(client, "designer")
    page = text(client.get(MODELER))
    section = page[page.index('id="assumptions"'):]
    section = section[:section.index("</section>")]
    assert "政策文件以外的假设" in section
    assert section.count("<li>") == 11  # 6 for identification and reviews, 5 for the exit
    assert "Gradual exit (渐退) of 12 months, 24 with a bedridden member" in section
    assert "［区填写：是否渐退及渐退月数］" in section
    created = post_json(client, "/designer/deploy",
                        edited(world, "村级评议推荐", "村级评议推荐（改）"))
    assert created.status_code == 201
    again = text(client.get(MODELER))
    assert "v2" in again and "［区填写：是否渐退及渐退月数］" in again


def test_a_bundle_without_assumptions_shows_none(world, client):
    files = procedures.read_bundle_dir(LINZI)
    files["README.md"] = "# 某县\n\n## Steps\n\n- 受理\n".encode()
    procedures.deploy(world.db, None, "T1", files)
    sign_in(client, "admin")
    page = text(client.get(f"/designer/{KEY}?region=T1"))
    assert 'id="assumptions"' not in page and "政策文件以外的假设" not in page


def test_a_malformed_or_unknown_region_answers_in_the_modeler_shape(world, client):
    sign_in(client, "designer")
    for region, status in ((["D1"], 400), ({"code": "D1"}, 400), (7, 400), ("X9", 404)):
        for path in ("/designer/validate", "/designer/deploy"):
            response = post_json(client, path, {**edited(world, "", ""), "region": region})
            assert response.status_code == status, (path, region)
            body = response.get_json()
            assert body["ok"] is False and body["problems"], body
    assert numbers(world) == [1]


def test_a_file_of_the_wrong_kind_is_named_not_dropped(world, client):
    sign_in(client, "designer")
    body = edited(world, "", "")
    body["bpmn"]["notes.txt"] = body["bpmn"]["identification.bpmn"]
    response = post_json(client, "/designer/validate", body)
    assert response.status_code == 400
    assert response.get_json()["problems"] == ["文件名应以 .bpmn 结尾：notes.txt"]
