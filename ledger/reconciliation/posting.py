"""Turning the engine's proposals into matches and posting them: plans (`plans_from`), their rows stored in bulk
(`store`), and the guarded posting (`post`): lock the transfers and invoices, refuse any over-allocation, post one
entry per match and take the amounts off the transfers (`statements.allocate_many`) and invoices
(`invoices.settle`, or `invoices.settle_checked` in bulk). A run posts batch by batch while the engine goes on
matching (`Planner`, `RunPosting`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache, partial
from operator import attrgetter

from sqlalchemy import Connection, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from ledger.db import bulk_insert, for_update, is_postgres
from ledger.errors import Conflict
from ledger.invoices import service as invoices
from ledger.invoices.models import Invoice
from ledger.journal import service as journal
from ledger.journal.rules import (
    RATE_QUANTUM,
    AccountKey,
    EntryDraft,
    Fx,
    Line,
)
from ledger.money import Money, quantize
from ledger.reconciliation.loading import OpenSet, chunks
from ledger.reconciliation.lookups import transfer_values
from ledger.reconciliation.models import (
    ReconciliationAllocation,
    ReconciliationMatch,
    evidence_json,
)
from ledger.reconciliation.rows import SOURCE_TYPE
from ledger.reconciliation.types import (
    MatchProposal,
    OpenTransfer,
)
from ledger.statements import service as statements
from ledger.statements.cash import bank_key
from ledger.statements.models import Transfer
from ledger.timeutil import utcnow
from ledger.writes import BackgroundWrites, Write, write_now

RESIDUAL_ACCOUNTS = {"bank_charges": "bank_charges", "fx_difference": "fx_differences"}


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
    evidence_text: str | None = None  # `evidence` as stored, when encoded ahead (see `Planner`)
    bank_account: str | None = None  # the transfer's: its suspense account is where the money waited

    def __reduce__(self):  # a plain tuple of the fields: unpickled in half the time (plans cross a pipe, see `Planner`)
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
    batch of proposals to the next (see `Planner`)."""
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


def store(session: Session, plans: list[Plan], run_id: int | None, actor: str,
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

def lock_rows(session: Session, transfer_ids: Iterable[int], invoice_ids: Iterable[int]) -> tuple[dict, dict]:
    """Lock and read the rows a posting changes: transfers (amount, allocated) and invoices (status, open)."""
    transfers: dict[int, tuple[Decimal, Decimal]] = {}
    invoices_now: dict[int, tuple[str, Decimal]] = {}
    for chunk in chunks(sorted(set(transfer_ids))):
        query = select(Transfer.id, Transfer.amount, Transfer.allocated).where(Transfer.id.in_(chunk)) \
            .order_by(Transfer.id)
        for row in session.execute(for_update(session, query)):
            transfers[row.id] = (row.amount, row.allocated)
    for chunk in chunks(sorted(set(invoice_ids))):
        query = select(Invoice.id, Invoice.status, Invoice.amount_open).where(Invoice.id.in_(chunk)) \
            .order_by(Invoice.id)
        for row in session.execute(for_update(session, query)):
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
    `hooks` settles invoices through `invoices.service.settle`; a run posts through `RunPosting`)."""
    if not plans:
        return
    transfers, invoices_now = lock_rows(session, (p.transfer_id for p in plans),
                                    (i for p in plans for i, _, _ in p.allocations))
    # The last closed month is read with the journal's chain head held (after the rows, the order every writer
    # locks in): a close that commits while this waits is seen, and the match lands in the next open month.
    stream = journal.EntryStream(session, write_now(session))

    def post_drafts(drafts: list[EntryDraft]) -> list[int]:
        entry_ids = stream.post(drafts)
        stream.close()  # before `hooks` settle invoices, which may post entries of their own
        return entry_ids

    _post_checked(session, plans, transfers, invoices_now, stream.last_closed, post_drafts, write_now(session),
                  hooks=hooks, stored=stored)


def _post_checked(session: Session, plans: list[Plan], transfers: dict, invoices_now: dict, last_closed: str | None,
                  post_drafts: Callable[[list[EntryDraft]], list[int]], write: Callable[[Write], None], *,
                  hooks: bool = False, stored: bool = False) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Refuse any over-allocation, then post: entries, and the amounts taken off transfers and invoices (in
    bulk through `write`, or invoice by invoice with `hooks`). With `stored` the matches are rows already and
    learn their entries here; else each plan only learns its entry id. Returns what each transfer and invoice
    took."""
    take_transfer, take_invoice = _check(plans, transfers, invoices_now)
    entry_ids = post_drafts([_draft(p, journal.landing_period(last_closed, p.booked_on)) for p in plans])
    for plan, entry_id in zip(plans, entry_ids):
        plan.journal_entry_id = entry_id
    if stored:
        session.execute(update(ReconciliationMatch.__table__)
                        .where(ReconciliationMatch.__table__.c.id == bindparam("match_id"))
                        .values(journal_entry_id=bindparam("entry_id")),
                        [{"match_id": p.id, "entry_id": e} for p, e in zip(plans, entry_ids)])
    write(partial(statements.allocate_many, amounts=take_transfer))
    if hooks:
        for invoice_id, taken in sorted(take_invoice.items()):
            currency = next(p.currency for p in plans if any(i == invoice_id for i, _, _ in p.allocations))
            invoices.settle(session, invoice_id, Money(quantize(taken, currency), currency))
    else:
        before = {i: invoices_now[i][1] for i in take_invoice}  # as they are now, not when the write runs
        write(partial(invoices.settle_checked, amounts=take_invoice, open_before=before))
    return take_transfer, take_invoice


class Planner:
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


class RunPosting:
    """A run's matches stored and its auto matches posted in batches, while the engine goes on matching.

    The engine hands over its proposals as it goes, as plans (see `Planner`); here they are checked against
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
        store(self.session, plans, self.run_id, self.actor, writes=self.writes)

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
