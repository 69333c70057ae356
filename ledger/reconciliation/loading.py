"""Loading what a reconciliation run may match: open payable invoices and booked debits with money unallocated,
as the engine takes them (`OpenInvoice`, `OpenTransfer`) and as posting needs them (`OpenSet`'s infos), with the
pairs no run matches again."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.agreements.models import AgreementVersionRow
from ledger.db import AMOUNT, for_update
from ledger.invoices.models import Invoice
from ledger.money import Money, quantize
from ledger.reconciliation import duplicates
from ledger.reconciliation.models import (
    ReconciliationAllocation,
    ReconciliationMatch,
    RejectedPair,
    TransferFx,
)
from ledger.reconciliation.rows import reversed_pairs
from ledger.reconciliation.types import (
    OpenInvoice,
    OpenTransfer,
)
from ledger.statements.models import Transfer

_CHUNK = 5000


def chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    """`items` in slices small enough for one IN (…) list."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


class StatedFx(NamedTuple):
    """What the bank stated about a converted payment (see `state_fx`), as a run needs it."""

    rate: Decimal | None
    source: str


@dataclass(slots=True)
class _OpenTransfer:
    id: int
    payer: str
    payee: str
    currency: str
    remaining: Decimal
    booked_on: date
    fx: StatedFx | None = None
    amount: Decimal = Decimal(0)
    allocated: Decimal = Decimal(0)
    bank_account: str | None = None


@dataclass(slots=True)
class _OpenInvoice:
    id: int
    payer: str
    payee: str
    agreement_id: int
    currency: str
    open: Decimal
    amount_open: Decimal = Decimal(0)


@dataclass
class OpenSet:
    invoices: list[OpenInvoice] = field(default_factory=list)
    transfers: list[OpenTransfer] = field(default_factory=list)
    invoice_info: dict[int, _OpenInvoice] = field(default_factory=dict)
    transfer_info: dict[int, _OpenTransfer] = field(default_factory=dict)
    #: (transfer, invoice) pairs a run must not match: rejected proposals and reversed matches.
    rejected: set[tuple[int, int]] = field(default_factory=set)
    #: Invoices proposals waiting for review hold, with what each had open before the hold (rivals, see `match`).
    held: list[OpenInvoice] = field(default_factory=list)
    #: Open transfers that repeat a paid invoice → that invoice (`duplicates.repeats_waiting`): never matched.
    duplicates: dict[int, int] = field(default_factory=dict)
    #: The loaded rows cannot change before the transaction ends (locked on PostgreSQL; SQLite's writer lock).
    locked: bool = False



