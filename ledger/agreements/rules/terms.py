"""The terms of a bilateral return agreement, its versions, and the checks made against them.

Pure values and functions: the integration layer stores agreements and amendments and calls these to
parse the API's ``terms`` object, to find the terms in force on a date, to admit returnees (quota,
capacity, term) and to check a termination.

Decisions an auditor may ask about (all tested in ``tests/unit/agreements``):

* **Versions form a timeline by effective date.** Version 1 is the agreement as signed; each version
  holds the complete terms from its ``effective_from`` (an amendment is a merge patch of the terms in force
  on that date, applied by the service: ``ledger.merge_patch``). The terms in force on a date are
  those of the version with the latest ``effective_from`` on or before it; two versions with the same
  date are resolved in favour of the later amendment (higher ``number``).
* **The term ends** on ``effective_to`` or, if the agreement was terminated, on ``terminated_on``,
  whichever is earlier; the end date itself is inside the term.
* **Annual quota** counts returnees transferred in the same *calendar* year (treasuries and the public
  reports on these arrangements count by calendar year); **capacity** counts returnees in the host's
  care at once (transferred and not yet departed), as in the Italy–Albania protocol's 3,000 "at a time".
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from ledger.money import Money, MoneyError, minor_units, quantize, to_decimal

_TERM_KEYS = {
    "per_returnee_fee",
    "monthly_support",
    "instalments",
    "milestones",
    "advance",
    "annual_quota",
    "capacity",
    "payment_terms_days",
    "tolerance",
    "notice_months",
    "cost_reimbursement",
    "voluntary_departure_grant",
    "late_interest",
}

#: Cost categories a host may invoice actual costs under (``cost_reimbursement``; Italy–Albania's sub-accounts).
COST_CATEGORIES = ("accommodation", "food", "healthcare", "legal_aid", "integration", "onward_travel")
#: Reference rates a ``late_interest`` of kind ``reference`` may name (recorded under ``/reference-rates``).
REFERENCE_RATES = ("ECB_MRO", "BOE_BANK_RATE")
#: Decimals a rate in percent may carry ("8.00", "4.1500").
RATE_DECIMALS = 4

#: Longest support period we accept: 50 years is already far beyond any agreement's term.
MAX_SUPPORT_MONTHS = 600


class AgreementError(ValueError):
    """Bad input to an agreement rule; ``code`` is stable snake_case, ``message`` is safe to show."""

    code = "validation_error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class TermsError(AgreementError):
    """The terms (or the agreement's dates/currency) are invalid: ``code="validation_error"``, with ``field``."""


class AdmissionError(AgreementError):
    """A returnee cannot be admitted: ``code`` is ``quota_exceeded`` or ``outside_term``."""


# --- value types -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonthlySupport:
    amount: Money
    max_months: int


@dataclass(frozen=True, slots=True)
class Instalment:
    due_on: date
    amount: Money
    label: str = ""


@dataclass(frozen=True, slots=True)
class Milestone:
    returnees: int
    amount: Money


def tolerance_limit(absolute: Decimal, percent: Decimal, expected: Decimal, currency: str) -> Decimal:
    """The one tolerance rule (agreements and the matching engine both use it): the lower of ``absolute`` and
    ``percent`` % of ``expected`` (0.5 means 0.5 %), the percentage rounded down to the currency's minor units.

    Both limits apply, as in SAP tolerance groups: an agreement tolerating "50.00 or 0.5 %" writes off at most
    50.00 on a large invoice and at most 0.5 % on a small one, never 50.00 on a 100.00 invoice."""
    return min(absolute, quantize(abs(expected) * percent / 100, currency, ROUND_DOWN))


@dataclass(frozen=True, slots=True)
class Tolerance:
    absolute: Money
    percent: Decimal

    def limit(self, expected: Money) -> Money:
        """The largest difference tolerated on ``expected`` (see :func:`tolerance_limit`)."""
        currency = self.absolute.currency
        return Money(tolerance_limit(self.absolute.amount, self.percent, expected.amount, currency), currency)

    def allows(self, difference: Money, expected: Money) -> bool:
        """True when ``difference`` is within both the absolute amount and the percentage of ``expected``."""
        return abs(difference) <= self.limit(expected)


@dataclass(frozen=True, slots=True)
class CostReimbursement:
    """Actual costs reimbursed up to caps per returnee: over the whole stay (``cap_per_person``, required),
    per cost category (``caps_per_category``) and per calendar year of the costs' period (``cap_per_year``)."""

    cap_per_person: Money
    caps_per_category: tuple[tuple[str, Money], ...] = ()
    cap_per_year: Money | None = None

    def category_cap(self, category: str) -> Money | None:
        return dict(self.caps_per_category).get(category)

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"cap_per_person": str(self.cap_per_person)}
        if self.caps_per_category:
            wire["caps_per_category"] = {c: str(m) for c, m in self.caps_per_category}
        if self.cap_per_year is not None:
            wire["cap_per_year"] = str(self.cap_per_year)
        return wire


