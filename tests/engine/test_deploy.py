"""Deploying bundles: versions, snapshots, and broken bundles refused with every problem."""

import io

import pytest
from sqlalchemy import func, select

from engine.store.errors import BundleInvalid, Forbidden
from engine.store.models import ProcedureVersion
from engine.workflow import procedures
from tests.engine.bundles import linzi_edited
from tests.factories import LINZI, make_world


@pytest.fixture
def world(db):
    return make_world(db, deploy=False)


RENAMED = {'name="临淄区困难家庭识别认定"': 'name="临淄区困难家庭识别认定（修订）"'}


def linzi_files():
    return procedures.read_bundle_dir(LINZI)


def identification(versions):
    """The Linzi bundle holds several processes; these tests are about the identification."""
    return next(v for v in versions if v.key == "linzi_identification")


def count_versions(db):
    return db.scalar(select(func.count()).select_from(ProcedureVersion))


def test_deploy_creates_numbered_versions_with_sources_snapshotted(world):
    first = identification(procedures.deploy(world.db, world.user("designer"), "D1",
                                             linzi_files()))
    edited = linzi_edited(RENAMED)
    second = identification(procedures.deploy(world.db, world.user("admin"), "D1", edited))
    assert (first.key, first.version, second.version) == ("linzi_identification", 1, 2)
    assert "identification.bpmn" in second.bpmn
    assert set(second.forms) == {"application", "village_evaluation", "township_review",
                                 "district_crosscheck", "third_party_verification",
                                 "district_approval", "refusal_notice"}


def newest(db) -> dict[str, int]:
    return dict(db.execute(select(ProcedureVersion.key, func.max(ProcedureVersion.version))
                           .group_by(ProcedureVersion.key)).all())


def test_only_the_processes_whose_content_changed_get_a_new_version(world):
    first = procedures.deploy(world.db, None, "D1", linzi_files())
    assert sorted(v.key for v in first) == ["linzi_exit", "linzi_identification", "linzi_review"]
    assert procedures.deploy(world.db, None, "D1", linzi_files()) == [], "nothing changed"
    edited = linzi_edited(RENAMED)
    created = procedures.deploy(world.db, None, "D1", edited)
    assert [(v.key, v.version) for v in created] == [("linzi_identification", 2)]
    assert newest(world.db) == {"linzi_identification": 2, "linzi_exit": 1, "linzi_review": 1}
    files = linzi_files()  # a shared decision table is content of every process
    files["eligibility.dmn"] = files["eligibility.dmn"].replace(b"</definitions>",
                                                                b"<!-- edited --></definitions>")
    assert b"<!-- edited -->" in files["eligibility.dmn"]
    created = procedures.deploy(world.db, None, "D1", files)
    assert sorted((v.key, v.version) for v in created) == [
        ("linzi_exit", 2), ("linzi_identification", 3), ("linzi_review", 2)]


def test_officials_may_not_deploy(world):
    with pytest.raises(Forbidden):
        procedures.deploy(world.db, world.user("dist"), "D1", linzi_files())


def test_broken_xml_is_refused_naming_the_file_and_line(world):
    with pytest.raises(BundleInvalid) as err:
        procedures.deploy(world.db, None, "D1", {"x.bpmn": b"<bpmn:definitions><oops"})
    assert any("x.bpmn" in p and "行" in p for p in err.value.problems)
    assert count_versions(world.db) == 0


def test_every_problem_of_a_bundle_is_listed_and_nothing_deployed(world):
    files = linzi_edited({
        'value="township_review"': 'value="no_such_form"',
        "decision == \"approve\"": "decision == ",
        'name="区级"': 'name="省级"',
    })
    with pytest.raises(BundleInvalid) as err:
        procedures.deploy(world.db, None, "D1", files)
    problems = "\n".join(err.value.problems)
    assert "语法错误" in problems
    assert count_versions(world.db) == 0
    # once the syntax error is fixed, the lane and form problems are reported together
    files = linzi_edited({'value="township_review"': 'value="no_such_form"',
                    'name="区级"': 'name="省级"'})
    with pytest.raises(BundleInvalid) as err:
        procedures.deploy(world.db, None, "D1", files)
    problems = "\n".join(err.value.problems)
    assert "省级" in problems and "no_such_form" in problems
    assert len(err.value.problems) >= 3  # two district tasks in the unknown lane, one form


def test_unsafe_expressions_are_refused(world):
    files = linzi_edited({"decision == \"approve\"": "__import__('os').system('true')"})
    with pytest.raises(BundleInvalid) as err:
        procedures.deploy(world.db, None, "D1", files)
    assert any("不安全" in p for p in err.value.problems)


def test_unsupported_dmn_hit_policy_is_refused(world):
    dmn = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <decision id="tier" name="tier"><decisionTable id="t" hitPolicy="FIRST">
    <input id="i"><inputExpression id="ie" typeRef="number"><text>x</text></inputExpression></input>
    <output id="o" name="tier" typeRef="string"/>
    <rule id="r"><inputEntry id="e"><text>&gt; 1</text></inputEntry>
      <outputEntry id="oe"><text>"a"</text></outputEntry></rule>
  </decisionTable></decision></definitions>"""
    files = dict(linzi_files(), **{"tier.dmn": dmn})
    with pytest.raises(BundleInvalid) as err:
        procedures.deploy(world.db, None, "D1", files)
    assert any("FIRST" in p and "UNIQUE" in p for p in err.value.problems)


def test_bundle_form_overrides_the_shared_one(world):
    files = linzi_files()
    files["forms/village_evaluation.yaml"] = (
        "key: village_evaluation\ntitle: 村民小组评议\nfields:\n"
        "  - name: decision\n    type: choice\n    label: 结论\n    required: true\n"
        "    options:\n      - {value: approve, label: 同意}\n      - {value: reject, label: 否}\n"
    ).encode()
    version = identification(procedures.deploy(world.db, None, "D1", files))
    assert "村民小组评议" in version.forms["village_evaluation"]


def test_api_deploy_multipart(client, world):
    from engine.people import accounts

    token = accounts.issue_token(world.db, world.user("designer"))
    data = {"region": "D1", "files": [(io.BytesIO(v), k) for k, v in linzi_files().items()]}
    res = client.post("/api/procedures", data=data, headers={"Authorization": f"Bearer {token}"},
                      content_type="multipart/form-data")
    assert res.status_code == 201, res.json
    assert res.json[0]["version"] == 1
    data = {"region": "D1", "files": [(io.BytesIO(b"<broken"), "bad.bpmn")]}
    res = client.post("/api/procedures", data=data, headers={"Authorization": f"Bearer {token}"},
                      content_type="multipart/form-data")
    assert res.status_code == 422 and res.json["error"]["fields"]["files"]
    official = accounts.issue_token(world.db, world.user("dist"))
    data = {"region": "D1", "files": [(io.BytesIO(v), k) for k, v in linzi_files().items()]}
    res = client.post("/api/procedures", data=data, content_type="multipart/form-data",
                      headers={"Authorization": f"Bearer {official}"})
    assert res.status_code == 403
