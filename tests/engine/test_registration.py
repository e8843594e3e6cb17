"""Operations and bundle files register from the package that owns them (engine/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
from engine.workflow import operations, procedures
before = (sorted(operations.OPERATIONS), sorted(procedures.BUNDLE_FILES))
from engine import money
money.register()
print(before, (sorted(operations.OPERATIONS), sorted(procedures.BUNDLE_FILES)))
"""


def test_the_registries_hold_nothing_until_money_registers_its_own():
    """In a fresh interpreter: importing the registries loads none of their users."""
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == ("([], []) (['add_standard', 'adjust_benefit', 'end_benefit', 'match_programs', "
                   "'recalculate_topups'], ['standards.csv'])")
