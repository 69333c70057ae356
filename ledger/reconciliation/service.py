"""Reconciliation runs and the review workflow, over the pure matching engine (`ledger.reconciliation.match`).

Statements are of the parties' own accounts. A debit on a payer's account to a host settles the invoices
that payer owes that host (approved, with money open); a credit (a refund, an EU compensation received)
settles only what is owed to the account's owner: EU cost claims, then the credit a host's credit note
left (a refund), both in the credits pass (`claims`, `refunds`); a credit never settles a payable invoice.
Transfers on an account not registered to a party, or to/from an account of no known party, wait.

The engine compares the counterparty as an opaque party key; the key used here is payer + payee
("GBRW"), so a payment from GB's account is only ever weighed against invoices GB owes, however many
other payers owe the same host the same amount.

A run loads what is open with a few column selects (locking the rows), and while the engine matches it
stores the matches and posts the auto ones (one entry each) in batches, in bulk, from a background writer
(`_RunPosting`). Every posting path locks the transfer and invoice rows (SELECT … FOR UPDATE on PostgreSQL;
SQLite's writer lock is taken at BEGIN) and checks, in the same transaction, that no transfer is allocated
beyond its amount and no invoice beyond what is open.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache, partial
from operator import attrgetter
from typing import NamedTuple

from sqlalchemy import Connection, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from ledger.agreements.models import AgreementVersionRow, Obligation
from ledger.audit.service import describe
from ledger.db import AMOUNT, bulk_insert, connection_of, hold_reconciliation_lock, is_postgres, sqlite_values
from ledger.errors import Conflict, check_if_match, field_error, not_found
from ledger.invoices import service as invoices
from ledger.invoices.models import Invoice, InvoiceLine
from ledger.journal import service as journal
from ledger.journal.rules import (
    RATE_QUANTUM,
    AccountKey,
    EntryDraft,
    Fx,
    Line,
)
from ledger.money import Money, quantize
from ledger.reconciliation import claims, duplicates, parallel, refunds, writeoffs
from ledger.reconciliation.engine import collector_paused, match
from ledger.reconciliation.lookups import transfer_values
from ledger.reconciliation.models import (
    POSTED,
    ReconciliationAllocation,
    ReconciliationMatch,
    ReconciliationRun,
    RejectedPair,
    TransferFx,
    evidence_json,
)
from ledger.reconciliation.rows import reversed_pairs
from ledger.reconciliation.summary import summarise
from ledger.reconciliation.types import (
    MatchProposal,
    MatchSettings,
    OpenInvoice,
    OpenTransfer,
)
from ledger.statements.cash import bank_key
from ledger.statements.models import Transfer
from ledger.timeutil import period_of, today, utcnow
from ledger.writes import BackgroundWrites, Write, write_now

RESIDUAL_ACCOUNTS = {"bank_charges": "bank_charges", "fx_difference": "fx_differences"}
SOURCE_TYPE = "reconciliation"
_CHUNK = 5000


# ---- loading what is open ----------------------------------------------------------------------------

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


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _tolerances(session: Session, agreement_ids: set[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Per agreement, (absolute, percent) of its latest terms' tolerance; none given tolerates nothing."""
    latest: dict[int, tuple[int, str]] = {}
    ids = sorted(agreement_ids)
    for chunk in _chunks(ids):
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
    pg = is_postgres(session)
    out = OpenSet(locked=lock)
    waiting, held = _pending_proposals(session)
    # Core selects of plain columns, rows unpacked as tuples: 200,000 rows need no ORM row handling.
    connection = session.connection()
    inv = Invoice
    query = (select(inv.id, inv.payer_code, inv.payee_code, inv.agreement_id, inv.number, inv.payment_reference,
                    inv.currency, inv.amount_open, inv.issued_on, inv.due_on)
             .where(inv.status == "approved", inv.amount_open > 0))
    rows = connection.execute(query.with_for_update(of=inv) if lock and pg else query).all()
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
    rows = connection.execute(query.with_for_update(of=t) if lock and pg else query).all()
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


# ---- turning proposals into matches ------------------------------------------------------------------

@dataclass
class Plan:
    """A match as it will be stored and posted."""

    transfer_id: int
    payer: str
    payee: str
    method: str
    status: str
    confidence: Decimal
    currency: str
    value: Decimal
    residual: Decimal
    residual_account: str | None
    transfer_amount: Decimal
    transfer_currency: str
    booked_on: date
    allocations: list[tuple[int, Decimal, Decimal]]  # (invoice, amount, written_off)
    evidence: dict[str, str]
    fx_rate: Decimal | None = None
    fx_source: str | None = None
    agreements: dict[int, int] = field(default_factory=dict)  # invoice → agreement
    id: int | None = None
    journal_entry_id: int | None = None
    evidence_text: str | None = None  # `evidence` as stored, when encoded ahead (see `_Planner`)
    bank_account: str | None = None  # the transfer's: its suspense account is where the money waited

    def __reduce__(self):  # a plain tuple of the fields: unpickled in half the time (plans cross a pipe, see `_Planner`)
        return Plan, _plan_fields(self)