@dataclass(frozen=True, slots=True)
class LateInterest:
    """Interest on overdue invoices: ``fixed`` at ``rate_percent`` a year, or ``reference`` (a recorded reference
    rate, e.g. ECB_MRO, on the first day late) plus ``margin_percent``; simple, Actual/365."""

    kind: str  # fixed | reference
    rate_percent: Decimal | None = None
    reference: str | None = None
    margin_percent: Decimal | None = None

    def to_wire(self) -> dict[str, Any]:
        if self.kind == "fixed":
            return {"kind": "fixed", "rate_percent": format(self.rate_percent, "f")}
        return {"kind": "reference", "reference": self.reference, "margin_percent": format(self.margin_percent, "f")}


@dataclass(frozen=True, slots=True)
class Terms:
    """One version's pricing rules; every money amount is in the agreement's ``currency``."""

    currency: str
    per_returnee_fee: Money | None = None
    monthly_support: MonthlySupport | None = None
    instalments: tuple[Instalment, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    advance: Money | None = None
    #: Days after the advance comes into force that it falls due (Italy–Albania: within 90 days of entry
    #: into force); None: on that first day.
    advance_due_days: int | None = None
    annual_quota: int | None = None
    capacity: int | None = None
    payment_terms_days: int | None = None
    tolerance: Tolerance | None = None
    #: Minimum notice for termination, in months (Italy–Albania: 6). Not in API.md's example; optional.
    notice_months: int | None = None
    #: Actual costs invoiced per returnee and category (lines of kind ``actual_cost``), reimbursed up to caps.
    cost_reimbursement: CostReimbursement | None = None
    #: One-off payment on a ``voluntary_departure`` (UK–Rwanda: £10,000 per voluntary departure).
    voluntary_departure_grant: Money | None = None
    #: Late-payment interest on overdue invoices; None: no interest.
    late_interest: LateInterest | None = None

    @classmethod
    def from_wire(cls, data: Mapping[str, Any], currency: str) -> Terms:
        """Parse the API's ``terms`` object; raise :class:`TermsError` naming the offending field."""
        _check_currency(currency)
        if not isinstance(data, Mapping):
            raise TermsError("terms must be an object", field="terms")
        unknown = sorted(set(data) - _TERM_KEYS)
        if unknown:
            raise TermsError(f"unknown term {unknown[0]!r}", field=f"terms.{unknown[0]}")
        return cls(
            currency=currency,
            per_returnee_fee=_optional(data, "per_returnee_fee", lambda v, f: _amount(v, currency, f)),
            monthly_support=_optional(data, "monthly_support", lambda v, f: _support(v, currency, f)),
            instalments=_instalments(data.get("instalments", []), currency),
            milestones=_milestones(data.get("milestones", []), currency),
            advance=_optional(data, "advance", lambda v, f: _advance(v, currency, f)[0]),
            advance_due_days=_optional(data, "advance", lambda v, f: _advance(v, currency, f)[1]),
            annual_quota=_optional(data, "annual_quota", _count),
            capacity=_optional(data, "capacity", _count),
            payment_terms_days=_optional(data, "payment_terms_days", _count),
            tolerance=_optional(data, "tolerance", lambda v, f: _tolerance(v, currency, f)),
            notice_months=_optional(data, "notice_months", _count),
            cost_reimbursement=_optional(data, "cost_reimbursement", lambda v, f: _reimbursement(v, currency, f)),
            voluntary_departure_grant=_optional(data, "voluntary_departure_grant",
                                                lambda v, f: _amount(v, currency, f)),
            late_interest=_optional(data, "late_interest", _late_interest),
        )

    def to_wire(self) -> dict[str, Any]:
        """The API's ``terms`` object; absent terms are left out, so ``from_wire(to_wire())`` round-trips."""
        wire: dict[str, Any] = {}
        if self.per_returnee_fee is not None:
            wire["per_returnee_fee"] = str(self.per_returnee_fee)
        if self.monthly_support is not None:
            wire["monthly_support"] = {
                "amount": str(self.monthly_support.amount),
                "max_months": self.monthly_support.max_months,
            }
        if self.instalments:
            wire["instalments"] = [
                {"due_on": i.due_on.isoformat(), "amount": str(i.amount), "label": i.label} for i in self.instalments
            ]
        if self.milestones:
            wire["milestones"] = [{"returnees": m.returnees, "amount": str(m.amount)} for m in self.milestones]
        if self.advance is not None:
            wire["advance"] = {"amount": str(self.advance)}
            if self.advance_due_days is not None:
                wire["advance"]["due_within_days"] = self.advance_due_days
        for name in ("annual_quota", "capacity", "payment_terms_days", "notice_months"):
            if getattr(self, name) is not None:
                wire[name] = getattr(self, name)
        if self.tolerance is not None:
            wire["tolerance"] = {
                "absolute": str(self.tolerance.absolute),
                "percent": format(self.tolerance.percent, "f"),
            }
        if self.cost_reimbursement is not None:
            wire["cost_reimbursement"] = self.cost_reimbursement.to_wire()
        if self.voluntary_departure_grant is not None:
            wire["voluntary_departure_grant"] = str(self.voluntary_departure_grant)
        if self.late_interest is not None:
            wire["late_interest"] = self.late_interest.to_wire()
        return wire


@dataclass(frozen=True, slots=True)
class AgreementVersion:
    """Version ``number`` (1 = as signed, 2.. = amendments in the order made) in force from ``effective_from``."""

    effective_from: date
    terms: Terms
    number: int = 1


@dataclass(frozen=True, slots=True)
class AgreementFacts:
    """What the pricing rules need to know about an agreement besides its terms."""

    id: int
    currency: str
    effective_from: date
    effective_to: date | None = None
    terminated_on: date | None = None

    def __post_init__(self) -> None:
        _check_currency(self.currency)
        check_term_dates(self.effective_from, self.effective_to)

    @property
    def ends_on(self) -> date | None:
        """Last day of the term: the earlier of ``effective_to`` and ``terminated_on`` (None: open-ended)."""
        ends = [d for d in (self.effective_to, self.terminated_on) if d is not None]
        return min(ends) if ends else None

    def in_term(self, day: date) -> bool:
        return self.effective_from <= day and (self.ends_on is None or day <= self.ends_on)


# --- versions ----------------------------------------------------------------------------------------


class VersionTimeline:
    """The versions ordered by effective date, to look up the one in force on many days cheaply."""

    def __init__(self, versions: Iterable[AgreementVersion]) -> None:
        ordered = sorted(versions, key=lambda v: (v.effective_from, v.number))
        self._starts = [v.effective_from for v in ordered]
        self.versions: tuple[AgreementVersion, ...] = tuple(ordered)

    def at(self, on: date) -> AgreementVersion | None:
        """The version in force on ``on``: the last to take effect on or before it (None before the first)."""
        index = bisect_right(self._starts, on)
        return self.versions[index - 1] if index else None


def version_in_force(versions: Sequence[AgreementVersion], on: date) -> AgreementVersion | None:
    """The version whose terms apply on ``on``; None before the first version takes effect."""
    return VersionTimeline(versions).at(on)


def terms_in_force(versions: Sequence[AgreementVersion], on: date) -> Terms | None:
    """The terms that price an event on ``on`` (None if no version is in force yet)."""
    version = version_in_force(versions, on)
    return version.terms if version else None


def check_amendment(agreement: AgreementFacts, versions: Sequence[AgreementVersion], effective_from: date) -> None:
    """An amendment must take effect within the term (back-dating inside it is allowed)."""
    if not agreement.in_term(effective_from):
        raise TermsError("an amendment must take effect within the agreement's term", field="effective_from")
    if versions and effective_from < min(v.effective_from for v in versions):
        raise TermsError("an amendment cannot take effect before the agreement", field="effective_from")


# --- dates, admission, termination ------------------------------------------------------------------


def check_term_dates(effective_from: date, effective_to: date | None, signed_on: date | None = None) -> None:
    """Term dates must be ordered: signed no later than the term ends, and the term not end before it starts."""
    if effective_to is not None and effective_to < effective_from:
        raise TermsError("effective_to must not be before effective_from", field="effective_to")
    if signed_on is not None and effective_to is not None and signed_on > effective_to:
        raise TermsError("signed_on must not be after effective_to", field="signed_on")


def check_instalment_dates(terms: Terms, agreement: AgreementFacts) -> None:
    """Every instalment falls due within the agreement's term (one outside it could never be paid)."""
    for index, instalment in enumerate(terms.instalments):
        if not agreement.in_term(instalment.due_on):
            raise TermsError(
                "instalment falls due outside the agreement's term", field=f"terms.instalments.{index}.due_on"
            )


def quota_year(on: date) -> tuple[date, date]:
    """The window whose transfers count towards ``annual_quota`` for a transfer on ``on``: its calendar year."""
    return date(on.year, 1, 1), date(on.year, 12, 31)


def admission_counts(transfers: Iterable[tuple[date, date | None]], on: date) -> tuple[int, int]:
    """(transferred in ``on``'s quota year, present on ``on``) from existing returnees' (transferred_on, departed_on).

    A returnee who departs on ``on`` no longer takes a place that day, so a new one may take it.
    """
    first, last = quota_year(on)
    in_year = present = 0
    for transferred_on, departed_on in transfers:
        in_year += first <= transferred_on <= last
        present += transferred_on <= on and (departed_on is None or departed_on > on)
    return in_year, present


def check_admission(
    agreement: AgreementFacts,
    versions: Sequence[AgreementVersion],
    transferred_on: date,
    transferred_in_year: int,
    present: int,
) -> None:
    """Refuse a returnee outside the term (``outside_term``) or beyond quota/capacity (``quota_exceeded``).

    ``transferred_in_year`` and ``present`` count the *other* returnees (see :func:`admission_counts`);
    the limits are those of the terms in force on ``transferred_on``.
    """
    terms = terms_in_force(versions, transferred_on)
    if not agreement.in_term(transferred_on) or terms is None:
        raise AdmissionError(
            "transferred_on is outside the agreement's term", code="outside_term", field="transferred_on"
        )
    if terms.annual_quota is not None and transferred_in_year + 1 > terms.annual_quota:
        raise AdmissionError(f"the annual quota of {terms.annual_quota} is reached", code="quota_exceeded")
    if terms.capacity is not None and present + 1 > terms.capacity:
        raise AdmissionError(f"the capacity of {terms.capacity} at a time is reached", code="quota_exceeded")


class Occupancy:
    """Who is in the host's care on each day: stays [transferred_on, departed_on), the departure day free.

    The count only rises on a transfer day and the capacity only changes on a version's day, so the peak of a
    stay's days against the capacity in force is found by looking at those days alone (`capacity_breach`).
    """

    def __init__(self, stays: Iterable[tuple[date, date | None]] = ()) -> None:
        self.transfers: list[date] = []
        self.departures: list[date] = []
        for transferred_on, departed_on in stays:
            self.transfers.append(transferred_on)
            if departed_on is not None:
                self.departures.append(departed_on)
        self.transfers.sort()
        self.departures.sort()

    def present_on(self, day: date) -> int:
        return bisect_right(self.transfers, day) - bisect_right(self.departures, day)

    def add(self, transferred_on: date, departed_on: date | None = None) -> None:
        insort(self.transfers, transferred_on)
        if departed_on is not None:
            insort(self.departures, departed_on)

    def days_rising(self, first: date, last: date | None) -> list[date]:
        """The transfer days in (first, last], each once: where the count may reach a new peak."""
        end = len(self.transfers) if last is None else bisect_right(self.transfers, last)
        return sorted(set(self.transfers[bisect_right(self.transfers, first):end]))


def capacity_breach(
    occupancy: Occupancy, versions: Sequence[AgreementVersion], first: date, last: date | None, joining: int = 1
) -> tuple[date, int] | None:
    """The first day in [first, last] (``last`` None: open-ended) on which ``joining`` more people than
    ``occupancy`` would exceed the capacity in force that day, as (day, capacity); None when every day has room.

    Capacity holds on every day of a stay, not only its first: a transfer back-dated before others, a departure
    moved later and an amendment lowering the capacity are all checked by the peak over the days concerned."""
    timeline = VersionTimeline(versions)
    changes = [v.effective_from for v in timeline.versions if first < v.effective_from and
               (last is None or v.effective_from <= last)]
    limits = [v.terms.capacity for v in timeline.versions if v.terms.capacity is not None]
    if not limits or len(occupancy.transfers) + joining <= min(limits):
        return None  # even everyone ever transferred fits in the smallest capacity: nothing to look at
    for day in sorted({first, *changes, *occupancy.days_rising(first, last)}):
        version = timeline.at(day)
        capacity = version.terms.capacity if version else None
        if capacity is not None and occupancy.present_on(day) + joining > capacity:
            return day, capacity
    return None


def check_capacity_over_stay(
    agreement: AgreementFacts, versions: Sequence[AgreementVersion], occupancy: Occupancy, transferred_on: date,
    departed_on: date | None = None,
) -> None:
    """Refuse a stay from ``transferred_on`` (to ``departed_on``, or the end of the term) that would take anyone
    over the capacity on any of its days (``quota_exceeded``, naming ``transferred_on``)."""
    last = agreement.ends_on
    if departed_on is not None:
        last = departed_on - timedelta(days=1) if last is None else min(last, departed_on - timedelta(days=1))
    breach = capacity_breach(occupancy, versions, transferred_on, last)
    if breach is not None:
        day, capacity = breach
        raise AdmissionError(
            f"the capacity of {capacity} at a time would be exceeded on {day.isoformat()}",
            code="quota_exceeded", field="transferred_on",
        )


def check_capacity_of_version(
    agreement: AgreementFacts, versions: Sequence[AgreementVersion], new: AgreementVersion, occupancy: Occupancy
) -> None:
    """Refuse an amendment whose capacity is below the people already present on a day it is in force
    (``quota_exceeded``, naming ``terms.capacity``)."""
    timeline = VersionTimeline([*versions, new])
    later = [v.effective_from for v in timeline.versions if v.effective_from > new.effective_from]
    last = min(later) - timedelta(days=1) if later else agreement.ends_on
    breach = capacity_breach(occupancy, [new], new.effective_from, last, joining=0)
    if breach is not None:
        day, capacity = breach
        raise TermsError(
            f"a capacity of {capacity} is below the {occupancy.present_on(day)} people present on {day.isoformat()}",
            code="quota_exceeded", field="terms.capacity",
        )


def earliest_termination(terms: Terms, notified_on: date) -> date:
    """The first day a termination notified on ``notified_on`` may take effect (notice in whole months)."""
    months = terms.notice_months or 0
    month_index = notified_on.month - 1 + months
    year, month = notified_on.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(notified_on.day, _days_in_month(year, month)))


