"""Journal rules as plain functions over plain values: what an entry is, when it balances, what it hashes to.

Amounts are signed: a debit is positive, a credit negative, so an entry balances when its lines sum to
zero in each currency. Tested without a database (tests/unit/journal).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from ledger.money import Money
from ledger.refusals import Refusal

#: Purpose → the beancount account type it belongs to (and so the sign an auditor expects).
PURPOSES: dict[str, str] = {
    "returns_costs": "Expenses",        # what agreements cost the payer, as accrued
    "obligations": "Liabilities",       # accrued, not yet invoiced, owed to the payee
    "invoices_payable": "Liabilities",  # approved invoices, not yet paid
    "advances": "Assets",               # advances paid, to be offset against later invoices
    "cash": "Assets",                   # money at a bank: one account per bank account and currency
    "bank_charges": "Expenses",
    "fx_differences": "Expenses",       # realised FX gains (credit) and losses (debit) on converted payments
    "rounding": "Expenses",             # differences an officer writes off as rounding while matching by hand
    "claims_receivable": "Assets",      # EU compensation owed to an enforcing state
    "claims_payable": "Liabilities",    # EU compensation owed by an issuing state
    "compensation_income": "Income",
    "compensation_expense": "Expenses",
    "suspense": "Liabilities",          # a bank account's money that nothing explains yet (per bank account)
    "currency_exchange": "Equity",      # a bank account's conversions: one leg in each currency, equal at the rate
    "opening_balances": "Equity",       # what a bank account held when the journal first saw it
    "payments_in_transit": "Liabilities",  # released payment orders the bank has not debited yet (per bank account)
    # Month-end revaluation (ledger/fx): in the party's reporting currency, reversed the next day.
    "fx_unrealised": "Expenses",        # unrealised FX gains (credit) and losses (debit) on open items
    "fx_revaluation_payable": "Liabilities",   # what open payables in other currencies gained or lost in value
    "fx_revaluation_receivable": "Assets",     # the same for open receivables
}


class JournalRefusal(Refusal):
    """The journal refuses an entry: a domain error with a stable snake_case `code`, a `detail` safe to show and
    named facts in `extra`. It knows nothing of HTTP: `ledger.errors` answers each kind as problem+json."""

    code = "journal_refused"


class JournalError(JournalRefusal):
    """An entry that is not an entry: unbalanced, a single line, an amount in another currency than its account."""

    code = "unbalanced_entry"


class PeriodClosed(JournalRefusal):
    """An entry booked into a closed period (`extra` names the period and the next open one)."""

    code = "period_closed"
    kind = "conflict"


@dataclass(frozen=True)
class AccountKey:
    """Purpose, whose account, the other side, the agreement, the currency and, for money at a bank, the bank
    account: the account's identity.

    A bank account's accounts (cash, suspense, its conversions, its opening balance) are keyed by the bank account
    alone, not by its owner: the owner of an IBAN can be registered, or corrected, after its statements were
    imported, and the money it holds does not move because of that (partners see them through their registered
    accounts, `journal.queries.visible_accounts`)."""

    purpose: str
    currency: str
    party: str | None = None
    counterparty: str | None = None
    agreement_id: int | None = None
    bank_account: str | None = None  # the account as the bank's statements name it (IBAN or BBAN, compact)

    def __post_init__(self) -> None:
        if self.purpose not in PURPOSES:
            raise ValueError(f"unknown account purpose {self.purpose!r}")

    @cached_property  # asked for every line hashed, checked and posted; the key never changes
    def code(self) -> str:
        parts = (self.purpose, self.party or "-", self.counterparty or "-",
                 str(self.agreement_id) if self.agreement_id is not None else "-", self.currency)
        if self.bank_account:  # after the currency, so every code without one stays as it was
            parts += (self.bank_account,)
        return ":".join(parts)


@dataclass(frozen=True)
class Fx:
    """How a converted amount was obtained: kept with the posting, as the accounting model requires."""

    rate: Decimal
    source: str
    original: Money


@dataclass(frozen=True)
class Line:
    account: AccountKey
    amount: Money  # debit positive, credit negative
    fx: Fx | None = None


@dataclass(frozen=True)
class EntryDraft:
    effective_date: date
    lines: tuple[Line, ...]
    source_type: str
    source_id: str
    memo: str = ""
    period: str | None = None  # booking period; defaults to the effective date's month
    reverses_id: int | None = None
    meta: dict = field(default_factory=dict, compare=False)


def debit(account: AccountKey, amount: Money, fx: Fx | None = None) -> Line:
    return Line(account, amount, fx)


def credit(account: AccountKey, amount: Money, fx: Fx | None = None) -> Line:
    return Line(account, -amount, fx)


def check_entry(draft: EntryDraft) -> None:
    """Refuse an entry that is empty, mixes an account with another currency, or does not balance."""
    if len(draft.lines) < 2:
        raise JournalError("an entry needs at least two lines", code="invalid_entry")
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for index, line in enumerate(draft.lines):
        if line.amount.currency != line.account.currency:
            raise JournalError(f"line {index}: a {line.amount.currency} amount on a {line.account.currency} account",
                               code="invalid_entry")
        sums[line.amount.currency] += line.amount.amount
    unbalanced = {cur: total for cur, total in sums.items() if total != 0}
    if unbalanced:
        detail = ", ".join(f"{cur} off by {format(total, 'f')}" for cur, total in sorted(unbalanced.items()))
        raise JournalError(f"debits and credits differ: {detail}")


def reversal_lines(lines: tuple[Line, ...]) -> tuple[Line, ...]:
    """The lines that undo `lines` exactly (same accounts, opposite signs, same FX record)."""
    return tuple(Line(line.account, -line.amount, line.fx) for line in lines)


def entry_content(seq: int, period: str, created_at: str, draft: EntryDraft) -> dict:
    """What the hash chain covers: everything that gives the entry its meaning."""
    return {
        "seq": seq,
        "effective_date": draft.effective_date.isoformat(),
        "period": period,
        "source": [draft.source_type, draft.source_id],
        "memo": draft.memo,
        "reverses": draft.reverses_id,
        "created_at": created_at,
        "lines": [line_content(line) for line in draft.lines],
    }


def canonical_rate(rate: Decimal) -> str:
    """A rate as stored (8 decimals) and written without trailing zeros, so database round trips hash alike."""
    return format(rate.quantize(RATE_QUANTUM).normalize(), "f")


RATE_QUANTUM = Decimal("1E-8")


def line_content(line: Line) -> list:
    fx = None
    if line.fx:
        fx = [canonical_rate(line.fx.rate), line.fx.source, str(line.fx.original), line.fx.original.currency]
    return [line.account.code, line.amount.currency, str(line.amount), fx]
