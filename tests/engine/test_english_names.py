"""Every procedure, user task and notice of every bundle has an English name (the spiff
property `nameEn`), so that ?lang=en names steps in English; the Chinese `name` stays what
the Chinese pages, the audit and the documents show."""

from __future__ import annotations

import re

import pytest

from engine.workflow import procedures, spiff
from tests.factories import ROOT

BUNDLES = sorted(p.name for p in (ROOT / "bpmn").iterdir() if p.is_dir())
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


@pytest.mark.parametrize("bundle", BUNDLES)
def test_every_procedure_and_step_of_a_bundle_is_named_in_english(bundle):
    source = procedures.bundle_from_files(procedures.read_bundle_dir(ROOT / "bpmn" / bundle))
    models, problems = spiff.check_bundle(source.bpmn, source.dmn)
    assert problems == [] and models
    names = {key: model.name_en for key, model in models.items()}
    names.update({f"{key}/{step.id}": step.name_en
                  for key, model in models.items() for step in model.steps.values()})
    assert len(names) > len(models), "the steps are there"
    assert [where for where, name in names.items() if not name] == []
    assert [name for name in names.values() if CJK.search(name)] == []


def test_the_english_name_sits_beside_the_chinese_one():
    source = procedures.bundle_from_files(procedures.read_bundle_dir(ROOT / "bpmn" / "linzi"))
    model = spiff.check_bundle(source.bpmn, source.dmn)[0]["linzi_identification"]
    village = model.steps["village_evaluation"]
    assert (village.name, village.name_en) == (
        "村级评议推荐", "Village appraisal and recommendation")
    notice = model.steps["village_notice"]
    assert (notice.kind, notice.name_en) == ("notice", "Village public notice (7 days)")
    assert model.name_en == "Linzi: identification of households in hardship"