_plan_fields = attrgetter(*[f.name for f in fields(Plan)])


@dataclass(frozen=True, slots=True)
class _SameCurrency:
    """A transfer's worth in its own currency: all that is unallocated."""

    amount: Decimal
    converted: bool = False


def plans_from(open_set: OpenSet, proposals: list[MatchProposal], transfers: dict[int, OpenTransfer],
               open_now: dict[int, Decimal]) -> list[Plan]:
    """Plans for `proposals`; `open_now` (what each invoice has open, for the write-offs) carries over from one
    batch of proposals to the next (see `_Planner`)."""
    plans = []
    for proposal in proposals:
        info = open_set.transfer_info[proposal.transfer_id]
        currency = proposal.residual.currency
        if currency == info.currency:
            value = _SameCurrency(info.remaining)
        else:
            value = transfer_values(transfers[proposal.transfer_id])[currency]
        # One loop builds what the plan needs (plain loops: a generator or comprehension per plan cost more
        # than the arithmetic, 100k times over).
        allocations, agreements, applied = [], {}, Decimal(0)
        for invoice_id, money in proposal.allocations:
            amount, written_off = money.amount, Decimal(0)
            if proposal.residual_account is not None:
                written_off = open_now[invoice_id] - amount
                open_now[invoice_id] = Decimal(0)
            else:
                open_now[invoice_id] -= amount
            allocations.append((invoice_id, amount, written_off))
            agreements[invoice_id] = open_set.invoice_info[invoice_id].agreement_id
            applied += amount
        if not value.converted:
            taken = value.amount if proposal.residual_account else applied
        elif proposal.residual_account or applied >= value.amount:
            taken = info.remaining
        else:
            taken = quantize(info.remaining * applied / value.amount, info.currency)
        fx_rate = fx_source = None
        if value.converted:
            stated = info.fx
            fx_rate = (stated.rate if stated and stated.rate is not None
                       else (info.remaining / value.amount)).quantize(RATE_QUANTUM, ROUND_HALF_EVEN)
            fx_source = stated.source if stated else "statement"
        evidence = dict(proposal.evidence)
        evidence["party"] = info.payee
        evidence["payer"] = info.payer
        plans.append(Plan(
            transfer_id=proposal.transfer_id, payer=info.payer, payee=info.payee, method=proposal.rule,
            status=proposal.status, confidence=proposal.confidence, currency=currency, value=value.amount,
            residual=proposal.residual.amount, residual_account=RESIDUAL_ACCOUNTS.get(proposal.residual_account or ""),
            transfer_amount=taken, transfer_currency=info.currency, booked_on=info.booked_on,
            allocations=allocations, evidence=evidence, fx_rate=fx_rate, fx_source=fx_source, agreements=agreements,
            bank_account=info.bank_account))
    return plans


def _new_ids(db: Session | Connection, count: int) -> list[int]:
    """Ids for `count` new matches, taken up front so the bulk insert needs no RETURNING.

    PostgreSQL: from the table's sequence (concurrent inserts get others; ids drawn and not used are skipped, as
    a rolled-back insert's are). SQLite: after the largest id, under the writer lock the transaction holds."""
    if not count:
        return []
    if is_postgres(db):
        return sorted(db.execute(
            text("SELECT nextval(pg_get_serial_sequence('reconciliation_matches', 'id')) "
                 "FROM generate_series(1, :n)"), {"n": count}).scalars())
    start = db.execute(select(func.coalesce(func.max(ReconciliationMatch.id), 0))).scalar()
    return list(range(start + 1, start + count + 1))


def _assign_ids(session: Session, plans: list[Plan]) -> None:
    for plan, match_id in zip(plans, _new_ids(session, len(plans))):
        plan.id = match_id


def _store(session: Session, plans: list[Plan], run_id: int | None, actor: str,
           writes: Callable[[Write], None] | None = None) -> None:
    """Insert matches and their allocations in bulk (ids assigned first, see `_assign_ids`), through `writes`
    if given (see `BackgroundWrites`)."""
    if any(p.id is None for p in plans):
        _assign_ids(session, [p for p in plans if p.id is None])
    now = utcnow()
    rows = [{
        "id": p.id, "run_id": run_id, "transfer_id": p.transfer_id, "payer_code": p.payer, "payee_code": p.payee,
        "method": p.method, "confidence": p.confidence, "currency": p.currency, "value": p.value,
        "residual": p.residual, "residual_account": p.residual_account, "transfer_amount": p.transfer_amount,
        "transfer_currency": p.transfer_currency, "fx_rate": p.fx_rate, "fx_source": p.fx_source,
        "evidence": p.evidence_text if p.evidence_text is not None else evidence_json(p.evidence),
        "status": p.status, "created_by": actor,
        "created_at": now, "decided_by": actor if p.status == "confirmed" else None,
        "decided_at": now if p.status == "confirmed" else None, "version": 1,
        "journal_entry_id": p.journal_entry_id,
    } for p in plans]
    allocations = [{"match_id": p.id, "invoice_id": i, "amount": a, "written_off": w}
                   for p in plans for i, a, w in p.allocations]
    write = writes or write_now(session)
    write(partial(bulk_insert, table=ReconciliationMatch.__table__, rows=rows))
    write(partial(bulk_insert, table=ReconciliationAllocation.__table__, rows=allocations))


