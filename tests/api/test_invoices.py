"""Invoices through the API: intake (JSON, UBL), each finding, approval and dispute, credit notes, scoping."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from ledger.agreements.models import Obligation
from ledger.invoices.models import Invoice, InvoiceFinding, InvoiceLine
from ledger.journal.models import Account, JournalEntry
from ledger.journal.service import balances
from tests.api.agreements_helpers import RWANDA_TERMS
from tests.api.invoices_helpers import (
    TERMS,
    I,
    codes,
    json_invoice,
    march_lines,
    post_json,
    post_xml,
    setup_agreement,
    ubl,
)
from tests.api.test_errors import assert_problem


def journal(session, agreement_id) -> dict[str, Decimal]:
    return {a.purpose: b for a, b in balances(session, account_filter=Account.agreement_id == agreement_id)}


def stored_invoices(session) -> int:
    return session.execute(select(func.count()).select_from(Invoice)).scalar()


def obligation_statuses(session, agreement_id, period="2026-03") -> set[str]:
    return set(session.execute(select(Obligation.status).where(Obligation.agreement_id == agreement_id,
                                                               Obligation.period == period)).scalars())


# ---- intake ----------------------------------------------------------------------------------------

def test_clean_json_invoice_is_accepted_with_every_line_matched(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    response = post_json(api, json_invoice(ag), parties["RW"])
    assert response.status_code == 201, response.get_json()
    invoice = response.get_json()
    assert invoice["status"] == "accepted" and invoice["findings"] == []
    assert invoice["payable"] == invoice["total"] == "67500.00" and invoice["amount_open"] == "0.00"
    assert invoice["payment_reference_is_rf"] and invoice["source"] == "json"
    assert all(line["obligation"] for line in invoice["lines"])
    assert response.headers["Location"] == f"/api/v1/invoices/{invoice['id']}" and response.headers["ETag"]


def test_ubl_invoice_maps_its_fields_and_keeps_the_document(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    document = ubl("RW-UBL-1", ag["reference"], march_lines(ag))
    response = post_xml(api, document, parties["RW"])
    assert response.status_code == 201, response.get_json()
    invoice = response.get_json()
    assert invoice["status"] == "accepted", invoice["findings"]
    assert (invoice["source"], invoice["number"], invoice["period"]) == ("ubl", "RW-UBL-1", "2026-03")
    assert invoice["payment_reference"] == "RF18539007547034" and invoice["payment_reference_is_rf"]
    assert invoice["payee_iban"] == "GB29NWBK60161331926819" and invoice["due_on"] == "2026-05-02"
    assert invoice["has_document"]
    original = api.get(f"{I}/{invoice['id']}/document", token=officer)
    assert original.status_code == 200 and original.mimetype == "application/xml" and original.data == document
    assert api.get(f"{I}/{invoice['id']}/document", token=parties["DE"]).status_code == 404


def test_unknown_obligation(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    lines = march_lines(ag, 1) + [
        {"kind": "per_returnee_fee", "returnee": "not-a-known-pseudonym", "amount": "20000.00"},
        {"kind": "milestone", "amount": "1000000.00"},
        {"kind": "monthly_support", "amount": "2500.00"},
    ]
    invoice = post_json(api, json_invoice(ag, lines=lines), parties["RW"]).get_json()
    assert invoice["status"] == "disputed"
    assert codes(invoice) == [("unknown_obligation", "3"), ("unknown_obligation", "4"), ("unknown_obligation", "5")]
    assert [line["obligation"] is not None for line in invoice["lines"]] == [True, True, False, False, False]


def test_amount_mismatch(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    lines = march_lines(ag, 1)
    lines[0]["amount"] = "21000.00"
    invoice = post_json(api, json_invoice(ag, lines=lines), parties["RW"]).get_json()
    assert codes(invoice) == [("amount_mismatch", "1")]
    assert "21000.00" in invoice["findings"][0]["message"] and invoice["lines"][0]["obligation"]


def test_already_invoiced_on_another_invoice_and_twice_on_one(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    assert post_json(api, json_invoice(ag, "RW-1", lines=march_lines(ag, 1)), parties["RW"]).status_code == 201
    again = post_json(api, json_invoice(ag, "RW-2", lines=march_lines(ag, 2)), parties["RW"]).get_json()
    assert codes(again) == [("already_invoiced", "1"), ("already_invoiced", "2")]
    twice = march_lines(ag)[4:5] * 2
    doubled = post_json(api, json_invoice(ag, "RW-3", lines=twice), parties["RW"]).get_json()
    assert codes(doubled) == [("already_invoiced", "2")]


def test_outside_term(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    lines = [{"kind": "instalment", "amount": "100.00"}]
    invoice = post_json(api, json_invoice(ag, lines=lines, period="2026-01"), parties["RW"]).get_json()
    assert ("outside_term", None) in codes(invoice) and ("unknown_obligation", "1") in codes(invoice)


def test_total_mismatch(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    invoice = post_json(api, json_invoice(ag, total="70000.00"), parties["RW"]).get_json()
    assert codes(invoice) == [("total_mismatch", None)]
    assert invoice["findings"][0]["field"] == "total"


def test_ubl_arithmetic_findings_dispute_the_invoice(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    invoice = post_xml(api, ubl("RW-BAD", ag["reference"], march_lines(ag), payable="1.00"), parties["RW"]).get_json()
    assert invoice["status"] == "disputed" and ("payable_mismatch", None) in codes(invoice)


def test_instalment_is_matched_by_kind_and_period(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    lines = [{"kind": "instalment", "amount": "5000000.00"}]
    invoice = post_json(api, json_invoice(ag, "RW-FEB", lines=lines, period="2026-02"), parties["RW"]).get_json()
    assert invoice["status"] == "accepted" and invoice["lines"][0]["obligation"]


def test_dry_run_stores_nothing(api, admin, officer, parties, session):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    response = post_json(api, json_invoice(ag, total="1.00"), parties["RW"], "?dry_run=true")
    assert response.status_code == 200
    body = response.get_json()
    assert body["dry_run"] and body["id"] is None and body["status"] == "disputed"
    assert codes(body) == [("total_mismatch", None)]
    response = post_xml(api, ubl("RW-DRY", ag["reference"], march_lines(ag)), parties["RW"], "?dry_run=true")
    assert response.status_code == 200 and response.get_json()["computed_payable"] == "67500.00"
    assert stored_invoices(session) == 0


def test_duplicate_number_from_the_same_party_is_409(api, admin, officer, parties, session):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    assert post_json(api, json_invoice(ag), parties["RW"]).status_code == 201
    assert_problem(post_json(api, json_invoice(ag), parties["RW"]), 409, "duplicate_invoice")
    assert_problem(post_xml(api, ubl("RW-2026-03", ag["reference"], march_lines(ag)), parties["RW"]), 409,
                   "duplicate_invoice")
    assert stored_invoices(session) == 1


def test_json_validation(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    body = json_invoice(ag)
    body["total"] = 67500
    problem = assert_problem(post_json(api, body, parties["RW"]), 422, "validation_error")
    assert "total" in problem["errors"]
    body = json_invoice(ag)
    body["lines"][0]["amount"] = "20000.001"
    problem = assert_problem(post_json(api, body, parties["RW"]), 422, "validation_error")
    assert "lines.0.amount" in problem["errors"]
    response = api.client.post(I, data="hello", content_type="text/plain",
                               headers={"Authorization": f"Bearer {parties['RW']}"})
    assert_problem(response, 415, "unsupported_media_type")


def test_agreement_must_be_one_the_sender_is_payee_of(api, admin, officer, parties, session):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    assert_problem(post_json(api, json_invoice(ag), parties["GB"]), 403, "forbidden")
    assert_problem(post_json(api, json_invoice(ag), parties["DE"]), 422, "unknown_agreement")
    assert_problem(post_json(api, {**json_invoice(ag), "agreement": "NO-SUCH-1"}, parties["RW"]), 422,
                   "unknown_agreement")
    assert_problem(post_xml(api, ubl("X-1", "NO-SUCH-1", march_lines(ag)), parties["RW"]), 422, "unknown_agreement")
    assert stored_invoices(session) == 0
    # a finance officer may enter a paper invoice for the payee
    entered = post_json(api, json_invoice(ag), officer)
    assert entered.status_code == 201 and entered.get_json()["payee"] == "RW"


def test_partner_scoping_and_list_filters(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    first = post_json(api, json_invoice(ag, "RW-1", lines=march_lines(ag, 1)), parties["RW"]).get_json()
    post_json(api, json_invoice(ag, "RW-2", lines=march_lines(ag, 1)), parties["RW"])
    assert api.get(f"{I}/{first['id']}", token=parties["GB"]).status_code == 200
    assert_problem(api.get(f"{I}/{first['id']}", token=parties["DE"]), 404, "not_found")
    assert api.get(I, token=parties["DE"]).get_json()["items"] == []
    assert len(api.get(I, token=parties["RW"]).get_json()["items"]) == 2
    disputed = api.get(f"{I}?status=disputed&agreement={ag['reference']}&period=2026-03", token=officer).get_json()
    assert [i["number"] for i in disputed["items"]] == ["RW-2"]
    assert api.get(f"{I}?period=2026-04", token=officer).get_json()["items"] == []
    assert_problem(api.get(f"{I}?agreement={ag['id']}", token=parties["DE"]), 404, "not_found")
    # partners cannot decide, even on their own invoices
    assert_problem(api.post(f"{I}/{first['id']}/approve", json={}, token=parties["RW"]), 403, "forbidden")
    assert_problem(api.post(f"{I}/{first['id']}/approve", json={}, token=parties["DE"]), 403, "forbidden")


# ---- decisions -------------------------------------------------------------------------------------

def test_approval_posts_the_payable_and_marks_obligations_invoiced(api, admin, officer, parties, session):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    invoice = post_json(api, json_invoice(ag), parties["RW"]).get_json()
    response = api.post(f"{I}/{invoice['id']}/approve", json={}, token=officer,
                        headers={"If-Match": f'"invoice-{invoice["id"]}-1"'})
    assert response.status_code == 200, response.get_json()
    approved = response.get_json()
    assert approved["status"] == "approved" and approved["amount_open"] == "67500.00"
    assert approved["decision"]["journal_entry"] and approved["decision"]["by"]
    found = journal(session, ag["id"])
    assert found["invoices_payable"] == Decimal("-67500.00")
    assert found["obligations"] == Decimal("-5000000.00")  # February's instalment is still only accrued
    assert found["returns_costs"] == Decimal("5067500.00")
    assert obligation_statuses(session, ag["id"]) == {"invoiced"}
    entry = session.get(JournalEntry, approved["decision"]["journal_entry"])
    assert (entry.source_type, entry.source_id) == ("invoice_approval", str(invoice["id"]))
    # decided once: a second approval or a dispute now is a conflict
    assert_problem(api.post(f"{I}/{invoice['id']}/approve", json={}, token=officer), 409, "invalid_transition")
    assert_problem(api.post(f"{I}/{invoice['id']}/dispute", json={"reason": "x"}, token=officer), 409,
                   "invalid_transition")


def test_approval_honours_if_match(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    invoice = post_json(api, json_invoice(ag), parties["RW"]).get_json()
    response = api.post(f"{I}/{invoice['id']}/approve", json={}, token=officer, headers={"If-Match": '"stale"'})
    assert_problem(response, 412, "precondition_failed")


def test_disputed_invoice_needs_a_reason_per_overridden_line(api, admin, officer, parties, session):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    lines = march_lines(ag, 1) + [{"kind": "milestone", "amount": "500.00"}]
    lines[0]["amount"] = "20100.00"
    invoice = post_json(api, json_invoice(ag, lines=lines), parties["RW"]).get_json()
    assert codes(invoice) == [("amount_mismatch", "1"), ("unknown_obligation", "3")]
    problem = assert_problem(api.post(f"{I}/{invoice['id']}/approve", json={"overrides": [
        {"line": "1", "reason": "the fee rose by agreement letter"}]}, token=officer), 422, "override_required")
    assert problem["errors"]["overrides"] == ["no reason given for 3"]
    assert_problem(api.post(f"{I}/{invoice['id']}/approve", json={"overrides": [{"line": "9", "reason": "?"}]},
                            token=officer), 422, "unknown_line")
    response = api.post(f"{I}/{invoice['id']}/approve", json={"overrides": [
        {"line": "1", "reason": "the fee rose by agreement letter"},
        {"line": "3", "reason": "one-off transport cost agreed by email"}]}, token=officer)
    assert response.status_code == 200, response.get_json()
    approved = response.get_json()
    assert approved["status"] == "approved" and approved["amount_open"] == "23100.00"
    assert [line["override_reason"] for line in approved["lines"]][::2] == [
        "the fee rose by agreement letter", "one-off transport cost agreed by email"]
    # Dr obligations 22,500.00 (as accrued), Dr returns_costs 600.00 (the differences), Cr payable 23,100.00
    found = journal(session, ag["id"])
    assert found["invoices_payable"] == Decimal("-23100.00")
    accrued_march = Decimal("67500.00")
    assert found["obligations"] == -(Decimal("5000000.00") + accrued_march - Decimal("22500.00"))
    assert found["returns_costs"] == Decimal("5000000.00") + accrued_march + Decimal("600.00")


def test_an_override_cannot_make_payable_more_than_the_lines(api, admin, officer, parties, session):
    """Lines adding up to 50,000.00 under a stated total of 60,000.00: no reason makes 60,000.00 payable."""
    ag = setup_agreement(api, admin, officer, parties["RW"], count=4)
    lines = march_lines(ag, 2) + [{"kind": "monthly_support", "returnee": str(r["id"]), "amount": "2500.00"}
                                  for r in ag["returnees"][2:]]
    invoice = post_json(api, json_invoice(ag, lines=lines, total="60000.00"), parties["RW"]).get_json()
    assert codes(invoice) == [("total_mismatch", None)]
    before = journal(session, ag["id"])
    problem = assert_problem(api.post(f"{I}/{invoice['id']}/approve", json={"overrides": [
        {"line": None, "reason": "the partner says the total is right"}]}, token=officer), 422,
        "arithmetic_not_overridable")
    assert problem["findings"] == [{"code": "total_mismatch", "line": None, "field": "total"}]
    assert "total_mismatch" in problem["detail"]
    assert_problem(api.post(f"{I}/{invoice['id']}/approve", json={}, token=officer), 422,
                   "arithmetic_not_overridable")
    # nothing was posted or decided: the invoice waits, disputed, for a correction or a rejection
    assert journal(session, ag["id"]) == before
    assert obligation_statuses(session, ag["id"]) == {"accrued"}
    seen = api.get(f"{I}/{invoice['id']}", token=officer).get_json()
    assert seen["status"] == "disputed" and seen["decision"] is None and seen["version"] == invoice["version"]
    assert [f["kind"] for f in seen["findings"]] == ["arithmetic"]


def test_a_ubl_invoice_that_does_not_add_up_cannot_be_approved(api, admin, officer, parties, session):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    invoice = post_xml(api, ubl("RW-2026-03", ag["reference"], march_lines(ag), payable="99999.00"),
                       parties["RW"]).get_json()
    assert codes(invoice) == [("payable_mismatch", None)]
    assert_problem(api.post(f"{I}/{invoice['id']}/approve", json={"overrides": [
        {"line": None, "reason": "approved by phone"}]}, token=officer), 422, "arithmetic_not_overridable")
    assert obligation_statuses(session, ag["id"]) == {"accrued"}


def test_an_invoice_with_only_obligation_findings_can_still_be_overridden(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    lines = march_lines(ag, 1)
    lines[0]["amount"] = "20100.00"
    invoice = post_json(api, json_invoice(ag, lines=lines), parties["RW"]).get_json()
    assert [(f["code"], f["kind"]) for f in invoice["findings"]] == [("amount_mismatch", "obligation")]
    response = api.post(f"{I}/{invoice['id']}/approve", json={"overrides": [
        {"line": "1", "reason": "the fee rose by agreement letter"}]}, token=officer)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["amount_open"] == "22600.00"


def test_dispute_sends_findings_and_reason_back_to_the_partner(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    invoice = post_json(api, json_invoice(ag), parties["RW"]).get_json()
    assert_problem(api.post(f"{I}/{invoice['id']}/dispute", json={"reason": "x", "lines": ["99"]}, token=officer),
                   422, "unknown_line")
    response = api.post(f"{I}/{invoice['id']}/dispute",
                        json={"reason": "returnee 2 left before the support month", "lines": ["4"]}, token=officer)
    assert response.status_code == 200, response.get_json()
    seen = api.get(f"{I}/{invoice['id']}", token=parties["RW"]).get_json()
    assert seen["status"] == "disputed" and seen["dispute_reason"] == "returnee 2 left before the support month"
    assert seen["findings"] == [{"code": "disputed", "kind": "obligation",
                                 "message": "returnee 2 left before the support month",
                                 "field": None, "line": "4", "source": "officer"}]
    # approving it now needs the officer's own finding overridden
    assert_problem(api.post(f"{I}/{invoice['id']}/approve", json={}, token=officer), 422, "override_required")


def test_rejection_frees_the_obligations(api, admin, officer, parties, session):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    invoice = post_json(api, json_invoice(ag, "RW-1"), parties["RW"]).get_json()
    response = api.post(f"{I}/{invoice['id']}/reject", json={"reason": "wrong period"}, token=officer)
    assert response.status_code == 200 and response.get_json()["status"] == "rejected"
    again = post_json(api, json_invoice(ag, "RW-2"), parties["RW"]).get_json()
    assert again["status"] == "accepted"
    assert obligation_statuses(session, ag["id"]) == {"accrued"}


def test_an_unpaid_advance_offsets_nothing(api, admin, officer, parties, session):
    terms = {**TERMS, "advance": RWANDA_TERMS["advance"]}  # 200,000.00, accrued but never paid
    ag = setup_agreement(api, admin, officer, parties["RW"], terms=terms)
    first = post_json(api, json_invoice(ag, "RW-1", lines=march_lines(ag, 1)), parties["RW"]).get_json()
    approved = api.post(f"{I}/{first['id']}/approve", json={}, token=officer).get_json()
    assert approved["advance_offset"] == "0.00" and approved["amount_open"] == "22500.00"
    assert approved["status"] == "approved"  # owed in cash: the advance was never transferred
    offsets = session.execute(select(Obligation).where(Obligation.agreement_id == ag["id"],
                                                       Obligation.kind == "advance_offset")).scalars().all()
    assert offsets == []
    found = journal(session, ag["id"])
    assert found["advances"] == Decimal("200000.00")
    assert found["invoices_payable"] == Decimal("-22500.00")
    # obligations still owed: February's instalment and the advance itself, nothing of March's first person
    assert found["obligations"] == -(Decimal("5000000.00") + Decimal("200000.00") + Decimal("45000.00"))


def test_credit_note_reduces_what_is_owed(api, admin, officer, parties, session):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    invoice = post_xml(api, ubl("RW-2026-03", ag["reference"], march_lines(ag)), parties["RW"]).get_json()
    api.post(f"{I}/{invoice['id']}/approve", json={}, token=officer)
    credited = march_lines(ag, 1)[:1]  # the first person's fee
    note = post_xml(api, ubl("RW-2026-03-C1", ag["reference"], credited, credit_note=True, preceding="RW-2026-03"),
                    parties["RW"]).get_json()
    assert note["document_type"] == "credit_note" and note["status"] == "accepted", note["findings"]
    assert note["payable"] == "-20000.00" and note["total"] == "20000.00"
    assert note["preceding_invoice"] == "RW-2026-03" and note["lines"][0]["obligation"]
    approved = api.post(f"{I}/{note['id']}/approve", json={}, token=officer).get_json()
    assert approved["status"] == "paid" and approved["amount_open"] == "0.00"
    original = api.get(f"{I}/{invoice['id']}", token=officer).get_json()
    assert original["amount_open"] == "47500.00"
    found = journal(session, ag["id"])
    assert found["invoices_payable"] == Decimal("-47500.00")
    assert found["returns_costs"] == Decimal("5067500.00") - Decimal("20000.00")


def test_credit_note_for_what_was_never_invoiced_is_disputed(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    note = post_xml(api, ubl("RW-C9", ag["reference"], march_lines(ag, 1)[:1], credit_note=True),
                    parties["RW"]).get_json()
    assert codes(note) == [("unknown_obligation", "1")]


def test_reconciliation_hooks(app, api, admin, officer, parties, session):
    from ledger.invoices import service
    from ledger.money import Money

    ag = setup_agreement(api, admin, officer, parties["RW"])
    invoice = post_json(api, json_invoice(ag), parties["RW"]).get_json()
    api.post(f"{I}/{invoice['id']}/approve", json={}, token=officer)
    with app.test_request_context():
        assert [i.id for i in service.open_invoices(session, payer="GB")] == [invoice["id"]]
        service.settle(session, invoice["id"], Money.of("60000.00", "GBP"))
        row = service.settle(session, invoice["id"], Money.of("7500.00", "GBP"))
        assert row.status == "paid" and row.amount_open == 0
        assert obligation_statuses(session, ag["id"]) == {"paid"}
        assert service.open_invoices(session, payer="GB") == []
        row = service.unsettle(session, invoice["id"], Money.of("7500.00", "GBP"))
        assert row.status == "approved" and obligation_statuses(session, ag["id"]) == {"invoiced"}
        session.rollback()


def test_settle_checked_takes_amounts_off_in_bulk_and_pays_the_obligations_of_what_reaches_zero(
        app, api, admin, officer, parties, session):
    """A reconciliation run's bulk path (`settle_checked`, on the bare connection its writer uses): the same rule
    as `settle`, an invoice at zero is paid and its obligations too."""
    from decimal import Decimal

    from ledger.invoices import service

    ag = setup_agreement(api, admin, officer, parties["RW"])
    invoice = post_json(api, json_invoice(ag), parties["RW"]).get_json()
    api.post(f"{I}/{invoice['id']}/approve", json={}, token=officer)
    with app.test_request_context():
        before = service.get(session, invoice["id"])
        open_amount, version = before.amount_open, before.version
        service.settle_checked(session.connection(), {invoice["id"]: Decimal("60000.00")},
                               {invoice["id"]: open_amount})
        session.expire_all()
        row = service.get(session, invoice["id"])
        assert (row.status, row.amount_open) == ("approved", open_amount - 60000)
        assert obligation_statuses(session, ag["id"]) == {"invoiced"}
        service.settle_checked(session.connection(), {invoice["id"]: row.amount_open},
                               {invoice["id"]: row.amount_open})
        session.expire_all()
        row = service.get(session, invoice["id"])
        assert (row.status, row.amount_open, row.version) == ("paid", 0, version + 2)
        assert obligation_statuses(session, ag["id"]) == {"paid"}
        session.rollback()


def test_findings_are_append_only(api, admin, officer, parties, session):
    import pytest
    from sqlalchemy import update
    from sqlalchemy.exc import DatabaseError

    ag = setup_agreement(api, admin, officer, parties["RW"])
    post_json(api, json_invoice(ag, total="1.00"), parties["RW"])
    assert session.execute(select(func.count()).select_from(InvoiceFinding)).scalar() == 1
    with pytest.raises(DatabaseError):
        session.execute(update(InvoiceFinding).values(message="nothing to see"))
    session.rollback()
    assert session.execute(select(func.count()).select_from(InvoiceLine)).scalar() == 6


def test_erasing_a_returnee_leaves_no_pseudonym_on_its_invoices(api, admin, officer, parties, session, runner):
    from datetime import date

    from ledger.agreements.models import Returnee

    ag = setup_agreement(api, admin, officer, parties["RW"], count=1)
    person = ag["returnees"][0]
    invoice = post_json(api, json_invoice(ag), parties["RW"]).get_json()
    assert invoice["lines"][0]["returnee"] == person["pseudonym"]
    session.execute(Returnee.__table__.update().where(Returnee.id == person["id"])
                    .values(retain_until=date(2026, 3, 2)))
    session.commit()
    assert runner.invoke(args=["returnees", "erase", "--before", "2026-11-01"]).exit_code == 0
    after = api.get(f"{I}/{invoice['id']}", token=officer).get_json()
    assert [(line["returnee"], line["returnee_id"]) for line in after["lines"]] == [(None, person["id"])] * 2
    stored = session.execute(select(InvoiceLine.__table__)).all()
    assert person["pseudonym"] not in repr(stored)
