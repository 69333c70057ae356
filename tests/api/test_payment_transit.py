"""Payment orders in transit: an invoice ordered by a released batch is `in_transit` (not paid) until the bank's
debit clears it; advances now payable are proposed, whole, and never paid twice; a debit quoting a known
EndToEndId for another amount is an exception waiting for review; reversing an EndToEndId match puts the transfer
back in transit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree
from sqlalchemy import select

from ledger.agreements.models import Obligation
from ledger.journal.models import JournalEntry
from ledger.payments import camt054, pain001, pain002
from ledger.payments.models import PaymentItem
from ledger.timeutil import period_of, today
from ledger.web.partners import partners
from tests.api.agreements_helpers import accrue, create_agreement
from tests.api.invoices_helpers import TERMS, I, json_invoice, post_json
from tests.api.recon_helpers import GB_ACCOUNT, RW_IBAN, R, rf_reference
from tests.api.test_payments import NS, P, approve, in_transit, propose, released, suspense, upload_status

ADVANCE = "30000.00"
ADVANCE_TERMS = {**{k: v for k, v in TERMS.items() if k != "instalments"}, "advance": {"amount": ADVANCE}}


@pytest.fixture
def officers(api):
    return api.token("finance_officer", name="second officer"), api.token("finance_officer", name="third officer")


@pytest.fixture
def advance(world, admin):
    """A second GB → RW agreement whose terms pay an advance of 30,000.00 on entry into force (2026-02-01),
    accrued: the advance is payable, no invoice asks for it yet."""
    agreement = create_agreement(world.api, admin, reference="GB-RW-ADV-01", terms=ADVANCE_TERMS)
    accrue(world.api, world.officer, agreement["id"], "2026-02")
    world.session.expire_all()
    obligation = world.session.execute(select(Obligation).where(Obligation.agreement_id == agreement["id"],
                                                                Obligation.kind == "advance")).scalar_one()
    return agreement, obligation.id


def obligation_status(world, obligation_id: int) -> str:
    world.session.expire_all()
    return world.session.get(Obligation, obligation_id).status


def release_all(world, officers, batch) -> dict:
    for token in officers[:batch["approvals_required"]]:
        answer = approve(world, batch, token)
        assert answer.status_code == 200, answer.get_json()
    response = world.api.post(f"{P}/{batch['id']}/release", token=world.officer)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def debit(world, items, amount=None, reference="BANKREF"):
    """The bank's camt.054 debiting each of `items` (at `amount`, when given, instead of the ordered one)."""
    notification = camt054.build(GB_ACCOUNT, "GBP", [
        camt054.Debit(i["end_to_end_id"], Decimal(amount or i["amount"]), RW_IBAN, "Rwanda", today(),
                      f"{reference}-{n}") for n, i in enumerate(items)], message_id=f"CAMT-{reference}")
    return world.import_statement(notification)


def payments_line(world, period=None) -> dict:
    statement = world.api.get(f"/api/v1/settlements/{period or period_of(today())}", token=world.officer).get_json()
    [line] = [p for p in statement["statement"].get("payments", []) if p["bank_account"] == GB_ACCOUNT]
    return line


def card(world, code="RW"):
    world.session.expire_all()
    return next(p for p in partners(world.session) if p.code == code)


