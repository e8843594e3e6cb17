"""Audit changes kept packed (engine.store.models.base.PackedChanges): the engine reads back
exactly the JSON values it wrote, digests included, in fewer bytes than JSON text."""

from __future__ import annotations

import json

import pytest

from engine.store.models import PackedChanges

DIGEST = "51817a9d218ede55302f5fac5329d9836a835e9684b50b70c6e98f0e4fd26bea"


@pytest.mark.parametrize("value", [
    {"outcome": "approve", "data_sha256": DIGEST},
    {"application_sha256": DIGEST},
    {"upper": DIGEST.upper(), "short": DIGEST[:63], "long": DIGEST + "0", "n": 1.5, "i": -3,
     "none": None, "flag": True, "list": [DIGEST, {"x": "中文"}], "empty": {}},
    [1, 2, "x"],
])
def test_values_come_back_as_written(value):
    packed = PackedChanges().process_bind_param(value, None)
    assert isinstance(packed, bytes)
    assert PackedChanges().process_result_value(packed, None) == value


def test_a_digest_costs_its_raw_bytes():
    value = {"outcome": "approve", "data_sha256": DIGEST}
    packed = PackedChanges().process_bind_param(value, None)
    text = json.dumps(value, separators=(",", ":")).encode()
    assert len(packed) <= len(text) - 32  # the 64 hex characters are 32 bytes
    assert bytes.fromhex(DIGEST) in packed


def test_keys_are_strings_as_in_json_and_none_stays_null():
    assert PackedChanges().process_result_value(
        PackedChanges().process_bind_param({1: "a"}, None), None) == {"1": "a"}
    assert PackedChanges().process_bind_param(None, None) is None
    assert PackedChanges().process_result_value(None, None) is None


def test_a_value_json_cannot_hold_is_refused():
    with pytest.raises(ValueError, match="not JSON"):
        PackedChanges().process_bind_param({"x": object()}, None)
