"""Contract fuzzing: schemathesis generates requests for every operation of the app's own OpenAPI document
and sends them in-process with a real token for each role (and none). Whatever the input:
no 5xx, every response conforms to the document, every error is problem+json.

Generic over the document: an endpoint added later is fuzzed without touching this file.
`LEDGER_FUZZ_EXAMPLES` raises the number of examples per operation and role (25 by default, fast enough for CI;
`make check` runs more).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from ledger.errors import PROBLEM_JSON

EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "25"))
ROLES = (  # anonymous last: a 401 must not hide what the roles would have answered
    "admin", "finance_officer", "auditor", "partner", "anonymous")


def errors_are_problem_json(ctx, response, case):
    """Every 4xx/5xx is RFC 9457 problem+json with a stable code and the status it was sent with."""
    if response.status_code < 400:
        return True
    media = (response.headers.get("content-type") or [""])[0]
    assert media.split(";")[0].strip() == PROBLEM_JSON, f"{response.status_code} answered as {media!r}"
    body = response.json()
    assert body["status"] == response.status_code and body["code"] and body["type"] and body["title"]
    return True


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, errors_are_problem_json]




# The published contract; tests/api/test_ops.py::test_openapi_snapshot_matches keeps it equal to the live one.
SNAPSHOT = Path(__file__).resolve().parents[2] / "contracts" / "openapi.json"
schema = schemathesis.openapi.from_dict(json.loads(SNAPSHOT.read_text()))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None)
def test_every_operation_keeps_its_contract(case, seeded):
    """Each generated request is sent once per role, so every role's answers are held to the contract."""
    tokens = seeded.config["LEDGER_PROOF_TOKENS"]
    for role in ROLES:
        token = tokens[role]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = case.call(app=seeded, headers=headers)
        case.validate_response(response, checks=CHECKS)
        _tally(case)


def _tally(case) -> None:
    """`make check` counts the requests it tried: one line per request in LEDGER_FUZZ_TALLY (if set)."""
    path = os.environ.get("LEDGER_FUZZ_TALLY")
    if path:
        with open(path, "a") as handle:
            handle.write(f"{case.method} {case.path}\n")
