"""What the pages and other features may read of the invoices' table (the invoices' door for reads): the list as
the pages sort and filter it, the counts waiting for a decision, the figures per payee of the partner cards, and the
overdue invoices as the settlement statement lists them (for the dashboard, which counts them)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from ledger.invoices.models import Invoice, InvoiceLine
from ledger.invoices.parsed import STATUSES
from ledger.invoices.settlement_provider import overdue_open_items  # the statement's overdue invoices, as it lists them
from ledger.listing import Listing, either_party
from ledger.timeutil import today

__all__ = ["LISTING", "STATUSES", "by_ids", "payee_codes", "payees_of_invoices", "count_by_status", "open_by_payee",
           "overdue_by_payee", "invoiced_by_payee_and_month", "invoiced_by_agreement", "disputed_up_to", "overdue_on",
           "open_to_match", "payable_by", "of_payer", "obligations_asked", "overdue_open_items"]


def _overdue(query: Select, value: str) -> Select:
    """Approved, unpaid and past due today ("yes"); any other value filters nothing."""
    if value != "yes":
        return query
    return query.where(Invoice.status == "approved", Invoice.amount_open != 0, Invoice.due_on < today())


LISTING = Listing(
    query=lambda: select(Invoice),
    orders={"id": Invoice.id, "number": Invoice.number, "payee": Invoice.payee_code, "period": Invoice.period,
            "issued_on": Invoice.issued_on, "due_on": Invoice.due_on, "payable": Invoice.payable,
            "amount_open": Invoice.amount_open, "status": Invoice.status},
    tiebreak=Invoice.id,
    filters={"status": lambda q, v: q.where(Invoice.status == v),
             "party": either_party(Invoice.payee_code, Invoice.payer_code),
             "period": lambda q, v: q.where(Invoice.period == v), "overdue": _overdue},
)


def by_ids(session: Session, ids: set[int] | list[int]) -> dict[int, Invoice]:
    """The invoices of `ids`, by id (read-only rows for a page)."""
    if not ids:
        return {}
    return {i.id: i for i in session.execute(select(Invoice).where(Invoice.id.in_(ids))).scalars()}


def payee_codes() -> Select:
    """The code of every party that sent an invoice (a subquery's select)."""
    return select(Invoice.payee_code)


def count_by_status(session: Session, statuses: tuple[str, ...]) -> dict[str, int]:
    """How many invoices are in each of `statuses` (those with none are left out)."""
    return dict(session.execute(select(Invoice.status, func.count()).where(Invoice.status.in_(statuses))
                                .group_by(Invoice.status)).all())


_APPROVED_OPEN = and_(Invoice.status == "approved", Invoice.amount_open > 0, Invoice.document_type == "invoice")


def open_by_payee(session: Session, day: date, month_end: date, period: str) -> list[tuple[str, str, object]]:
    """(payee, currency, open amount) of approved invoices due from `day` to `month_end`, or with no due date of
    `period`: what falls due this month and is not late yet."""
    return session.execute(
        select(Invoice.payee_code, Invoice.currency, func.sum(Invoice.amount_open))
        .where(_APPROVED_OPEN, or_(and_(Invoice.due_on >= day, Invoice.due_on <= month_end),
                                   and_(Invoice.due_on.is_(None), Invoice.period == period)))
        .group_by(Invoice.payee_code, Invoice.currency)).all()


def overdue_by_payee(session: Session, day: date) -> list[tuple[str, str, object]]:
    """(payee, currency, open amount) of approved invoices whose due date is before `day`."""
    return session.execute(
        select(Invoice.payee_code, Invoice.currency, func.sum(Invoice.amount_open))
        .where(_APPROVED_OPEN, Invoice.due_on < day).group_by(Invoice.payee_code, Invoice.currency)).all()


def invoiced_by_payee_and_month(session: Session, first: str, last: str) -> list[tuple[str, str, str, object]]:
    """(payee, currency, period, payable) of approved or paid invoices of the periods `first` to `last`."""
    return session.execute(
        select(Invoice.payee_code, Invoice.currency, Invoice.period, func.sum(Invoice.payable))
        .where(Invoice.status.in_(("approved", "paid")), Invoice.period >= first, Invoice.period <= last)
        .group_by(Invoice.payee_code, Invoice.currency, Invoice.period)).all()


def payees_of_invoices() -> Select:
    """Each invoice's id with its payee's code (a subquery's select)."""
    return select(Invoice.id, Invoice.payee_code)


def invoiced_by_agreement(session: Session, agreement_ids: list[int], period: str) -> dict[int, Decimal]:
    """Per agreement, the payable of its invoices for `period` that were not rejected (those with none left out)."""
    rows = session.execute(
        select(Invoice.agreement_id, func.sum(Invoice.payable))
        .where(Invoice.agreement_id.in_(agreement_ids), Invoice.period == period, Invoice.status != "rejected")
        .group_by(Invoice.agreement_id))
    return {agreement_id: Decimal(total or 0) for agreement_id, total in rows}


def disputed_up_to(session: Session, period: str) -> int:
    """How many invoices of `period` or before are disputed, waiting for the partner."""
    return session.execute(select(func.count()).select_from(Invoice)
                           .where(Invoice.status == "disputed", Invoice.period <= period)).scalar_one()


def overdue_on(session: Session, as_of: date) -> list[Invoice]:
    """The approved invoices (not credit notes) with money open whose due date is before `as_of`, in order."""
    return list(session.execute(select(Invoice).where(
        Invoice.status == "approved", Invoice.document_type == "invoice", Invoice.amount_open > 0,
        Invoice.due_on.is_not(None), Invoice.due_on < as_of).order_by(Invoice.id)).scalars())


def open_to_match(session: Session, kind: str, payer: str, currency: str, *, payees: list[str] | None = None,
                  text: str = "", amount: Decimal | None = None, tolerance: Decimal = Decimal(0),
                  date_from: date | None = None, date_to: date | None = None, first_payee: str = "",
                  limit: int = 50) -> list[Invoice]:
    """An officer's search for what a transfer settles: the approved documents of `kind` (`invoice`, or
    `credit_note`) `payer` owes in `currency` with money left (an invoice's open amount, a credit note's credit
    left); of `payees`, when given; whose number or payment reference contains `text`; with money left of `amount`
    ± `tolerance`; dated (an invoice by its due date, else its issue date; a credit note by its issue date) from
    `date_from` to `date_to`. Invoices of `first_payee` come first, then by due date; credit notes by issue date."""
    left = Invoice.amount_open if kind == "invoice" else -Invoice.amount_open
    day = func.coalesce(Invoice.due_on, Invoice.issued_on) if kind == "invoice" else Invoice.issued_on
    query = select(Invoice).where(Invoice.status == "approved", left > 0, Invoice.document_type == kind,
                                  Invoice.currency == currency, Invoice.payer_code == payer)
    if payees is not None:
        query = query.where(Invoice.payee_code.in_(payees))
    if text:
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(Invoice.number).like(like),
                                func.lower(Invoice.payment_reference).like(like)))
    if amount is not None:
        query = query.where(left.between(amount - tolerance, amount + tolerance))
    if date_from:
        query = query.where(day >= date_from)
    if date_to:
        query = query.where(day <= date_to)
    if kind == "invoice":  # the transfer's own counterparty first, then by due date: the likeliest on top
        query = query.order_by((Invoice.payee_code != first_payee), day, Invoice.id)
    else:
        query = query.order_by(Invoice.issued_on, Invoice.id)
    return list(session.execute(query.limit(limit)).scalars())


