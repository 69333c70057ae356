"""Reconciliation end to end: each rule and each trap through the API, the invoices, transfers and journal."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.api.recon_helpers import GB_ACCOUNT, GB_EUR, RW_IBAN, R, entry_lines, rf_reference
from tests.api.test_errors import assert_problem


def test_reference_match_is_posted_and_explained(world, session):
    ref = rf_reference("RW202603A")
    invoice = world.invoice("GB", "RW-2026-03-A", "10000.00", ref)
    (transfer,) = world.statement([("-10000.00", ref, RW_IBAN, date(2026, 5, 1))])
    answer = world.run()
    assert (answer["auto_matched"], answer["proposed"], answer["unmatched_transfers"], answer["open_invoices"]) \
        == (1, 0, 0, 0)
    (match,) = world.matches("auto")
    assert match["method"] == "reference" and match["transfer"] == transfer
    assert match["allocations"] == [{"invoice": invoice, "claim": None, "amount": "10000.00", "written_off": "0.00"}]
    assert Decimal(match["confidence"]) >= Decimal("0.95")
    evidence = match["evidence"]
    assert evidence["reference"] == ref and evidence["reference_source"] == "remittance_structured"
    assert evidence["booked_on"] == "2026-05-01" and "10000.00" in evidence["transfer_amount"]
    assert evidence["party"] == "RW" and evidence["payer"] == "GB"
    assert world.invoice_row(invoice).status == "paid" and world.invoice_row(invoice).amount_open == 0
    assert world.transfer(transfer)["status"] == "matched"
    lines = entry_lines(session, match["journal_entry"])
    assert lines[0][0].startswith("invoices_payable:RW:GB:") and lines[0][1] == "10000.00"
    assert lines[1][0] == f"suspense:-:-:-:GBP:{GB_ACCOUNT}" and lines[1][1] == "-10000.00"  # explained now
    assert world.payable("GB") == 0
    assert world.api.get(f"{R}/runs/{answer['id']}", token=world.officer).get_json()["auto_matched"] == 1


def test_amount_only_with_bank_charges_within_tolerance(world, session):
    invoice = world.invoice("GB", "RW-2026-03-B", "5000.00")
    world.statement([("-4990.00", "Monthly payment", RW_IBAN, date(2026, 5, 3))])
    assert world.run()["auto_matched"] == 1
    (match,) = world.matches("auto")
    assert match["method"] == "amount" and match["residual"] == "10.00" and match["residual_account"] == "bank_charges"
    assert match["allocations"][0]["written_off"] == "10.00"
    assert world.invoice_row(invoice).status == "paid"
    codes = {code.split(":")[0]: amount for code, amount, _ in entry_lines(session, match["journal_entry"])}
    assert codes == {"invoices_payable": "5000.00", "suspense": "-4990.00", "bank_charges": "-10.00"}
    assert world.payable("GB") == 0


def test_the_same_amount_owed_by_two_payers_matches_only_the_payers_own(world):
    mine = world.invoice("GB", "RW-GB-7", "7000.00")
    theirs = world.invoice("DE", "RW-DE-7", "7000.00")
    world.statement([("-7000.00", "Transfer as agreed", RW_IBAN, date(2026, 5, 2))])
    assert world.run()["auto_matched"] == 1
    (match,) = world.matches()
    assert [a["invoice"] for a in match["allocations"]] == [mine]
    assert world.invoice_row(theirs).status == "approved" and world.invoice_row(theirs).amount_open == 7000


def test_a_duplicate_payment_settles_nothing_twice(world):
    ref = rf_reference("RWDUP1")
    invoice = world.invoice("GB", "RW-DUP-1", "3000.00", ref)
    first, second = world.statement([("-3000.00", ref, RW_IBAN, date(2026, 5, 1)),
                                      ("-3000.00", ref, RW_IBAN, date(2026, 5, 9))])
    answer = world.run()
    assert answer["auto_matched"] == 1
    auto = world.matches("auto")
    assert [m["transfer"] for m in auto] == [first]
    assert world.invoice_row(invoice).amount_open == 0
    assert world.transfer(second)["status"] == "unmatched"
    assert all(m["status"] != "auto" for m in world.matches() if m["transfer"] == second)
    assert world.payable("GB") == 0


def test_an_unmatched_second_payment_of_a_paid_invoice_is_explained_as_a_possible_duplicate(world, session):
    from ledger.reconciliation.duplicates import possible_duplicates
    from ledger.statements.models import Transfer

    ref = rf_reference("RWDUP2")
    invoice = world.invoice("GB", "RW-DUP-2", "3000.00", ref)
    other = world.invoice("GB", "RW-DUP-3", "3000.00")
    world.statement([("-3000.00", ref, RW_IBAN, date(2026, 5, 1))])
    world.run()
    again, unquoted, short = world.statement([("-3000.00", f"Payment {ref}", RW_IBAN, date(2026, 5, 9)),
                                              ("-3000.00", "Monthly fee", RW_IBAN, date(2026, 5, 9)),
                                              ("-2999.00", ref, RW_IBAN, date(2026, 5, 9))])
    session.expire_all()
    rows = [session.get(Transfer, i) for i in (again, unquoted, short)]
    found = possible_duplicates(session, rows)
    assert list(found) == [again]  # the same amount alone, or the reference with another amount, is no evidence
    assert (found[again].id, found[again].number) == (invoice, "RW-DUP-2")
    assert world.invoice_row(other).status == "approved"


def test_a_refund_in_the_opposite_direction_is_not_matched(world):
    ref = rf_reference("RWREF1")
    invoice = world.invoice("GB", "RW-REF-1", "2500.00", ref)
    paid, refund = world.statement([("-2500.00", ref, RW_IBAN, date(2026, 5, 1)),
                                    ("2500.00", f"Refund {ref}", RW_IBAN, date(2026, 5, 20))])
    world.run()
    assert [m["transfer"] for m in world.matches()] == [paid]
    assert world.transfer(refund)["status"] == "unmatched"
    assert world.invoice_row(invoice).status == "paid"


def test_a_payment_in_another_currency_at_a_stated_rate(world, session):
    ref = rf_reference("RWFX1")
    invoice = world.invoice("GB", "RW-FX-1", "1000.00", ref)
    (transfer,) = world.statement([("-1150.00", ref, RW_IBAN, date(2026, 5, 2))], account=GB_EUR, currency="EUR")
    stated = world.api.put(f"/api/v1/transfers/{transfer}/fx", token=world.officer,
                           json={"instructed_amount": "1000.00", "instructed_currency": "GBP", "rate": "1.15",
                                 "source": "bank advice"})
    assert stated.status_code == 200, stated.get_json()
    assert stated.get_json() == {"transfer": transfer, "instructed_amount": "1000.00", "instructed_currency": "GBP",
                                 "rate": "1.15", "source": "bank advice"}
    assert world.run()["auto_matched"] == 1
    (match,) = world.matches("auto")
    assert match["currency"] == "GBP" and match["value"] == "1000.00" and match["fx_rate"] == "1.15"
    assert match["transfer_amount"] == "1150.00" and match["transfer_currency"] == "EUR"
    assert match["evidence"]["fx_rate"] == "1.15"
    lines = {line[0]: line for line in entry_lines(session, match["journal_entry"])}
    assert lines[f"suspense:-:-:-:EUR:{GB_EUR}"][1] == "-1150.00"  # out of suspense in the bank's currency
    assert lines[f"currency_exchange:-:-:-:EUR:{GB_EUR}"][1] == "1150.00"
    converted = lines[f"currency_exchange:-:-:-:GBP:{GB_EUR}"]
    assert converted[1] == "-1000.00" and converted[2].rate == Decimal("1.15")
    assert str(converted[2].original) == "1150.00" and converted[2].original.currency == "EUR"
    assert world.invoice_row(invoice).status == "paid" and world.transfer(transfer)["status"] == "matched"


def test_stating_a_conversion_is_checked_and_refused_once_the_transfer_is_matched(world):
    ref = rf_reference("RWFX2")
    world.invoice("GB", "RW-FX-2", "1000.00", ref)
    (transfer,) = world.statement([("-1150.00", ref, RW_IBAN, date(2026, 5, 2))], account=GB_EUR, currency="EUR")
    path, api = f"/api/v1/transfers/{transfer}/fx", world.api

    def state(token=world.officer, **body):
        return api.put(path, token=token, json={"instructed_amount": "1000.00", "instructed_currency": "GBP", **body})

    assert_problem(state(instructed_currency="EUR"), 422, "same_currency")
    assert_problem(state(rate="0"), 422, "invalid_fx_rate")
    assert_problem(state(rate=1.15), 422, "validation_error")  # a JSON number could be a float
    assert_problem(state(instructed_amount="1000.001"), 422, "validation_error")
    assert_problem(state(token=world.parties["GB"]), 403, "forbidden")
    assert_problem(api.put("/api/v1/transfers/999999/fx", token=world.officer,
                           json={"instructed_amount": "1.00", "instructed_currency": "GBP"}), 404, "not_found")
    assert state(rate="1.15").status_code == 200
    assert world.run()["auto_matched"] == 1
    assert_problem(state(rate="1.20"), 409, "transfer_allocated")


def test_a_payment_in_another_currency_at_the_rate_its_statement_states(world, session):
    # The camt.053 states it all: 1250.00 EUR booked, 1000.00 GBP instructed, 1 EUR = 0.80 GBP. No state_fx.
    document = (Path(__file__).resolve().parents[1] / "fixtures" / "statements"
                / "fx-camt.053.001.04-gb-pays-rw.xml").read_bytes()
    ref = rf_reference("RWFXCAMT1")
    assert ref.encode() in document
    invoice = world.invoice("GB", "RW-FX-CAMT-1", "1000.00", ref)
    (transfer,) = world.import_statement(document)
    answer = world.run()
    assert (answer["auto_matched"], answer["proposed"], answer["unmatched_transfers"]) == (1, 0, 0)
    (match,) = world.matches("auto")
    assert match["transfer"] == transfer and match["allocations"][0]["invoice"] == invoice
    assert match["currency"] == "GBP" and match["value"] == "1000.00" and match["residual"] == "0.00"
    assert match["fx_rate"] == "1.25" and match["evidence"]["fx_rate"] == "1.25"
    assert match["transfer_amount"] == "1250.00" and match["transfer_currency"] == "EUR"
    converted = next(line for line in entry_lines(session, match["journal_entry"])
                     if line[0].startswith("currency_exchange:") and line[2] is not None)
    assert converted[1] == "-1000.00"
    assert converted[2].rate == Decimal("1.25") and str(converted[2].original) == "1250.00"
    assert converted[2].original.currency == "EUR" and converted[2].source == "statement"
    assert world.invoice_row(invoice).status == "paid" and world.transfer(transfer)["status"] == "matched"


def test_a_payment_before_the_invoice_arrived_matches_on_a_later_run(world):
    ref = rf_reference("RWEARLY1")
    (transfer,) = world.statement([("-4200.00", ref, RW_IBAN, date(2026, 3, 20))])
    first = world.run()
    assert (first["auto_matched"], first["proposed"], first["unmatched_transfers"]) == (0, 0, 1)
    invoice = world.invoice("GB", "RW-EARLY-1", "4200.00", ref, issued_on=date(2026, 4, 2), due_on=date(2026, 5, 2))
    second = world.run()
    assert second["auto_matched"] == 1 and second["transfers_considered"] == 1
    (match,) = world.matches("auto")
    assert match["transfer"] == transfer and match["allocations"][0]["invoice"] == invoice
    assert int(match["evidence"]["days_from_due"].split("=")[1]) < 0
    third = world.run()  # incremental: nothing open is left to look at
    assert (third["transfers_considered"], third["invoices_considered"], third["auto_matched"]) == (0, 0, 0)


def test_a_reference_to_another_partys_invoice_does_not_match(world):
    ref = rf_reference("RWDE1")
    theirs = world.invoice("DE", "RW-DE-1", "6000.00", ref)
    world.statement([("-6000.00", ref, RW_IBAN, date(2026, 5, 2))])
    answer = world.run()
    assert (answer["auto_matched"], answer["proposed"]) == (0, 0)
    assert world.invoice_row(theirs).amount_open == 6000


def test_several_invoices_paid_by_one_transfer_and_one_invoice_in_instalments(world):
    a = world.invoice("GB", "RW-M-1", "1200.00", due_on=date(2026, 5, 2))
    b = world.invoice("GB", "RW-M-2", "3400.00", due_on=date(2026, 5, 10))
    world.statement([("-4600.00", "Payment April", RW_IBAN, date(2026, 5, 12))])
    world.run()
    (match,) = world.matches("auto")
    assert match["method"] == "multi_invoice"
    assert sorted(x["invoice"] for x in match["allocations"]) == sorted([a, b])
    assert world.payable("GB") == 0


def test_review_reject_reverse_and_manual(world, session):
    one = world.invoice("GB", "RW-AMB-1", "2000.00", due_on=date(2026, 5, 2))
    two = world.invoice("GB", "RW-AMB-2", "2000.00", due_on=date(2026, 5, 4))
    (transfer,) = world.statement([("-2000.00", "Reimbursement", RW_IBAN, date(2026, 5, 3))])
    answer = world.run()
    assert (answer["auto_matched"], answer["proposed"]) == (0, 1)
    (proposal,) = world.matches("proposed")
    assert proposal["journal_entry"] is None and "reason" in proposal["evidence"]
    proposed_invoice = proposal["allocations"][0]["invoice"]
    other = two if proposed_invoice == one else one
    assert world.invoice_row(proposed_invoice).amount_open == 2000  # nothing moves before review

    response = world.api.post(f"{R}/matches/{proposal['id']}/reject", json={"reason": "not this one"},
                              token=world.officer)
    assert response.status_code == 200 and response.get_json()["status"] == "rejected"
    assert_problem(world.api.post(f"{R}/matches/{proposal['id']}/confirm", token=world.officer), 409,
                   "invalid_transition")

    world.run()  # the rejected pair is never proposed again
    pairs = [(m["transfer"], a["invoice"]) for m in world.matches() if m["status"] != "rejected"
             for a in m["allocations"]]
    assert (transfer, proposed_invoice) not in pairs
    (posted,) = [m for m in world.matches() if m["status"] in ("auto", "proposed")]
    if posted["status"] == "proposed":
        posted = world.api.post(f"{R}/matches/{posted['id']}/confirm", token=world.officer).get_json()
    assert posted["allocations"][0]["invoice"] == other and world.invoice_row(other).status == "paid"

    reversed_without_reason = world.api.post(f"{R}/matches/{posted['id']}/reverse", json={}, token=world.officer)
    assert_problem(reversed_without_reason, 422, "validation_error")
    response = world.api.post(f"{R}/matches/{posted['id']}/reverse", json={"reason": "wrong invoice"},
                              token=world.officer)
    assert response.status_code == 200, response.get_json()
    reversed_ = response.get_json()
    assert reversed_["status"] == "reversed" and reversed_["reversal_entry"] > reversed_["journal_entry"]
    assert world.invoice_row(other).status == "approved" and world.invoice_row(other).amount_open == 2000
    assert world.transfer(transfer)["status"] == "unmatched"
    assert world.payable("GB") == 4000

    too_much = world.api.post(f"{R}/matches", json={"transfer": transfer, "allocations": [
        {"invoice": one, "amount": "2000.00"}, {"invoice": two, "amount": "500.00"}]}, token=world.officer)
    assert_problem(too_much, 409, "over_allocation")
    manual = world.api.post(f"{R}/matches", json={"transfer": transfer, "allocations": [
        {"invoice": proposed_invoice, "amount": "2000.00"}]}, token=world.officer)
    assert manual.status_code == 201, manual.get_json()
    assert manual.get_json()["status"] == "confirmed" and manual.get_json()["method"] == "manual"
    assert world.invoice_row(proposed_invoice).status == "paid" and world.payable("GB") == 2000
    audit = world.api.get("/api/v1/audit?limit=1000", token=world.officer)
    if audit.status_code == 200:
        actions = {r.get("action") for r in audit.get_json()["items"]}
        assert {"reconciliation.reject", "reconciliation.reverse", "reconciliation.manual"} <= actions


def test_a_manual_match_with_two_wrong_allocations_names_both_in_one_answer(world):
    mine = world.invoice("GB", "RW-TWO-1", "300.00")
    theirs = world.invoice("DE", "RW-TWO-2", "300.00")
    (transfer,) = world.statement([("-600.00", "Two invoices", RW_IBAN, date(2026, 5, 3))])
    answer = world.api.post(f"{R}/matches", json={"transfer": transfer, "allocations": [
        {"invoice": 999_999, "amount": "300.00"}, {"invoice": mine, "amount": "300.00"},
        {"invoice": theirs, "amount": "300.00"}]}, token=world.officer)
    body = assert_problem(answer, 422, "unknown_invoice")  # the first problem gives the code
    assert body["errors"] == {"allocations.0.invoice": ["no invoice 999999"],
                              "allocations.2.invoice": ["the invoice is not owed by the transfer's payer to its "
                                                        "counterparty"]}
    assert body["detail"] == "allocations.0.invoice: no invoice 999999"
    assert world.invoice_row(mine).amount_open == 300 and world.transfer(transfer)["status"] == "unmatched"


def test_confirming_a_proposal_posts_it(world, session):
    world.invoice("GB", "RW-P-1", "900.00", due_on=date(2026, 5, 2))
    world.invoice("GB", "RW-P-2", "900.00", due_on=date(2026, 5, 6))
    world.statement([("-900.00", None, RW_IBAN, date(2026, 5, 4))])
    world.run()
    (proposal,) = world.matches("proposed")
    stale = world.api.post(f"{R}/matches/{proposal['id']}/confirm", token=world.officer,
                           headers={"If-Match": '"match-0-0"'})
    assert stale.status_code == 412
    response = world.api.post(f"{R}/matches/{proposal['id']}/confirm", token=world.officer)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "confirmed" and response.get_json()["journal_entry"]
    assert world.payable("GB") == 900
    assert_problem(world.api.post(f"{R}/matches/{proposal['id']}/confirm", token=world.officer), 409,
                   "invalid_transition")


def test_dry_run_posts_nothing_and_runs_are_deterministic(world, session):
    for n in range(4):
        world.invoice("GB", f"RW-D-{n}", f"{1000 + n}.00", rf_reference(f"RWD{n}"))
    world.statement([(f"-{1000 + n}.00", rf_reference(f"RWD{n}"), RW_IBAN, date(2026, 5, 1 + n)) for n in range(4)])
    dry = world.run(dry_run=True)
    assert dry["dry_run"] and dry["auto_matched"] == 4
    assert world.matches() == [] and world.payable("GB") == 4006
    again = world.run(dry_run=True)
    assert {k: again[k] for k in ("auto_matched", "proposed", "per_rule")} == \
        {k: dry[k] for k in ("auto_matched", "proposed", "per_rule")}
    real = world.run()
    assert real["auto_matched"] == 4 and world.payable("GB") == 0


def test_roles_and_partner_scoping(world, api, auditor):
    ref = rf_reference("RWSCOPE")
    world.invoice("GB", "RW-S-1", "100.00", ref)
    world.statement([("-100.00", ref, RW_IBAN, date(2026, 5, 1))])
    assert_problem(api.post(f"{R}/runs", json={}, token=auditor), 403, "forbidden")
    assert_problem(api.post(f"{R}/runs", json={}, token=world.parties["GB"]), 403, "forbidden")
    world.run()
    (match,) = world.matches()
    assert api.get(f"{R}/matches/{match['id']}", token=world.parties["RW"]).status_code == 200
    assert_problem(api.get(f"{R}/matches/{match['id']}", token=world.parties["DE"]), 404, "not_found")
    assert world.matches(token=world.parties["DE"]) == []
    assert len(world.matches(token=world.parties["GB"])) == 1
    assert_problem(api.post(f"{R}/matches/{match['id']}/reverse", json={"reason": "x"},
                            token=world.parties["GB"]), 403, "forbidden")


def test_cli_reconcile_json_and_dry_run(world, runner):
    ref = rf_reference("RWCLI1")
    world.invoice("GB", "RW-CLI-1", "321.00", ref)
    world.statement([("-321.00", ref, RW_IBAN, date(2026, 5, 1))])
    result = runner.invoke(args=["reconcile", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output.strip().splitlines()[-1])
    assert answer["auto_matched"] == 1 and answer["dry_run"] is True
    assert world.matches() == []
    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 0 and "1 auto matched" in result.output
    assert world.matches("auto")


def test_unknown_counterparty_waits(world):
    ref = rf_reference("RWUNK1")
    world.invoice("GB", "RW-U-1", "800.00", ref)
    world.statement([("-800.00", ref, "FR1420041010050500013M02606", date(2026, 5, 1))])
    answer = world.run()
    assert (answer["auto_matched"], answer["proposed"], answer["transfers_considered"]) == (0, 0, 0)



def test_the_demo_leaves_a_living_reconciliation_queue(api, runner, officer):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    items = api.get(f"{R}/matches?limit=1000", token=officer).get_json()["items"]
    statuses = {m["status"] for m in items}
    methods = {m["method"] for m in items if m["status"] == "auto"}
    assert {"auto", "proposed"} <= statuses and {"reference", "amount"} <= methods


@pytest.mark.parametrize("forked", [False, True], ids=["engine-here", "engine-forked"])
def test_a_run_stores_and_posts_its_matches_in_batches_while_matching(world, session, monkeypatch, forked):
    """The engine hands its proposals over every EMIT_EVERY; each batch is checked against what earlier batches
    took, so instalments of one invoice spread over batches settle it once, and everything balances. The same
    whether the engine runs here or in a process of its own (as large runs do)."""
    from ledger.journal.service import verify
    from ledger.reconciliation import engine, parallel

    monkeypatch.setattr(engine, "EMIT_EVERY", 1)
    monkeypatch.setattr(parallel, "FORK_FROM", 0 if forked else 10**9)
    seen = []
    results = parallel.Matching.results
    monkeypatch.setattr(parallel.Matching, "results", lambda self, on_batch: seen.append(self.forked) or
                        results(self, on_batch))
    for n in range(3):
        world.invoice("GB", f"RW-B-{n}", f"{2000 + n}.00", rf_reference(f"RWB{n}"), due_on=date(2026, 5, 1))
    instalments = world.invoice("GB", "RW-B-I", "3000.00", rf_reference("RWBI"), due_on=date(2026, 5, 1))
    world.statement([(f"-{2000 + n}.00", rf_reference(f"RWB{n}"), RW_IBAN, date(2026, 5, 2)) for n in range(3)]
                    + [(f"-{amount}.00", rf_reference("RWBI"), RW_IBAN, date(2026, 5, 3 + n))
                       for n, amount in enumerate((1200, 1000, 800))])
    run = world.run()
    assert run["auto_matched"] == 6 and run["proposed"] == 0
    matches = world.matches("auto")
    assert len({m["id"] for m in matches}) == 6 and all(m["journal_entry"] for m in matches)
    assert len({m["journal_entry"] for m in matches}) == 6
    paid = [m for m in matches if any(a["invoice"] == instalments for a in m["allocations"])]
    assert sum(Decimal(a["amount"]) for m in paid for a in m["allocations"]) == Decimal("3000.00")
    assert world.payable("GB") == 0
    invoice = world.api.get(f"/api/v1/invoices/{instalments}", token=world.officer).get_json()
    assert invoice["status"] == "paid" and invoice["amount_open"] == "0.00"
    assert verify(session) is None  # the journal's chain holds over all batches
    assert seen == [forked]
