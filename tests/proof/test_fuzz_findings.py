"""What contract fuzzing found, each kept as a regression test."""

from __future__ import annotations

import pytest

from ledger.errors import PROBLEM_JSON
from tests.api.test_errors import assert_problem


def test_error_responses_are_documented_as_problem_json(client):
    """Finding 1: flask-smorest documented every error response as application/json, while the service
    sends application/problem+json, so no error answer conformed to the document."""
    spec = client.get("/api/v1/openapi.json").get_json()
    for name, response in spec["components"]["responses"].items():
        assert list(response.get("content", {})) == [PROBLEM_JSON], name


@pytest.mark.parametrize("path", ["/api/v1/parties", "/api/v1/audit", "/api/v1/accounts", "/api/v1/journal/entries"])
@pytest.mark.parametrize("cursor", ["null", "%FF%FE", "////", "a"])
def test_a_cursor_that_is_not_ours_is_422_not_500(api, auditor, path, cursor):
    """Finding 2: a cursor that base64-decodes to bytes that are not UTF-8 ("null") raised marshmallow's
    ValidationError inside the listing, which only caught ValueError: a 500 for any caller."""
    response = api.get(f"{path}?cursor={cursor}", token=auditor)
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert_problem(response, 422, "validation_error")
        assert "cursor" in response.get_json()["errors"]