def _payers_invoices(payer: str) -> Select:
    return select(Invoice).where(Invoice.payer_code == payer, Invoice.document_type == "invoice")


def payable_by(session: Session, payer: str, currency: str, due_by: date) -> list[Invoice]:
    """The approved invoices (not credit notes) with something open that `payer` owes in `currency` by `due_by`
    (their due date, else their issue date), the earliest due first."""
    query = _payers_invoices(payer).where(Invoice.status == "approved", Invoice.amount_open > 0,
                                          Invoice.currency == currency,
                                          func.coalesce(Invoice.due_on, Invoice.issued_on) <= due_by)
    return list(session.execute(query.order_by(Invoice.due_on, Invoice.id)).scalars())


def of_payer(session: Session, payer: str, ids: list[int]) -> dict[int, Invoice]:
    """The invoices (not credit notes) of `ids` that `payer` owes, by id."""
    return {i.id: i for i in session.execute(_payers_invoices(payer).where(Invoice.id.in_(ids))).scalars()}


def obligations_asked(session: Session, obligation_ids: list[int]) -> set[int]:
    """Of `obligation_ids`, those an invoice not rejected asks for (a line naming the obligation)."""
    if not obligation_ids:
        return set()
    return set(session.execute(
        select(InvoiceLine.obligation_id).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.obligation_id.in_(obligation_ids), Invoice.status != "rejected")).scalars())
