"""Returnees over HTTP: pseudonyms, duplicates, quota and capacity, events, batches and erasure."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ledger.agreements.models import Returnee
from tests.api.agreements_helpers import A, batch, create_agreement, people
from tests.api.test_errors import assert_problem

ALBANIA_TERMS = {"per_returnee_fee": "1500.00", "monthly_support": {"amount": "900.00", "max_months": 24},
                 "capacity": 3, "annual_quota": 5, "notice_months": 6}


def albania(api, admin):
    return create_agreement(api, admin, reference="GB-AL-2026-01", payee="AL", terms=ALBANIA_TERMS)


def test_submit_returns_pseudonym_never_case_ref(api, admin, parties):
    agreement = create_agreement(api, admin)
    item = {"case_ref": "HO-2026-000123", "transferred_on": "2026-03-04", "nationality": "IRN"}
    response = api.post(f"{A}/{agreement['id']}/returnees", json=item, token=parties["RW"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert len(body["pseudonym"]) == 64 and body["status"] == "transferred" and body["obligations"] == []
    assert "HO-2026-000123" not in response.get_data(as_text=True)
    assert body["retain_until"] == "2036-03-04"
    again = api.post(f"{A}/{agreement['id']}/returnees", json=item, token=parties["GB"])
    problem = assert_problem(again, 409, "duplicate_returnee")
    assert "HO-2026-000123" not in again.get_data(as_text=True)
    assert problem["detail"]


def test_capacity_quota_and_term(api, admin, parties):
    # a year back, so that the next calendar year's transfer is not in the future (facts cannot be)
    agreement = create_agreement(api, admin, reference="GB-AL-2025-01", payee="AL", terms=ALBANIA_TERMS,
                                 signed_on="2025-01-15", effective_from="2025-02-01")
    al = parties["AL"]
    result = batch(api, al, agreement["id"], [
        *people("AL-A", 3, "2025-03-01"),
        *people("AL-B", 1, "2025-03-02"),         # a fourth at a time: over capacity
        *people("AL-A", 1, "2025-03-05"),         # the same case again
        *people("AL-C", 1, "2025-01-15"),         # before the term
    ])
    assert [(i["status"], i.get("error", {}).get("code")) for i in result["items"]] == [
        (201, None), (201, None), (201, None), (422, "quota_exceeded"), (409, "duplicate_returnee"),
        (422, "outside_term")]
    assert result["accepted"] == 3 and result["rejected"] == 3
    first = result["items"][0]["id"]
    # departing on 10 March 2025 frees the place that day
    departed = api.post(f"/api/v1/returnees/{first}/events", json={"type": "departed", "occurred_on": "2025-03-10"},
                        token=al)
    assert departed.status_code == 201
    single = api.post(f"{A}/{agreement['id']}/returnees", json=people("AL-D", 1, "2025-03-10")[0], token=al)
    assert single.status_code == 201
    full = api.post(f"{A}/{agreement['id']}/returnees", json=people("AL-E", 1, "2025-03-10")[0], token=al)
    assert_problem(full, 422, "quota_exceeded")
    # the annual quota of 5: two more depart, one more arrives (5th), then a 6th in the year is refused
    for returnee in result["items"][1:3]:
        api.post(f"/api/v1/returnees/{returnee['id']}/events", json={"type": "departed", "occurred_on": "2025-04-01"},
                 token=al)
    fifth = api.post(f"{A}/{agreement['id']}/returnees", json=people("AL-F", 1, "2025-04-02")[0], token=al)
    assert fifth.status_code == 201
    sixth = api.post(f"{A}/{agreement['id']}/returnees", json=people("AL-G", 1, "2025-04-03")[0], token=al)
    assert_problem(sixth, 422, "quota_exceeded")
    next_year = api.post(f"{A}/{agreement['id']}/returnees", json=people("AL-H", 1, "2026-01-04")[0], token=al)
    assert next_year.status_code == 201


def test_batch_validation_and_limits(api, admin, parties):
    agreement = create_agreement(api, admin)
    path = f"{A}/{agreement['id']}/returnees/batch"
    assert_problem(api.post(path, json={"items": []}, token=parties["RW"]), 422, "validation_error")
    bad = api.post(path, json={"items": [{"case_ref": "X-SECRET-1", "transferred_on": "2026-03-01",
                                          "nationality": "QQQ"},
                                         {"case_ref": "X-SECRET-2", "transferred_on": "2026-03-01",
                                          "nationality": "IRN"},
                                         {"case_ref": "X-SECRET-3", "transferred_on": 5, "nationality": "IRN",
                                          "extra": 1}]}, token=parties["RW"])
    assert bad.status_code == 200 and "X-SECRET" not in bad.get_data(as_text=True)
    items = bad.get_json()["items"]
    assert [(i["index"], i["status"]) for i in items] == [(0, 422), (1, 201), (2, 422)]
    assert items[0]["error"] == {"code": "validation_error", "detail": "invalid nationality"}
    assert items[2]["error"]["detail"] == "invalid extra, transferred_on"
    assert_problem(api.post(path, json={"items": ["x"]}, token=parties["RW"]), 422, "validation_error")
    too_many = {"items": people("X", 10_001, "2026-03-01")}
    assert_problem(api.post(path, json=too_many, token=parties["RW"]), 422, "validation_error")


def test_events_and_transitions(api, admin, parties):
    agreement = create_agreement(api, admin)
    rid = batch(api, parties["RW"], agreement["id"], people("EV", 1, "2026-03-02"))["items"][0]["id"]
    events = f"/api/v1/returnees/{rid}/events"
    assert_problem(api.post(events, json={"type": "accepted", "occurred_on": "2026-03-01"}, token=parties["RW"]),
                   422, "validation_error")
    assert api.post(events, json={"type": "accepted", "occurred_on": "2026-03-03"}, token=parties["RW"]).status_code \
        == 201
    assert_problem(api.post(events, json={"type": "accepted", "occurred_on": "2026-03-04"}, token=parties["RW"]),
                   409, "invalid_transition")
    assert api.post(events, json={"type": "departed", "occurred_on": "2026-05-04"}, token=parties["GB"]).status_code \
        == 201
    listed = api.get(events, token=parties["GB"]).get_json()["items"]
    assert [(e["type"], e["occurred_on"]) for e in listed] == [("accepted", "2026-03-03"), ("departed", "2026-05-04")]
    # fuzzing finding: SQLite handed recorded_at back naive and it went out without an offset (not a date-time)
    assert all(e["recorded_at"].endswith("+00:00") for e in listed), listed
    returnee = api.get(f"/api/v1/returnees/{rid}", token=admin).get_json()
    assert returnee["status"] == "departed" and returnee["departed_on"] == "2026-05-04"


def test_erase_keeps_money(app, api, admin, officer, parties, runner, session):
    agreement = create_agreement(api, admin)
    rid = batch(api, parties["RW"], agreement["id"], people("ER", 1, "2026-03-02", "2026-03-03"))["items"][0]["id"]
    assert api.post(f"{A}/{agreement['id']}/accrue", json={"period": "2026-03"}, token=officer).status_code == 200
    before = api.get(f"/api/v1/returnees/{rid}", token=admin).get_json()
    assert before["pseudonym"] and len(before["obligations"]) == 2
    refused = runner.invoke(args=["returnees", "erase", "--before", "2099-01-01"])
    assert refused.exit_code != 0
    # retention ends ten years after transfer: pretend it is over by shortening it for this record
    session.execute(Returnee.__table__.update().where(Returnee.id == rid).values(retain_until=date(2026, 3, 2)))
    session.commit()
    result = runner.invoke(args=["returnees", "erase", "--before", "2026-11-01"])
    assert result.exit_code == 0, result.output
    assert "1 returnees and 0 return orders erased" in result.output
    after = api.get(f"/api/v1/returnees/{rid}", token=admin).get_json()
    assert after["pseudonym"] is None and after["erased"] is True
    assert after["obligations"] == before["obligations"]
    assert session.execute(select(Returnee.pseudonym).where(Returnee.id == rid)).scalar() is None