def check_termination(
    agreement: AgreementFacts, versions: Sequence[AgreementVersion], effective_on: date, notified_on: date
) -> None:
    """A termination takes effect within the term, not before the agreement's notice period has run."""
    if agreement.terminated_on is not None:
        raise TermsError("the agreement is already terminated", field="effective_on", code="already_terminated")
    if not agreement.in_term(effective_on):
        raise TermsError("termination must take effect within the agreement's term", field="effective_on")
    terms = terms_in_force(versions, notified_on) or terms_in_force(versions, agreement.effective_from)
    earliest = earliest_termination(terms, notified_on) if terms is not None else notified_on
    if effective_on < earliest:
        raise TermsError(_notice_message(terms, notified_on, earliest), field="effective_on", code="notice_too_short")


def _notice_message(terms: Terms | None, notified_on: date, earliest: date) -> str:
    """Say what is missing: the notice the terms require, or (none required) that it comes after notification."""
    if terms is None or not terms.notice_months:
        return (f"the terms set no notice period, but a termination cannot take effect before it is notified "
                f"(notified on {notified_on.isoformat()})")
    return (f"termination needs {terms.notice_months} months' notice: notified on {notified_on.isoformat()}, it "
            f"takes effect on {earliest.isoformat()} at the earliest")


# --- parsing helpers ---------------------------------------------------------------------------------


