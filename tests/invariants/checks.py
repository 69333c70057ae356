"""The invariants of "One truth", each a function over a session that returns what it found wrong (empty: holds).

Each reads the figures the way a user or an auditor would: statement figures through the settlement service,
journal balances through the journal service, bank balances from the imported statements, and the beancount
export through beancount's own loader (what `bean-check` runs). Kept apart from the machine that drives the
service, so a failing invariant names itself and says what it saw.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.journal import export
from ledger.journal import service as journal
from ledger.journal.models import Account, Period, Posting
from ledger.money import quantize
from ledger.settlement import rules
from ledger.settlement import service as settlement
from ledger.settlement.models import FrozenStatement
from ledger.statements.models import StatementPart

FIGURES = ("opening", "accrued", "adjustments", "approved", "paid", "closing")
FIRST_PERIOD = "2026-01"


@dataclass
class Closed:
    """What the machine saw of a period when it closed it: the signed documents and their figures."""

    canonical: dict[str, str] = field(default_factory=dict)  # scope → canonical JSON
    figures: dict[int, dict[str, str]] = field(default_factory=dict)  # agreement id → FIGURES


def period_end(period: str) -> date:
    return export._period_end(period)


def periods_through(last: str) -> list[str]:
    out, period = [], FIRST_PERIOD
    while period <= last:
        out.append(period)
        period = journal.next_period(period)
    return out


def last_period(session: Session) -> str:
    booked = session.execute(select(func.max(Period.period))).scalar()
    return max(booked or FIRST_PERIOD, FIRST_PERIOD)


def statement_lines(session: Session, period: str) -> dict[int, dict]:
    """The settlement statement's agreement lines for `period`, as the service computes them."""
    return rules.agreement_lines(settlement.movements(session, period))


def figures_of(line: dict) -> dict[str, str]:
    return {name: line[name] for name in FIGURES}


# ---- the invariants ----------------------------------------------------------------------------------

def entries_balance(session: Session) -> list[str]:
    """Every journal entry balances in each currency."""
    total = func.sum(Posting.amount)
    rows = session.execute(select(Posting.entry_id, Posting.currency, total)
                           .group_by(Posting.entry_id, Posting.currency).having(total != 0)).all()
    return [f"entry {entry} is off by {amount} {currency}" for entry, currency, amount in rows]


def claims_equal_journal(session: Session) -> list[str]:
    """Each enforcing state's claims receivable from each issuing state is what the claims say is accepted and
    unpaid: the payable of every claim accepted in whole or in part (at its decision or a dispute's resolution),
    not yet paid. Partial acceptances and resolutions post separate entries; their sum must be the claim."""
    from ledger.recognition.models import CostClaim

    expected: dict[tuple, Decimal] = defaultdict(Decimal)
    for claim in session.execute(select(CostClaim).where(CostClaim.payment_due_on.is_not(None),
                                                         CostClaim.status != "paid")).scalars():
        expected[(claim.enforcing_state, claim.issuing_state, claim.currency)] += Decimal(claim.payable)
    found: dict[tuple, Decimal] = defaultdict(Decimal)
    for account, balance in journal.balances(session, account_filter=Account.purpose == "claims_receivable"):
        found[(account.party_code, account.counterparty_code, account.currency)] += balance
    return [f"claims receivable {key}: journal {found[key]}, claims {expected[key]}"
            for key in sorted(set(expected) | set(found)) if found[key] != expected[key]]


def _liabilities_by_agreement(session: Session, period: str) -> dict[int, Decimal]:
    """What the journal says each agreement owes at the end of booked `period` (liabilities, shown positive)."""
    owed: dict[int, Decimal] = defaultdict(Decimal)
    for account, balance in journal.balances(session, period=period,
                                             account_filter=Account.purpose.in_(settlement.LIABILITIES)):
        if account.agreement_id is not None:
            owed[account.agreement_id] -= balance
    return owed


def closing_equals_journal(session: Session, lines: dict[str, dict[int, dict]]) -> list[str]:
    """Each agreement's statement closing equals its journal balance at the end of every booked period."""
    problems = []
    for period, by_agreement in lines.items():
        owed = _liabilities_by_agreement(session, period)
        for agreement_id in sorted(set(owed) | set(by_agreement)):
            closing = Decimal(by_agreement[agreement_id]["closing"]) if agreement_id in by_agreement else Decimal(0)
            if closing != owed.get(agreement_id, Decimal(0)):
                problems.append(f"{period} agreement {agreement_id}: statement closing {closing}, journal "
                                f"{owed.get(agreement_id, Decimal(0)).normalize():f}")
    return problems


