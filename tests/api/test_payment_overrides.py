"""Paying a disputed invoice needs a second officer: the override goes through `/approvals` (kind
`invoice_override`), and only the approval approves the invoice, which a batch can then pay."""

from __future__ import annotations

from datetime import timedelta

from ledger.timeutil import today
from tests.api.invoices_helpers import I, json_invoice, march_lines, post_json, setup_agreement

GB_ACCOUNT = "GB33BUKB20201555555555"
RW_IBAN = "GB29NWBK60161331926819"


def test_a_disputed_invoice_is_paid_only_after_a_second_officer_approves_the_override(api, admin, officer, parties):
    for code, iban in (("GB", GB_ACCOUNT), ("RW", RW_IBAN)):
        body = {"name": f"Republic {code}", "bank_accounts": [{"iban": iban, "currency": "GBP"}]}
        assert api.put(f"/api/v1/parties/{code}", json=body, token=admin).status_code == 200
    ag = setup_agreement(api, admin, officer, parties["RW"])
    lines = march_lines(ag, 1)
    lines[0]["amount"] = "20100.00"
    invoice = post_json(api, json_invoice(ag, lines=lines, number="RW-DISP-1"), parties["RW"]).get_json()
    assert invoice["status"] == "disputed"
    day = today()
    batch_body = {"debtor_account": GB_ACCOUNT, "due_by": (day + timedelta(days=30)).isoformat(),
                  "execution_date": (day + timedelta(days=1)).isoformat(), "invoices": [invoice["id"]]}
    refused = api.post("/api/v1/payment-batches", json=batch_body, token=officer)
    assert refused.status_code == 422 and refused.get_json()["code"] == "invoice_disputed"

    asked = api.post("/api/v1/payment-overrides", token=officer, json={
        "invoice": invoice["id"], "overrides": [{"line": "1", "reason": "the fee rose by agreement letter"}]})
    assert asked.status_code == 201, asked.get_json()
    approval = asked.get_json()
    assert approval["kind"] == "invoice_override" and approval["status"] == "pending"
    assert api.get(f"{I}/{invoice['id']}", token=officer).get_json()["status"] == "disputed"

    own = api.post(f"/api/v1/approvals/{approval['id']}/approve", json={"digest": approval["digest"]}, token=officer)
    assert own.status_code == 403 and own.get_json()["code"] == "same_officer"
    second = api.token("finance_officer", name="second officer")
    approved = api.post(f"/api/v1/approvals/{approval['id']}/approve", json={"digest": approval["digest"]},
                        token=second)
    assert approved.status_code == 200, approved.get_json()
    paid = api.get(f"{I}/{invoice['id']}", token=officer).get_json()
    assert paid["status"] == "approved" and paid["amount_open"] == "22600.00"
    batch = api.post("/api/v1/payment-batches", json=batch_body, token=officer)
    assert batch.status_code == 201 and batch.get_json()["total"] == "22600.00"


def test_an_undisputed_invoice_needs_no_override(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    invoice = post_json(api, json_invoice(ag, number="RW-OK-1"), parties["RW"]).get_json()
    assert invoice["status"] == "accepted"
    response = api.post("/api/v1/payment-overrides", token=officer,
                        json={"invoice": invoice["id"], "overrides": [{"line": None, "reason": "x"}]})
    assert response.status_code == 409 and response.get_json()["code"] == "not_disputed"
