"""Applications kept packed (engine.store.models.base.PackedJSON): Brotli since 2026-12, zlib
before; both read back as the JSON written, and a new one is smaller than zlib's best."""

from __future__ import annotations

import json
import zlib
from decimal import Decimal

import pytest

from engine.store.models import PackedJSON
from tests.forms.samples import valid_application

VALUES = [
    valid_application(),
    {"head_name": "王建国", "members": [], "note": "", "n": 1.5, "none": None, "flag": True},
    {},
    [1, "二", {"三": [3]}],
]


def _text(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("value", VALUES)
def test_values_come_back_as_written(value):
    packed = PackedJSON().process_bind_param(value, None)
    assert isinstance(packed, bytes)
    assert PackedJSON().process_result_value(packed, None) == json.loads(_text(value))


@pytest.mark.parametrize("value", VALUES)
def test_values_packed_with_zlib_before_are_still_read(value):
    old = zlib.compress(_text(value), 9)  # as PackedJSON wrote them until 2026-12
    assert PackedJSON().process_result_value(old, None) == json.loads(_text(value))
    assert PackedJSON().process_result_value(memoryview(old), None) == json.loads(_text(value))


def test_json_text_from_before_packing_is_still_read():
    assert PackedJSON().process_result_value('{"a": [1]}', None) == {"a": [1]}


def test_an_application_is_smaller_than_zlibs_best():
    application = json.loads(_text(valid_application()))
    packed = PackedJSON().process_bind_param(application, None)
    assert len(packed) < len(zlib.compress(_text(application), 9)) * 0.9


def test_none_stays_null_and_non_json_is_refused():
    assert PackedJSON().process_bind_param(None, None) is None
    assert PackedJSON().process_result_value(None, None) is None
    with pytest.raises(TypeError):
        PackedJSON().process_bind_param({"amount": Decimal("1.00")}, None)
    with pytest.raises(ValueError):
        PackedJSON().process_bind_param({"x": float("nan")}, None)
