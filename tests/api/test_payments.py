"""Payment batches through the API: propose, four eyes, release (pain.001, XSD-valid), bank status (pain.002),
the bank's debit (camt.054) matched by EndToEndId, and the statement."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import select

from ledger.journal.models import Account
from ledger.journal.service import balances
from ledger.parties.models import BankAccount
from ledger.payments import camt054, pain001, pain002
from ledger.timeutil import period_of, today
from tests.api.recon_helpers import GB_ACCOUNT, GB_EUR, RW_IBAN, rf_reference

P = "/api/v1/payment-batches"
NS = {"p": pain001.NAMESPACE}


@pytest.fixture
def officers(api):
    """Two more finance officers: the approvers."""
    return api.token("finance_officer", name="second officer"), api.token("finance_officer", name="third officer")


def propose(world, body=None, token=None, expect=201):
    day = today()
    payload = {"debtor_account": GB_ACCOUNT, "due_by": (day + timedelta(days=30)).isoformat(),
               "execution_date": (day + timedelta(days=1)).isoformat(), **(body or {})}
    response = world.api.post(P, json=payload, token=token or world.officer)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def approve(world, batch, token, digest=None):
    return world.api.post(f"{P}/{batch['id']}/approve", json={"digest": digest or batch["digest"]}, token=token)


def in_transit(world, account=GB_ACCOUNT) -> Decimal:
    world.session.expire_all()
    rows = balances(world.session, account_filter=(Account.purpose == "payments_in_transit")
                    & (Account.bank_account == account))
    return sum((b for _, b in rows), Decimal(0))


def suspense(world, account=GB_ACCOUNT) -> Decimal:
    world.session.expire_all()
    rows = balances(world.session, account_filter=(Account.purpose == "suspense") & (Account.bank_account == account))
    return sum((b for _, b in rows), Decimal(0))


def released(world, officers, amount="42500.00"):
    invoice = world.invoice("GB", "RW-PAY-1", amount, rf_reference("PAY1"))
    batch = propose(world)
    for token in officers[:batch["approvals_required"]]:
        answer = approve(world, batch, token)
        assert answer.status_code == 200, answer.get_json()
    response = world.api.post(f"{P}/{batch['id']}/release", token=world.officer)
    assert response.status_code == 200, response.get_json()
    return invoice, response.get_json()


def patch(world, path, json, token):
    return world.api.client.patch(path, json=json, headers={"Authorization": f"Bearer {token}"})


def upload_status(world, document: bytes, expect=201):
    response = world.api.post("/api/v1/payment-status", token=world.officer, content_type="multipart/form-data",
                              data={"file": (io.BytesIO(document), "pain002.xml")})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_full_cycle_invoice_to_statement(world, officers):
    """invoice → batch → approve ×2 → pain.001 XSD-valid → pain.002 → camt.054 → matched by EndToEndId →
    statement."""
    invoice = world.invoice("GB", "RW-BIG-1", "142500.00", rf_reference("BIG1"))
    batch = propose(world)
    assert batch["approvals_required"] == 2 and batch["total"] == "142500.00"
    [item] = batch["items"]
    assert item["remittance"] == rf_reference("BIG1") and item["remittance_structured"]
    assert item["creditor_account"] == RW_IBAN

    assert approve(world, batch, world.officer).get_json()["code"] == "same_officer"
    first = approve(world, batch, officers[0])
    assert first.status_code == 200 and first.get_json()["status"] == "proposed"
    assert world.api.post(f"{P}/{batch['id']}/release", token=world.officer).get_json()["code"] == "not_approved"
    again = approve(world, batch, officers[0])
    assert again.status_code == 409 and again.get_json()["code"] == "already_approved_by_you"
    assert approve(world, batch, officers[1]).get_json()["status"] == "approved"
    assert in_transit(world) == 0  # approving moves nothing

    response = world.api.post(f"{P}/{batch['id']}/release", token=world.officer)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "released"
    assert in_transit(world) == Decimal("-142500.00")
    assert world.invoice_row(invoice).amount_open == 0
    second = world.api.post(f"{P}/{batch['id']}/release", token=world.officer)
    assert second.status_code == 409 and second.get_json()["code"] == "already_released"

    document = world.api.get(f"{P}/{batch['id']}/pain001", token=world.officer).data
    pain001.validate(document)  # the official ISO 20022 schema
    tree = etree.fromstring(document)
    assert tree.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "1"
    assert tree.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "142500.00"
    e2e = tree.findtext(".//p:CdtTrfTxInf/p:PmtId/p:EndToEndId", namespaces=NS)
    assert e2e == item["end_to_end_id"]

    status = upload_status(world, pain002.build("BANK-STS-1", response.get_json()["message_id"], [(e2e, "ACSC", None)]))
    assert status["accepted"] == [e2e] and status["rejected"] == []

    booked = today()
    notification = camt054.build(GB_ACCOUNT, "GBP", [camt054.Debit(e2e, Decimal("142500.00"), RW_IBAN, "Rwanda",
                                                                   booked, "BANKREF-1")])
    [transfer_id] = world.import_statement(notification)
    assert suspense(world) == Decimal("142500.00")  # the bank's debit, unexplained until reconciled
    run = world.run()
    assert run["auto_matched"] == 1
    [match] = [m for m in world.matches() if m["transfer"] == transfer_id]
    assert match["method"] == "end_to_end_id" and Decimal(match["confidence"]) == 1 and match["status"] == "auto"
    assert in_transit(world) == 0 and suspense(world) == 0
    view = world.api.get(f"{P}/{batch['id']}", token=world.officer).get_json()
    assert view["items"][0]["status"] == "paid" and view["items"][0]["transfer"] == transfer_id

    statement = world.api.get(f"/api/v1/settlements/{period_of(booked)}", token=world.officer).get_json()
    [line] = [p for p in statement["statement"]["payments"] if p["bank_account"] == GB_ACCOUNT]
    assert line == {"party": "GB", "bank_account": GB_ACCOUNT, "currency": "GBP", "ordered": "0.00",
                    "in_transit": "0.00", "paid": "142500.00"}


def test_a_rejected_transfer_reopens_its_invoice_and_is_never_sent_again(world, officers):
    invoice, batch = released(world, officers)
    e2e = batch["items"][0]["end_to_end_id"]
    status = upload_status(world, pain002.build("STS-R", batch["message_id"], [(e2e, "RJCT", "AC04")]))
    assert status["rejected"] == [e2e]
    row = world.invoice_row(invoice)
    assert row.status == "approved" and row.amount_open == Decimal("42500.00")
    assert in_transit(world) == 0
    item = world.api.get(f"{P}/{batch['id']}", token=world.officer).get_json()["items"][0]
    assert item["status"] == "rejected" and item["status_reason"] == "AC04"

    resent = upload_status(world, pain002.build("STS-R2", batch["message_id"], [(e2e, "ACSC", None)]), expect=409)
    assert resent["code"] == "transfer_rejected"
    # The invoice is open again: a new proposal pays it under a new EndToEndId.
    again = propose(world)
    assert again["items"][0]["invoice"] == invoice and again["items"][0]["end_to_end_id"] != e2e


def test_a_group_rejection_rejects_every_transfer(world, officers):
    invoice, batch = released(world, officers)
    status = upload_status(world, pain002.build("STS-G", batch["message_id"], [], group_status="RJCT"))
    assert status["rejected"] == [batch["items"][0]["end_to_end_id"]]
    assert world.invoice_row(invoice).amount_open == Decimal("42500.00")


def test_a_status_report_for_an_unknown_batch_is_refused(world, officers):
    released(world, officers)
    refused = upload_status(world, pain002.build("STS-U", "RLB-999999", [("RLP-999999-1", "ACSC", None)]),
                            expect=422)
    assert refused["code"] == "unknown_batch"
    garbage = upload_status(world, b"<Document xmlns='urn:other'/>", expect=422)
    assert garbage["code"] == "not_a_status_report"


def test_a_status_report_naming_another_transfer_changes_nothing(world, officers):
    invoice, batch = released(world, officers)
    e2e = batch["items"][0]["end_to_end_id"]
    refused = upload_status(world, pain002.build("STS-X", batch["message_id"],
                                                 [(e2e, "RJCT", "AC04"), ("RLP-0-0", "RJCT", "AC04")]), expect=422)
    assert refused["code"] == "unknown_transfer"
    assert world.invoice_row(invoice).amount_open == 0  # the first status was not applied either


def test_a_batch_changed_after_its_first_approval_is_not_approved_on_the_old_digest(world, officers):
    world.invoice("GB", "RW-C-1", "90000.00")
    world.invoice("GB", "RW-C-2", "30000.00")
    batch = propose(world)
    assert batch["approvals_required"] == 2
    assert approve(world, batch, officers[0]).status_code == 200
    item = batch["items"][1]
    changed = patch(world, f"{P}/{batch['id']}/items/{item['id']}",
                              json={"held": True, "hold_reason": "partner asked us to wait"}, token=world.officer)
    assert changed.status_code == 200, changed.get_json()
    changed = changed.get_json()
    assert changed["digest"] != batch["digest"] and changed["total"] == "90000.00"
    assert [a["current"] for a in changed["approvals"]] == [False]  # the first approval no longer counts
    stale = approve(world, batch, officers[1])
    assert stale.status_code == 409 and stale.get_json()["code"] == "digest_mismatch"
    assert approve(world, changed, officers[1]).get_json()["status"] == "approved"  # 90,000: one approval


def test_a_held_item_is_not_paid_and_partial_payments_leave_the_rest_open(world, officers):
    first = world.invoice("GB", "RW-H-1", "5000.00")
    second = world.invoice("GB", "RW-H-2", "7000.00")
    batch = propose(world)
    one, two = batch["items"]
    batch = patch(world, f"{P}/{batch['id']}/items/{one['id']}", json={"held": True, "hold_reason": "check"},
                            token=world.officer).get_json()
    no_reason = patch(world, f"{P}/{batch['id']}/items/{two['id']}", json={"held": True}, token=world.officer)
    assert no_reason.status_code == 422 and no_reason.get_json()["code"] == "hold_reason_required"
    too_much = patch(world, f"{P}/{batch['id']}/items/{two['id']}", json={"amount": "7000.01"},
                               token=world.officer)
    assert too_much.status_code == 422 and too_much.get_json()["code"] == "amount_exceeds_open"
    sub_penny = patch(world, f"{P}/{batch['id']}/items/{two['id']}", json={"amount": "2000.5"}, token=world.officer)
    assert sub_penny.status_code == 422 and sub_penny.get_json()["code"] == "invalid_amount"
    batch = patch(world, f"{P}/{batch['id']}/items/{two['id']}", json={"amount": "2000.00"},
                            token=world.officer).get_json()
    assert batch["total"] == "2000.00"
    approve(world, batch, officers[0])
    released_batch = world.api.post(f"{P}/{batch['id']}/release", token=world.officer).get_json()
    assert [i["status"] for i in released_batch["items"]] == ["held", "ordered"]
    assert world.invoice_row(first).amount_open == Decimal("5000.00")
    assert world.invoice_row(second).amount_open == Decimal("5000.00")
    document = world.api.get(f"{P}/{batch['id']}/pain001", token=world.officer).data
    assert b"RW-H-1" not in document and b"<InstdAmt Ccy=\"GBP\">2000.00</InstdAmt>" in document
    late = patch(world, f"{P}/{batch['id']}/items/{one['id']}", json={"held": False}, token=world.officer)
    assert late.status_code == 409 and late.get_json()["code"] == "batch_released"


def test_nothing_is_proposed_or_paid_twice(world, officers):
    invoice, batch = released(world, officers)
    assert propose(world, expect=422)["code"] == "nothing_to_pay"
    # The same payment arriving on an ordinary statement (quoting the invoice's reference) matches nothing else.
    world.statement([(Decimal("-42500.00"), rf_reference("PAY1"), RW_IBAN, today())])
    world.run()
    assert world.invoice_row(invoice).amount_open == 0
    assert all(m["method"] != "reference" for m in world.matches())


def test_an_open_batch_holds_its_invoices(world, officers, auditor):
    world.invoice("GB", "RW-O-1", "1000.00")
    batch = propose(world)
    listed = world.api.get(f"{P}?status=proposed", token=auditor)
    assert listed.status_code == 200, listed.get_json()
    assert [(b["id"], b["total"]) for b in listed.get_json()["items"]] == [(batch["id"], "1000.00")]
    assert propose(world, expect=422)["code"] == "nothing_to_pay"


def test_a_cancelled_batch_frees_its_invoices(world, officers):
    world.invoice("GB", "RW-X-1", "1000.00")
    batch = propose(world)
    assert world.api.post(f"{P}/{batch['id']}/cancel", token=world.officer).get_json()["status"] == "cancelled"
    assert world.api.get(f"{P}/{batch['id']}/pain001", token=world.officer).get_json()["code"] == "not_released"
    assert propose(world)["total"] == "1000.00"


def test_a_currency_the_debtor_account_cannot_pay_is_refused(world, officers):
    invoice = world.invoice("GB", "RW-EUR-1", "1000.00")
    refused = propose(world, {"debtor_account": GB_EUR, "invoices": [invoice]}, expect=422)
    assert refused["code"] == "currency_not_payable" and "invoices.0" in refused["errors"]


def test_a_creditor_without_a_valid_bank_account_is_refused_or_held(world, officers):
    invoice = world.invoice("GB", "RW-NOACC-1", "1000.00")
    account = world.session.execute(select(BankAccount).where(BankAccount.iban == RW_IBAN)).scalar_one()
    account.iban, account.bic = "RWBNR000140012345", None  # an account number without its bank's BIC
    world.session.commit()
    refused = propose(world, {"invoices": [invoice]}, expect=422)
    assert refused["code"] == "creditor_account_invalid"
    batch = propose(world)
    [item] = batch["items"]
    assert item["status"] == "held" and item["hold_reason"].startswith("creditor_account_invalid")
    lifted = patch(world, f"{P}/{batch['id']}/items/{item['id']}", json={"held": False}, token=world.officer)
    assert lifted.status_code == 422 and lifted.get_json()["code"] == "creditor_account_invalid"


def test_an_unknown_debtor_account_and_a_past_execution_date_are_refused(world):
    assert propose(world, {"debtor_account": "FR1420041010050500013M02606"}, expect=422)["code"] == \
        "unknown_debtor_account"
    past = propose(world, {"execution_date": (today() - timedelta(days=1)).isoformat()}, expect=422)
    assert past["code"] == "execution_date_past"


def test_only_officers_propose_and_the_audit_log_records_each_step(world, officers, auditor, parties):
    world.invoice("GB", "RW-A-1", "1000.00")
    partner = propose(world, token=parties["RW"], expect=403)
    assert partner["status"] == 403
    batch = propose(world)
    approve(world, batch, officers[0])
    world.api.post(f"{P}/{batch['id']}/release", token=world.officer)
    audit = world.api.get("/api/v1/audit?object_type=payment_batch", token=auditor).get_json()["items"]
    actions = [r["action"] for r in audit]
    assert actions == ["payment_batch.propose", "payment_batch.approve", "payment_batch.release"]
    assert batch["digest"] in audit[1]["summary"]
