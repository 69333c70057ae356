"""Refunds: a credit from a host on a payer's account that pays back what an approved credit note left.

A credit note first reduces the invoice it corrects; what is left over (its negative `amount_open`) is
money the host owes the payer back. A credit on the payer's account from the host's IBAN is that refund:
matched by the pure engine (credit → receivable) against the payer's credit notes with credit left, with
the party key payer + payee as for invoices, so a refund from one host never settles another's note.

Only a proposal that refunds one credit note, in full or in part and without a write-off, is kept; the
posting is Dr suspense (the credit's bank account: the import put the money there) / Cr invoices_payable
(host → payer, agreement), which clears the debit the credit note left there. Reversing posts the reversal and
opens the credit again. The credits pass that loads and counts credits lives in `claims` (EU cost claims are paid
first, by state pairs no host shares).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.audit.service import describe
from ledger.db import for_update
from ledger.errors import Conflict, field_error
from ledger.invoices.models import Invoice
from ledger.journal import service as journal
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.money import Money
from ledger.reconciliation import rows
from ledger.reconciliation.models import ReconciliationAllocation, ReconciliationMatch, RejectedPair
from ledger.reconciliation.types import MatchProposal, OpenInvoice
from ledger.statements.cash import suspense
from ledger.statements.models import Transfer

RULE_PREFIX = "refund:"


def keeps(proposal: MatchProposal) -> bool:
    """Does the proposal refund one credit note, in full or in part, with nothing written off? (A refund
    is the host's money coming back: a difference is not a bank charge of ours to absorb.)"""
    return len(proposal.allocations) == 1 and proposal.residual_account is None


def open_note() -> tuple:
    """What makes a credit note open to refunds: approved, with credit left."""
    return Invoice.document_type == "credit_note", Invoice.status == "approved", Invoice.amount_open < 0


def open_notes(session: Session, *, lock: bool = False) -> list[OpenInvoice]:
    """Approved credit notes with credit left, as the engine's receivables (locked FOR UPDATE with `lock`
    on PostgreSQL, after the credits: the order every posting path takes)."""
    i = Invoice
    query = (select(i.id, i.payer_code, i.payee_code, i.agreement_id, i.number, i.payment_reference, i.currency,
                    i.amount_open, i.issued_on, i.due_on)
             .where(*open_note()))
    notes = []
    for row in session.execute(for_update(session, query, lock=lock, of=i)):
        zero = Money.zero(row.currency)
        notes.append(OpenInvoice(
            id=row.id, party=row.payer_code + row.payee_code, agreement_id=str(row.agreement_id), number=row.number,
            payment_reference=row.payment_reference, end_to_end_id=None, direction="receivable",
            currency=row.currency, open_amount=Money(-row.amount_open, row.currency), issued_on=row.issued_on,
            due_on=row.due_on or row.issued_on, tolerance_abs=zero, tolerance_pct=Decimal(0)))
    return notes


def rejected_pairs(session: Session) -> set[tuple[int, int]]:
    """(credit, credit note) pairs no run matches again: rejected proposals and reversed refunds."""
    rejected = session.execute(select(RejectedPair.transfer_id, RejectedPair.invoice_id))
    return {(t, i) for t, i in rejected} | rows.reversed_pairs(session)


def store(session: Session, proposal: MatchProposal, owner: str, counterparty: str, currency: str,
          run_id: int | None, actor: str, status: str | None = None) -> ReconciliationMatch:
    return rows.store_match(session, proposal, owner, counterparty, currency, run_id, actor,
                            {"refunds_credit_note": "true"},
                            item="invoice_id", status=status)


def manual(session: Session, transfer: Transfer, note_id: int, amount: Decimal, actor: str) -> ReconciliationMatch:
    """An officer's match of a credit to the credit note it refunds, in full or in part; posted at once."""
    where = "allocations.0.invoice"
    note = session.get(Invoice, note_id)
    if note is None:
        raise field_error(where, f"no invoice {note_id}", "unknown_invoice")
    if note.document_type != "credit_note":
        raise field_error(where, "a credit refunds a credit note or pays a cost claim; this is an invoice",
                          "not_a_credit_note")
    if (note.payer_code, note.payee_code) != (transfer.party_code, transfer.counterparty_party):
        raise field_error(where, "the credit note is not owed back to the credit's account owner by its "
                          "counterparty", "party_mismatch")
    if note.currency != transfer.currency:
        raise field_error(where, f"the credit note is in {note.currency}, the credit in {transfer.currency}",
                          "currency_mismatch")
    if note.status != "approved" or note.amount_open >= 0:
        raise field_error(where, f"the credit note is {note.status} with nothing left to refund", "not_payable")
    if amount > -note.amount_open:
        raise field_error("allocations.0.amount", f"the credit note has {-note.amount_open} {note.currency} left "
                          "to refund", "over_allocation")
    row = store(session, rows.by_hand(transfer, [(note_id, amount)]), transfer.party_code, transfer.counterparty_party,
                transfer.currency, None, actor, status="confirmed")
    pay(session, row)
    describe(session, "reconciliation.manual", "reconciliation_match", row.id,
             f"transfer {transfer.id} refunds credit note {note_id} by hand, entry {row.journal_entry_id}")
    return row


def _only_allocation(session: Session, match_id: int) -> ReconciliationAllocation:
    (allocation,) = rows.allocations_of(session, match_id)  # a refund settles one credit note (`keeps`)
    return allocation


def is_refund_match(session: Session, match_row: ReconciliationMatch) -> bool:
    """Does the match settle a credit note with a credit (rather than an invoice with a payment)?"""
    direction = session.execute(select(Transfer.direction).where(Transfer.id == match_row.transfer_id)).scalar_one()
    return direction == "credit" and session.execute(select(ReconciliationAllocation.id).where(
        ReconciliationAllocation.match_id == match_row.id, ReconciliationAllocation.invoice_id.is_not(None))
    ).first() is not None


def _entry(note: Invoice, amount: Money, bank_account: str, booked_on: date, match_id: int,
           period: str) -> EntryDraft:
    """Dr the credit's suspense (the money came in at the import) / Cr invoices payable."""
    received = suspense(amount.currency, bank_account)
    payable = AccountKey("invoices_payable", amount.currency, note.payee_code, note.payer_code, note.agreement_id)
    return EntryDraft(effective_date=booked_on, period=period, lines=(debit(received, amount), credit(payable, amount)),
                      source_type=rows.SOURCE_TYPE, source_id=str(match_id),
                      memo=f"{note.payee_code} refunds credit note {note.number} to {note.payer_code}")


def pay(session: Session, row: ReconciliationMatch) -> None:
    """Post the refund and take it off the credit note and the credit (rows locked transfer first)."""
    allocation = _only_allocation(session, row.id)
    transfer = rows.locked(session, Transfer, row.transfer_id)
    note = rows.locked(session, Invoice, allocation.invoice_id)
    amount = Money(allocation.amount, note.currency)
    if transfer.allocated + amount.amount > transfer.amount:
        raise Conflict(f"transfer {transfer.id} has {transfer.amount - transfer.allocated} unallocated, less than "
                       f"the {amount.amount} this would allocate", code="over_allocation")
    if note.status != "approved" or -note.amount_open < amount.amount:
        raise Conflict(f"credit note {note.id} has {max(-note.amount_open, 0)} left to refund, less than "
                       f"{amount.amount}", code="over_allocation")
    booked_on = transfer.booking_date or transfer.value_date
    row.journal_entry_id = journal.post_entries(
        session, [_entry(note, amount, transfer.account, booked_on, row.id,
                         journal.first_open_period(session, booked_on))])[0]
    note.amount_open += amount.amount
    note.status = "paid" if note.amount_open == 0 else note.status
    note.version += 1
    rows.add_allocated(session, transfer.id, amount.amount)
    session.flush()


def confirm(session: Session, row: ReconciliationMatch, actor: str) -> ReconciliationMatch:
    pay(session, row)
    rows.decide(session, row, "confirmed", actor)
    describe(session, "reconciliation.confirm", "reconciliation_match", row.id,
             f"transfer {row.transfer_id} refunds a credit note, entry {row.journal_entry_id}")
    return row


def reject(session: Session, row: ReconciliationMatch, actor: str, reason: str | None) -> ReconciliationMatch:
    note_id = _only_allocation(session, row.id).invoice_id
    refused = RejectedPair(transfer_id=row.transfer_id, invoice_id=note_id, match_id=row.id)
    return rows.refuse(session, row, actor, reason, [refused],
                       f"transfer {row.transfer_id} is not the refund of credit note {note_id}")


def reverse(session: Session, row: ReconciliationMatch, actor: str, reason: str) -> ReconciliationMatch:
    """Undo a posted refund: the reversal entry, the credit open again on the note, the credit unallocated."""
    allocation = _only_allocation(session, row.id)
    transfer = rows.locked(session, Transfer, row.transfer_id)
    note = rows.locked(session, Invoice, allocation.invoice_id)
    entry_id = rows.reversal_entry(session, row, transfer, allocation.amount, reason)
    note.amount_open -= allocation.amount
    note.status, note.version = "approved", note.version + 1
    return rows.reversed_match(session, row, allocation.amount, entry_id, actor, reason, f"credit note {note.id}")