def _tolerances(session: Session, agreement_ids: set[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Per agreement, (absolute, percent) of its latest terms' tolerance; none given tolerates nothing."""
    latest: dict[int, tuple[int, str]] = {}
    ids = sorted(agreement_ids)
    for chunk in chunks(ids):
        rows = session.execute(select(AgreementVersionRow.agreement_id, AgreementVersionRow.number,
                                      AgreementVersionRow.terms)
                               .where(AgreementVersionRow.agreement_id.in_(chunk))).all()
        for agreement_id, number, terms in rows:
            if agreement_id not in latest or number > latest[agreement_id][0]:
                latest[agreement_id] = (number, terms)
    out = {}
    for agreement_id in ids:
        tolerance = json.loads(latest[agreement_id][1]).get("tolerance") if agreement_id in latest else None
        if tolerance:
            out[agreement_id] = (Decimal(tolerance["absolute"]), Decimal(tolerance["percent"]))
        else:
            out[agreement_id] = (Decimal(0), Decimal(0))
    return out


def _pending_proposals(session: Session) -> tuple[set[int], dict[int, Decimal]]:
    """Transfers with a proposal waiting for review, and what those proposals would take off each invoice."""
    waiting = set(session.execute(select(ReconciliationMatch.transfer_id)
                                  .where(ReconciliationMatch.status == "proposed")).scalars())
    held = session.execute(
        select(ReconciliationAllocation.invoice_id,
               func.sum(ReconciliationAllocation.amount + ReconciliationAllocation.written_off))
        .join(ReconciliationMatch, ReconciliationMatch.id == ReconciliationAllocation.match_id)
        .where(ReconciliationMatch.status == "proposed").group_by(ReconciliationAllocation.invoice_id)).all()
    return waiting, {invoice_id: AMOUNT.process_result_value(total, session.get_bind().dialect)
                     if not isinstance(total, Decimal) else total for invoice_id, total in held}


def _plain(value: Decimal) -> Decimal:
    """A stored rate without the trailing zeros of its column's scale (1.15000000 → 1.15)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal


@lru_cache(maxsize=4096)
def tolerance_money(absolute: Decimal, currency: str) -> Money:
    return Money(quantize(absolute, currency), currency)


def load_open(session: Session, *, lock: bool = False) -> OpenSet:
    """Everything a run may match: open payable invoices and booked debits with money unallocated.

    With `lock`, PostgreSQL locks the rows as it reads them (FOR UPDATE), so a run can post against what it
    loaded; SQLite's write transactions hold the database's single writer lock from their start."""
    out = OpenSet(locked=lock)
    waiting, held = _pending_proposals(session)
    # Core selects of plain columns, rows unpacked as tuples: 200,000 rows need no ORM row handling.
    connection = session.connection()
    inv = Invoice
    query = (select(inv.id, inv.payer_code, inv.payee_code, inv.agreement_id, inv.number, inv.payment_reference,
                    inv.currency, inv.amount_open, inv.issued_on, inv.due_on)
             .where(inv.status == "approved", inv.amount_open > 0))
    rows = connection.execute(for_update(session, query, lock=lock, of=inv)).all()
    tolerances = _tolerances(session, {row[3] for row in rows})
    limits: dict[tuple[int, str], tuple[Money, Decimal]] = {}  # one Money per agreement and currency, not per invoice
    no_hold = Decimal(0)
    for invoice_id, payer, payee, agreement_id, number, reference, currency, amount_open, issued_on, due_on in rows:
        hold = held.get(invoice_id, no_hold)
        open_amount = amount_open - hold
        if open_amount <= 0 and hold == 0:
            continue
        limit = limits.get((agreement_id, currency))
        if limit is None:
            absolute, percent = tolerances[agreement_id]
            limit = limits[agreement_id, currency] = (tolerance_money(absolute, currency), percent)
        invoice = OpenInvoice(
            id=invoice_id, party=payer + payee, agreement_id=str(agreement_id), number=number,
            payment_reference=reference, end_to_end_id=None, direction="payable", currency=currency,
            open_amount=Money(amount_open, currency), issued_on=issued_on, due_on=due_on or issued_on,
            tolerance_abs=limit[0], tolerance_pct=limit[1])
        if hold:
            out.held.append(invoice)  # with what it had open before the hold
            if open_amount <= 0:
                continue
            invoice = replace(invoice, open_amount=Money(open_amount, currency))
        out.invoice_info[invoice_id] = _OpenInvoice(invoice_id, payer, payee, agreement_id, currency, open_amount,
                                                    amount_open)
        out.invoices.append(invoice)
    t = Transfer
    fx = TransferFx
    query = (
        select(t.id, t.party_code, t.counterparty_party, t.amount, t.allocated, t.currency, t.booking_date,
               t.value_date, t.structured_reference, t.remittance_information, t.end_to_end_id,
               t.counterparty_iban, fx.instructed_amount, fx.instructed_currency, fx.rate, fx.source, t.account)
        .outerjoin(fx, fx.transfer_id == t.id)
        .where(t.booking_status == "booked", t.direction == "debit", t.reversal.is_(False),
               t.party_code.is_not(None), t.counterparty_party.is_not(None), t.allocated < t.amount))
    rows = connection.execute(for_update(session, query, lock=lock, of=t)).all()
    for (transfer_id, payer, payee, amount, allocated, currency, booking_date, value_date, structured, remittance,
         end_to_end_id, iban, instructed_amount, instructed_currency, stated_rate, fx_source, account) in rows:
        booked = booking_date or value_date
        if transfer_id in waiting or booked is None or payer == payee:
            continue
        remaining = amount - allocated
        stated = instructed = rate = None
        if instructed_amount is not None:
            stated = StatedFx(stated_rate, fx_source)
            if allocated == 0:  # a stated conversion describes the whole payment
                instructed = Money(quantize(instructed_amount, instructed_currency), instructed_currency)
                rate = _plain(stated_rate) if stated_rate is not None else None
        out.transfer_info[transfer_id] = _OpenTransfer(transfer_id, payer, payee, currency, remaining, booked, stated,
                                                       amount, allocated, account)
        out.transfers.append(OpenTransfer(
            id=transfer_id, direction="debit", amount=Money(remaining, currency), booked_on=booked,
            counterparty_party=payer + payee, counterparty_iban=iban, remittance_structured=structured,
            remittance_text=remittance, end_to_end_id=end_to_end_id, instructed_amount=instructed, fx_rate=rate))
    out.rejected = refused_pairs(session)
    repeats = duplicates.repeats_waiting(session)
    out.duplicates = {t: i for t, i in repeats.items() if t in out.transfer_info}
    return out


def refused_pairs(session: Session) -> set[tuple[int, int]]:
    """(transfer, invoice) pairs no run matches again: those of rejected proposals and of reversed matches."""
    rejected = session.execute(select(RejectedPair.transfer_id, RejectedPair.invoice_id))
    return {(t, i) for t, i in rejected} | reversed_pairs(session)