def _check_currency(currency: str) -> None:
    try:
        minor_units(currency)
    except MoneyError as exc:
        raise TermsError(str(exc), field="currency") from None


def _optional(data: Mapping[str, Any], name: str, parse: Any) -> Any:
    value = data.get(name)
    return None if value is None else parse(value, f"terms.{name}")


def _amount(value: Any, currency: str, where: str, *, allow_zero: bool = False) -> Money:
    """A decimal string with exactly the currency's minor units, positive (or zero where allowed)."""
    if not isinstance(value, str):
        raise TermsError("amount must be a decimal string", field=where)
    try:
        money = Money.of(value, currency)
    except MoneyError as exc:
        raise TermsError(str(exc), field=where) from None
    if str(money) != value:
        raise TermsError(f"amount must have exactly {minor_units(currency)} decimals", field=where)
    if money.amount < 0 or (money.is_zero() and not allow_zero):
        raise TermsError("amount must be positive", field=where)
    return money


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise TermsError("must be a positive whole number", field=where)
    return value


def _date(value: Any, where: str) -> date:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise TermsError("must be an ISO 8601 date (YYYY-MM-DD)", field=where)


def _object(value: Any, where: str, keys: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TermsError("must be an object", field=where)
    unknown = sorted(set(value) - keys)
    if unknown:
        raise TermsError(f"unknown field {unknown[0]!r}", field=f"{where}.{unknown[0]}")
    return value


def _required(obj: Mapping[str, Any], name: str, where: str) -> Any:
    if obj.get(name) is None:
        raise TermsError("is required", field=f"{where}.{name}")
    return obj[name]


def _support(value: Any, currency: str, where: str) -> MonthlySupport:
    obj = _object(value, where, {"amount", "max_months"})
    months = _count(_required(obj, "max_months", where), f"{where}.max_months")
    if months > MAX_SUPPORT_MONTHS:
        raise TermsError(f"must be at most {MAX_SUPPORT_MONTHS}", field=f"{where}.max_months")
    return MonthlySupport(_amount(_required(obj, "amount", where), currency, f"{where}.amount"), months)


def _advance(value: Any, currency: str, where: str) -> tuple[Money, int | None]:
    """The advance's amount and, when given, the days after it comes into force that it falls due."""
    obj = _object(value, where, {"amount", "due_within_days"})
    days = obj.get("due_within_days")
    if days is not None:
        days = _count(days, f"{where}.due_within_days")
    return _amount(_required(obj, "amount", where), currency, f"{where}.amount"), days


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise TermsError("must be a list", field=where)
    return value


def _instalments(value: Any, currency: str) -> tuple[Instalment, ...]:
    result = []
    for index, item in enumerate(_list(value, "terms.instalments")):
        where = f"terms.instalments.{index}"
        obj = _object(item, where, {"due_on", "amount", "label"})
        label = obj.get("label") or ""
        if not isinstance(label, str):
            raise TermsError("must be a string", field=f"{where}.label")
        due_on = _date(_required(obj, "due_on", where), f"{where}.due_on")
        result.append(Instalment(due_on, _amount(_required(obj, "amount", where), currency, f"{where}.amount"), label))
    return tuple(result)


def _milestones(value: Any, currency: str) -> tuple[Milestone, ...]:
    result: list[Milestone] = []
    for index, item in enumerate(_list(value, "terms.milestones")):
        where = f"terms.milestones.{index}"
        obj = _object(item, where, {"returnees", "amount"})
        threshold = _count(_required(obj, "returnees", where), f"{where}.returnees")
        if any(m.returnees == threshold for m in result):
            # Two payments at one threshold would be one milestone written twice: refuse the ambiguity.
            raise TermsError("two milestones at the same number of returnees", field=f"{where}.returnees")
        result.append(Milestone(threshold, _amount(_required(obj, "amount", where), currency, f"{where}.amount")))
    return tuple(result)


def _tolerance(value: Any, currency: str, where: str) -> Tolerance:
    obj = _object(value, where, {"absolute", "percent"})
    absolute = _amount(obj.get("absolute", str(Money.zero(currency))), currency, f"{where}.absolute", allow_zero=True)
    percent_text = obj.get("percent", "0")
    if not isinstance(percent_text, str):
        raise TermsError("percent must be a decimal string", field=f"{where}.percent")
    try:
        percent = to_decimal(percent_text)
    except MoneyError as exc:
        raise TermsError(str(exc), field=f"{where}.percent") from None
    if not 0 <= percent <= 100:
        raise TermsError("percent must be between 0 and 100", field=f"{where}.percent")
    return Tolerance(absolute, percent)


def _reimbursement(value: Any, currency: str, where: str) -> CostReimbursement:
    obj = _object(value, where, {"cap_per_person", "caps_per_category", "cap_per_year"})
    per_person = _amount(_required(obj, "cap_per_person", where), currency, f"{where}.cap_per_person")
    caps = []
    by_category = obj.get("caps_per_category")
    if by_category is not None:
        if not isinstance(by_category, Mapping):
            raise TermsError("must be an object of category: amount", field=f"{where}.caps_per_category")
        for category in sorted(by_category):
            name = f"{where}.caps_per_category.{category}"
            if category not in COST_CATEGORIES:
                raise TermsError(f"unknown cost category; one of {', '.join(COST_CATEGORIES)}", field=name)
            cap = _amount(by_category[category], currency, name)
            if cap > per_person:
                raise TermsError("a category's cap cannot exceed the cap per person", field=name)
            caps.append((category, cap))
    per_year = _optional(obj, "cap_per_year", lambda v, f: _amount(v, currency, f))
    if per_year is not None and per_year > per_person:
        raise TermsError("the cap per year cannot exceed the cap per person", field=f"{where}.cap_per_year")
    return CostReimbursement(per_person, tuple(caps), per_year)


def percent(value: Any, where: str, *, low: Decimal = Decimal(0), high: Decimal = Decimal(100)) -> Decimal:
    """A rate in percent: a decimal string (never a JSON number) with at most RATE_DECIMALS decimals, in [low, high]."""
    if not isinstance(value, str):
        raise TermsError("a rate must be a decimal string such as \"8.00\", not a number", field=where)
    try:
        rate = to_decimal(value)
    except MoneyError as exc:
        raise TermsError(str(exc), field=where) from None
    if rate.as_tuple().exponent < -RATE_DECIMALS:
        raise TermsError(f"a rate has at most {RATE_DECIMALS} decimals", field=where)
    if not low <= rate <= high:
        raise TermsError(f"a rate must be between {low} and {high} percent", field=where)
    return rate


def _late_interest(value: Any, where: str) -> LateInterest | None:
    if value == "none":
        return None
    obj = _object(value, where, {"kind", "rate_percent", "reference", "margin_percent"})
    kind = obj.get("kind")
    if kind == "none" and set(obj) == {"kind"}:
        return None
    if kind == "fixed":
        _object(value, where, {"kind", "rate_percent"})
        return LateInterest("fixed", rate_percent=percent(_required(obj, "rate_percent", where),
                                                          f"{where}.rate_percent"))
    if kind == "reference":
        _object(value, where, {"kind", "reference", "margin_percent"})
        reference = _required(obj, "reference", where)
        if reference not in REFERENCE_RATES:
            raise TermsError(f"unknown reference rate; one of {', '.join(REFERENCE_RATES)}", field=f"{where}.reference")
        return LateInterest("reference", reference=reference,
                            margin_percent=percent(_required(obj, "margin_percent", where), f"{where}.margin_percent"))
    raise TermsError("kind must be none, fixed or reference", field=f"{where}.kind")


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - date(year, month, 1)).days


__all__ = [
    "AdmissionError",
    "AgreementError",
    "AgreementFacts",
    "AgreementVersion",
    "COST_CATEGORIES",
    "CostReimbursement",
    "Instalment",
    "LateInterest",
    "REFERENCE_RATES",
    "Milestone",
    "MonthlySupport",
    "Terms",
    "TermsError",
    "Tolerance",
    "VersionTimeline",
    "admission_counts",
    "Occupancy",
    "capacity_breach",
    "check_admission",
    "check_capacity_of_version",
    "check_capacity_over_stay",
    "check_amendment",
    "check_instalment_dates",
    "check_term_dates",
    "check_termination",
    "earliest_termination",
    "quota_year",
    "terms_in_force",
    "tolerance_limit",
    "version_in_force",
]