def test_full_cycle_with_an_advance_invoice_in_transit_until_the_bank_debits_it(world, officers, advance):
    """invoice + advance → batch → approve ×2 → pain.001 XSD-valid → pain.002 → camt.054 → matched by EndToEndId
    → statement: the invoice is in transit (not paid) between release and the bank's debit."""
    agreement, obligation_id = advance
    invoice = world.invoice("GB", "RW-CYCLE-1", "142500.00", rf_reference("CYCLE1"))
    batch = propose(world)
    by_kind = {("advance" if i["obligation"] else "invoice"): i for i in batch["items"]}
    assert set(by_kind) == {"advance", "invoice"} and batch["total"] == "172500.00"
    paid_advance = by_kind["advance"]
    assert paid_advance["obligation"] == obligation_id and paid_advance["invoice"] is None
    assert (paid_advance["amount"], paid_advance["remittance"]) == (ADVANCE, "GB-RW-ADV-01/advance")
    assert paid_advance["payee"] == "RW" and paid_advance["creditor_account"] == RW_IBAN
    assert not paid_advance["remittance_structured"]

    assert approve(world, batch, officers[0]).status_code == 200
    approved = approve(world, batch, officers[1]).get_json()
    assert approved["status"] == "approved"
    assert payments_line(world)["ordered"] == "172500.00"
    assert [m.amount for m in card(world).ordered] == [Decimal("172500.00")]

    batch = world.api.post(f"{P}/{batch['id']}/release", token=world.officer).get_json()
    row = world.invoice_row(invoice)
    assert (row.status, row.amount_open, row.amount_in_transit) == ("in_transit", 0, Decimal("142500.00"))
    assert obligation_status(world, obligation_id) == "invoiced"  # claimed: no invoice may ask for it now
    assert in_transit(world) == Decimal("-172500.00")
    assert payments_line(world) == {"party": "GB", "bank_account": GB_ACCOUNT, "currency": "GBP",
                                    "ordered": "0.00", "in_transit": "172500.00", "paid": "0.00"}
    rw = card(world)
    assert [m.amount for m in rw.in_transit] == [Decimal("172500.00")] and rw.ordered == []
    invoice_view = world.api.get(f"{I}/{invoice}", token=world.officer).get_json()
    assert invoice_view["status"] == "in_transit"

    document = world.api.get(f"{P}/{batch['id']}/pain001", token=world.officer).data
    pain001.validate(document)
    tree = etree.fromstring(document)
    assert tree.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=NS) == "2"
    assert tree.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "172500.00"
    assert "GB-RW-ADV-01/advance" in document.decode()

    items = batch["items"]
    status = upload_status(world, pain002.build("STS-CYCLE", batch["message_id"],
                                                [(i["end_to_end_id"], "ACSC", None) for i in items]))
    assert sorted(status["accepted"]) == sorted(i["end_to_end_id"] for i in items)
    assert world.invoice_row(invoice).status == "in_transit"  # accepted by the bank is not yet debited

    debit(world, items)
    run = world.run()
    assert run["auto_matched"] == 2 and run["per_rule"]["end_to_end_id/auto"] == 2
    row = world.invoice_row(invoice)
    assert (row.status, row.amount_open, row.amount_in_transit) == ("paid", 0, 0)
    assert obligation_status(world, obligation_id) == "paid"  # only now offset against later invoices
    assert in_transit(world) == 0 and suspense(world) == 0
    assert payments_line(world) == {"party": "GB", "bank_account": GB_ACCOUNT, "currency": "GBP",
                                    "ordered": "0.00", "in_transit": "0.00", "paid": "172500.00"}
    rw = card(world)
    assert rw.in_transit == [] and [m.amount for m in rw.paid] == [Decimal("172500.00")]
    view = world.api.get(f"{P}/{batch['id']}", token=world.officer).get_json()
    assert {i["status"] for i in view["items"]} == {"paid"}


def test_an_advance_is_proposed_once_and_an_invoice_asking_for_it_pays_it_never_both(world, officers, advance,
                                                                                      parties):
    agreement, obligation_id = advance
    first = propose(world)
    assert [i["obligation"] for i in first["items"]] == [obligation_id]
    assert propose(world, expect=422)["code"] == "nothing_to_pay"  # the open batch holds the advance
    partial = world.api.client.patch(f"{P}/{first['id']}/items/{first['items'][0]['id']}", json={"amount": "1.00"},
                                     headers={"Authorization": f"Bearer {world.officer}"})
    assert partial.status_code == 422 and partial.get_json()["code"] == "advance_paid_whole"

    # Meanwhile RW invoices the advance, and it is approved: the invoice pays it, so the batch may not.
    asked = post_json(world.api, json_invoice(agreement, "RW-ADV-1", lines=[{"kind": "advance", "amount": ADVANCE}],
                                              period="2026-02", payment_reference=rf_reference("RWADV1")),
                      parties["RW"]).get_json()
    assert asked["status"] == "accepted", asked["findings"]
    assert world.api.post(f"{I}/{asked['id']}/approve", json={}, token=world.officer).status_code == 200
    assert obligation_status(world, obligation_id) == "invoiced"
    for token in officers[:first["approvals_required"]]:
        assert approve(world, first, token).status_code == 200
    refused = world.api.post(f"{P}/{first['id']}/release", token=world.officer)
    assert refused.status_code == 409 and refused.get_json()["code"] == "advance_invoiced"
    assert in_transit(world) == 0  # nothing moved

    # Cancelled, the batch frees nothing payable: the next proposal pays the invoice, not the advance again.
    assert world.api.post(f"{P}/{first['id']}/cancel", token=world.officer).status_code == 200
    again = propose(world)
    assert [(i["invoice"], i["obligation"]) for i in again["items"]] == [(asked["id"], None)]


