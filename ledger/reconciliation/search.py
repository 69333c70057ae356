"""What an officer can match a transfer to, found by reference, party, amount (± tolerance) and date.

A payment out settles approved invoices its payer owes, with money open, in the transfer's currency; a credit in
pays accepted EU cost claims its account's owner made, in the credit's currency (each whole), or refunds a credit
note's credit left (in full or in part). The documents are read through the invoices' and recognition's doors;
this module turns them into candidates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from ledger.invoices import queries as invoices
from ledger.money import quantize
from ledger.parties import queries as parties
from ledger.recognition import queries as recognition

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


def _documents(session: Session, transfer, c: Criteria, kind: str) -> list:
    """The transfer's payer's approved documents of `kind` in its currency with money left, within the criteria."""
    return invoices.open_to_match(
        session, kind, transfer.party_code, transfer.currency,
        payees=parties.codes_matching(session, c.party) if c.party else None, text=c.text, amount=c.amount,
        tolerance=c.tolerance, date_from=c.date_from, date_to=c.date_to,
        first_payee=transfer.counterparty_party or "", limit=LIMIT)


def _claims(session: Session, transfer, c: Criteria) -> list[Candidate]:
    claim_id = None
    if c.text:
        digits = c.text.strip().upper().removeprefix("CC-")
        if not digits.isdigit():
            return []
        claim_id = int(digits)
    found = recognition.accepted_to_match(
        session, transfer.party_code, transfer.currency,
        issuing_states=parties.codes_matching(session, c.party) if c.party else None, claim_id=claim_id,
        amount=c.amount, tolerance=c.tolerance, submitted_from=c.date_from, submitted_to=c.date_to,
        first_issuing=transfer.counterparty_party or "", limit=LIMIT)
    return [_claim(k) for k in found]


def _invoice(i) -> Candidate:
    return Candidate(f"invoice:{i.id}", "invoice", i.id, i.number, i.payer_code, i.payee_code, i.currency,
                     quantize(i.amount_open, i.currency), i.payment_reference, i.due_on, i.issued_on)


def _claim(k) -> Candidate:
    return Candidate(f"claim:{k.id}", "claim", k.id, f"CC-{k.id}", k.issuing_state, k.enforcing_state, k.currency,
                     quantize(k.payable, k.currency), f"CC-{k.id}", k.payment_due_on, k.submitted_on)


def _note(i) -> Candidate:
    """A credit note with credit left: the host owes it back, so the host is the payer of its refund."""
    return Candidate(f"invoice:{i.id}", "credit_note", i.id, f"credit note {i.number}", i.payee_code, i.payer_code,
                     i.currency, quantize(-i.amount_open, i.currency), i.payment_reference, i.due_on, i.issued_on)


def candidates(session: Session, transfer, criteria: Criteria) -> list[Candidate]:
    """A credit: accepted EU claims it pays (each whole) and credit notes it refunds; a payment: open invoices."""
    if transfer.direction == "credit":
        return (_claims(session, transfer, criteria)
                + [_note(i) for i in _documents(session, transfer, criteria, "credit_note")])
    return [_invoice(i) for i in _documents(session, transfer, criteria, "invoice")]


def by_keys(session: Session, transfer, keys: list[str]) -> dict[str, Candidate]:
    """The candidates named by a submitted form (whatever the search said then), as they stand now."""
    ids = {kind: [int(k.split(":", 1)[1]) for k in keys if k.startswith(kind + ":") and k.split(":", 1)[1].isdigit()]
           for kind in ("invoice", "claim")}
    out: dict[str, Candidate] = {}
    for i in invoices.by_ids(session, ids["invoice"]).values():
        out[f"invoice:{i.id}"] = _note(i) if i.document_type == "credit_note" else _invoice(i)
    for k in recognition.claims_by_ids(session, ids["claim"]):
        out[f"claim:{k.id}"] = _claim(k)
    return out
