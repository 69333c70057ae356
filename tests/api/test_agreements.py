"""Agreements over HTTP: validation, ETags, amendments, termination and partner isolation."""

from __future__ import annotations

import pytest

from tests.api.agreements_helpers import (
    RWANDA_TERMS,
    A,
    agreement_body,
    batch,
    create_agreement,
    people,
)
from tests.api.test_errors import assert_problem


def test_create_read_list(api, admin, parties):
    created = create_agreement(api, admin)
    assert created["payer"] == "GB" and created["payee"] == "RW" and created["terms"] == RWANDA_TERMS
    assert created["versions"] == 1 and created["status"] in ("active", "ended")
    by_ref = api.get(f"{A}/GB-RW-2026-01", token=admin)
    assert by_ref.status_code == 200 and by_ref.get_json()["id"] == created["id"]
    assert by_ref.headers["ETag"]
    listed = api.get(A, token=parties["RW"]).get_json()
    assert [a["id"] for a in listed["items"]] == [created["id"]]


@pytest.mark.parametrize("change, field, code", [
    ({"payer": "ZZ"}, "payer", "validation_error"),
    ({"payer": "IT"}, "payer", "unknown_party"),
    ({"payee": "GB"}, "payee", "same_party"),
    ({"currency": "XYZ"}, "currency", "validation_error"),
    ({"effective_to": "2026-01-01"}, "effective_to", "validation_error"),
    ({"signed_on": "2031-02-01"}, "signed_on", "validation_error"),
    ({"terms": {"per_returnee_fee": 20000}}, "terms.per_returnee_fee", "validation_error"),
    ({"terms": {"per_returnee_fee": "-5.00"}}, "terms.per_returnee_fee", "validation_error"),
    ({"terms": {"per_returnee_fee": "0.00"}}, "terms.per_returnee_fee", "validation_error"),
    ({"terms": {"fee": "1.00"}}, "terms.fee", "validation_error"),
    ({"terms": {"instalments": [{"due_on": "2035-01-01", "amount": "1.00"}]}}, "terms.instalments.0.due_on",
     "validation_error"),
])
def test_validation(api, admin, parties, change, field, code):
    body = assert_problem(api.post(A, json=agreement_body(**change), token=admin), 422, code)
    assert field in body["errors"], body


def test_partner_cannot_create_and_reference_is_unique(api, admin, parties):
    assert_problem(api.post(A, json=agreement_body(), token=parties["GB"]), 403, "forbidden")
    create_agreement(api, admin)
    assert_problem(api.post(A, json=agreement_body(), token=admin), 409, "agreement_exists")


def test_etag_and_if_match(api, admin, officer, parties):
    created = create_agreement(api, admin)
    path = f"{A}/{created['id']}"
    etag = api.get(path, token=admin).headers["ETag"]
    details = {"reference": "GB-RW-2026-01A", "signed_on": "2026-01-15", "effective_to": "2031-01-31"}
    assert_problem(api.put(path, json=details, token=officer, headers={"If-Match": '"stale"'}), 412,
                   "precondition_failed")
    changed = api.put(path, json=details, token=officer, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["reference"] == "GB-RW-2026-01A"
    amend = {"effective_from": "2026-04-01", "terms": RWANDA_TERMS}
    assert_problem(api.post(f"{path}/amendments", json=amend, token=admin, headers={"If-Match": etag}), 412,
                   "precondition_failed")


def test_amendments_make_versions(api, admin, parties):
    created = create_agreement(api, admin)
    path = f"{A}/{created['id']}/amendments"
    terms = {**RWANDA_TERMS, "per_returnee_fee": "21000.00"}
    response = api.post(path, json={"effective_from": "2026-05-01", "terms": terms}, token=admin)
    assert response.status_code == 201 and response.get_json()["number"] == 2
    assert_problem(api.post(path, json={"effective_from": "2026-01-01", "terms": terms}, token=admin), 422,
                   "validation_error")
    versions = api.get(path, token=parties["GB"]).get_json()["items"]
    assert [(v["number"], v["effective_from"]) for v in versions] == [(1, "2026-02-01"), (2, "2026-05-01")]
    assert versions[1]["terms"]["per_returnee_fee"] == "21000.00"


def test_termination_with_notice(api, admin, parties):
    terms = {"per_returnee_fee": "1500.00", "notice_months": 6, "capacity": 3000}
    created = create_agreement(api, admin, reference="GB-AL-2026-01", payee="AL", terms=terms)
    path = f"{A}/{created['id']}/terminate"
    short = {"effective_on": "2026-06-01", "reason": "policy change", "notified_on": "2026-03-01"}
    assert_problem(api.post(path, json=short, token=admin), 422, "notice_too_short")
    ok = api.post(path, json={**short, "effective_on": "2026-09-01"}, token=admin)
    assert ok.status_code == 200 and ok.get_json()["terminated_on"] == "2026-09-01"
    assert_problem(api.post(path, json={**short, "effective_on": "2026-10-01"}, token=admin), 409,
                   "already_terminated")
    late = batch(api, parties["AL"], created["id"], people("AL-LATE", 1, "2026-09-02"))
    assert late["items"][0]["error"]["code"] == "outside_term"


def test_partner_isolation(api, admin, parties):
    rwanda = create_agreement(api, admin)
    returnee = batch(api, parties["RW"], rwanda["id"], people("RW", 1, "2026-03-02"))["items"][0]["id"]
    al = parties["AL"]
    assert_problem(api.get(f"{A}/{rwanda['id']}", token=al), 404, "not_found")
    assert_problem(api.get(f"{A}/GB-RW-2026-01", token=al), 404, "not_found")
    assert api.get(A, token=al).get_json()["items"] == []
    for path in ("returnees", "obligations", "amendments"):
        assert_problem(api.get(f"{A}/{rwanda['id']}/{path}", token=al), 404, "not_found")
    item = people("AL", 1, "2026-03-02")[0]
    assert_problem(api.post(f"{A}/{rwanda['id']}/returnees", json=item, token=al), 404, "not_found")
    assert_problem(api.post(f"{A}/{rwanda['id']}/returnees/batch", json={"items": [item]}, token=al), 404,
                   "not_found")
    assert_problem(api.get(f"/api/v1/returnees/{returnee}", token=al), 404, "not_found")
    assert_problem(api.get(f"/api/v1/returnees/{returnee}/events", token=al), 404, "not_found")
    event = {"type": "accepted", "occurred_on": "2026-03-03"}
    assert_problem(api.post(f"/api/v1/returnees/{returnee}/events", json=event, token=al), 404, "not_found")
    # both sides see and write
    assert api.get(f"/api/v1/returnees/{returnee}", token=parties["GB"]).status_code == 200
    assert api.post(f"/api/v1/returnees/{returnee}/events", json=event, token=parties["GB"]).status_code == 201
    # a partner may not amend, terminate or accrue its own agreement
    assert_problem(api.post(f"{A}/{rwanda['id']}/accrue", json={"period": "2026-03"}, token=parties["RW"]), 403,
                   "forbidden")
