"""Every YAML example in forms/README.md loads as the guide says: a whole form, a field, or
rules over fields of the shared forms."""

import re
from pathlib import Path

import pytest
import yaml

from forms import load_form

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "forms" / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", README, flags=re.S)
SHARED = ("village_evaluation", "township_review", "district_crosscheck")


def shared_fields() -> list[dict]:
    return [
        field
        for key in SHARED
        for field in yaml.safe_load((ROOT / "forms" / f"{key}.yaml").read_text("utf-8"))["fields"]
        if field["name"] not in ("decision", "reason") or key == "village_evaluation"
    ]


def as_form(example) -> dict:
    if isinstance(example, dict) and "key" in example:
        return example
    if isinstance(example, dict) and set(example) == {"rules"}:
        return {"key": "example", "title": "示例", "fields": shared_fields(), **example}
    fields = example if isinstance(example, list) else [example]
    names = {f["name"] for f in fields}
    siblings = [f for f in shared_fields() if f["name"] not in names]  # for required_when
    return {"key": "example", "title": "示例", "fields": fields + siblings}


def test_the_guide_has_an_example_per_type():
    for ftype in ("string", "text", "integer", "number", "money", "date", "boolean",
                  "id_number", "phone", "choice", "multi_choice", "file", "rows"):
        assert f"### `{ftype}`" in README


def test_the_guide_keeps_its_examples():
    assert len(BLOCKS) >= 25  # a changed fence style must not silently empty the test below


@pytest.mark.parametrize("block", BLOCKS, ids=[f"example{i}" for i in range(len(BLOCKS))])
def test_each_example_loads(block):
    example = yaml.safe_load(block)
    source = "village_evaluation.yaml" if "key: village_evaluation" in block else "<string>"
    form = load_form(yaml.safe_dump(as_form(example), allow_unicode=True), source)
    assert form.fields