def opening_equals_previous_closing(lines: dict[str, dict[int, dict]]) -> list[str]:
    """Each statement opens where the previous month's closed."""
    problems = []
    periods = sorted(lines)
    for previous, period in zip(periods, periods[1:]):
        for agreement_id, line in lines[period].items():
            before = lines[previous].get(agreement_id)
            closed = Decimal(before["closing"]) if before else Decimal(0)
            if Decimal(line["opening"]) != closed:
                problems.append(f"{period} agreement {agreement_id}: opening {line['opening']}, {previous} closed "
                                f"at {closed}")
    return problems


def closed_statements_unchanged(session: Session, closed: dict[str, Closed],
                                lines: dict[str, dict[int, dict]]) -> list[str]:
    """A closed period's signed statements never change, and what the journal says of it never changes."""
    problems = []
    for period, seen in closed.items():
        stored = dict(session.execute(select(FrozenStatement.scope, FrozenStatement.canonical)
                                      .where(FrozenStatement.period == period)).all())
        if stored != seen.canonical:
            problems.append(f"{period}: the signed statements changed (scopes {sorted(stored)} vs "
                            f"{sorted(seen.canonical)})")
        live = {a: figures_of(line) for a, line in lines.get(period, {}).items()}
        if live != seen.figures:
            problems.append(f"{period}: closed with {seen.figures}, the journal now says {live}")
    return problems


def bank_closing(session: Session, iban: str) -> tuple[Decimal | None, str | None]:
    """The closing balance of the last statement imported for the account, in its currency's minor units."""
    part = session.execute(select(StatementPart).where(StatementPart.account == iban)
                           .order_by(StatementPart.id.desc()).limit(1)).scalar_one_or_none()
    if part is None or part.closing_balance is None:
        return None, None
    return quantize(Decimal(part.closing_balance), part.currency), part.currency


def cash_equals_bank(session: Session, accounts: dict[str, tuple[str, str]]) -> list[str]:
    """Each bank account's cash in the journal equals the bank's closing balance (every transfer is posted).

    `accounts`: IBAN → (party, currency). Cash at a bank is keyed by the bank account itself (its owner may be
    registered later), so the journal's cash of that IBAN in its currency is compared."""
    problems = []
    for iban, (party, currency) in sorted(accounts.items()):
        bank, stated_currency = bank_closing(session, iban)
        if bank is None:
            continue
        rows = journal.balances(session, account_filter=(Account.purpose == "cash") & (Account.bank_account == iban)
                                & (Account.currency == currency))
        cash = sum((balance for _, balance in rows), Decimal(0))
        if cash != bank or stated_currency != currency:
            problems.append(f"{party}'s {currency} account {iban[:4]}…: bank closes at {bank} {stated_currency}, "
                            f"the journal's cash is {cash.normalize():f} {currency}")
    return problems


def beancount_text(session: Session) -> str:
    return "".join(export.beancount_lines(session))


def bean_check(text: str) -> tuple[list, list[str]]:
    """What `bean-check` says of the export: (entries, error messages)."""
    from beancount import loader

    entries, errors, _options = loader.load_string(text)
    return entries, [f"{getattr(e, 'message', e)} {getattr(getattr(e, 'entry', None), 'account', '')}".strip()
                     for e in errors]


def export_passes_bean_check(session: Session) -> list[str]:
    _, errors = bean_check(beancount_text(session))
    return [f"bean-check: {message}" for message in errors[:5]]


