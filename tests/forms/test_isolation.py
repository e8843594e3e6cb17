import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_forms_package_imports_only_marshmallow_yaml_and_stdlib():
    code = (
        "import sys, forms\n"
        "forms.load_shared_forms()\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'engine', 'web', 'SpiffWorkflow', 'spiff', 'tests'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_no_module_of_the_form_language_is_over_400_lines():
    lengths = {
        path.name: len(path.read_text(encoding="utf-8").splitlines())
        for path in (ROOT / "forms").glob("*.py")
    }
    assert lengths["definition.py"] > 0
    assert {name: n for name, n in lengths.items() if n > 400} == {}
