"""The checks on what reconciliation is given collect every problem, the first giving the refusal its code."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from ledger.money import Money
from ledger.reconciliation import ReconciliationError, match
from ledger.reconciliation.validation import (
    ManualInvoice,
    ManualTransfer,
    credit_allocation_findings,
    payment_allocation_findings,
    transfer_to_match_findings,
    write_off_findings,
)
from tests.unit.reconciliation.factories import invoice, transfer

PAYMENT = ManualTransfer(booked=True, reversal=False, party="GB", counterparty="RW", direction="debit",
                         currency="GBP")


def test_the_engine_refuses_input_naming_every_problem_the_first_giving_the_code():
    bad_invoice = replace(invoice("I1"), open_amount=Money.of("1.00", "EUR"), tolerance_pct=Decimal(-1))
    with pytest.raises(ReconciliationError) as error:
        match([bad_invoice], [transfer("T1", "-1.00"), transfer("T1")])
    assert error.value.code == "duplicate_transfer_id"
    assert [(code, field) for code, _, field in error.value.problems] == [
        ("duplicate_transfer_id", "id"), ("currency_mismatch", "open_amount"), ("invalid_tolerance", "tolerance_pct"),
        ("negative_amount", "amount")]


def test_one_problem_is_the_errors_only_problem():
    with pytest.raises(ReconciliationError) as error:
        match([], [transfer("T1", "-1.00")])
    assert error.value.problems == [("negative_amount", "transfer T1: amount is negative (use direction)", "amount")]


def test_an_unknown_transfer_and_no_allocations_are_both_named():
    found = transfer_to_match_findings(None, 7, [], write_off=False)
    assert [(f.field, f.code) for f in found] == [("transfer", "unknown_transfer"), ("allocations", "validation_error")]


def test_a_transfer_neither_booked_nor_of_known_parties_says_both():
    pending = PAYMENT._replace(booked=False, counterparty=None, direction="credit")
    found = transfer_to_match_findings(pending, 7, [{"invoice": 1}], write_off=True)
    assert [f.code for f in found] == ["not_a_payment", "unknown_party", "no_write_off_on_credit"]


def test_every_wrong_allocation_of_a_payment_is_named():
    invoices = {1: ManualInvoice(1, "GB", "RW", "GBP"), 2: ManualInvoice(2, "DE", "RW", "EUR")}
    allocations = [{"invoice": 1, "amount": Decimal("1.001")}, {"invoice": 1, "amount": Decimal(1)},
                   {"invoice": 2, "amount": Decimal(1)}, {"invoice": 3, "amount": Decimal(1)},
                   {"claim": 4, "invoice": None, "amount": Decimal(1)}]
    found = payment_allocation_findings(PAYMENT, allocations, invoices)
    assert [(f.field, f.code) for f in found] == [
        ("allocations.0.amount", "validation_error"), ("allocations.1.invoice", "duplicate_invoice"),
        ("allocations.2.invoice", "party_mismatch"), ("allocations.2.invoice", "currency_mismatch"),
        ("allocations.3.invoice", "unknown_invoice"), ("allocations.4.claim", "not_a_credit")]


def test_a_correct_payment_has_no_findings():
    assert payment_allocation_findings(PAYMENT, [{"invoice": 1, "amount": Decimal("2.50")}],
                                       {1: ManualInvoice(1, "GB", "RW", "GBP")}) == []


def test_a_credit_mixing_claims_and_notes_with_a_bad_amount_says_both():
    found = credit_allocation_findings([{"claim": 1, "amount": Decimal("1.001")}, {"invoice": 2, "claim": None,
                                                                                  "amount": Decimal(1)}], "GBP")
    assert [(f.field, f.code) for f in found] == [("allocations.0.amount", "validation_error"),
                                                  ("allocations", "mixed_allocations")]
    assert [f.code for f in credit_allocation_findings([{"invoice": 1, "amount": Decimal(1)},
                                                        {"invoice": 2, "amount": Decimal(1)}], "GBP")] \
        == ["one_note_per_credit"]


def test_a_write_off_without_account_or_reason_names_both():
    found = write_off_findings("petty_cash", "  ", ("bank_charges", "fx_differences", "rounding"))
    assert [(f.field, f.code) for f in found] == [("write_off_account", "unknown_account"),
                                                  ("write_off_reason", "reason_required")]
