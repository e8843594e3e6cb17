"""Deploy is scoped: a designer or admin deploys only for their own org or one below it, by
engine call, CLI (--as), API and designer page; the CLI without --as is the machine's
operator and unrestricted."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.people import accounts, orgs
from engine.store.errors import Forbidden
from engine.store.models import AuditEvent, OrgUnit, ProcedureVersion
from engine.workflow import procedures
from tests.factories import LINZI, PASSWORD
from tests.web.conftest import csrf_token, sign_in, text
from web import cli

OTHER = """code,name,level,parent_code
D2,另一区,district,
T3,丙镇,township,D2
V31,丙一村,village,T3
"""


@pytest.fixture
def other_district(world):
    orgs.import_csv(world.db, OTHER)
    accounts.add_user(world.db, "designer_t1", "designer", "T1", PASSWORD)
    return world


def deployed(db, region: str) -> int:
    return db.scalar(select(func.count()).select_from(ProcedureVersion)
                     .join(ProcedureVersion.region).where(OrgUnit.code == region))


def files() -> dict[str, bytes]:
    return procedures.read_bundle_dir(LINZI)


def test_engine_refuses_another_district_and_a_region_above(other_district):
    w = other_district
    events = w.db.scalar(select(func.count()).select_from(AuditEvent))
    for username, region in [("designer", "D2"), ("admin", "D2"), ("admin", "T3"),
                             ("designer_t1", "D1"), ("designer_t1", "T2")]:
        with pytest.raises(Forbidden) as err:
            procedures.deploy(w.db, w.user(username), region, files())
        assert "只能为本机构或下级地区部署流程" in str(err.value)
    assert deployed(w.db, "D2") == deployed(w.db, "T3") == deployed(w.db, "T2") == 0
    assert w.db.scalar(select(func.count()).select_from(AuditEvent)) == events
    below = procedures.deploy(w.db, w.user("designer"), "T1", files())
    own = procedures.deploy(w.db, w.user("designer_t1"), "T1", files())
    assert {v.region.code for v in below + own} == {"T1"}


def test_cli_deploys_as_a_user_only_in_scope(other_district, app, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)
    w = other_district

    def run(*args):
        return CliRunner().invoke(cli.main, ["deploy", str(LINZI), *args])

    refused = run("--region", "D2", "--as", "designer")
    assert refused.exit_code == 1 and "只能为本机构或下级地区部署流程" in refused.output
    official = run("--region", "D1", "--as", "dist")
    assert official.exit_code == 1 and "只有流程设计人员或管理员" in official.output
    assert run("--region", "D1", "--as", "nobody").exit_code == 1
    assert deployed(w.db, "D2") == 0
    own = run("--region", "T1", "--as", "designer")
    assert own.exit_code == 0 and "linzi_identification v1" in own.output
    operator = run("--region", "D2")  # the machine's operator: unrestricted, as documented
    assert operator.exit_code == 0 and "linzi_identification v1" in operator.output
    w.db.expire_all()
    assert deployed(w.db, "T1") > 0 and deployed(w.db, "D2") > 0


def test_api_refuses_another_district(other_district, client):
    w = other_district
    token = accounts.issue_token(w.db, w.user("designer"))

    def post(region):
        data = {"region": region, "files": [(io.BytesIO(v), k) for k, v in files().items()]}
        return client.post("/api/procedures", data=data, content_type="multipart/form-data",
                           headers={"Authorization": f"Bearer {token}"})

    res = post("D2")
    assert res.status_code == 403
    assert "只能为本机构或下级地区部署流程" in res.json["error"]["message"]
    assert deployed(w.db, "D2") == 0
    for missing in ("", None):  # the region is asked for by name, not blamed on the files
        res = post(missing) if missing is not None else client.post(
            "/api/procedures", data={"files": [(io.BytesIO(v), k) for k, v in files().items()]},
            content_type="multipart/form-data", headers={"Authorization": f"Bearer {token}"})
        assert res.status_code == 422
        assert res.json["error"]["fields"] == {"region": ["需要提供 region（区域机构代码）"]}
    assert post("D1").status_code == 201


def test_designer_page_refuses_another_district(other_district, client):
    w = other_district
    procedures.deploy(w.db, None, "D2", files())  # the operator deployed D2's bundle
    sign_in(client, "designer")
    token = csrf_token(text(client.get("/designer")))
    res = client.post("/designer/upload", data={
        "csrf_token": token, "region": "D2",
        "files": [(io.BytesIO(files()["identification.bpmn"]), "identification.bpmn")]},
        content_type="multipart/form-data")
    assert res.status_code == 403 and "只能为本机构或下级地区部署流程" in text(res)
    modeler = text(client.get("/designer/linzi_identification?region=D2"))
    bpmn = procedures.newest_in_region(w.db, "linzi_identification", "D2") \
        .bpmn["identification.bpmn"]
    res = client.post("/designer/deploy", json={
        "key": "linzi_identification", "region": "D2", "bpmn": {"identification.bpmn": bpmn}},
        headers={"X-CSRFToken": csrf_token(modeler)})
    assert res.status_code == 403
    w.db.expire_all()
    assert w.db.scalar(select(func.max(ProcedureVersion.version)).join(ProcedureVersion.region)
                       .where(OrgUnit.code == "D2")) == 1


def test_files_of_the_same_name_are_refused_never_one_silently_kept(world, client):
    """Two uploads called identification.bpmn, or a.bpmn in two folders, or one decision id in
    two tables: the bundle keeps files and decisions by name, so each is a problem."""
    token = accounts.issue_token(world.db, world.user("designer"))
    before = deployed(world.db, "D1")
    bundle = files()
    bpmn = bundle["identification.bpmn"]

    def post(pairs):
        return client.post("/api/procedures", content_type="multipart/form-data",
                           data={"region": "D1", "files": [(io.BytesIO(v), k) for k, v in pairs]},
                           headers={"Authorization": f"Bearer {token}"})

    twice = post([*bundle.items(), ("identification.bpmn", bpmn)])
    assert twice.status_code == 422
    assert "identification.bpmn：同名文件上传了不止一次，请只保留一个" in str(twice.json)
    folders = post([*bundle.items(), ("b/identification.bpmn", bpmn)])
    assert folders.status_code == 422 and "与流程包中另一个文件同名（identification.bpmn）" in str(
        folders.json)
    dmn_name = next(k for k in bundle if k.endswith(".dmn"))
    again = post([*bundle.items(), ("copy_" + dmn_name, bundle[dmn_name])])
    assert again.status_code == 422 and "重复，流程只会用到其中一个" in str(again.json)
    assert deployed(world.db, "D1") == before
