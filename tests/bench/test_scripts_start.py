"""Every benchmark script starts: an import broken by a refactor (a helper moved from one
script to another) shows here, not half-way through `make bench`."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py")
                 if p.name not in {"common.py", "server.py"})


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_script_starts_and_explains_its_options(script):
    done = subprocess.run([sys.executable, str(BENCH / script), "--help"], cwd=BENCH,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
