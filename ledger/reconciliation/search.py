"""What an officer can match a transfer to, found by reference, party, amount (± tolerance) and date.

A payment out settles approved invoices its payer owes, with money open, in the transfer's currency; a credit in
pays accepted EU cost claims its account's owner made, in the credit's currency (each whole), or refunds a credit
note's credit left (in full or in part)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ledger.invoices.models import Invoice
from ledger.money import quantize
from ledger.parties.models import Party
from ledger.recognition.models import CostClaim
from ledger.statements.models import Transfer

LIMIT = 50


@dataclass(frozen=True)
class Criteria:
    text: str = ""  # a reference, an invoice number, or part of one
    party: str = ""  # the other side: code or part of its name
    amount: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class Candidate:
    key: str  # "invoice:12" or "claim:3": what the form sends back (never typed by anyone)
    kind: str  # invoice | claim | credit_note
    id: int
    label: str  # the number an officer knows it by
    payer: str
    payee: str
    currency: str
    open_amount: Decimal
    reference: str | None
    dated: date | None  # due date (invoice) or payment due date (claim)
    issued: date | None


def _party_codes(session: Session, text: str) -> list[str]:
    like = f"%{text.strip().lower()}%"
    return list(session.execute(select(Party.code).where(or_(func.lower(Party.code) == text.strip().lower(),
                                                              func.lower(Party.name).like(like)))).scalars())


def _documents(session: Session, transfer: Transfer, c: Criteria, kind: str, left, day):
    """The query of the transfer's payer's approved documents of `kind` in its currency with `left` (their amount
    still open, as a positive column expression) within the criteria; `day` is the column the dates bound."""
    query = select(Invoice).where(Invoice.status == "approved", left > 0, Invoice.document_type == kind,
                                  Invoice.currency == transfer.currency, Invoice.payer_code == transfer.party_code)
    if c.party:
        query = query.where(Invoice.payee_code.in_(_party_codes(session, c.party)))
    if c.text:
        like = f"%{c.text.strip().lower()}%"
        query = query.where(or_(func.lower(Invoice.number).like(like),
                                func.lower(Invoice.payment_reference).like(like)))
    if c.amount is not None:
        query = query.where(left.between(c.amount - c.tolerance, c.amount + c.tolerance))
    if c.date_from:
        query = query.where(day >= c.date_from)
    if c.date_to:
        query = query.where(day <= c.date_to)
    return query


def _invoices(session: Session, transfer: Transfer, c: Criteria) -> list[Candidate]:
    due = func.coalesce(Invoice.due_on, Invoice.issued_on)
    query = _documents(session, transfer, c, "invoice", Invoice.amount_open, due)
    # The transfer's own counterparty first, then by due date: the likeliest on top.
    query = query.order_by((Invoice.payee_code != (transfer.counterparty_party or "")), due, Invoice.id).limit(LIMIT)
    return [_invoice(i) for i in session.execute(query).scalars()]


def _claims(session: Session, transfer: Transfer, c: Criteria) -> list[Candidate]:
    query = select(CostClaim).where(CostClaim.status == "accepted", CostClaim.payable > 0,
                                    CostClaim.currency == transfer.currency,
                                    CostClaim.enforcing_state == transfer.party_code)
    if c.party:
        query = query.where(CostClaim.issuing_state.in_(_party_codes(session, c.party)))
    if c.text:
        digits = c.text.strip().upper().removeprefix("CC-")
        if not digits.isdigit():
            return []
        query = query.where(CostClaim.id == int(digits))
    if c.amount is not None:
        query = query.where(CostClaim.payable.between(c.amount - c.tolerance, c.amount + c.tolerance))
    if c.date_from:
        query = query.where(CostClaim.submitted_on >= c.date_from)
    if c.date_to:
        query = query.where(CostClaim.submitted_on <= c.date_to)
    query = query.order_by((CostClaim.issuing_state != (transfer.counterparty_party or "")),
                           CostClaim.payment_due_on, CostClaim.id).limit(LIMIT)
    return [_claim(k) for k in session.execute(query).scalars()]


def _invoice(i: Invoice) -> Candidate:
    return Candidate(f"invoice:{i.id}", "invoice", i.id, i.number, i.payer_code, i.payee_code, i.currency,
                     quantize(i.amount_open, i.currency), i.payment_reference, i.due_on, i.issued_on)


def _claim(k: CostClaim) -> Candidate:
    return Candidate(f"claim:{k.id}", "claim", k.id, f"CC-{k.id}", k.issuing_state, k.enforcing_state, k.currency,
                     quantize(k.payable, k.currency), f"CC-{k.id}", k.payment_due_on, k.submitted_on)


def _note(i: Invoice) -> Candidate:
    """A credit note with credit left: the host owes it back, so the host is the payer of its refund."""
    return Candidate(f"invoice:{i.id}", "credit_note", i.id, f"credit note {i.number}", i.payee_code, i.payer_code,
                     i.currency, quantize(-i.amount_open, i.currency), i.payment_reference, i.due_on, i.issued_on)


def _credit_notes(session: Session, transfer: Transfer, c: Criteria) -> list[Candidate]:
    query = _documents(session, transfer, c, "credit_note", -Invoice.amount_open, Invoice.issued_on)
    return [_note(i) for i in session.execute(query.order_by(Invoice.issued_on, Invoice.id).limit(LIMIT)).scalars()]


def candidates(session: Session, transfer: Transfer, criteria: Criteria) -> list[Candidate]:
    """A credit: accepted EU claims it pays (each whole) and credit notes it refunds; a payment: open invoices."""
    if transfer.direction == "credit":
        return _claims(session, transfer, criteria) + _credit_notes(session, transfer, criteria)
    return _invoices(session, transfer, criteria)


def by_keys(session: Session, transfer: Transfer, keys: list[str]) -> dict[str, Candidate]:
    """The candidates named by a submitted form (whatever the search said then), as they stand now."""
    ids = {kind: [int(k.split(":", 1)[1]) for k in keys if k.startswith(kind + ":") and k.split(":", 1)[1].isdigit()]
           for kind in ("invoice", "claim")}
    out: dict[str, Candidate] = {}
    for i in session.execute(select(Invoice).where(Invoice.id.in_(ids["invoice"]))).scalars():
        if i.document_type == "credit_note":
            out[f"invoice:{i.id}"] = _note(i)
            continue
        out[f"invoice:{i.id}"] = _invoice(i)
    for k in session.execute(select(CostClaim).where(CostClaim.id.in_(ids["claim"]))).scalars():
        out[f"claim:{k.id}"] = _claim(k)
    return out