def test_an_advance_paid_by_a_batch_cannot_be_invoiced_and_a_rejection_makes_it_payable_again(world, officers,
                                                                                            advance, parties):
    agreement, obligation_id = advance
    batch = release_all(world, officers, propose(world))
    [item] = batch["items"]
    assert in_transit(world) == Decimal(f"-{ADVANCE}")

    late = post_json(world.api, json_invoice(agreement, "RW-ADV-2", lines=[{"kind": "advance", "amount": ADVANCE}],
                                             period="2026-02", payment_reference=rf_reference("RWADV2")),
                     parties["RW"]).get_json()
    assert late["status"] == "disputed" and "already_invoiced" in {f["code"] for f in late["findings"]}

    upload_status(world, pain002.build("STS-ADV-R", batch["message_id"], [(item["end_to_end_id"], "RJCT", "AC04")]))
    assert obligation_status(world, obligation_id) == "accrued"
    assert in_transit(world) == 0
    # The disputed invoice still asks for the advance: while it is under decision, no batch pays it.
    assert propose(world, expect=422)["code"] == "nothing_to_pay"
    refused = world.api.post(f"{I}/{late['id']}/reject", json={"reason": "paid by transfer"}, token=world.officer)
    assert refused.status_code == 200, refused.get_json()
    again = propose(world)
    assert [i["obligation"] for i in again["items"]] == [obligation_id]
    assert again["items"][0]["end_to_end_id"] != item["end_to_end_id"]


def test_a_rejection_reopens_an_invoice_in_transit_and_a_partial_order_leaves_the_rest_open(world, officers):
    invoice = world.invoice("GB", "RW-HALF-1", "1000.00", rf_reference("HALF1"))
    batch = propose(world)
    item = batch["items"][0]
    answer = world.api.client.patch(f"{P}/{batch['id']}/items/{item['id']}", json={"amount": "400.00"},
                                    headers={"Authorization": f"Bearer {world.officer}"})
    assert answer.status_code == 200, answer.get_json()
    batch = release_all(world, officers, answer.get_json())
    row = world.invoice_row(invoice)
    assert (row.status, row.amount_open, row.amount_in_transit) == ("approved", Decimal("600.00"),
                                                                    Decimal("400.00"))
    # The rest is paid the old way (reconciliation by reference): still not paid while 400.00 is in transit.
    world.statement([("-600.00", rf_reference("HALF1"), RW_IBAN, today())])
    assert world.run()["auto_matched"] == 1
    row = world.invoice_row(invoice)
    assert (row.status, row.amount_open, row.amount_in_transit) == ("in_transit", 0, Decimal("400.00"))

    upload_status(world, pain002.build("STS-HALF", batch["message_id"],
                                       [(batch["items"][0]["end_to_end_id"], "RJCT", "AM04")]))
    row = world.invoice_row(invoice)
    assert (row.status, row.amount_open, row.amount_in_transit) == ("approved", Decimal("400.00"), 0)
    assert in_transit(world) == 0


def test_reversing_an_end_to_end_match_puts_the_transfer_back_in_transit(world, officers):
    invoice, batch = released(world, officers)
    [item] = batch["items"]
    [transfer_id] = debit(world, [item])
    assert world.run()["auto_matched"] == 1
    [match] = [m for m in world.matches() if m["transfer"] == transfer_id]
    assert match["method"] == "end_to_end_id" and world.invoice_row(invoice).status == "paid"

    reversed_ = world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "wrong debit"},
                               token=world.officer)
    assert reversed_.status_code == 200, reversed_.get_json()
    body = reversed_.get_json()
    assert body["status"] == "reversed" and body["reversal_entry"] is not None
    world.session.expire_all()
    assert world.session.get(JournalEntry, match["journal_entry"]) is not None  # reversed, never deleted
    assert world.session.get(JournalEntry, body["reversal_entry"]) is not None
    assert in_transit(world) == Decimal("-42500.00") and suspense(world) == Decimal("42500.00")
    assert Decimal(world.transfer(transfer_id)["allocated"]) == 0
    row = world.invoice_row(invoice)
    assert (row.status, row.amount_open, row.amount_in_transit) == ("in_transit", 0, Decimal("42500.00"))
    view = world.api.get(f"{P}/{batch['id']}", token=world.officer).get_json()["items"][0]
    assert view["status"] == "ordered" and view["transfer"] is None and view["match"] is None
    again = world.api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "twice"}, token=world.officer)
    assert again.status_code == 409

    # A debit matches it again (here the same one, still quoting the EndToEndId): a new match, paid once.
    assert world.run()["auto_matched"] == 1
    matches = [m for m in world.matches() if m["transfer"] == transfer_id]
    assert sorted(m["status"] for m in matches) == ["auto", "reversed"]
    assert world.invoice_row(invoice).status == "paid"
    assert in_transit(world) == 0 and suspense(world) == 0