# ---- posting (and the guards) ------------------------------------------------------------------------

def _lock(session: Session, transfer_ids: Iterable[int], invoice_ids: Iterable[int]) -> tuple[dict, dict]:
    """Lock and read the rows a posting changes: transfers (amount, allocated) and invoices (status, open)."""
    pg = is_postgres(session)
    transfers: dict[int, tuple[Decimal, Decimal]] = {}
    invoices_now: dict[int, tuple[str, Decimal]] = {}
    for chunk in _chunks(sorted(set(transfer_ids))):
        query = select(Transfer.id, Transfer.amount, Transfer.allocated).where(Transfer.id.in_(chunk)) \
            .order_by(Transfer.id)
        for row in session.execute(query.with_for_update() if pg else query):
            transfers[row.id] = (row.amount, row.allocated)
    for chunk in _chunks(sorted(set(invoice_ids))):
        query = select(Invoice.id, Invoice.status, Invoice.amount_open).where(Invoice.id.in_(chunk)) \
            .order_by(Invoice.id)
        for row in session.execute(query.with_for_update() if pg else query):
            invoices_now[row.id] = (row.status, row.amount_open)
    return transfers, invoices_now


def _check(plans: list[Plan], transfers: dict, invoices_now: dict) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Refuse any over-allocation; returns what each transfer and invoice takes."""
    take_transfer: dict[int, Decimal] = defaultdict(Decimal)
    take_invoice: dict[int, Decimal] = defaultdict(Decimal)
    for plan in plans:
        take_transfer[plan.transfer_id] += plan.transfer_amount
        for invoice_id, amount, written_off in plan.allocations:
            take_invoice[invoice_id] += amount + written_off
    for transfer_id, taken in take_transfer.items():
        amount, allocated = transfers[transfer_id]
        if allocated + taken > amount:
            raise Conflict(f"transfer {transfer_id} has {amount - allocated} unallocated, less than the "
                           f"{taken} this would allocate", code="over_allocation")
    for invoice_id, taken in take_invoice.items():
        status, open_amount = invoices_now[invoice_id]
        if status != "approved" or taken > open_amount:
            raise Conflict(f"invoice {invoice_id} has {open_amount if status == 'approved' else 0} open, less "
                           f"than the {taken} this would settle", code="over_allocation")
    return take_transfer, take_invoice


def _period_for(last_closed: str | None, day: date) -> str:
    own = period_of(day)
    return own if last_closed is None or own > last_closed else journal.next_period(last_closed)


@lru_cache(maxsize=65536)
def _account(purpose: str, currency: str, party: str, counterparty: str | None = None,
             agreement_id: int | None = None) -> AccountKey:
    return AccountKey(purpose, currency, party, counterparty, agreement_id)


def _draft(plan: Plan, period: str) -> EntryDraft:
    """Dr invoices payable / Cr the transfer's suspense account (the money paid out, waiting there since the import),
    and the residual within tolerance. A payment in another currency leaves suspense in the bank's currency and
    reaches the invoices through the bank account's conversion account (a leg in each currency, the invoices' leg
    carrying the rate and its source); what the payment was worth at that rate and what it settled differ by the
    realised FX difference (`fx_differences`)."""
    cur, payer, payee = plan.currency, plan.payer, plan.payee
    lines: list[Line] = []
    settled = allocated = Decimal(0)
    for invoice_id, amount, written_off in plan.allocations:  # a plain loop: see `plans_from`
        lines.append(Line(_account("invoices_payable", cur, payee, payer, plan.agreements[invoice_id]),
                          Money(amount + written_off, cur)))
        settled += amount + written_off
        allocated += amount
    # What the match takes out of suspense, in the invoices' currency: the whole value when a residual is written off.
    paid = plan.value if plan.residual_account else allocated
    if plan.transfer_currency == cur:
        lines.append(Line(bank_key("suspense", cur, plan.bank_account), Money(-paid, cur)))
    else:
        lines.extend(_conversion(plan, Money(paid, cur)))
    difference = paid - settled
    if difference != 0:
        account = plan.residual_account or "bank_charges"
        lines.append(Line(_account(account, cur, payer), Money(difference, cur)))
    invoices = ", ".join([str(invoice_id) for invoice_id, _, _ in plan.allocations])
    return EntryDraft(effective_date=plan.booked_on, period=period, lines=tuple(lines), source_type=SOURCE_TYPE,
                      source_id=str(plan.id),
                      memo=f"transfer {plan.transfer_id} settles invoice {invoices} ({plan.method})")


def _conversion(plan: Plan, worth: Money) -> tuple[Line, ...]:
    """The bank's currency out of suspense into the bank account's conversion account, and `worth` (its value in
    the invoices' currency at the plan's rate) out of that account on the invoices' side."""
    bank_cur, account = plan.transfer_currency, plan.bank_account
    taken = Money(quantize(plan.transfer_amount, bank_cur), bank_cur)
    fx = Fx(plan.fx_rate, plan.fx_source or "statement", taken) if plan.fx_rate is not None else None
    return (Line(bank_key("suspense", bank_cur, account), -taken),
            Line(bank_key("currency_exchange", bank_cur, account), taken),
            Line(bank_key("currency_exchange", worth.currency, account), -worth, fx))


