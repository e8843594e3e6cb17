"""Parsed models by procedure version, at most one parse per process: a cache, never a source."""

from __future__ import annotations

from collections.abc import Callable

from engine.workflow.spiff.model import (
    ProcessModel,
)
from engine.workflow.spiff.parsing import (
    parse_bundle,
)

_models: dict[int, ProcessModel] = {}


def model_for(version_id: int, key: str,
              sources: Callable[[], tuple[dict[str, str], dict[str, str]]]) -> ProcessModel:
    """The parsed model of a deployed version, parsed at most once per process.

    `sources` is only called on a cache miss, so the (deferred) source columns are read
    from the database only by a process that has not seen this version yet.
    """
    model = _models.get(version_id)
    if model is None:
        model = _models[version_id] = parse_bundle(*sources())[key]
    return model


def remember(version_id: int, model: ProcessModel) -> None:
    _models[version_id] = model



def forget_cached() -> None:
    _models.clear()
