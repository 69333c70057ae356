"""The values a statement parser yields, the dedup fingerprint and the streaming balance check.

A parse yields, per statement in the file: one `ParsedStatement` (the header), then its `ParsedTransfer`s
one by one, then one `StatementEnd` carrying the totals and the balance check. Nothing holds more than one
entry at a time, so an importer can insert transfers in chunks while the file is still being read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from ledger.money import Money, MoneyError

Direction = Literal["credit", "debit"]
BalanceCheck = Literal["ok", "mismatch", "unavailable"]
EntryStatus = Literal["booked", "pending", "information"]

#: Placeholders banks put where a reference is absent; they identify nothing, so they count as absent.
NO_REFERENCE = frozenset({"", "NONREF", "NOTPROVIDED", "NOT PROVIDED"})


def clean_reference(value: str | None) -> str | None:
    """A reference with surrounding blanks removed, or None for absent/placeholder references."""
    if value is None:
        return None
    text = " ".join(value.split())
    return None if text.upper() in NO_REFERENCE else text


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """The header of one statement (camt `Stmt`/`Rpt`/`Ntfctn`, an MT940 `:20:` block, or a CSV file).

    `opening_balance`/`closing_balance` are signed (negative when overdrawn) and None when the file does
    not carry them. `account` is the IBAN when the bank gives one, else its other account id; None for
    a CSV file, whose rows each name their own account.
    """

    format: str
    format_version: str | None
    index: int
    account: str | None
    currency: str | None
    statement_id: str | None
    message_id: str | None
    opening_balance: Money | None
    closing_balance: Money | None
    from_date: date | None
    to_date: date | None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedTransfer:
    """One money movement on the account: a statement entry, or one transaction detail of a batch entry.

    `amount` is always positive; `direction` says whether it came in (credit) or went out (debit), as
    booked on this account. `reversal` marks an entry that undoes an earlier one (its direction is the
    booking direction of the reversal itself). `fingerprint` identifies the movement across re-imports:
    it depends only on what the bank says about the movement, never on the file, message or statement id.

    A payment made in another currency carries `instructed_amount`, what the payer ordered (in the currency
    of the invoice it pays), and `fx_rate`, the rate the bank stated, always as units of `amount.currency`
    per one unit of `instructed_amount.currency` (amount ≈ instructed × rate), whichever way the bank
    quoted it; None when the bank gave no rate for that pair. Both are None for a same-currency payment.
    """

    account: str
    amount: Money
    direction: Direction
    booking_date: date | None
    value_date: date | None
    bank_reference: str | None
    end_to_end_id: str | None
    uetr: str | None
    structured_reference: str | None
    structured_reference_scheme: Literal["RF", "SCOR"] | None
    remittance_information: str | None
    counterparty_name: str | None
    counterparty_iban: str | None
    reversal: bool
    status: EntryStatus
    statement_index: int
    entry_index: int
    detail_index: int | None
    fingerprint: str
    location: str | None = None
    instructed_amount: Money | None = None
    fx_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class StatementEnd:
    """Closes a statement: how many transfers it had, their totals and the balance check."""

    statement: ParsedStatement
    transfers: int
    credits: Money | None
    debits: Money | None
    balance_check: BalanceCheck


def fingerprint(
    *,
    account: str,
    currency: str,
    amount: Money,
    direction: Direction,
    booking_date: date | None,
    reversal: bool,
    entry_reference: str | None,
    detail_reference: str | None,
    end_to_end_id: str | None,
    detail_index: int | None,
    occurrence: int = 0,
) -> str:
    """A stable id of one movement, the same whichever file, message or statement carried it.

    Built from what identifies the movement at the bank: the account, the bank's own reference
    (AcctSvcrRef or :61: bank reference), the end-to-end id, booking date, amount, currency, direction and,
    inside a batch entry, the detail's position. Remittance texts and names are left out on purpose:
    an intraday camt.052 and the end-of-day camt.053 may describe the same movement more or less richly.
    `occurrence` tells apart movements that are otherwise identical in every one of these fields (two
    unreferenced 10.00 card payments on one day): the n-th such movement in a statement gets n.
    """
    parts = [
        "v1",
        account.replace(" ", "").upper(),
        currency,
        str(amount.amount),
        direction,
        booking_date.isoformat() if booking_date else "",
        "R" if reversal else "",
        entry_reference or "",
        detail_reference or "",
        end_to_end_id or "",
        "" if detail_index is None else str(detail_index),
        str(occurrence),
    ]
    # The unit separator cannot occur in bank references, so the join is unambiguous.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(slots=True)
class OccurrenceCounter:
    """Numbers otherwise-identical movements within one statement, for `fingerprint(occurrence=...)`.

    Only movements without any bank reference or end-to-end id are counted (the others are told apart by
    their references), so the memory held is bounded by the number of unreferenced movements of one
    statement, not by the file.
    """

    _seen: dict[str, int] = field(default_factory=dict)

    def next(self, key: str) -> int:
        count = self._seen.get(key, 0)
        self._seen[key] = count + 1
        return count

    def reset(self) -> None:
        self._seen.clear()


@dataclass(slots=True)
class BalanceTracker:
    """Accumulates booked credits and debits of one statement to check opening + credits − debits = closing.

    Feed it every transfer of the statement with `add`, then read `result()`. Only booked movements count:
    pending and information-only entries (camt.052/.054) do not move the booked balance.
    """

    statement: ParsedStatement
    credits: Money | None = None
    debits: Money | None = None
    count: int = 0
    _currency_clash: bool = False

    def add(self, transfer: ParsedTransfer) -> None:
        self.count += 1
        if transfer.status != "booked":
            return
        currency = transfer.amount.currency
        if self.credits is None or self.debits is None:
            self.credits, self.debits = Money.zero(currency), Money.zero(currency)
        if currency != self.credits.currency:
            self._currency_clash = True
            return
        if transfer.direction == "credit":
            self.credits = self.credits + transfer.amount
        else:
            self.debits = self.debits + transfer.amount

    def result(self) -> BalanceCheck:
        """`ok`, `mismatch` (also when the balances or entries are in different currencies), or
        `unavailable` when the statement lacks an opening or a closing balance."""
        opening, closing = self.statement.opening_balance, self.statement.closing_balance
        if opening is None or closing is None:
            return "unavailable"
        if self._currency_clash or opening.currency != closing.currency:
            return "mismatch"
        credits = self.credits if self.credits is not None else Money.zero(opening.currency)
        debits = self.debits if self.debits is not None else Money.zero(opening.currency)
        if credits.currency != opening.currency:
            return "mismatch"
        try:
            return "ok" if opening + credits - debits == closing else "mismatch"
        except MoneyError:
            return "mismatch"

    def end(self) -> StatementEnd:
        return StatementEnd(self.statement, self.count, self.credits, self.debits, self.result())
