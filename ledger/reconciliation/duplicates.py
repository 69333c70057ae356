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

from sqlalchemy import select, tuple_
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


# ---- reading them ------------------------------------------------------------------------------------

def possible_duplicates(session: Session, transfers: Sequence[Transfer]) -> dict[int, PaidInvoice]:
    """For the unexplained payments out among `transfers` (nothing allocated yet): the paid invoice each repeats."""
    payments = {t.id: _payment(t) for t in transfers
                if t.direction == "debit" and t.allocated == 0 and t.party_code and t.counterparty_party
                and not t.reversal}
    if not payments:
        return {}
    i = Invoice
    wanted = {(p.payer, p.payee, p.amount.currency, p.amount.amount) for p in payments.values()}
    query = (select(i.id, i.number, i.payment_reference, i.payer_code, i.payee_code, i.currency, i.payable,
                    i.advance_offset)
             .where(i.status.in_(PAID), i.document_type == "invoice",
                    tuple_(i.payer_code, i.payee_code, i.currency).in_({w[:3] for w in wanted}),
                    (i.payable - i.advance_offset).in_({w[3] for w in wanted})))
    paid = [_paid(*row) for row in session.execute(query)]
    found = {transfer_id: duplicate_of(payment, paid) for transfer_id, payment in payments.items()}
    return {transfer_id: invoice for transfer_id, invoice in found.items() if invoice is not None}


def repeats_waiting(session: Session) -> dict[int, int]:
    """For a run: every unexplained payment out (booked, nothing allocated) that repeats a paid invoice → that invoice.

    One join finds the few payments whose payer, payee, currency and amount are a paid invoice's; only those have
    their references compared. The waiting payments are gathered first (materialized), so the join is one pass over
    the invoices against them (a hash join on PostgreSQL, an automatic index on SQLite), never a walk through
    each payer's invoices for every payment."""
    t, i = Transfer, Invoice
    waiting = (select(t.id, t.end_to_end_id, t.structured_reference, t.remittance_information, t.party_code,
                      t.counterparty_party, t.currency, t.amount)
               .where(t.direction == "debit", t.booking_status == "booked", t.reversal.is_(False), t.allocated == 0,
                      t.party_code.is_not(None), t.counterparty_party.is_not(None))
               .cte("waiting").prefix_with("MATERIALIZED"))
    paid = (select(i.id, i.number, i.payment_reference, i.payer_code, i.payee_code, i.currency, i.payable,
                   i.advance_offset, (i.payable - i.advance_offset).label("cash"))
            .where(i.status.in_(PAID), i.document_type == "invoice")
            .cte("paid").prefix_with("MATERIALIZED"))
    w, p = waiting.c, paid.c
    query = (select(w.id, w.end_to_end_id, w.structured_reference, w.remittance_information, w.party_code,
                    w.counterparty_party, w.currency, w.amount, p.id, p.number, p.payment_reference, p.payer_code,
                    p.payee_code, p.currency, p.payable, p.advance_offset)
             .select_from(paid)
             .join(waiting, (p.payer_code == w.party_code) & (p.payee_code == w.counterparty_party)
                   & (p.currency == w.currency) & (p.cash == w.amount))
             .order_by(w.id, p.id))
    candidates: dict[int, tuple[Payment, list[PaidInvoice]]] = {}
    for row in session.execute(query):
        transfer_id = row[0]
        if transfer_id not in candidates:
            references = remittance_references(row[1], row[2], row[3])
            candidates[transfer_id] = (Payment(row[4], row[5], Money(row[7], row[6]), frozenset(references)), [])
        candidates[transfer_id][1].append(_paid(*row[8:]))
    found = {transfer_id: duplicate_of(payment, paid) for transfer_id, (payment, paid) in candidates.items()}
    return {transfer_id: invoice.id for transfer_id, invoice in found.items() if invoice is not None}


def _payment(t: Transfer) -> Payment:
    """The payment as the engine reads a transfer's references (`remittance_references`)."""
    references = remittance_references(t.end_to_end_id, t.structured_reference, t.remittance_information)
    return Payment(t.party_code, t.counterparty_party, Money(t.amount, t.currency), frozenset(references))


def _paid(invoice_id: int, number: str, reference: str | None, payer: str, payee: str, currency: str,
          payable: Decimal, advance_offset: Decimal) -> PaidInvoice:
    references = document_references(reference, number, None)
    return PaidInvoice(invoice_id, number, payer, payee, Money(payable - advance_offset, currency),
                       frozenset(form for form, _ in references))
