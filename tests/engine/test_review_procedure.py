"""Which review procedure a region's yearly review starts is read from what is deployed there
(the procedure whose model declares reviewMonths), never a hard-coded key (issue #12, 6)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from engine.casework import reviews
from engine.people import orgs
from engine.store.errors import Invalid
from engine.store.models import Job
from engine.workflow import procedures
from tests.engine.test_regions import BPMN
from tests.factories import LINZI, make_world

NOW = datetime(2026, 12, 1, 1, tzinfo=UTC)


def _jobs(db) -> int:
    return db.scalar(select(func.count(Job.id)))


def test_a_region_with_one_review_procedure_starts_it_without_naming_it(db):
    world = make_world(db)  # Linzi at D1: identification, review (reviewMonths 12), exit
    assert reviews.review_procedures(db, orgs.by_code(db, "T1")) == ["linzi_review"]
    job = reviews.start_yearly(db, world.user("dist"), "T1", now=NOW)
    assert job.params["procedure_key"] == "linzi_review"


def test_a_region_with_no_review_procedure_gets_a_clear_error_and_nothing_is_queued(db):
    world = make_world(db, deploy=False)
    with pytest.raises(Invalid) as refused:
        reviews.start_yearly(world.db, world.user("dist"), "D1", now=NOW)
    assert refused.value.fields == {
        "procedure": ["测试区（D1）未部署复核流程（流程属性 reviewMonths），无法发起复核"]}
    assert _jobs(db) == 0


def test_several_review_procedures_must_be_named_and_a_non_review_one_is_refused(db):
    world = make_world(db)
    procedures.deploy(db, None, "D1", procedures.read_bundle_dir(BPMN / "fuxin"))
    region = orgs.by_code(db, "D1")
    assert reviews.review_procedures(db, region) == ["fuxin_review", "linzi_review"]
    with pytest.raises(Invalid) as several:
        reviews.start_yearly(db, world.user("dist"), "D1", now=NOW)
    assert several.value.fields == {
        "procedure": ["测试区 有多个复核流程，请指定其一：fuxin_review、linzi_review"]}
    with pytest.raises(Invalid) as not_review:
        reviews.start_yearly(db, world.user("dist"), "D1", "linzi_identification", now=NOW)
    assert not_review.value.fields == {
        "procedure": ["流程 linzi_identification 不是 测试区 的复核流程，"
                      "可选：fuxin_review、linzi_review"]}
    assert _jobs(db) == 0
    job = reviews.start_yearly(db, world.user("dist"), "D1", "fuxin_review", now=NOW)
    assert job.params["procedure_key"] == "fuxin_review"


def test_a_review_deployed_only_to_another_district_does_not_apply(db):
    world = make_world(db, deploy=False)
    orgs.import_csv(db, "code,name,level,parent_code\nD9,另一区,district,\n")
    procedures.deploy(db, None, "D9", procedures.read_bundle_dir(LINZI))
    assert reviews.review_procedures(db, orgs.by_code(db, "D1")) == []
    assert reviews.review_procedures(db, orgs.by_code(db, "D9")) == ["linzi_review"]
    with pytest.raises(Invalid):
        reviews.start_yearly(world.db, world.user("dist"), "D1", now=NOW)


def test_the_api_answers_422_naming_the_field(db, client):
    from engine.people import accounts

    world = make_world(db, deploy=False)
    token = accounts.issue_token(db, world.user("dist"))
    response = client.post("/api/reviews/yearly", json={"region": "D1"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        "procedure": ["测试区（D1）未部署复核流程（流程属性 reviewMonths），无法发起复核"]}