def test_a_debit_of_another_amount_than_ordered_is_an_exception_and_clears_nothing(world, officers):
    invoice, batch = released(world, officers)
    [item] = batch["items"]
    [wrong] = debit(world, [item], amount="42550.00", reference="WRONG")
    run = world.run()
    assert run["auto_matched"] == 0
    [exception] = [m for m in world.matches() if m["transfer"] == wrong]
    assert exception["status"] == "proposed" and exception["method"] == "end_to_end_id_exception"
    assert Decimal(exception["confidence"]) < 1 and exception["allocations"] == []
    assert exception["evidence"]["exception"] == "amount_differs_from_order"
    assert exception["evidence"]["ordered"] == "42500.00 GBP" and exception["evidence"]["debited"] == "42550.00 GBP"
    assert in_transit(world) == Decimal("-42500.00") and suspense(world) == Decimal("42550.00")
    row = world.invoice_row(invoice)
    assert (row.status, row.amount_in_transit) == ("in_transit", Decimal("42500.00"))
    assert world.api.get(f"{P}/{batch['id']}", token=world.officer).get_json()["items"][0]["status"] == "ordered"

    confirm = world.api.post(f"{R}/matches/{exception['id']}/confirm", json={}, token=world.officer)
    assert confirm.status_code == 409 and confirm.get_json()["code"] == "amount_differs_from_order"
    assert world.run()["auto_matched"] == 0
    assert len([m for m in world.matches() if m["transfer"] == wrong]) == 1  # one exception per debit

    # The bank's debit of the ordered amount clears it; the wrong one stays unexplained.
    debit(world, [item], reference="RIGHT")
    assert world.run()["auto_matched"] == 1
    assert world.invoice_row(invoice).status == "paid" and in_transit(world) == 0
    assert suspense(world) == Decimal("42550.00")
    assert world.session.execute(select(PaymentItem.status).where(PaymentItem.id == item["id"])).scalar() == "paid"


def test_a_debit_in_another_currency_than_ordered_is_an_exception(world, officers):
    """The same EndToEndId on the account's debit in euros (a bank's conversion): not the order, nothing cleared."""
    invoice, batch = released(world, officers)
    [item] = batch["items"]
    notification = camt054.build(GB_ACCOUNT, "EUR", [camt054.Debit(item["end_to_end_id"], Decimal("42500.00"),
                                                                   RW_IBAN, "Rwanda", today(), "EURREF")],
                                 message_id="CAMT-EUR")
    world.import_statement(notification)
    assert world.run()["auto_matched"] == 0
    [exception] = world.matches(status="proposed")
    assert exception["evidence"]["exception"] == "amount_differs_from_order"
    assert exception["evidence"]["debited"] == "42500.00 EUR"
    assert world.invoice_row(invoice).status == "in_transit" and in_transit(world) == Decimal("-42500.00")


def test_a_debit_of_a_rejected_transfer_is_an_exception(world, officers):
    """The bank rejected the transfer (its invoice opened again), then debits it anyway: flagged, nothing cleared,
    and the invoice is not paid by guessing either (the debit waits for review)."""
    invoice, batch = released(world, officers)
    [item] = batch["items"]
    upload_status(world, pain002.build("STS-RD", batch["message_id"], [(item["end_to_end_id"], "RJCT", "AC04")]))
    debit(world, [item], reference="LATE")
    assert world.run()["auto_matched"] == 0
    [exception] = world.matches(status="proposed")
    assert exception["method"] == "end_to_end_id_exception"
    assert exception["evidence"]["exception"] == "transfer_rejected"
    row = world.invoice_row(invoice)
    assert (row.status, row.amount_open, row.amount_in_transit) == ("approved", Decimal("42500.00"), 0)


def test_a_second_payment_of_an_invoice_in_transit_is_a_possible_duplicate(world, officers):
    """The whole invoice is with the bank (released order): a transfer quoting its reference for the same amount
    pays it a second time; reconciliation settles nothing with it and explains it as a possible duplicate."""
    from ledger.reconciliation.duplicates import possible_duplicates
    from ledger.statements.models import Transfer

    invoice, batch = released(world, officers)
    [again] = world.statement([("-42500.00", rf_reference("PAY1"), RW_IBAN, today())])
    assert world.run()["auto_matched"] == 0
    world.session.expire_all()
    found = possible_duplicates(world.session, [world.session.get(Transfer, again)])
    assert found[again].id == invoice
    row = world.invoice_row(invoice)
    assert (row.status, row.amount_in_transit) == ("in_transit", Decimal("42500.00"))
    assert Decimal(world.transfer(again)["allocated"]) == 0
