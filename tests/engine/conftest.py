"""Fixtures shared by the engine's SpiffWorkflow tests."""

from types import SimpleNamespace

import pytest


@pytest.fixture
def loop_model() -> SimpleNamespace:
    """What spiff.load needs of a ProcessModel: the spec objects of a user task that may be
    sent back to itself (laps of history), then a one-day timer (test_spiff_patches.LOOP)."""
    from tests.engine.test_spiff_patches import LOOP, parser_with

    parser = parser_with(LOOP)
    return SimpleNamespace(spec=parser.get_spec("loop"),
                           subprocess_specs=parser.get_subprocess_specs("loop"))