def assertions_equal_statements(session: Session, closed: dict[str, Closed]) -> list[str]:
    """The export's balance assertions at each close equal the signed statements' closing figures."""
    from beancount.core import data

    entries, _ = bean_check(beancount_text(session))
    accounts = {export.account_name(a): a for a in session.execute(select(Account)).scalars()}
    asserted: dict[date, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for entry in entries:
        if isinstance(entry, data.Balance) and entry.account in accounts:
            account = accounts[entry.account]
            if account.purpose in settlement.LIABILITIES and account.agreement_id is not None:
                asserted[entry.date][account.agreement_id] -= entry.amount.number
    problems = []
    for period, seen in closed.items():
        on = period_end(period) + timedelta(days=1)
        got = asserted.get(on, {})
        for agreement_id in sorted(set(got) | set(seen.figures)):
            signed = Decimal(seen.figures[agreement_id]["closing"]) if agreement_id in seen.figures else Decimal(0)
            if got.get(agreement_id, Decimal(0)) != signed:
                problems.append(f"{period} agreement {agreement_id}: the export asserts "
                                f"{got.get(agreement_id, Decimal(0))}, the signed statement closes at {signed}")
    return problems


def in_transit_equals_orders(session: Session) -> list[str]:
    """Each bank account's payments in transit (a credit balance) equals the transfers released from it that the
    bank has neither rejected nor debited (matched by EndToEndId)."""
    from ledger.payments.models import PaymentBatch, PaymentItem

    rows = journal.balances(session, account_filter=Account.purpose == "payments_in_transit")
    booked: dict[tuple, Decimal] = {}
    for account, balance in rows:
        key = (account.bank_account, account.currency)
        booked[key] = booked.get(key, Decimal(0)) - balance
    ordered: dict[tuple, Decimal] = {}
    for account, currency, amount in session.execute(
            select(PaymentBatch.debtor_account, PaymentItem.currency, PaymentItem.amount)
            .join(PaymentBatch, PaymentBatch.id == PaymentItem.batch_id)
            .where(PaymentItem.status.in_(("ordered", "accepted")))):
        ordered[(account, currency)] = ordered.get((account, currency), Decimal(0)) + Decimal(amount)
    problems = [f"{account} {currency}: in transit {booked.get((account, currency), 0)}, ordered "
                f"{ordered.get((account, currency), 0)}"
                for account, currency in sorted(set(booked) | set(ordered))
                if booked.get((account, currency), Decimal(0)) != ordered.get((account, currency), Decimal(0))]
    return problems + _invoices_in_transit(session) + _advances_paid_once(session) + _claims_in_transit(session)


def _invoices_in_transit(session: Session) -> list[str]:
    """Each invoice's amount in transit is what its released transfers still with the bank order; an invoice with
    money in transit is never `paid`, and one with nothing open but money in transit is `in_transit`."""
    from ledger.invoices.models import Invoice
    from ledger.payments.models import PaymentItem

    ordered: dict[int, Decimal] = defaultdict(Decimal)
    for invoice_id, amount in session.execute(select(PaymentItem.invoice_id, PaymentItem.amount).where(
            PaymentItem.invoice_id.is_not(None), PaymentItem.status.in_(("ordered", "accepted")))):
        ordered[invoice_id] += Decimal(amount)
    problems = []
    for invoice in session.execute(select(Invoice).where(
            (Invoice.amount_in_transit != 0) | Invoice.id.in_(list(ordered)))).scalars():
        if Decimal(invoice.amount_in_transit) != ordered.get(invoice.id, Decimal(0)):
            problems.append(f"invoice {invoice.id}: {invoice.amount_in_transit} in transit, transfers order "
                            f"{ordered.get(invoice.id, 0)}")
        expected = "in_transit" if invoice.amount_open == 0 else "approved"
        if invoice.amount_in_transit != 0 and invoice.status != expected:
            problems.append(f"invoice {invoice.id} is {invoice.status} with {invoice.amount_in_transit} in transit")
    return problems


def _advances_paid_once(session: Session) -> list[str]:
    """An advance a released transfer pays (not rejected) is asked for by no approved invoice: never paid twice."""
    from ledger.invoices.models import Invoice, InvoiceLine
    from ledger.payments.models import PaymentItem

    paid_by_transfer = set(session.execute(select(PaymentItem.obligation_id).where(
        PaymentItem.obligation_id.is_not(None), PaymentItem.status.in_(("ordered", "accepted", "paid")))).scalars())
    if not paid_by_transfer:
        return []
    invoiced = session.execute(select(InvoiceLine.obligation_id, Invoice.id).join(Invoice, Invoice.id ==
                                                                                   InvoiceLine.invoice_id)
                               .where(InvoiceLine.obligation_id.in_(paid_by_transfer),
                                      Invoice.status.in_(("approved", "in_transit", "paid")))).all()
    return [f"advance {o} is paid by a transfer and by invoice {i}" for o, i in invoiced]


def _claims_in_transit(session: Session) -> list[str]:
    """A cost claim is `in_transit` exactly while a released transfer paying it is with the bank (ordered or
    accepted, neither debited nor rejected), and `paid` once its debit cleared it."""
    from ledger.payments.models import PaymentItem
    from ledger.recognition.models import CostClaim

    stages = dict(session.execute(select(PaymentItem.claim_id, PaymentItem.status).where(
        PaymentItem.claim_id.is_not(None), PaymentItem.status.in_(("ordered", "accepted", "paid")))).all())
    problems = [f"cost claim {c.id} is in transit with no transfer with the bank" for c in session.execute(
        select(CostClaim).where(CostClaim.status == "in_transit")).scalars() if stages.get(c.id) not in
        ("ordered", "accepted")]
    for claim_id, status in stages.items():
        expected = "paid" if status == "paid" else "in_transit"
        stage = session.get(CostClaim, claim_id).status
        if stage != expected:
            problems.append(f"cost claim {claim_id} is {stage}, its transfer {status}")
    return problems
