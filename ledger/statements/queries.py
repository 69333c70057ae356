"""What the pages and other features may read of the statements' tables (the statements' door for reads): the
imports and their transfers as the pages sort and filter them, and the figures others count by."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, and_, func, not_, or_, select
from sqlalchemy.orm import Session

from ledger.listing import Listing, either_party
from ledger.statements import service
from ledger.statements.cash import DIFFERS_FLAG
from ledger.statements.models import Statement, Transfer
from ledger.statements.voiding import VOIDED, matches_holding

__all__ = ["DIFFERS_FLAG", "VOIDED", "STATEMENTS", "TRANSFERS", "matches_holding", "transfers_of", "transfer",
           "transfers_by_ids", "booked_since", "unexplained", "count_unexplained", "unexplained_by_party",
           "booked_debits_quoting"]

_WARNING = or_(Statement.balance_check == "mismatch", Statement.imported == 0,
               Statement.flags.contains("unknown_account"), Statement.flags.contains(DIFFERS_FLAG))
_RESULTS = {"voided": Statement.voided_at.is_not(None),
            "warning": and_(Statement.voided_at.is_(None), _WARNING),
            "ok": and_(Statement.voided_at.is_(None), not_(_WARNING))}

STATEMENTS = Listing(
    query=lambda: select(Statement),
    orders={"id": Statement.id, "imported_at": Statement.imported_at, "format": Statement.format,
            "party": Statement.party_code, "imported": Statement.imported, "duplicates": Statement.duplicates,
            "balance_check": Statement.balance_check},
    tiebreak=Statement.id,
    filters={"result": lambda q, v: q.where(_RESULTS[v]) if v in _RESULTS else q,
             "party": lambda q, v: q.where(service.visible_to_party(v.upper())),
             "balance_check": lambda q, v: q.where(Statement.balance_check == v)},
)


TRANSFERS = Listing(
    query=lambda: select(Transfer),
    orders={"id": Transfer.id, "booking_date": Transfer.booking_date, "direction": Transfer.direction,
            "counterparty": Transfer.counterparty_party, "party": Transfer.party_code, "amount": Transfer.amount,
            "unallocated": Transfer.amount - Transfer.allocated},
    tiebreak=Transfer.id,
    filters={"status": lambda q, v: q.where(service.status_clause(v)),
             "party": either_party(Transfer.party_code, Transfer.counterparty_party),
             "currency": lambda q, v: q.where(Transfer.currency == v.upper()),
             "direction": lambda q, v: q.where(Transfer.direction == v)},
)


def transfers_of(statement_id: int) -> Select:
    """The transfers one import brought in (a query for `TRANSFERS`)."""
    return select(Transfer).where(Transfer.statement_id == statement_id)


def transfer(session: Session, transfer_id: int) -> Transfer | None:
    return session.get(Transfer, transfer_id)


def transfers_by_ids(session: Session, ids: set[int] | list[int]) -> dict[int, Transfer]:
    """The transfers of `ids`, by id."""
    if not ids:
        return {}
    return {t.id: t for t in session.execute(select(Transfer).where(Transfer.id.in_(ids))).scalars()}


def booked_since(since: date) -> Select:
    """The ids of the transfers booked (or, with no booking date, valued) on or after `since` (a subquery's select)."""
    return select(Transfer.id).where(func.coalesce(Transfer.booking_date, Transfer.value_date) >= since)


def unexplained(as_of: date | None = None) -> list:
    """The conditions of a transfer with money no match explains yet: booked (by `as_of`, when given), not a
    bank's reversal entry, not all of it allocated."""
    conditions = [Transfer.booking_status == "booked", Transfer.reversal.is_(False),
                  Transfer.allocated < Transfer.amount]
    if as_of is not None:
        conditions.append(Transfer.booking_date <= as_of)
    return conditions


def count_unexplained(session: Session, as_of: date | None = None) -> int:
    return session.execute(select(func.count()).select_from(Transfer).where(*unexplained(as_of))).scalar_one()


def unexplained_by_party(session: Session, codes: list[str]) -> list[tuple[str, str, object]]:
    """(party, currency, unallocated) of the transfers to or from the accounts of `codes` with money unexplained
    (`unexplained`): each counted for both its account's owner and its counterparty, when they are among `codes`."""
    open_transfers = and_(*unexplained())
    rows = []
    for side in (Transfer.counterparty_party, Transfer.party_code):
        rows += session.execute(select(side, Transfer.currency, func.sum(Transfer.amount - Transfer.allocated))
                                .where(open_transfers).where(side.in_(codes)).group_by(side, Transfer.currency)).all()
    return rows


def booked_debits_quoting(order, end_to_end_id, batch, batch_on, account, *conditions) -> Select:
    """select(Transfer, order, batch): each booked debit (not a bank's reversal entry, nothing allocated yet) whose
    EndToEndId is `end_to_end_id` of another feature's payment `order`, joined to the order's `batch` (on
    `batch_on`) and taken from the batch's `account`, where `conditions` hold too, in the transfers' order."""
    t = Transfer
    return (select(t, order, batch)
            .join(order, end_to_end_id == t.end_to_end_id)
            .join(batch, batch_on)
            .where(t.direction == "debit", t.booking_status == "booked", t.reversal.is_(False),
                   t.allocated == 0, t.account == account, *conditions)
            .order_by(t.id))
