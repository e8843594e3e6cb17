"""Schemathesis against the app in-process (WSGI): every operation of GET /api/openapi.json, with
valid and invalid input, as an official and anonymously. No 5xx, and every answer matches the
status codes, content types and schemas the document declares.

Bounded so that it stays well under a minute per database: a few examples per operation and
mode, derandomized so CI sees the same inputs on every run.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.casework import cases
from engine.people import accounts
from engine.time import clock
from tests.factories import make_world, valid_application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 6
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@pytest.fixture
def schema(app, db):
    make_world(db)
    cases.start(db, accounts.by_username(db, "clerk1"), "linzi_identification", "V11",
                valid_application(), now=clock.now())  # so that ids 1 point at something
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def _examples(operation, mode, headers: dict[str, str], failures: list[str]) -> int:
    """Run a few generated requests against one operation; returns how many were sent."""
    sent = 0

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        nonlocal sent
        response = case.call(headers=headers)
        sent += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # noqa: BLE001 - collected, reported all at once
            failures.append(f"{operation.label} [{mode.value}] {response.status_code}: "
                            f"{str(exc)[:600]}")

    run()
    return sent


def _fuzz(schema, headers: dict[str, str]) -> None:
    failures: list[str] = []
    calls: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        calls[operation.label] = sum(_examples(operation, mode, headers, failures)
                                     for mode in MODES)
    assert not failures, "\n\n".join(failures[:10])
    assert len(calls) >= 25 and all(calls.values()), calls  # every operation was exercised


def test_no_server_error_or_schema_violation_as_an_official(schema, db):
    token = accounts.issue_token(db, accounts.by_username(db, "dist"))
    _fuzz(schema, {"Authorization": f"Bearer {token}"})


def test_no_server_error_or_schema_violation_anonymously(schema):
    _fuzz(schema, {})