def post(session: Session, plans: list[Plan], *, hooks: bool = False, stored: bool = True) -> None:
    """Lock, check, post one entry per plan and take the amounts off transfers and invoices (the review workflow:
    `hooks` settles invoices through `invoices.service.settle`; a run posts through `_RunPosting`)."""
    if not plans:
        return
    transfers, invoices_now = _lock(session, (p.transfer_id for p in plans),
                                    (i for p in plans for i, _, _ in p.allocations))
    _post_checked(session, plans, transfers, invoices_now, journal.last_closed_period(session),
                  lambda drafts: journal.post_entries(session, drafts), write_now(session), hooks=hooks, stored=stored)


def _post_checked(session: Session, plans: list[Plan], transfers: dict, invoices_now: dict, last_closed: str | None,
                  post_drafts: Callable[[list[EntryDraft]], list[int]], write: Callable[[Write], None], *,
                  hooks: bool = False, stored: bool = False) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Refuse any over-allocation, then post: entries, and the amounts taken off transfers and invoices (in
    bulk through `write`, or invoice by invoice with `hooks`). With `stored` the matches are rows already and
    learn their entries here; else each plan only learns its entry id. Returns what each transfer and invoice
    took."""
    take_transfer, take_invoice = _check(plans, transfers, invoices_now)
    entry_ids = post_drafts([_draft(p, _period_for(last_closed, p.booked_on)) for p in plans])
    for plan, entry_id in zip(plans, entry_ids):
        plan.journal_entry_id = entry_id
    if stored:
        session.execute(update(ReconciliationMatch.__table__)
                        .where(ReconciliationMatch.__table__.c.id == bindparam("match_id"))
                        .values(journal_entry_id=bindparam("entry_id")),
                        [{"match_id": p.id, "entry_id": e} for p, e in zip(plans, entry_ids)])
    write(partial(_add_allocated, amounts=take_transfer))
    if hooks:
        for invoice_id, taken in sorted(take_invoice.items()):
            currency = next(p.currency for p in plans if any(i == invoice_id for i, _, _ in p.allocations))
            invoices.settle(session, invoice_id, Money(quantize(taken, currency), currency))
    else:
        before = {i: invoices_now[i] for i in take_invoice}  # as they are now, not when the write runs
        write(partial(_settle_bulk, amounts=take_invoice, before=before))
    return take_transfer, take_invoice


class _Planner:
    """A run's proposals, batch by batch, as plans with their evidence encoded for storing.

    Pure (it reads only what the run loaded), so it runs where the engine runs: in the engine's own process when
    the run is large (see `parallel`). What it returns is what crosses the pipe, hence the evidence as text."""

    def __init__(self, open_set: OpenSet) -> None:
        self.open_set = open_set
        self.transfers = {t.id: t for t in open_set.transfers}
        self.open_now = {i: info.open for i, info in open_set.invoice_info.items()}

    def __call__(self, proposals: list[MatchProposal]) -> list[Plan]:
        plans = plans_from(self.open_set, proposals, self.transfers, self.open_now)
        for plan in plans:
            plan.evidence_text, plan.evidence = evidence_json(plan.evidence), {}
        return plans


class _RunPosting:
    """A run's matches stored and its auto matches posted in batches, while the engine goes on matching.

    The engine hands over its proposals as it goes, as plans (see `_Planner`); here they are checked against
    what the run loaded (locked on PostgreSQL; SQLite's writer lock is held) less what earlier batches took, and
    their rows go to the `BackgroundWrites`: the database stores them while the engine goes on.
    Everything read from the database is read before the engine starts (the chain head, the last closed
    period, where match ids start) or by the writer itself (accounts, periods)."""

    def __init__(self, session: Session, open_set: OpenSet, run_id: int, actor: str,
                 writes: BackgroundWrites) -> None:
        if not open_set.locked:
            raise ValueError("a run posts against what it loaded: load it with lock=True")
        self.session, self.open_set, self.run_id, self.actor, self.writes = session, open_set, run_id, actor, writes
        self.transfers_now = {i: (t.amount, t.allocated) for i, t in open_set.transfer_info.items()}
        self.invoices_now = {i: ("approved", inv.amount_open) for i, inv in open_set.invoice_info.items()}
        self.entries = journal.EntryStream(session, writes)
        self.ids = _match_ids(session, writes, len(open_set.transfers))  # at most one match per transfer

    def add(self, plans: list[Plan]) -> None:
        for plan in plans:
            plan.id = next(self.ids)
        auto = [p for p in plans if p.status == "auto"]
        if auto:
            took_transfer, took_invoice = _post_checked(self.session, auto, self.transfers_now, self.invoices_now,
                                                        self.entries.last_closed, self.entries.post, self.writes)
            for transfer_id, taken in took_transfer.items():
                amount, allocated = self.transfers_now[transfer_id]
                self.transfers_now[transfer_id] = (amount, allocated + taken)
            for invoice_id, taken in took_invoice.items():
                status, open_amount = self.invoices_now[invoice_id]
                self.invoices_now[invoice_id] = (status, open_amount - taken)
        _store(self.session, plans, self.run_id, self.actor, writes=self.writes)

    def close(self) -> None:
        self.entries.close()


def _match_ids(session: Session, writes: BackgroundWrites, most: int) -> Iterator[int]:
    """Ids for a run's new matches (`_new_ids`), at most one per open transfer. On PostgreSQL they are asked of
    the writer at once, so the server draws them while the engine runs."""
    if is_postgres(session):
        return _drawn(writes.ask(lambda connection: _new_ids(connection, most)))
    return iter(_new_ids(session, most))


def _drawn(ids: Future[list[int]]) -> Iterator[int]:
    yield from ids.result()


def _add_allocated(db: Session | Connection, amounts: dict[int, Decimal]) -> None:
    rows = [(i, a) for i, a in sorted(amounts.items()) if a != 0]
    if not rows:
        return
    if is_postgres(db):
        for chunk in _chunks(rows):
            db.execute(text(
                "UPDATE transfers AS t SET allocated = t.allocated + v.amount "
                "FROM unnest(CAST(:ids AS integer[]), CAST(:amounts AS numeric[])) AS v(id, amount) "
                "WHERE t.id = v.id"), {"ids": [i for i, _ in chunk], "amounts": [a for _, a in chunk]})
        return
    # Batches of rows per statement (see `sqlite_values`); amounts as SQLite stores them (see `ExactDecimal`).
    connection = connection_of(db)
    for values, parameters in sqlite_values(connection, 2, [(i, AMOUNT.units(a)) for i, a in rows]):
        connection.exec_driver_sql("UPDATE transfers SET allocated = allocated + v.column2 "
                                   f"FROM (VALUES {values}) AS v WHERE transfers.id = v.column1", parameters)


def _settle_bulk(db: Session | Connection, amounts: dict[int, Decimal],
                 before: dict[int, tuple[str, Decimal]]) -> None:
    rows = [{"i_id": i, "i_amount": a, "i_paid": before[i][1] - a == 0} for i, a in sorted(amounts.items())]
    if is_postgres(db):
        for chunk in _chunks(rows):
            db.execute(text(
                "UPDATE invoices AS i SET amount_open = i.amount_open - v.amount, version = i.version + 1, "
                "status = CASE WHEN v.paid THEN 'paid' ELSE i.status END "
                "FROM unnest(CAST(:ids AS integer[]), CAST(:amounts AS numeric[]), CAST(:paid AS boolean[])) "
                "AS v(id, amount, paid) WHERE i.id = v.id"),
                {"ids": [r["i_id"] for r in chunk], "amounts": [r["i_amount"] for r in chunk],
                 "paid": [r["i_paid"] for r in chunk]})
    elif rows:  # as in `_add_allocated`
        connection = connection_of(db)
        values_rows = [(r["i_id"], AMOUNT.units(r["i_amount"]), r["i_paid"]) for r in rows]
        for values, parameters in sqlite_values(connection, 3, values_rows):
            connection.exec_driver_sql(
                "UPDATE invoices SET amount_open = amount_open - v.column2, version = version + 1, "
                "status = CASE WHEN v.column3 THEN 'paid' ELSE status END "
                f"FROM (VALUES {values}) AS v WHERE invoices.id = v.column1", parameters)
    paid = [row["i_id"] for row in rows if row["i_paid"]]
    for chunk in _chunks(paid):
        obligations = Obligation.__table__  # Core: no ORM objects to synchronise, and it runs on a bare connection
        db.execute(update(obligations).where(obligations.c.id.in_(
            select(InvoiceLine.obligation_id).where(InvoiceLine.invoice_id.in_(chunk),
                                                    InvoiceLine.obligation_id.is_not(None))))
            .values(status="paid"))


# ---- runs --------------------------------------------------------------------------------------------

def run(session: Session, actor: str, *, dry_run: bool = False, settings: MatchSettings | None = None,
        on_step: Callable[[str], None] | None = None) -> ReconciliationRun:
    """Match everything still open: store the matches, post the auto ones (nothing stored or posted on a dry run
    but the run's own record)."""
    step = on_step or (lambda _name: None)
    started = time.perf_counter()
    hold_reconciliation_lock(session)
    with collector_paused():  # loading, matching and posting hold hundreds of thousands of acyclic objects
        # Evidence that needs no guessing first (a payment order's EndToEndId): what it matches is not open below.
        first = _first_passes(session, actor, dry_run)
        open_set = load_open(session, lock=not dry_run)
        step("loaded")
        record = ReconciliationRun(dry_run=dry_run, actor=actor, transfers_considered=len(open_set.transfers),
                                   invoices_considered=len(open_set.invoices))
        session.add(record)
        session.flush()
        if dry_run:
            summary = summarise(open_set.invoices, open_set.transfers,
                                match(open_set.invoices, open_set.transfers, open_set.rejected, settings,
                                      held=open_set.held, duplicates=open_set.duplicates))
            step("matched")
        else:
            # The engine runs in a process of its own when the run is large (started first: it forks) and plans its
            # matches there; the database stores them while it finds more, and this thread posts them in between.
            with parallel.Matching(open_set.invoices, open_set.transfers, open_set.rejected, settings,
                                   prepare=_Planner(open_set), held=open_set.held,
                                   duplicates=open_set.duplicates) as matching, BackgroundWrites(session) as writes:
                posting = _RunPosting(session, open_set, record.id, actor, writes)
                summary = matching.results(on_batch=posting.add)
                step("matched")
                posting.close()
                step("posted")
        step("stored")
        record.auto_matched, record.proposed = summary.auto_matched + len(first), summary.proposed
        record.unmatched_transfers, record.open_invoices = summary.unmatched_transfers, summary.open_invoices
        per_rule = dict(summary.per_rule)
        if first:
            per_rule["end_to_end_id/auto"] = len(first)
            for made in first:
                if not dry_run:
                    made.run_id = record.id
        record.per_rule = json.dumps(per_rule)
        session.flush()
        claims.run_pass(session, record, actor, dry_run=dry_run, settings=settings)  # credits → EU cost claims
        step("claims")
    record.finished_at = utcnow()
    record.duration_ms = int((time.perf_counter() - started) * 1000)
    session.flush()
    describe(session, "reconciliation.run", "reconciliation_run", record.id,
             f"{'dry run: ' if dry_run else ''}{record.auto_matched} auto, {record.proposed} proposed, "
             f"{record.unmatched_transfers} transfers unmatched")
    return record


def _first_passes(session: Session, actor: str, dry_run: bool) -> list:
    """The matches of `ledger.features.reconciliation_passes` (stored and posted unless `dry_run`)."""
    from ledger.features import reconciliation_passes

    return [made for step in reconciliation_passes() for made in step(session, actor, dry_run)]


def get_run(session: Session, run_id: int) -> ReconciliationRun:
    record = session.get(ReconciliationRun, run_id)
    if record is None:
        raise not_found("reconciliation run")
    return record


def run_view(record: ReconciliationRun) -> dict:
    return {"id": record.id, "dry_run": record.dry_run, "auto_matched": record.auto_matched,
            "proposed": record.proposed, "unmatched_transfers": record.unmatched_transfers,
            "open_invoices": record.open_invoices, "transfers_considered": record.transfers_considered,
            "invoices_considered": record.invoices_considered, "per_rule": json.loads(record.per_rule),
            "started_at": record.started_at, "finished_at": record.finished_at, "duration_ms": record.duration_ms}


# ---- reading matches ---------------------------------------------------------------------------------

def get(session: Session, match_id: int, *, lock: bool = False) -> ReconciliationMatch:
    if lock:
        query = select(ReconciliationMatch).where(ReconciliationMatch.id == match_id) \
            .execution_options(populate_existing=True)
        if is_postgres(session):
            query = query.with_for_update()
        row = session.execute(query).scalar_one_or_none()
    else:
        row = session.get(ReconciliationMatch, match_id)
    if row is None:
        raise not_found("reconciliation match")
    return row


def allocations_of(session: Session, match_ids: Sequence[int]) -> dict[int, list[ReconciliationAllocation]]:
    out: dict[int, list[ReconciliationAllocation]] = defaultdict(list)
    for chunk in _chunks(list(match_ids)):
        for row in session.execute(select(ReconciliationAllocation)
                                   .where(ReconciliationAllocation.match_id.in_(chunk))
                                   .order_by(ReconciliationAllocation.id)).scalars():
            out[row.match_id].append(row)
    return out


def _money(value: Decimal, currency: str) -> Money:
    return Money(quantize(value, currency), currency)


def view(match_row: ReconciliationMatch, allocations: list[ReconciliationAllocation]) -> dict:
    cur = match_row.currency
    return {
        "id": match_row.id, "run": match_row.run_id, "transfer": match_row.transfer_id,
        "payer": match_row.payer_code, "payee": match_row.payee_code, "currency": cur,
        "allocations": [{"invoice": a.invoice_id, "claim": a.claim_id, "amount": _money(a.amount, cur),
                         "written_off": _money(a.written_off, cur)} for a in allocations],
        "method": match_row.method, "confidence": format(Decimal(match_row.confidence).normalize(), "f"),
        "value": _money(match_row.value, cur), "residual": _money(match_row.residual, cur),
        "residual_account": match_row.residual_account,
        "transfer_amount": _money(match_row.transfer_amount, match_row.transfer_currency),
        "transfer_currency": match_row.transfer_currency,
        "fx_rate": format(Decimal(match_row.fx_rate).normalize(), "f") if match_row.fx_rate is not None else None,
        "evidence": json.loads(match_row.evidence), "status": match_row.status,
        "created_by": match_row.created_by, "created_at": match_row.created_at,
        "decided_by": match_row.decided_by, "decided_at": match_row.decided_at, "reason": match_row.reason,
        "journal_entry": match_row.journal_entry_id, "reversal_entry": match_row.reversal_entry_id,
    }


def views(session: Session, rows: list[ReconciliationMatch]) -> list[dict]:
    allocations = allocations_of(session, [r.id for r in rows])
    return [view(r, allocations.get(r.id, [])) for r in rows]


def etag(match_row: ReconciliationMatch) -> str:
    return f'"match-{match_row.id}-{match_row.version}"'


def list_query(status: str | None = None, party: str | None = None, transfer: int | None = None,
               invoice: int | None = None):
    query = select(ReconciliationMatch)
    if status:
        query = query.where(ReconciliationMatch.status == status)
    if party:
        query = query.where((ReconciliationMatch.payer_code == party) | (ReconciliationMatch.payee_code == party))
    if transfer is not None:
        query = query.where(ReconciliationMatch.transfer_id == transfer)
    if invoice is not None:
        query = query.where(ReconciliationMatch.id.in_(
            select(ReconciliationAllocation.match_id).where(ReconciliationAllocation.invoice_id == invoice)))
    return query


# ---- the review workflow -----------------------------------------------------------------------------

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
    if claims.is_claim_match(session, row.id):
        return claims.confirm(session, row, actor)
    if refunds.is_refund_match(session, row):
        return refunds.confirm(session, row, actor)
    post(session, [_plan_of(session, row)], hooks=True)
    session.refresh(row)
    row.status, row.decided_by, row.decided_at = "confirmed", actor, utcnow()
    row.version += 1
    session.flush()
    describe(session, "reconciliation.confirm", "reconciliation_match", row.id,
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
    known = {(t, i) for t, i in session.execute(select(RejectedPair.transfer_id, RejectedPair.invoice_id)
                                                .where(RejectedPair.transfer_id == row.transfer_id))}
    session.add_all(RejectedPair(transfer_id=t, invoice_id=i, match_id=row.id) for t, i in sorted(pairs - known))
    row.status, row.decided_by, row.decided_at, row.reason = "rejected", actor, utcnow(), reason
    row.version += 1
    session.flush()
    describe(session, "reconciliation.reject", "reconciliation_match", row.id, f"{len(pairs)} pairs rejected")
    return row


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
    plan = _plan_of(session, row)
    _lock(session, [plan.transfer_id], [i for i, _, _ in plan.allocations])
    day = today()
    entry_id = journal.reverse(session, row.journal_entry_id, day, memo=f"reversal of match {row.id}: {reason}"[:500],
                               source_type=SOURCE_TYPE, source_id=str(row.id))
    taken: dict[int, Decimal] = defaultdict(Decimal)
    for invoice_id, amount, written_off in plan.allocations:
        taken[invoice_id] += amount + written_off
    for invoice_id, amount in sorted(taken.items()):
        invoices.unsettle(session, invoice_id, Money(quantize(amount, row.currency), row.currency))
    transfer = session.get(Transfer, row.transfer_id, populate_existing=True)
    if transfer.allocated < row.transfer_amount:
        raise Conflict(f"transfer {row.transfer_id} has less allocated than the match took", code="invalid_transition")
    _add_allocated(session, {row.transfer_id: -row.transfer_amount})
    row.status, row.reversal_entry_id, row.reason = "reversed", entry_id, reason
    row.decided_by, row.decided_at = actor, utcnow()
    row.version += 1
    session.flush()
    describe(session, "reconciliation.reverse", "reconciliation_match", row.id,
             f"entry {row.journal_entry_id} reversed "
             f"by {entry_id}")
    return row


def manual(session: Session, transfer_id: int, allocations: Sequence[dict], actor: str,
           write_off: WriteOff | None = None) -> ReconciliationMatch:
    """An officer's own match, posted at once: a payment out to invoices of the same currency, or a credit to the
    cost claims it pays or the one credit note it refunds (`claims.manual`, `refunds.manual`). A payment out may
    write off the difference to a named account (`writeoffs`)."""
    transfer = session.get(Transfer, transfer_id)
    if transfer is None:
        raise field_error("transfer", f"no transfer {transfer_id}", "unknown_transfer")
    if transfer.booking_status != "booked" or transfer.reversal:
        raise field_error("transfer", "only a booked transfer that is not a reversal can be matched", "not_a_payment")
    if transfer.party_code is None or transfer.counterparty_party is None:
        raise field_error("transfer", "the transfer's account or counterparty is not a known party's", "unknown_party")
    if not allocations:
        raise field_error("allocations", "at least one allocation is needed")
    if transfer.direction == "credit":
        if write_off is not None:
            raise field_error("write_off", "a credit pays claims whole or refunds a note: nothing is written off",
                              "no_write_off_on_credit")
        return _manual_credit(session, transfer, allocations, actor)
    seen: set[int] = set()
    rows = []
    for index, item in enumerate(allocations):
        if item.get("claim") is not None:
            raise field_error(f"allocations.{index}.claim", "a cost claim is paid by a credit, not a payment out",
                              "not_a_credit")
        invoice = session.get(Invoice, item["invoice"])
        if invoice is None:
            raise field_error(f"allocations.{index}.invoice", f"no invoice {item['invoice']}", "unknown_invoice")
        if invoice.id in seen:
            raise field_error(f"allocations.{index}.invoice", "the invoice is named twice", "duplicate_invoice")
        seen.add(invoice.id)
        if (invoice.payer_code, invoice.payee_code) != (transfer.party_code, transfer.counterparty_party):
            raise field_error(f"allocations.{index}.invoice", "the invoice is not owed by the transfer's payer to "
                              "its counterparty", "party_mismatch")
        if invoice.currency != transfer.currency:
            raise field_error(f"allocations.{index}.invoice", f"the invoice is in {invoice.currency}, the transfer "
                              f"in {transfer.currency}", "currency_mismatch")
        amount = item["amount"]
        if quantize(amount, invoice.currency) != amount:
            raise field_error(f"allocations.{index}.amount", f"{invoice.currency} amounts have fewer decimals")
        rows.append((invoice, amount))
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
    _store(session, [plan], None, actor)
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


def _written_off(transfer: Transfer, rows: list[tuple[Invoice, Decimal]], write_off: WriteOff) -> writeoffs.WriteOffPlan:
    if write_off.account not in writeoffs.ACCOUNTS:
        raise field_error("write_off_account", "choose bank charges, FX difference or rounding", "unknown_account")
    if not write_off.reason.strip():
        raise field_error("write_off_reason", "say why the difference is written off", "reason_required")
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
    """A credit settles as in the run's credits pass: cost claims, each whole, or one credit note's refund."""
    for index, item in enumerate(allocations):
        if quantize(item["amount"], transfer.currency) != item["amount"]:
            raise field_error(f"allocations.{index}.amount", f"{transfer.currency} amounts have fewer decimals")
    paying = [item.get("claim") is not None for item in allocations]
    if all(paying):
        return claims.manual(session, transfer, [(item["claim"], item["amount"]) for item in allocations], actor)
    if any(paying):
        raise field_error("allocations", "a credit pays cost claims or refunds a credit note, not both",
                          "mixed_allocations")
    if len(allocations) != 1:
        raise field_error("allocations", "a credit refunds one credit note at a time", "one_note_per_credit")
    (item,) = allocations
    return refunds.manual(session, transfer, item["invoice"], item["amount"], actor)


# ---- open items for settlement statements -------------------------------------------------------------

def proposed_open_items(session: Session, period: str, party: str | None, agreement_ids: list[int] | None) -> dict:
    """Proposed matches waiting for review (settlement statement open items)."""
    query = list_query("proposed", party).order_by(ReconciliationMatch.id)
    if agreement_ids is not None:
        query = query.where(ReconciliationMatch.id.in_(
            select(ReconciliationAllocation.match_id).join(Invoice, Invoice.id == ReconciliationAllocation.invoice_id)
            .where(Invoice.agreement_id.in_(agreement_ids))))
    rows = list(session.execute(query).scalars())
    return {"proposed_matches": [
        {"match": v["id"], "transfer": v["transfer"], "payer": v["payer"], "payee": v["payee"],
         "method": v["method"], "confidence": v["confidence"], "currency": v["currency"], "value": str(v["value"]),
         **_settled_items(v["allocations"])} for v in views(session, rows)]}


def _settled_items(allocations: list[dict]) -> dict:
    """The invoices a proposal settles; a claim match names its cost claims instead (and no invoice)."""
    claim_ids = [a["claim"] for a in allocations if a["claim"] is not None]
    invoice_ids = [a["invoice"] for a in allocations if a["invoice"] is not None]
    return {"invoices": invoice_ids, "claims": claim_ids} if claim_ids else {"invoices": invoice_ids}

