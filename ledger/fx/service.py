"""Exchange rates and month-end revaluation of open items (see `ledger.fx.rules` for the accounting)."""

from __future__ import annotations

import bisect
import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ledger.agreements.rules.obligations import period_bounds
from ledger.audit.service import describe
from ledger.errors import Conflict, Unprocessable, field_error
from ledger.fx import rules
from ledger.fx.models import FxRate, Revaluation
from ledger.journal import queries as journal_queries
from ledger.journal import service as journal
from ledger.journal.rules import RATE_QUANTUM, AccountKey, EntryDraft, Fx, Line
from ledger.money import Money, is_currency
from ledger.parties import queries as parties
from ledger.timeutil import today
from ledger.wire import Extended

PAYABLES = ("obligations", "invoices_payable")   # the payer is the account's counterparty
OWN = ("claims_receivable", "claims_payable")     # the state is the account's party
RECEIVABLES = ("claims_receivable",)
MAX_RATE = Decimal("1E12")


# ---- rates -------------------------------------------------------------------------------------------

def record_rate(session: Session, currency: str, quote: str, rate: Decimal, on: date, source: str) -> FxRate:
    """Record (or correct, for the same pair and day) a rate: 1 `currency` = `rate` `quote`."""
    if currency == quote:
        raise field_error("quote_currency", "a rate converts between two different currencies")
    if rate <= 0 or rate >= MAX_RATE or rate != rate.quantize(RATE_QUANTUM):
        raise field_error("rate", "a positive rate with at most 8 decimals")
    if on > today():
        raise field_error("on", "a rate cannot be recorded for a day that has not come", "future_date")
    row = session.execute(select(FxRate).where(FxRate.currency == currency, FxRate.quote_currency == quote,
                                               FxRate.on == on)).scalar()
    if row is None:
        row = FxRate(currency=currency, quote_currency=quote, rate=rate, on=on, source=source)
        session.add(row)
    else:
        row.rate, row.source = rate, source
    session.flush()
    describe(session, "fx_rate.record", "fx_rate", row.id, f"{currency}/{quote} {rate} on {on} ({source})")
    return row


def parse_reference_csv(text: str) -> list[tuple[date, str, Decimal]]:
    """A central bank's reference rates as the ECB publishes them (`eurofxref-hist.csv`): a header
    `Date,USD,JPY,…` and one row per day, each rate 1 EUR = x of the column's currency; `N/A` or an empty cell
    is no rate. Returns (day, currency, rate); a malformed cell names its row and column."""
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip() for cell in next(reader, [])]
    if not header or header[0].lower() != "date":
        raise ValueError("the first column must be Date")
    rows = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise ValueError(f"row {number}: {row[0]!r} is not a date (YYYY-MM-DD)") from None
        for currency, cell in zip(header[1:], row[1:]):
            cell = cell.strip()
            if not currency or cell in ("", "N/A"):
                continue
            if not is_currency(currency):
                raise ValueError(f"column {currency!r} is not an ISO 4217 currency")
            try:
                rate = Decimal(cell)
            except InvalidOperation:
                raise ValueError(f"row {number}, {currency}: {cell!r} is not a decimal rate") from None
            rows.append((day, currency, rate))
    return rows


def import_reference_csv(session: Session, text: str, base: str = "EUR", source: str = "ECB reference rate") -> int:
    rows = parse_reference_csv(text)
    for day, currency, rate in rows:
        record_rate(session, base, currency, rate, day, source)
    return len(rows)


class Rates:
    """R per unit of C on a day: the latest rate recorded on or before it, either way round."""

    def __init__(self, session: Session, currency: str, reporting: str, until: date):
        rows = session.execute(select(FxRate).where(
            or_((FxRate.currency == currency) & (FxRate.quote_currency == reporting),
                (FxRate.currency == reporting) & (FxRate.quote_currency == currency)),
            FxRate.on <= until).order_by(FxRate.on)).scalars()
        by_day: dict[date, tuple[Decimal | None, Decimal | None]] = {}
        self.sources: dict[date, str] = {}
        for row in rows:
            direct, inverse = by_day.get(row.on, (None, None))
            if row.currency == currency:
                direct = Decimal(row.rate)
            else:
                inverse = Decimal(row.rate)
            by_day[row.on] = (direct, inverse)
            self.sources[row.on] = row.source
        self.days = sorted(by_day)
        self.rates = [rules.convert_rate(*by_day[day]) for day in self.days]
        self.currency, self.reporting = currency, reporting

    def on(self, day: date) -> Decimal:
        index = bisect.bisect_right(self.days, day) - 1
        if index < 0:
            raise rules.MissingRate(self.currency, self.reporting, day)
        return self.rates[index]

    def source(self, day: date) -> str:
        index = bisect.bisect_right(self.days, day) - 1
        return self.sources[self.days[index]] if index >= 0 else ""


