"""What a partner can send that once answered 500: a cursor past the id column, a period whose end is past the
calendar, JSON that Python reads but nothing can store or walk, a chunked body over the limit."""

from __future__ import annotations

import base64
import io
import uuid

import pytest

from tests.api.test_errors import assert_problem


def _cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


LISTS = ["/api/v1/agreements", "/api/v1/invoices", "/api/v1/journal/entries", "/api/v1/accounts", "/api/v1/audit",
         "/api/v1/statements", "/api/v1/transfers", "/api/v1/reconciliation/matches", "/api/v1/return-orders",
         "/api/v1/cost-claims"]
CURSORS = [(path, after) for path in LISTS for after in ("2147483648", "-2147483649", str(10**23), "-" + str(10**23),
                                                         "1\x00")]


@pytest.mark.parametrize("path,after", [*CURSORS, ("/api/v1/parties", "G\x00")])  # parties page by their code
def test_a_cursor_past_what_a_key_holds_is_422(api, admin, path, after):
    response = api.get(f"{path}?cursor={_cursor(after)}", token=admin)
    problem = assert_problem(response, 422, "validation_error")
    assert list(problem["errors"]) == ["cursor"]


def test_a_cursor_this_service_gave_out_still_pages(api, admin, parties):
    first = api.get("/api/v1/parties?limit=2", token=admin).get_json()
    second = api.get(f"/api/v1/parties?limit=2&cursor={first['next_cursor']}", token=admin)
    assert second.status_code == 200 and second.get_json()["items"]


@pytest.mark.parametrize("path", ["/api/v1/settlements/9999-12", "/api/v1/settlements/9999-12/report?format=pdf",
                                  "/api/v1/settlements/9999-12/netting",
                                  "/api/v1/settlements/9999-12/acknowledgements"])
def test_a_period_whose_end_is_past_the_calendar_is_422(api, admin, parties, path):
    response = api.get(path, token=admin)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert list(response.get_json()["errors"]) == ["period"]


def test_accruing_up_to_the_last_month_of_the_calendar_is_422(api, admin, parties):
    from tests.api.agreements_helpers import create_agreement

    agreement = create_agreement(api, admin)
    response = api.post(f"/api/v1/agreements/{agreement['id']}/accrue", json={"period": "9999-12"}, token=admin)
    problem = assert_problem(response, 422, "validation_error")
    assert list(problem["errors"]) == ["period"]


def _post_raw(api, token, path, body: bytes, **kw):
    return api.client.post(path, data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}", **kw.pop("headers", {})}, **kw)


@pytest.mark.parametrize("body", [
    b'{"code": "IT", "name": "\\ud800"}',  # a lone surrogate: no database stores it
    b'{"code": "IT", "name": "x\\udfff"}',
    b"[" * 100_000 + b"]" * 100_000,  # deeper than the decoder recurses
    b'{"code": "IT", "name": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
])
def test_json_that_cannot_be_held_is_400_invalid_json(api, admin, body):
    assert_problem(_post_raw(api, admin, "/api/v1/parties", body), 400, "invalid_json")
    assert api.get("/api/v1/parties/IT", token=admin).status_code == 404


def test_a_surrogate_pair_is_text_and_taken(api, admin):
    response = _post_raw(api, admin, "/api/v1/parties", b'{"code": "IT", "name": "Italy \\ud83c\\uddee"}')
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "Italy \U0001f1ee"


def test_json_intake_of_invoices_refuses_them_too(api, parties):
    response = _post_raw(api, parties["RW"], "/api/v1/invoices", b'{"number": "\\ud800"}')
    assert_problem(response, 400, "invalid_json")


def test_a_chunked_body_over_the_limit_is_413(app, api, admin, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    body = b'{"code": "IT", "name": "' + b"x" * 10_000 + b'"}'
    response = api.client.post(
        "/api/v1/parties", input_stream=io.BytesIO(body), content_type="application/json",
        headers={"Authorization": f"Bearer {admin}", "Transfer-Encoding": "chunked",
                 "Idempotency-Key": uuid.uuid4().hex},
        environ_overrides={"wsgi.input_terminated": True})
    assert_problem(response, 413, "payload_too_large")
    assert api.get("/api/v1/parties/IT", token=admin).status_code == 404


def test_a_chunked_body_within_the_limit_is_read_whole(app, api, admin, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    body = b'{"code": "IT", "name": "Italy"}'
    response = api.client.post(
        "/api/v1/parties", input_stream=io.BytesIO(body), content_type="application/json",
        headers={"Authorization": f"Bearer {admin}", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("ident", ["%C2%B9", "%D9%A3", "%E2%91%A0"])  # ¹, Arabic-Indic 3, ①: digits, not ids
def test_an_agreement_named_by_a_unicode_digit_is_404(api, admin, parties, ident):
    assert_problem(api.get(f"/api/v1/agreements/{ident}", token=admin), 404, "not_found")


@pytest.mark.parametrize("if_match", ['"1"', "1", "invoice-1-1", '"agreement-1-1'])
def test_an_if_match_that_is_no_etag_of_ours_says_so(api, admin, officer, parties, if_match):
    """The body says `version: 1` and the ETag is "agreement-N-1": sending the version is a 400 showing the form,
    not a 412 "changed since you read it" about a resource nobody changed."""
    from tests.api.agreements_helpers import A, create_agreement

    path = f"{A}/{create_agreement(api, admin)['id']}"
    etag = api.get(path, token=admin).headers["ETag"]
    details = {"reference": "GB-RW-2026-01A", "signed_on": "2026-01-15", "effective_to": "2031-01-31"}
    problem = assert_problem(api.put(path, json=details, token=officer, headers={"If-Match": if_match}), 400,
                             "malformed_etag")
    assert problem["expected_form"] == etag and etag in problem["detail"] and list(problem["errors"]) == ["If-Match"]
    assert api.put(path, json=details, token=officer, headers={"If-Match": f'"stale", {etag}'}).status_code == 200
