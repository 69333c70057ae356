"""Read-only figures over payment batches for other features' pages.

Per payee (the creditor a transfer pays) and currency:
  - ordered: transfers of approved batches not yet released (items still `proposed`, not held): the money the
    officers have agreed to send, as the settlement statement counts it (`service.settlement_section`);
  - in transit: transfers of released batches the bank has not debited yet (`ordered` or `accepted`; a rejected
    one went back to its invoice, a paid one was cleared by the bank's debit);
  - debited: transfers the bank's debit cleared (matched by EndToEndId), by the debit's booking date.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.money import Money
from ledger.payments.models import PaymentBatch, PaymentItem
from ledger.payments.service import IN_TRANSIT


def _by_payee(session: Session, *conditions) -> dict[str, list[Money]]:
    rows = session.execute(
        select(PaymentItem.payee_code, PaymentItem.currency, func.sum(PaymentItem.amount))
        .join(PaymentBatch, PaymentBatch.id == PaymentItem.batch_id)
        .where(*conditions)
        .group_by(PaymentItem.payee_code, PaymentItem.currency)
        .order_by(PaymentItem.payee_code, PaymentItem.currency)).all()
    out: dict[str, list[Money]] = defaultdict(list)
    for payee, currency, total in rows:
        if total:
            out[payee].append(Money.rounded(Decimal(total), currency))
    return dict(out)


def ordered_by_payee(session: Session) -> dict[str, list[Money]]:
    """What approved, unreleased batches will pay each payee, per currency."""
    return _by_payee(session, PaymentBatch.status == "approved", PaymentItem.status == "proposed")


def in_transit_by_payee(session: Session) -> dict[str, list[Money]]:
    """What released batches sent each payee that the bank has not debited (nor rejected) yet, per currency."""
    return _by_payee(session, PaymentBatch.status == "released", PaymentItem.status.in_(IN_TRANSIT))


def debited_by_payee(session: Session, since: date) -> dict[str, list[Money]]:
    """What the bank debited for each payee's transfers (cleared by EndToEndId) from `since`, per currency."""
    from ledger.statements import queries as statements

    return _by_payee(session, PaymentItem.status == "paid", PaymentItem.transfer_id.in_(statements.booked_since(since)))


def latest_batches(session: Session, limit: int) -> list[PaymentBatch]:
    """The newest `limit` batches, newest first."""
    return list(session.execute(select(PaymentBatch).order_by(PaymentBatch.id.desc()).limit(limit)).scalars())


def payee_codes():
    """The payee of every payment order (a subquery's select)."""
    return select(PaymentItem.payee_code)
