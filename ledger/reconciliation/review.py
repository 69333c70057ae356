"""The review workflow: an officer confirms, rejects or reverses a match, or matches a transfer by hand (a
payment out to invoices, with a write-off if need be; a credit to the cost claims it pays or the credit note it
refunds, `claims`, `refunds`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.audit.service import describe, record_change
from ledger.errors import Conflict, check_if_match, field_error, fields_error
from ledger.invoices import service as invoices
from ledger.invoices.models import Invoice
from ledger.money import Money, quantize
from ledger.reconciliation import claims, refunds, writeoffs
from ledger.reconciliation.matches import allocations_of, etag, get
from ledger.reconciliation.models import (
    POSTED,
    ReconciliationMatch,
    RejectedPair,
)
from ledger.reconciliation.posting import (
    Plan,
    lock_rows,
    post,
    store,
)
from ledger.reconciliation.rows import refuse, reversal_entry, reversed_match
from ledger.reconciliation.validation import (
    ManualInvoice,
    ManualTransfer,
    credit_allocation_findings,
    payment_allocation_findings,
    transfer_to_match_findings,
    write_off_findings,
)
from ledger.statements.models import Transfer
from ledger.timeutil import utcnow


def _plan_of(session: Session, row: ReconciliationMatch) -> Plan:
    allocations = allocations_of(session, [row.id])[row.id]
    agreements = dict(session.execute(select(Invoice.id, Invoice.agreement_id)
                                      .where(Invoice.id.in_([a.invoice_id for a in allocations]))).all())
    transfer = session.get(Transfer, row.transfer_id)
    return Plan(
        transfer_id=row.transfer_id, payer=row.payer_code, payee=row.payee_code, method=row.method,
        status=row.status, confidence=row.confidence, currency=row.currency, value=row.value, residual=row.residual,
        residual_account=row.residual_account, transfer_amount=row.transfer_amount,
        transfer_currency=row.transfer_currency, booked_on=transfer.booking_date or transfer.value_date,
        allocations=[(a.invoice_id, a.amount, a.written_off) for a in allocations], evidence={},
        fx_rate=row.fx_rate, fx_source=row.fx_source, agreements=agreements, id=row.id,
        bank_account=transfer.account)


def _check_if_match(row: ReconciliationMatch, if_match: str | None) -> None:
    check_if_match(etag(row), if_match, "match")


def confirm(session: Session, match_id: int, actor: str, if_match: str | None = None) -> ReconciliationMatch:
    """Post a proposed match: Dr invoices payable / Cr the transfer's suspense (and the residual within tolerance)."""
    row = get(session, match_id, lock=True)
    _check_if_match(row, if_match)
    if row.status != "proposed":
        raise Conflict(f"a {row.status} match cannot be confirmed", code="invalid_transition")
    from ledger.features import reconciliation_confirm_checks  # late: features import this module

    for check in reconciliation_confirm_checks():
        check(session, row)
    if claims.is_claim_match(session, row.id):
        return claims.confirm(session, row, actor)
    if refunds.is_refund_match(session, row):
        return refunds.confirm(session, row, actor)
    post(session, [_plan_of(session, row)], hooks=True)
    session.refresh(row)
    row.status, row.decided_by, row.decided_at = "confirmed", actor, utcnow()
    record_change(session, row, "reconciliation.confirm", "reconciliation_match", row.id,
                  f"transfer {row.transfer_id}, entry {row.journal_entry_id}")
    return row


def reject(session: Session, match_id: int, actor: str, reason: str | None = None,
           if_match: str | None = None) -> ReconciliationMatch:
    """Refuse a proposal: its pairs are remembered and never proposed again."""
    row = get(session, match_id, lock=True)
    _check_if_match(row, if_match)
    if row.status != "proposed":
        raise Conflict(f"a {row.status} match cannot be rejected", code="invalid_transition")
    if claims.is_claim_match(session, row.id):
        return claims.reject(session, row, actor, reason)
    if refunds.is_refund_match(session, row):
        return refunds.reject(session, row, actor, reason)
    pairs = {(row.transfer_id, a.invoice_id) for a in allocations_of(session, [row.id])[row.id]}
    return refuse(session, row, actor, reason, [RejectedPair(transfer_id=t, invoice_id=i, match_id=row.id)
                                                for t, i in sorted(pairs)], f"{len(pairs)} pairs rejected")


def reverse(session: Session, match_id: int, actor: str, reason: str,
            if_match: str | None = None) -> ReconciliationMatch:
    """Undo a posted match: the reversal entry, the invoices' amounts open again, the transfer unallocated."""
    row = get(session, match_id, lock=True)
    _check_if_match(row, if_match)
    if row.status not in POSTED:
        raise Conflict(f"a {row.status} match has nothing posted to reverse", code="invalid_transition")
    if claims.is_claim_match(session, row.id):
        return claims.reverse(session, row, actor, reason)
    if refunds.is_refund_match(session, row):
        return refunds.reverse(session, row, actor, reason)
    from ledger.features import reconciliation_reversals  # late: features import this module

    if any(reversal(session, row, actor, reason) for reversal in reconciliation_reversals()):
        return row
    plan = _plan_of(session, row)
    lock_rows(session, [plan.transfer_id], [i for i, _, _ in plan.allocations])
    transfer = session.get(Transfer, row.transfer_id, populate_existing=True)
    entry_id = reversal_entry(session, row, transfer, row.transfer_amount, reason)
    taken: dict[int, Decimal] = defaultdict(Decimal)
    for invoice_id, amount, written_off in plan.allocations:
        taken[invoice_id] += amount + written_off
    for invoice_id, amount in sorted(taken.items()):
        invoices.unsettle(session, invoice_id, Money(quantize(amount, row.currency), row.currency))
    return reversed_match(session, row, row.transfer_amount, entry_id, actor, reason)


