"""Unmatched payments that look like a second payment of an invoice already paid.

A run never matches them, neither to the paid invoice (it has nothing left to settle) nor to another open invoice
the amount happens to fit (`repeats_waiting` tells the run which they are; the engine holds them out of every rule),
so the duplicate waits while the host holds the money twice. This says which invoice it repeats, so an officer can
ask the host for a refund (or book it against the next invoice by hand). It is an explanation, never a match, and
nothing is posted.

A payment out is a possible duplicate of a paid invoice when it goes from the invoice's payer to its host, in the
invoice's currency, quotes one of its references (payment reference or number, in any of the forms the engine
compares) and is for exactly what the invoice asked in cash (payable less advance offset). The reference is what
makes it evidence: the same amount alone is every month's fee.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from ledger.invoices.models import Invoice
from ledger.money import Money
from ledger.reconciliation.lookups import document_references, remittance_references
from ledger.statements.models import Transfer

#: An invoice ordered in whole by a released payment batch (`in_transit`) is paid as far as a second payment goes:
#: the bank has the order, so another payment of it is a duplicate too.
PAID = ("paid", "in_transit")

# ---- the rule (plain values) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaidInvoice:
    id: int
    number: str
    payer: str
    payee: str
    cash: Money  # what the invoice asked in cash: payable less the advance offset
    references: frozenset[str]  # its references in every form the engine compares


@dataclass(frozen=True, slots=True)
class Payment:
    payer: str
    payee: str
    amount: Money
    references: frozenset[str]  # every reference candidate in the payment's identifiers and remittance


def duplicate_of(payment: Payment, paid: Iterable[PaidInvoice]) -> PaidInvoice | None:
    """The paid invoice the payment repeats (the lowest id when several could be), or None."""
    found = [invoice for invoice in paid
             if (invoice.payer, invoice.payee) == (payment.payer, payment.payee) and invoice.cash == payment.amount
             and invoice.references & payment.references]
    return min(found, key=lambda invoice: invoice.id, default=None)


class PaidIndex:
    """Paid invoices by what a repeat must share with one (payer, host, cash, one reference) → the lowest id.

    `duplicate_of` as a lookup: a payment is looked up once for each of its references, so the work grows with the
    payments and the invoices, never with their product (every month's fee is the same amount)."""

    def __init__(self, paid: Iterable[PaidInvoice]) -> None:
        self._lowest: dict[tuple[str, str, Money, str], int] = {}
        for invoice in paid:
            for reference in invoice.references:
                key = (invoice.payer, invoice.payee, invoice.cash, reference)
                if invoice.id < self._lowest.get(key, invoice.id + 1):
                    self._lowest[key] = invoice.id

    def __bool__(self) -> bool:
        return bool(self._lowest)

    def repeated_by(self, payment: Payment) -> int | None:
        """The id of the paid invoice `payment` repeats (as `duplicate_of` decides), or None."""
        ids = [self._lowest.get((payment.payer, payment.payee, payment.amount, reference))
               for reference in payment.references]
        return min((invoice_id for invoice_id in ids if invoice_id is not None), default=None)


# ---- reading them ------------------------------------------------------------------------------------

#: Waiting payments fetched at a time (a server-side cursor on PostgreSQL): memory stays flat however many wait.
STREAM_BATCH = 5000


def possible_duplicates(session: Session, transfers: Sequence[Transfer]) -> dict[int, PaidInvoice]:
    """For the unexplained payments out among `transfers` (nothing allocated yet): the paid invoice each repeats."""
    payments = {t.id: payment_of(t) for t in transfers
                if t.direction == "debit" and t.allocated == 0 and t.party_code and t.counterparty_party
                and not t.reversal}
    if not payments:
        return {}
    i = Invoice
    wanted = {(p.payer, p.payee, p.amount.currency, p.amount.amount) for p in payments.values()}
    query = (_paid_invoices()
             .where(tuple_(i.payer_code, i.payee_code, i.currency).in_({w[:3] for w in wanted}),
                    (i.payable - i.advance_offset).in_({w[3] for w in wanted})))
    paid = {invoice.id: invoice for invoice in (paid_invoice(*row) for row in session.execute(query))}
    index = PaidIndex(paid.values())
    found = {transfer_id: index.repeated_by(payment) for transfer_id, payment in payments.items()}
    return {transfer_id: paid[invoice_id] for transfer_id, invoice_id in found.items() if invoice_id is not None}


def repeats_waiting(session: Session) -> dict[int, int]:
    """For a run: every unexplained payment out (booked, nothing allocated) that repeats a paid invoice → that invoice.

    The paid invoices are read once into a `PaidIndex`; the waiting payments whose payer, payee, currency and amount
    are some paid invoice's (a semi-join: each payment once, however many invoices share its amount) are streamed
    past it and looked up by their references."""
    index = PaidIndex(paid_invoice(*row) for row in session.execute(_paid_invoices()))
    if not index:
        return {}
    found = {}
    for transfer_id, *payment in session.execute(_waiting_like_paid(), execution_options={"yield_per": STREAM_BATCH}):
        invoice_id = index.repeated_by(_payment_of(*payment))
        if invoice_id is not None:
            found[transfer_id] = invoice_id
    return found


_IS_PAID_INVOICE = (Invoice.status.in_(PAID), Invoice.document_type == "invoice")


def _paid_invoices() -> Select:
    i = Invoice
    return (select(i.id, i.number, i.payment_reference, i.payer_code, i.payee_code, i.currency, i.payable,
                   i.advance_offset)
            .where(*_IS_PAID_INVOICE))


def _waiting_like_paid() -> Select:
    """Unexplained payments out (booked, nothing allocated, not a reversal) for some paid invoice's cash amount."""
    t, i = Transfer, Invoice
    paid_keys = select(i.payer_code, i.payee_code, i.currency, i.payable - i.advance_offset).where(*_IS_PAID_INVOICE)
    # `party_code || ''`: SQLite would otherwise walk the payer's index once for each paid key, reading a payer's
    # payments as often as its invoices have distinct amounts; so it scans the payments once and probes the keys
    # (as PostgreSQL's hash semi-join does).
    payer = t.party_code + ""
    return (select(t.id, t.party_code, t.counterparty_party, t.currency, t.amount, t.end_to_end_id,
                   t.structured_reference, t.remittance_information)
            .where(t.direction == "debit", t.booking_status == "booked", t.reversal.is_(False), t.allocated == 0,
                   t.party_code.is_not(None), t.counterparty_party.is_not(None),
                   tuple_(payer, t.counterparty_party, t.currency, t.amount).in_(paid_keys)))


def payment_of(t: Transfer) -> Payment:
    """The transfer as the rule reads a payment (`duplicate_of`)."""
    return _payment_of(t.party_code, t.counterparty_party, t.currency, t.amount, t.end_to_end_id,
                       t.structured_reference, t.remittance_information)


def _payment_of(payer: str, payee: str, currency: str, amount: Decimal, end_to_end_id: str | None,
                structured: str | None, text: str | None) -> Payment:
    """The payment as the engine reads a transfer's references (`remittance_references`)."""
    references = remittance_references(end_to_end_id, structured, text)
    return Payment(payer, payee, Money(amount, currency), frozenset(references))


def paid_invoice(invoice_id: int, number: str, reference: str | None, payer: str, payee: str, currency: str,
                 payable: Decimal, advance_offset: Decimal) -> PaidInvoice:
    """The paid invoice, from its columns, as the rule reads it (`duplicate_of`)."""
    references = document_references(reference, number, None)
    return PaidInvoice(invoice_id, number, payer, payee, Money(payable - advance_offset, currency),
                       frozenset(form for form, _ in references))