# ---- revaluation -------------------------------------------------------------------------------------

def _open_accounts(session: Session, party: str, reporting: str, period: str) -> list[tuple]:
    """The party's receivable and payable accounts in other currencies, with their movements up to `period`."""
    movements: dict[int, list] = defaultdict(list)
    accounts: dict[int, object] = {}
    for account, on, amount in journal_queries.movements_in_other_currencies(session, party, reporting, period,
                                                                              PAYABLES, OWN):
        accounts[account.id] = account
        movements[account.id].append((on, Decimal(amount)))
    return [(accounts[i], movements[i]) for i in sorted(accounts)]


def revaluation_lines(session: Session, party: str, reporting: str, period: str) -> list[Line]:
    _, end = period_bounds(period)
    lines, total = [], Decimal(0)
    rates: dict[str, Rates] = {}
    for account, movements in _open_accounts(session, party, reporting, period):
        table = rates.setdefault(account.currency, Rates(session, account.currency, reporting, end))
        try:
            diff = rules.difference(movements, table.on, end, reporting)
        except rules.MissingRate as missing:
            raise Unprocessable(str(missing), code="fx_rate_missing", errors={"rate": [str(missing)]},
                                extra={"currency": missing.currency, "quote_currency": missing.quote,
                                       "on": missing.on.isoformat()}) from None
        if diff.is_zero():
            continue
        purpose = "fx_revaluation_receivable" if account.purpose in RECEIVABLES else "fx_revaluation_payable"
        key = AccountKey(purpose, reporting, account.party_code, account.counterparty_code, account.agreement_id)
        balance = Money(sum((amount for _, amount in movements), Decimal(0)), account.currency)
        lines.append(Line(key, diff, Fx(table.on(end), table.source(end), balance)))
        total += diff.amount
    if lines:
        lines.append(Line(AccountKey("fx_unrealised", reporting, party), Money(-total, reporting)))
    return lines


def revalue(session: Session, period: str, party_code: str | None = None) -> list[Revaluation]:
    """Revalue `period`'s open items of one party (or of every party with a reporting currency)."""
    first, end = period_bounds(period)
    if end >= today():
        raise field_error("period", "a month is revalued once it has ended (at its last day's rates)",
                          "period_not_ended")
    if party_code is not None:
        party = parties.get(session, party_code)
        if party is None:
            raise field_error("party", "no such party")
        if not party.reporting_currency:
            raise field_error("party", "the party has no reporting_currency to revalue into")
        chosen = [party]
    else:
        chosen = parties.with_reporting_currency(session)
    return [_revalue_party(session, party, period, end) for party in chosen]


def _revalue_party(session: Session, party, period: str, end: date) -> Revaluation:
    done = session.execute(select(Revaluation.id).where(Revaluation.period == period,
                                                        Revaluation.party_code == party.code)).first()
    if done:
        raise Conflict(f"{period} is already revalued for {party.code}", code="already_revalued")
    row = Revaluation(period=period, party_code=party.code, reporting_currency=party.reporting_currency)
    lines = revaluation_lines(session, party.code, party.reporting_currency, period)
    if lines:
        source_id = f"{party.code}:{period}"
        row.entry_id = journal.post_entry(session, EntryDraft(
            effective_date=end, lines=tuple(lines), source_type="fx_revaluation", source_id=source_id,
            memo=f"unrealised FX differences of {party.code}'s open items at {end.isoformat()}", period=period))
        row.reversal_entry_id = journal.reverse(
            session, row.entry_id, end + timedelta(days=1), memo=f"reversal of {period}'s FX revaluation",
            source_type="fx_revaluation_reversal", source_id=source_id)
    session.add(row)
    session.flush()
    describe(session, "fx.revalue", "revaluation", row.id, f"{party.code} {period}: {max(len(lines) - 1, 0)} items")
    return row


def revalued(session: Session, row: Revaluation) -> Extended:
    """A party's revaluation with the lines of its entry that revalue an item (`items`: those carrying a rate)."""
    lines = journal.lines_of(session, row.entry_id) if row.entry_id else ()
    return Extended(row, items=[line for line in lines if line.fx is not None])