def manual(session: Session, transfer_id: int, allocations: Sequence[dict], actor: str,
           write_off: WriteOff | None = None) -> ReconciliationMatch:
    """An officer's own match, posted at once: a payment out to invoices of the same currency, or a credit to the
    cost claims it pays or the one credit note it refunds (`claims.manual`, `refunds.manual`). A payment out may
    write off the difference to a named account (`writeoffs`)."""
    transfer = session.get(Transfer, transfer_id)
    rows = _check_manual(session, transfer, transfer_id, allocations, write_off)
    if transfer.direction == "credit":
        return _manual_credit(session, transfer, allocations, actor)
    cur = transfer.currency
    total = sum((a for _, a in rows), Decimal(0))
    evidence = {"reason": "matched by hand", "transfer_amount": f"{transfer.amount} {cur}",
                "booked_on": str(transfer.booking_date or transfer.value_date),
                "invoices_open": "; ".join(f"{inv.id}={inv.amount_open}" for inv, _ in rows)}
    split = [(inv.id, a, Decimal(0)) for inv, a in rows]
    value, residual, account = total, Decimal(0), None
    if write_off is not None:
        planned = _written_off(transfer, rows, write_off)
        split, value, residual, account = (list(planned.allocations), planned.transfer_amount, planned.residual,
                                           write_off.account)
        evidence.update(write_off=f"{planned.written_off} {cur}", write_off_reason=write_off.reason)
        if write_off.approval is not None:
            evidence["approval"] = str(write_off.approval)
    plan = Plan(transfer_id=transfer.id, payer=transfer.party_code, payee=transfer.counterparty_party,
                method="manual", status="confirmed", confidence=Decimal(1), currency=cur, value=value,
                residual=residual, residual_account=account, transfer_amount=value, transfer_currency=cur,
                booked_on=transfer.booking_date or transfer.value_date, allocations=split, evidence=evidence,
                agreements={inv.id: inv.agreement_id for inv, _ in rows}, bank_account=transfer.account)
    store(session, [plan], None, actor)
    post(session, [plan], hooks=True)
    row = get(session, plan.id)
    session.refresh(row)
    describe(session, "reconciliation.manual", "reconciliation_match", row.id,
             f"transfer {transfer.id}: {len(rows)} invoices, {total} {cur}")
    return row


@dataclass(frozen=True)
class WriteOff:
    """A difference written off while matching by hand: to which account, why, at most how much alone (None: a
    second officer approved it, `approval`), and the amount the officer saw (the match is refused if it differs)."""

    account: str
    reason: str
    limit: Decimal | None
    seen: Decimal | None = None
    approval: int | None = None


def _check_manual(session: Session, transfer: Transfer | None, transfer_id: int, allocations: Sequence[dict],
                  write_off: WriteOff | None) -> list[tuple[Invoice, Decimal]]:
    """Refuse a match by hand naming every problem at once (`validation`); for a payment out, its invoices with
    the amounts each takes."""
    seen = None if transfer is None else ManualTransfer(
        booked=transfer.booking_status == "booked", reversal=transfer.reversal, party=transfer.party_code,
        counterparty=transfer.counterparty_party, direction=transfer.direction, currency=transfer.currency)
    findings = transfer_to_match_findings(seen, transfer_id, allocations, write_off is not None)
    rows: list[tuple[Invoice, Decimal]] = []
    if seen is not None and seen.direction == "credit":
        findings += credit_allocation_findings(allocations, seen.currency)
    elif seen is not None:
        named = {}
        for item in allocations:
            invoice = session.get(Invoice, item["invoice"]) if item.get("claim") is None else None
            if invoice is not None:
                named[invoice.id] = invoice
                rows.append((invoice, item["amount"]))
        findings += payment_allocation_findings(seen, allocations, {i: ManualInvoice(
            i, inv.payer_code, inv.payee_code, inv.currency) for i, inv in named.items()})
        if write_off is not None:
            findings += write_off_findings(write_off.account, write_off.reason, writeoffs.ACCOUNTS)
    if findings:
        raise fields_error(findings)
    return rows


def _written_off(transfer: Transfer, rows: list[tuple[Invoice, Decimal]],
                 write_off: WriteOff) -> writeoffs.WriteOffPlan:
    """The write-off's plan (its account and reason are checked with the rest of the match, `_check_manual`)."""
    try:
        cur = transfer.currency
        planned = writeoffs.plan([writeoffs.Pick(inv.id, quantize(inv.amount_open, cur), a) for inv, a in rows],
                                 quantize(transfer.amount - transfer.allocated, cur))
    except ValueError as error:
        raise field_error("write_off", str(error), "nothing_to_write_off") from None
    if write_off.seen is not None and planned.written_off != write_off.seen:
        raise Conflict(f"the difference is now {planned.written_off} {cur}, not the {write_off.seen} {cur} asked "
                       "for: the transfer or the invoices changed since", code="stale_write_off")
    if write_off.limit is not None and planned.written_off > write_off.limit:
        raise field_error("write_off", f"{planned.written_off} {cur} is above your limit of {write_off.limit} {cur}: "
                          "a second officer must approve it", "write_off_above_limit")
    return planned


def _manual_credit(session: Session, transfer: Transfer, allocations: Sequence[dict],
                   actor: str) -> ReconciliationMatch:
    """A credit settles as in the run's credits pass: cost claims, each whole, or one credit note's refund (the
    allocations are checked, `_check_manual`)."""
    if all(item.get("claim") is not None for item in allocations):
        return claims.manual(session, transfer, [(item["claim"], item["amount"]) for item in allocations], actor)
    (item,) = allocations
    return refunds.manual(session, transfer, item["invoice"], item["amount"], actor)
