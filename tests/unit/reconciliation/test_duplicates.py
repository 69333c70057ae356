"""Which unmatched payment repeats a paid invoice: same payer and host, the invoice's cash amount, one of its
references quoted."""

from __future__ import annotations

from ledger.money import Money
from ledger.reconciliation.duplicates import PaidInvoice, Payment, duplicate_of

PAID = [PaidInvoice(7, "RW-7", "GB", "RW", Money.of("3000.00", "GBP"), frozenset({"RW7", "RF18RW7"})),
        PaidInvoice(5, "RW-5", "GB", "RW", Money.of("3000.00", "GBP"), frozenset({"RW5"}))]


def _payment(amount="3000.00", references=("RW7",), payer="GB", payee="RW", currency="GBP") -> Payment:
    return Payment(payer, payee, Money.of(amount, currency), frozenset(references))


def test_a_payment_quoting_a_paid_invoice_for_its_amount_repeats_it():
    assert duplicate_of(_payment(), PAID).id == 7


def test_the_same_amount_without_a_reference_is_no_evidence():
    assert duplicate_of(_payment(references=("FEE",)), PAID) is None


def test_another_amount_another_party_or_another_currency_repeats_nothing():
    assert duplicate_of(_payment(amount="2999.00"), PAID) is None
    assert duplicate_of(_payment(payer="DE"), PAID) is None
    assert duplicate_of(_payment(payee="AL"), PAID) is None
    assert duplicate_of(_payment(currency="EUR"), PAID) is None


def test_quoting_two_paid_invoices_names_the_first():
    assert duplicate_of(_payment(references=("RW7", "RW5")), PAID).id == 5
