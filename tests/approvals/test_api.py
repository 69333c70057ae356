"""Approvals through the API: a kind registered by a test feature, two officers, the audit trail."""

import pytest

from ledger.approvals import service
from ledger.auth import Principal
from ledger.errors import Conflict

DONE: list[dict] = []


def _apply(session, payload, approval):
    if payload.get("fail"):
        raise Conflict("the change no longer applies", code="stale_change")
    DONE.append(payload)


@pytest.fixture(autouse=True)
def test_kind(monkeypatch):
    DONE.clear()
    monkeypatch.setattr("ledger.features.approval_handlers", lambda: {"test_change": _apply})


PREPARER = Principal(key="token:preparer", name="preparer", role="finance_officer")


def ask(app, payload):
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        approval = service.request(s, kind="test_change", subject="thing:1", summary="change thing 1",
                                   payload=payload, principal=PREPARER)
        view = service.view(approval)
        s.commit()
        s.close()
    return view


def test_a_second_officer_approves_what_they_saw(app, api, officer, auditor):
    asked = ask(app, {"amount": "35.00"})
    listed = api.get("/api/v1/approvals?status=pending", token=auditor).get_json()["items"]
    assert [a["id"] for a in listed] == [asked["id"]]
    assert listed[0]["requested_by"] == "preparer"

    response = api.post(f"/api/v1/approvals/{asked['id']}/approve", json={"digest": asked["digest"]}, token=officer)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "approved"
    assert DONE == [{"amount": "35.00"}]
    again = api.post(f"/api/v1/approvals/{asked['id']}/approve", json={"digest": asked["digest"]}, token=officer)
    assert again.status_code == 409 and again.get_json()["code"] == "approval_decided"
    assert DONE == [{"amount": "35.00"}]

    audit = api.get("/api/v1/audit?object_type=approval", token=auditor).get_json()["items"]
    assert [r["action"] for r in audit] == ["approval.approved"]
    assert asked["digest"] in audit[0]["summary"]


def test_an_approval_on_another_digest_is_refused(app, api, officer):
    asked = ask(app, {"amount": "35.00"})
    response = api.post(f"/api/v1/approvals/{asked['id']}/approve", json={"digest": "0" * 64}, token=officer)
    assert response.status_code == 409 and response.get_json()["code"] == "digest_mismatch"
    assert DONE == []


def test_the_preparer_cannot_approve_even_as_admin(app, api):
    asked = ask(app, {"amount": "35.00"})
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        with pytest.raises(Exception) as refused:
            service.decide(s, asked["id"], approve=True, principal=Principal("token:preparer", "preparer", "admin"),
                           seen_digest=asked["digest"])
        s.rollback()
        s.close()
    assert refused.value.code == "same_officer" and refused.value.status == 403
    assert DONE == []


def test_a_failing_change_leaves_the_request_pending(app, api, officer):
    asked = ask(app, {"fail": True})
    response = api.post(f"/api/v1/approvals/{asked['id']}/approve", json={"digest": asked["digest"]}, token=officer)
    assert response.status_code == 409 and response.get_json()["code"] == "stale_change"
    assert api.get(f"/api/v1/approvals/{asked['id']}", token=officer).get_json()["status"] == "pending"


def test_reject_needs_a_reason_and_withdraw_is_the_requesters_reject(app, api, officer):
    asked = ask(app, {"amount": "1.00"})
    bad = api.post(f"/api/v1/approvals/{asked['id']}/reject", json={}, token=officer)
    assert bad.status_code == 422 and "reason" in bad.get_json()["errors"]
    rejected = api.post(f"/api/v1/approvals/{asked['id']}/reject", json={"reason": "not agreed"}, token=officer)
    assert rejected.get_json()["status"] == "rejected" and rejected.get_json()["reason"] == "not agreed"

    mine = ask(app, {"amount": "2.00"})
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        withdrawn = service.decide(s, mine["id"], approve=False, principal=PREPARER, reason="typo")
        assert withdrawn.status == "withdrawn"
        s.rollback()
        s.close()
    assert DONE == []


def test_partners_see_no_approvals(api):
    partner = api.token("partner", None)
    assert api.get("/api/v1/approvals", token=partner).status_code == 403
