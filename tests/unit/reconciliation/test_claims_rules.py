"""Which engine proposals may pay EU cost claims: each claim named, whole, on or after its acceptance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger.money import Money
from ledger.reconciliation.claims import ClaimTerms, party_key, settles_whole
from ledger.reconciliation.types import Allocation, MatchProposal

CLAIMS = {1: ClaimTerms(Decimal("750.00"), "EUR", date(2024, 4, 1)),
          2: ClaimTerms(Decimal("250.00"), "EUR", date(2024, 4, 1))}
PAID = date(2024, 4, 20)


def _proposal(*allocations: tuple[int, str], residual: str = "0.00", residual_account=None) -> MatchProposal:
    return MatchProposal(
        transfer_id=7, allocations=tuple(Allocation(i, Money(Decimal(a), "EUR")) for i, a in allocations),
        rule="amount", status="auto", confidence=Decimal("0.90"), residual=Money(Decimal(residual), "EUR"),
        residual_account=residual_account)


def test_one_claim_paid_whole_is_kept():
    assert settles_whole(_proposal((1, "750.00")), CLAIMS, PAID)


def test_a_surplus_on_the_credit_still_pays_the_claim_whole():
    assert settles_whole(_proposal((1, "750.00"), residual="-50.00"), CLAIMS, PAID)


def test_part_of_a_claim_is_not_kept():
    assert not settles_whole(_proposal((1, "500.00"), residual="250.00"), CLAIMS, PAID)


def test_several_claims_each_paid_whole_are_kept():
    assert settles_whole(_proposal((1, "750.00"), (2, "250.00")), CLAIMS, PAID)


def test_several_claims_one_of_them_in_part_are_not_kept():
    assert not settles_whole(_proposal((1, "750.00"), (2, "200.00"), residual="50.00"), CLAIMS, PAID)


def test_several_claims_one_accepted_after_the_credit_are_not_kept():
    late = {**CLAIMS, 2: ClaimTerms(Decimal("250.00"), "EUR", date(2024, 4, 21))}
    assert not settles_whole(_proposal((1, "750.00"), (2, "250.00")), late, PAID)


def test_a_write_off_is_not_kept():
    assert not settles_whole(_proposal((1, "750.00"), residual="0.01", residual_account="bank_charges"),
                             CLAIMS, PAID)


def test_a_credit_before_the_acceptance_is_not_kept():
    assert not settles_whole(_proposal((1, "750.00")), CLAIMS, date(2024, 3, 31))
    assert settles_whole(_proposal((1, "750.00")), CLAIMS, date(2024, 4, 1))


def test_the_party_key_is_receiver_then_payer():
    assert party_key("DE", "FR") == "DEFR" != party_key("FR", "DE")
