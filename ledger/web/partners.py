"""The dashboard's card per partner country: what is owed to it, what is late, what was paid, what is unexplained.

A partner is a party the ledger may pay (`payees`): an agreement's payee (its invoices and advances), the sender of an
invoice, the enforcing member state of an accepted EU cost claim, or the payee of a payment order: every creditor a
payment proposal can contain. Figures per currency, from the invoices and the matches that settle them (EU cost
claims have their own page):
  - owed this month: the open amount of approved invoices due from today to the month's end (or, with no due date,
    of this month): what falls due and is not late yet;
  - overdue: the open amount of approved invoices whose due date has passed;
  - paid this month: what posted matches applied to the partner's invoices from transfers booked this month, and
    the payment orders the bank debited this month (matched by EndToEndId: no invoice allocation);
  - unexplained: the unallocated remainder of booked transfers to or from the partner's accounts;
  - ordered: what approved payment batches, not yet released, will pay the partner;
  - in transit: what released payment batches sent the partner that the bank has not debited yet
    (both from `ledger.payments.queries`).
The sparkline is what was invoiced to the payer per month over the last 12 months (approved or paid invoices, by
the invoice's period), one line per currency, drawn as inline SVG.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from ledger.auth import Principal
from ledger.money import Money
from ledger.timeutil import period_of, today

MONTHS = 12


@dataclass
class Spark:
    currency: str
    months: list[str]
    values: list[Decimal]
    points: str  # the polyline's points in a WIDTH × HEIGHT box

    @property
    def total(self) -> Money:
        return Money(sum(self.values, Decimal(0)), self.currency)

    @property
    def described(self) -> str:
        """The sparkline as text, for people who cannot see it."""
        return "; ".join(f"{m}: {v:,.2f}" for m, v in zip(self.months, self.values, strict=True))


@dataclass
class Partner:
    code: str
    name: str
    owed: list[Money] = field(default_factory=list)
    overdue: list[Money] = field(default_factory=list)
    paid: list[Money] = field(default_factory=list)
    unexplained: list[Money] = field(default_factory=list)
    sparks: list[Spark] = field(default_factory=list)
    ordered: list[Money] = field(default_factory=list)
    in_transit: list[Money] = field(default_factory=list)


WIDTH, HEIGHT, PAD = 120, 28, 2


def spark_points(values: list[Decimal], width: int = WIDTH, height: int = HEIGHT, pad: int = PAD) -> str:
    """SVG polyline points for `values`, left to right, the largest at the top and zero (or the least) at the
    bottom; a flat line for a series with nothing in it."""
    if not values:
        return ""
    low, high = min(min(values), Decimal(0)), max(values)
    span = high - low
    step = (width - 2 * pad) / max(1, len(values) - 1)
    points = []
    for i, value in enumerate(values):
        share = float((value - low) / span) if span else 0.0
        y = height - pad - share * (height - 2 * pad)
        points.append(f"{pad + i * step:.1f},{y:.1f}")
    return " ".join(points)


def last_months(period: str, count: int = MONTHS) -> list[str]:
    year, month = int(period[:4]), int(period[5:7])
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def _sums(rows) -> dict[str, list[Money]]:
    out: dict[str, list[Money]] = defaultdict(list)
    for party, currency, amount in rows:
        if party is not None and amount:
            out[party].append(Money.rounded(Decimal(amount), currency))
    return out


def partners(session: Session) -> list[Partner]:
    from ledger.invoices import queries as invoices
    from ledger.parties import queries as parties
    from ledger.payments.queries import debited_by_payee, in_transit_by_payee, ordered_by_payee
    from ledger.reconciliation import queries as reconciliation
    from ledger.statements import queries as statements

    day, period = today(), period_of(today())
    first = day.replace(day=1)
    names = parties.names(session, select(payees()))
    owed = _sums(invoices.open_by_payee(session, day, _month_end(first), period))
    overdue = _sums(invoices.overdue_by_payee(session, day))
    paid = _sums(reconciliation.paid_by_payee(session, first))
    for code, moneys in debited_by_payee(session, first).items():
        paid[code] = _merge([*paid.get(code, []), *moneys])
    unexplained = _sums(statements.unexplained_by_party(session, list(names)))
    sparks = _sparks(session, period)
    ordered, in_transit = ordered_by_payee(session), in_transit_by_payee(session)
    return [Partner(code, name, owed.get(code, []), overdue.get(code, []), paid.get(code, []),
                    _merge(unexplained.get(code, [])), sparks.get(code, []), ordered.get(code, []),
                    in_transit.get(code, [])) for code, name in names.items()]


def payees():
    """Every party the ledger may pay, as a subquery of codes: agreements' payees (invoices and advances), invoices'
    senders, the enforcing states of accepted (in transit or paid) EU cost claims, and the payees of payment orders."""
    from ledger.agreements import queries as agreements
    from ledger.invoices import queries as invoices
    from ledger.payments import queries as payments
    from ledger.recognition import queries as recognition

    return union(agreements.payee_codes(), invoices.payee_codes(), recognition.creditor_states(),
                 payments.payee_codes()).subquery()


def _month_end(first):
    from ledger.agreements.rules.obligations import period_bounds

    return period_bounds(period_of(first))[1]


def _merge(moneys: list[Money]) -> list[Money]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for m in moneys:
        totals[m.currency] += m.amount
    return [Money(amount, currency) for currency, amount in sorted(totals.items())]


def _sparks(session: Session, period: str) -> dict[str, list[Spark]]:
    from ledger.invoices import queries as invoices

    months = last_months(period)
    rows = invoices.invoiced_by_payee_and_month(session, months[0], months[-1])
    series: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    for party, currency, month, amount in rows:
        series[party, currency][month] = Decimal(amount)
    out: dict[str, list[Spark]] = defaultdict(list)
    for (party, currency), by_month in sorted(series.items()):
        values = [by_month.get(m, Decimal(0)) for m in months]
        out[party].append(Spark(currency, months, values, spark_points(values)))
    return out


def partner_cards(session: Session, principal: Principal):
    """The dashboard panel (`ledger.web.dashboard.PANELS`)."""
    from ledger.web.dashboard import Panel

    cards = partners(session)
    if not cards:
        return None
    return Panel(f"What is owed to each partner, {period_of(today())}", "dashboard/partners.html",
                 {"partners": cards, "width": WIDTH, "height": HEIGHT}, wide=True)
