"""Rules for compensating the enforcement of another member state's expulsion decision.

Directive 2001/40/EC lets the *enforcing* state (where the person is) enforce an expulsion decision of the
*issuing* state; Council Decision 2004/191/EC says what the issuing state pays back and when:

- only minimum actual costs in the categories of Art. 2(2)(a)-(d), each with its own ceiling;
- nothing where the decision was taken more than 4 years before enforcement (Art. 3(2));
- a request made more than 1 year after enforcement *may* be refused (Art. 3(3)): it is flagged `late`
  and the issuing state decides;
- the issuing state answers within 3 months, giving reasons for a refusal (Art. 3(5)), and pays within
  3 months (Art. 3(6)), counted here from acceptance;
- costs recovered from the person or a third party are deducted (recital 2).

Every claim records the legal basis it is made under, and the rules are looked up by that basis
(`rules_for`), so a later basis (the Return Regulation proposed in COM(2025) 101, which would repeal both
acts) can be registered with its own `RuleSet` without changing any caller.

Everything here is pure: plain values in, plain values out, `RecognitionRuleError` for input the rules
refuse. A validator reports every problem it finds, not only the first: with several, it raises
`RecognitionRuleErrors` (a `RecognitionRuleError` whose code, message and field are the first problem's, in the
order the checks run, and whose `findings` are all of them), so one answer lists every field to correct.
Messages never contain case references (callers only pass pseudonyms or ids anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from ledger.money import Money, total
from ledger.recognition.rules import states
from ledger.recognition.rules.dates import add_months, add_years

#: The legal basis code of claims under Directive 2001/40/EC with Council Decision 2004/191/EC.
DIRECTIVE_2001_40 = "2001/40/EC+2004/191/EC"


class RecognitionRuleError(ValueError):
    """Input that the rules refuse. `code` is stable snake_case; `message` is safe to show a caller;
    `line_index` (0-based) names the claim line concerned, `field` the input field, where they apply."""

    def __init__(self, code: str, message: str, line_index: int | None = None, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.line_index = line_index
        self.field = field

    def __repr__(self) -> str:
        return f"RecognitionRuleError({self.code!r}, {self.message!r}, line_index={self.line_index!r})"

    @property
    def findings(self) -> tuple[RecognitionRuleError, ...]:
        """Every problem this refusal reports (one, unless it is a `RecognitionRuleErrors`)."""
        return (self,)


class RecognitionRuleErrors(RecognitionRuleError):
    """Several problems found by one validator: the first's code, message, line and field, and all of them."""

    def __init__(self, findings: Sequence[RecognitionRuleError]):
        first = findings[0]
        super().__init__(first.code, first.message, first.line_index, first.field)
        self._findings = tuple(findings)

    @property
    def findings(self) -> tuple[RecognitionRuleError, ...]:
        return self._findings

    def __repr__(self) -> str:
        return f"RecognitionRuleErrors({list(self._findings)!r})"


_T = TypeVar("_T")


class Findings:
    """Collects what the checks of one validator refuse, so that it can go on checking and report them all."""

    def __init__(self) -> None:
        self.found: list[RecognitionRuleError] = []

    def add(self, error: RecognitionRuleError) -> None:
        self.found.extend(error.findings)

    def value(self, check: Callable[..., _T], *args: Any) -> _T | None:
        """`check(*args)`, or None when it refused (its problems kept)."""
        try:
            return check(*args)
        except RecognitionRuleError as error:
            self.add(error)
            return None

    def passes(self, check: Callable[..., object], *args: Any) -> bool:
        """Whether `check(*args)` raised nothing (its problems kept)."""
        before = len(self.found)
        self.value(check, *args)
        return len(self.found) == before

    def raise_any(self) -> None:
        """Refuse with what was found: the one problem itself, or all of them together."""
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise RecognitionRuleErrors(self.found)


class Ground(StrEnum):
    """Grounds of the expulsion decision (Directive 2001/40/EC, Art. 3(1)(a) and (b))."""

    PUBLIC_ORDER = "public_order"
    ENTRY_RESIDENCE_RULES = "entry_residence_rules"


class Category(StrEnum):
    """Cost categories of Decision 2004/191/EC, Art. 2(2)."""

    TRANSPORT_AIR = "transport_air"
    TRANSPORT_LAND_SEA = "transport_land_sea"
    VISA_FEE = "visa_fee"
    TRAVEL_DOCUMENT_FEE = "travel_document_fee"
    ESCORT_ALLOWANCE = "escort_allowance"
    ESCORT_ACCOMMODATION = "escort_accommodation"


class Location(StrEnum):
    """Where escorts' accommodation may be paid for (Art. 2(2)(d))."""

    TRANSIT = "transit"
    ORIGIN_COUNTRY = "origin_country"


class LineFlag(StrEnum):
    CAPPED = "capped"  # allowed < claimed because of the category's ceiling
    NO_RATE = "no_rate"  # escort allowance with no daily rate in force: allowed as claimed, for review
    REVIEW = "review"  # escort allowance for more days or escorts than usual: possible, but look at it


class ClaimFlag(StrEnum):
    LATE = "late"  # request more than 1 year after enforcement: the issuing state may refuse it
    RECOVERED_EXCEEDS_ALLOWED = "recovered_exceeds_allowed"  # nothing is payable


def validate_ground(ground: str) -> Ground:
    """The `Ground` named by `ground`, or `invalid_ground`."""
    try:
        return Ground(ground)
    except ValueError:
        raise RecognitionRuleError(
            "invalid_ground", f"ground must be one of: {', '.join(g.value for g in Ground)}", field="ground"
        ) from None


def validate_return_order(
    issuing_state: str, ground: str, decision_date: date, recorded_on: date, basis: str = DIRECTIVE_2001_40
) -> Ground:
    """Checks on a return order as the issuing state records it: a known basis, a ground of the
    Directive, and a decision that already exists. References (decision, SIS alert, European Return
    Order) are opaque strings to these rules. The issuing state must be bound by the basis on the decision's
    date. Codes: unknown_legal_basis, invalid_ground, decision_in_future, invalid_state, not_bound."""
    found = Findings()
    rules = found.value(rules_for, basis)
    if found.passes(_check_state, issuing_state, "issuing_state") and rules is not None:
        found.passes(rules.check_bound, issuing_state, decision_date, "issuing_state")
    if decision_date > recorded_on:
        found.add(RecognitionRuleError(
            "decision_in_future", "the decision date cannot be after the day it is recorded", field="decision_date"
        ))
    valid_ground = found.value(validate_ground, ground)
    found.raise_any()  # so the ground is valid here
    return valid_ground  # type: ignore[return-value]


def validate_recognition(issuing_state: str, enforcing_state: str) -> None:
    """A decision is recognised and enforced by another member state than the one that issued it.
    Codes: invalid_state, same_state."""
    found = Findings()
    both_valid = found.passes(_check_state, issuing_state, "issuing_state") \
        & found.passes(_check_state, enforcing_state, "enforcing_state")
    if both_valid and issuing_state == enforcing_state:
        found.add(RecognitionRuleError(
            "same_state", "the enforcing state must differ from the issuing state", field="enforcing_state"
        ))
    found.raise_any()


def check_bound(basis: str, day: date, **states_by_field: str) -> None:
    """Every state named (field → state) is bound by `basis` on `day`. Codes: unknown_legal_basis, not_bound."""
    rules = rules_for(basis)
    found = Findings()
    for field_name, state in states_by_field.items():
        found.passes(rules.check_bound, state, day, field_name)
    found.raise_any()


def validate_enforcement(decision_date: date, enforced_on: date, notified_on: date | None) -> None:
    """Enforcement follows the decision, and the enforcing state notifies the issuing state once it has
    enforced it. Codes: enforced_before_decision, notified_before_enforcement."""
    found = Findings()
    if enforced_on < decision_date:
        found.add(RecognitionRuleError(
            "enforced_before_decision", "enforcement cannot precede the decision", field="enforced_on"
        ))
    if notified_on is not None and notified_on < enforced_on:
        found.add(RecognitionRuleError(
            "notified_before_enforcement", "notification cannot precede enforcement", field="notified_on"
        ))
    found.raise_any()


def _check_state(code: str, field_name: str) -> None:
    # Member states as ISO 3166-1 alpha-2 codes; which codes are parties is the integration layer's concern.
    if not (isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha() and code.isupper()):
        raise RecognitionRuleError(
            "invalid_state", f"{field_name} must be an ISO 3166-1 alpha-2 code", field=field_name
        )


# --------------------------------------------------------------------------------------------------
# Inputs and results


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """One line of a cost claim as the enforcing state submits it.

    `reference_fare`: the official fare for that flight on the enforcement date (transport_air) or the
    second-class fare (transport_land_sea). `location`: escort_accommodation only. `days`, `escorts`:
    escort_allowance only.
    """

    category: str
    amount: Money
    evidence_ref: str
    reference_fare: Money | None = None
    location: str | None = None
    days: int | None = None
    escorts: int | None = None


@dataclass(frozen=True, slots=True)
class AllowanceRate:
    """The enforcing state's own daily allowance rate for escorts, in force from `effective_from`."""

    effective_from: date
    daily_rate: Money


@dataclass(frozen=True, slots=True)
class LineAssessment:
    index: int
    category: Category
    evidence_ref: str
    claimed: Money
    allowed: Money
    flags: tuple[LineFlag, ...] = ()
    #: The escort daily rate applied (escort_allowance with a rate in force), for the audit trail.
    rate_applied: AllowanceRate | None = None


@dataclass(frozen=True, slots=True)
class ClaimAssessment:
    """What the rules make of a claim: each line's claimed and allowed amounts, and the totals.

    payable = max(allowed - recovered, 0). `late` is also in `flags`; `late_after` is the last day a
    request counts as made in time, `decision_due_on` the last day for the issuing state's answer.
    """

    basis: str
    currency: str
    lines: tuple[LineAssessment, ...]
    claimed: Money
    allowed: Money
    recovered: Money
    payable: Money
    late: bool
    late_after: date
    decision_due_on: date
    flags: tuple[ClaimFlag, ...] = ()


# --------------------------------------------------------------------------------------------------
# Rule sets, one per legal basis


@dataclass(frozen=True)
class RuleSet:
    """The rules of one legal basis. Subclass (and override `assess_line` or the deadline methods) or
    instantiate with other numbers to register a later basis; callers only go through `rules_for`.

    `applies_from` / `applies_until` bound the enforcement dates the basis governs (None: unbounded); the
    repeal date of 2001/40/EC is not known yet, so its rule set is unbounded for now.
    """

    basis: str
    title: str
    max_decision_age_years: int = 4
    late_after_years: int = 1
    decision_within_months: int = 3
    payment_within_months: int = 3
    categories: frozenset[Category] = field(default_factory=lambda: frozenset(Category))
    accommodation_locations: frozenset[Location] = field(default_factory=lambda: frozenset(Location))
    applies_from: date | None = None
    applies_until: date | None = None
    #: Why a state cannot act under this basis on a day (None: it can); None here: any state may.
    not_bound: Callable[[str, date], str | None] | None = None
    #: Escort allowance bounds (Art. 2(2)(c)): no line beyond these; above the review figures it is flagged.
    max_escort_days: int = 30
    max_escorts: int = 10
    review_escort_days: int = 7
    review_escorts: int = 4

    def check_bound(self, state: str, day: date, field_name: str) -> None:
        """Refuse a state that is not bound by this basis on `day` (`not_bound`, naming `field_name`)."""
        reason = None if self.not_bound is None else self.not_bound(state, day)
        if reason is not None:
            raise RecognitionRuleError("not_bound", f"{reason} (on {day.isoformat()})", field=field_name)

    # -- deadlines -------------------------------------------------------------------------------

    def decision_too_old(self, decision_date: date, enforced_on: date) -> bool:
        """A decision is "more than 4 years before enforcement" when enforced_on > decision_date + 4 years,
        counted forward from the decision (see `dates`): a decision exactly 4 years old is still covered."""
        return enforced_on > add_years(decision_date, self.max_decision_age_years)

    def late_after(self, enforced_on: date) -> date:
        """The last day a request counts as made within the year after enforcement."""
        return add_years(enforced_on, self.late_after_years)

    def decision_due_on(self, submitted_on: date) -> date:
        """The last day for the issuing state to accept or refuse (Art. 3(5))."""
        return add_months(submitted_on, self.decision_within_months)

    def payment_due_on(self, accepted_on: date) -> date:
        """The last day for payment (Art. 3(6)), counted from acceptance."""
        return add_months(accepted_on, self.payment_within_months)

    def covers(self, enforced_on: date) -> bool:
        if self.applies_from is not None and enforced_on < self.applies_from:
            return False
        return self.applies_until is None or enforced_on <= self.applies_until

    def assess_line(
        self, index: int, line: ClaimLine, currency: str, enforced_on: date, rates: Sequence[AllowanceRate]
    ) -> LineAssessment:
        found = Findings()
        category = found.value(self._eligible_category, index, line)
        found.passes(_check_line_amount, index, line, currency)
        if not line.evidence_ref or not line.evidence_ref.strip():
            found.add(_line_error("evidence_required", index, "needs an evidence reference", "evidence_ref"))
        if category is None:  # what else applies depends on the category
            found.raise_any()
        found.passes(_check_unused_fields, index, line, category)
        rate_applied: AllowanceRate | None = None
        ceiling: Money | None = None  # visa and travel-document fees: the fee actually charged
        if category in (Category.TRANSPORT_AIR, Category.TRANSPORT_LAND_SEA):
            ceiling = found.value(_reference_fare, index, line, currency)
        elif category is Category.ESCORT_ALLOWANCE:
            counts = found.value(self._escort_counts, index, line)
            try:
                rate_applied = rate_in_force(rates, enforced_on, currency)
            except RecognitionRuleError as error:  # name the line that needed the rate
                found.add(RecognitionRuleError(error.code, f"line {index}: {error.message}", index, error.field))
            if counts is not None and rate_applied is not None:
                ceiling = rate_applied.daily_rate.times(counts[0] * counts[1])
        elif category is Category.ESCORT_ACCOMMODATION:
            found.passes(self._eligible_location, index, line)
        found.raise_any()
        flags: list[LineFlag] = []
        allowed = line.amount
        if ceiling is not None and ceiling < line.amount:
            allowed = ceiling
            flags.append(LineFlag.CAPPED)
        if category is Category.ESCORT_ALLOWANCE and rate_applied is None:
            flags.append(LineFlag.NO_RATE)
        if category is Category.ESCORT_ALLOWANCE and (
                line.days > self.review_escort_days or line.escorts > self.review_escorts):  # type: ignore[operator]
            flags.append(LineFlag.REVIEW)
        return LineAssessment(index, category, line.evidence_ref, line.amount, allowed, tuple(flags), rate_applied)

    def _escort_counts(self, index: int, line: ClaimLine) -> tuple[int, int]:
        """Days and escorts, each a whole number from 1 to this basis's maximum."""
        days, escorts = _escort_counts(index, line)
        found = Findings()
        if escorts > self.max_escorts:
            found.add(_line_error("invalid_escort_counts", index,
                                  f"at most {self.max_escorts} escorts are compensated for one removal", "escorts"))
        if days > self.max_escort_days:
            found.add(_line_error("invalid_escort_counts", index,
                                  f"at most {self.max_escort_days} days of escort are compensated for one removal",
                                  "days"))
        found.raise_any()
        return days, escorts

    def _eligible_category(self, index: int, line: ClaimLine) -> Category:
        try:
            category = Category(line.category)
        except ValueError:
            category = None
        if category is None or category not in self.categories:
            raise _line_error(
                "ineligible_category", index, f"category {line.category!r} is not an eligible cost", "category"
            )
        return category

    def _eligible_location(self, index: int, line: ClaimLine) -> Location:
        try:
            location = Location(line.location) if line.location is not None else None
        except ValueError:
            location = None
        if location is None or location not in self.accommodation_locations:
            allowed = " or ".join(sorted(loc.value for loc in self.accommodation_locations))
            raise _line_error(
                "ineligible_location",
                index,
                f"escort accommodation is eligible only at location {allowed}, not {line.location!r}",
                "location",
            )
        return location


def _line_error(code: str, index: int, text: str, field_name: str | None = None) -> RecognitionRuleError:
    return RecognitionRuleError(code, f"line {index}: {text}", line_index=index, field=field_name)


def _check_dates(decision_date: date, enforced_on: date, submitted_on: date) -> None:
    found = Findings()
    if enforced_on < decision_date:
        found.add(RecognitionRuleError(
            "enforced_before_decision", "enforcement cannot precede the decision", field="enforced_on"
        ))
    if submitted_on < enforced_on:
        found.add(RecognitionRuleError(
            "submitted_before_enforcement",
            "a cost claim can only be made after enforcement",
            field="submitted_on",
        ))
    found.raise_any()


def _check_line_amount(index: int, line: ClaimLine, currency: str) -> None:
    if line.amount.currency != currency:
        raise _line_error(
            "currency_mismatch", index, f"amount is in {line.amount.currency}, the claim in {currency}", "amount"
        )
    if line.amount.amount < 0:
        raise _line_error("negative_amount", index, "amount cannot be negative", "amount")
    if line.amount.is_zero():  # a line of 0.00 claims nothing: a typo or a placeholder, not a cost
        raise _line_error("zero_amount", index, "amount must be greater than zero", "amount")


def _check_unused_fields(index: int, line: ClaimLine, category: Category) -> None:
    """Refuse fields that mean nothing for the category, so a misfiled line is not silently paid."""
    used = {
        Category.TRANSPORT_AIR: {"reference_fare"},
        Category.TRANSPORT_LAND_SEA: {"reference_fare"},
        Category.ESCORT_ALLOWANCE: {"days", "escorts"},
        Category.ESCORT_ACCOMMODATION: {"location"},
    }.get(category, set())
    for name in ("reference_fare", "location", "days", "escorts"):
        if name not in used and getattr(line, name) is not None:
            raise _line_error("field_not_applicable", index, f"{name} does not apply to {category.value}", name)


def _reference_fare(index: int, line: ClaimLine, currency: str) -> Money:
    fare = line.reference_fare
    if fare is None:
        raise _line_error(
            "reference_fare_required", index, f"{line.category} is capped at a reference fare", "reference_fare"
        )
    if fare.currency != currency:
        raise _line_error(
            "currency_mismatch", index, f"reference fare is in {fare.currency}, the claim in {currency}",
            "reference_fare",
        )
    if fare.amount < 0:
        raise _line_error("negative_amount", index, "reference fare cannot be negative", "reference_fare")
    return fare


def _escort_counts(index: int, line: ClaimLine) -> tuple[int, int]:
    for name in ("days", "escorts"):
        value = getattr(line, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _line_error(
                "invalid_escort_counts", index, f"escort_allowance needs {name} as a whole number >= 1", name
            )
    return line.days, line.escorts  # type: ignore[return-value]


def rate_in_force(rates: Iterable[AllowanceRate], on: date, currency: str) -> AllowanceRate | None:
    """The enforcing state's daily rate in `currency` in force on `on`: the one with the latest
    `effective_from` on or before `on` among its rates in that currency.

    None when no rate is in force. If rates are in force only in other currencies the answer is
    `rate_currency_mismatch`, not None: converting would need an FX rule 2004/191 does not give, and
    treating it as "no rate" would pay the line without a ceiling. Two different rates in the same
    currency from the same day are `ambiguous_rate`.
    """
    in_force = [r for r in rates if r.effective_from <= on]
    if not in_force:
        return None
    same_currency = [r for r in in_force if r.daily_rate.currency == currency]
    if not same_currency:
        others = sorted({r.daily_rate.currency for r in in_force})
        raise RecognitionRuleError(
            "rate_currency_mismatch",
            f"the daily rates in force are in {', '.join(others)}, the claim in {currency}",
            field="rates",
        )
    latest = max(r.effective_from for r in same_currency)
    current = {r.daily_rate for r in same_currency if r.effective_from == latest}
    if len(current) > 1:
        raise RecognitionRuleError(
            "ambiguous_rate", f"several different daily rates take effect on {latest.isoformat()}", field="rates"
        )
    return AllowanceRate(latest, current.pop())


# --------------------------------------------------------------------------------------------------
# Registry of legal bases

_RULESETS: dict[str, RuleSet] = {}


def register_basis(rules: RuleSet) -> RuleSet:
    """Make `rules` available under `rules.basis`; refuses to replace a basis already registered."""
    if rules.basis in _RULESETS and _RULESETS[rules.basis] is not rules:
        raise ValueError(f"legal basis {rules.basis} is already registered")
    _RULESETS[rules.basis] = rules
    return rules


def rules_for(basis: str) -> RuleSet:
    """The rule set of `basis`, or `unknown_legal_basis`."""
    try:
        return _RULESETS[basis]
    except KeyError:
        raise RecognitionRuleError(
            "unknown_legal_basis",
            f"unknown legal basis {basis!r}; known: {', '.join(sorted(_RULESETS))}",
            field="legal_basis",
        ) from None


def legal_bases() -> tuple[str, ...]:
    return tuple(sorted(_RULESETS))


register_basis(
    RuleSet(
        basis=DIRECTIVE_2001_40,
        title="Directive 2001/40/EC; Council Decision 2004/191/EC (compensation of financial imbalances)",
        not_bound=states.not_bound_reason,
    )
)


# --------------------------------------------------------------------------------------------------
# Entry points for callers


def _check_escort_days(lines: Sequence[ClaimLine], enforced_on: date, submitted_on: date) -> None:
    """Escorts are paid for no more days than passed from the enforcement to the claim, both counted: a
    mission not yet made, or longer than the removal, is not a cost."""
    passed = (submitted_on - enforced_on).days + 1
    found = Findings()
    for index, line in enumerate(lines):
        if line.category == Category.ESCORT_ALLOWANCE and isinstance(line.days, int) and line.days > passed:
            found.add(_line_error("invalid_escort_counts", index,
                                  f"{line.days} days of escort, but only {passed} passed from the enforcement "
                                  f"({enforced_on.isoformat()}) to the claim", "days"))
    found.raise_any()


def assess_claim(
    basis: str,
    decision_date: date,
    enforced_on: date,
    submitted_on: date,
    lines: Sequence[ClaimLine],
    recovered_from_person: Money,
    rates: Sequence[AllowanceRate] = (),
) -> ClaimAssessment:
    """Assess a cost claim under `basis`. The claim's currency is that of `recovered_from_person`
    (pass `Money.zero(currency)` when nothing was recovered); every line must be in it.

    Raises `RecognitionRuleError` (every problem found, with the first one's code: the claim's, then the lines' in
    order) with codes: unknown_legal_basis, basis_not_applicable, enforced_before_decision,
    submitted_before_enforcement, decision_too_old, no_lines, negative_amount, zero_amount, ineligible_category,
    ineligible_location, currency_mismatch, evidence_required, field_not_applicable, reference_fare_required,
    invalid_escort_counts, ambiguous_rate, rate_currency_mismatch.
    """
    rules = rules_for(basis)
    found = Findings()
    found.passes(_check_dates, decision_date, enforced_on, submitted_on)
    if not rules.covers(enforced_on):
        found.add(RecognitionRuleError(
            "basis_not_applicable",
            f"legal basis {rules.basis} does not govern an enforcement on {enforced_on.isoformat()}",
            field="legal_basis",
        ))
    if rules.decision_too_old(decision_date, enforced_on):
        found.add(RecognitionRuleError(
            "decision_too_old",
            f"the decision was taken more than {rules.max_decision_age_years} years before enforcement "
            f"(enforcement after {add_years(decision_date, rules.max_decision_age_years).isoformat()}): "
            "no reimbursement",
            field="decision_date",
        ))
    if not lines:
        found.add(RecognitionRuleError("no_lines", "a cost claim needs at least one line", field="lines"))
    currency = recovered_from_person.currency
    if recovered_from_person.amount < 0:
        found.add(RecognitionRuleError(
            "negative_amount", "recovered_from_person cannot be negative", field="recovered_from_person"
        ))
    assessed = tuple(
        found.value(rules.assess_line, index, line, currency, enforced_on, rates) for index, line in enumerate(lines)
    )
    found.passes(_check_escort_days, lines, enforced_on, submitted_on)
    found.raise_any()  # so every line was assessed
    assessed = tuple(a for a in assessed if a is not None)
    claimed = total([a.claimed for a in assessed], currency)
    allowed = total([a.allowed for a in assessed], currency)
    flags: list[ClaimFlag] = []
    late_after = rules.late_after(enforced_on)
    late = submitted_on > late_after
    if late:
        flags.append(ClaimFlag.LATE)
    if recovered_from_person > allowed:
        flags.append(ClaimFlag.RECOVERED_EXCEEDS_ALLOWED)
        payable = Money.zero(currency)
    else:
        payable = allowed - recovered_from_person
    return ClaimAssessment(
        basis=rules.basis, currency=currency, lines=assessed, claimed=claimed, allowed=allowed,
        recovered=recovered_from_person, payable=payable, late=late, late_after=late_after,
        decision_due_on=rules.decision_due_on(submitted_on), flags=tuple(flags),
    )


def decision_due_on(submitted_on: date, basis: str = DIRECTIVE_2001_40) -> date:
    return rules_for(basis).decision_due_on(submitted_on)


def payment_due_on(decided_on: date, basis: str = DIRECTIVE_2001_40) -> date:
    """Payment deadline of a claim accepted on `decided_on`."""
    return rules_for(basis).payment_due_on(decided_on)


def validate_decision(
    submitted_on: date, accepted: bool, decided_on: date, reason: str | None
) -> None:
    """The issuing state's written answer: a refusal needs reasons (Art. 3(5)); no answer before the claim.

    Codes: decided_before_submission, refusal_reason_required.
    """
    found = Findings()
    if decided_on < submitted_on:
        found.add(RecognitionRuleError(
            "decided_before_submission", "a claim cannot be decided before it was submitted", field="decided_on"
        ))
    if not accepted and (reason is None or not reason.strip()):
        found.add(RecognitionRuleError("refusal_reason_required", "a refusal must give reasons", field="reason"))
    found.raise_any()


# --------------------------------------------------------------------------------------------------
# Deadlines and overdue status


class ClaimState(StrEnum):
    AWAITING_DECISION = "awaiting_decision"
    DECISION_OVERDUE = "decision_overdue"
    REFUSED = "refused"
    AWAITING_PAYMENT = "awaiting_payment"
    PAYMENT_OVERDUE = "payment_overdue"
    IN_TRANSIT = "in_transit"
    PAID = "paid"


class Overdue(StrEnum):
    DECISION = "decision"
    PAYMENT = "payment"


@dataclass(frozen=True, slots=True)
class ClaimTimeline:
    """A claim's dates and deadlines. Build it with `claim_timeline`; ask `overdue(as_of)`/`status(as_of)`.

    A deadline day itself is still in time; the day after it is overdue. What happened after `as_of` is
    ignored, so the status of any past day can be asked (e.g. at a period end).

    A claim a released payment batch ordered (`ordered_on`) is in transit until the bank's debit pays it
    (`paid_on`). The issuing state's payment counts from the order: the transfer is with its bank, whose execution
    is not the state's delay, so a claim in transit is not overdue and a payment ordered by its due day is in time.
    """

    basis: str
    submitted_on: date
    decision_due_on: date
    decided_on: date | None = None
    accepted: bool | None = None
    payment_due_on: date | None = None
    paid_on: date | None = None
    ordered_on: date | None = None

    def decided_by(self, as_of: date) -> bool:
        return self.decided_on is not None and self.decided_on <= as_of

    def paid_by(self, as_of: date) -> bool:
        return self.paid_on is not None and self.paid_on <= as_of

    def in_transit_on(self, as_of: date) -> bool:
        """Ordered by `as_of` and not yet paid on it."""
        return self.ordered_on is not None and self.ordered_on <= as_of and not self.paid_by(as_of)

    @property
    def settled_on(self) -> date | None:
        """The day the issuing state's payment counts from: its order, or its payment when it ordered none."""
        return self.ordered_on or self.paid_on

    def overdue(self, as_of: date) -> Overdue | None:
        """What the issuing state is late with on `as_of`: its decision, its payment, or nothing."""
        if not self.decided_by(as_of):
            return Overdue.DECISION if as_of > self.decision_due_on else None
        if self.accepted and not self.paid_by(as_of) and not self.in_transit_on(as_of):
            if self.payment_due_on is None:
                raise ValueError("an accepted claim without a payment due date")
            return Overdue.PAYMENT if as_of > self.payment_due_on else None
        return None

    def days_overdue(self, as_of: date) -> int:
        kind = self.overdue(as_of)
        if kind is None:
            return 0
        due = self.decision_due_on if kind is Overdue.DECISION else self.payment_due_on
        if due is None:
            raise ValueError("an overdue claim without a due date")
        return (as_of - due).days

    def status(self, as_of: date) -> ClaimState:
        kind = self.overdue(as_of)
        if kind is Overdue.DECISION:
            return ClaimState.DECISION_OVERDUE
        if kind is Overdue.PAYMENT:
            return ClaimState.PAYMENT_OVERDUE
        if not self.decided_by(as_of):
            return ClaimState.AWAITING_DECISION
        if not self.accepted:
            return ClaimState.REFUSED
        if self.paid_by(as_of):
            return ClaimState.PAID
        return ClaimState.IN_TRANSIT if self.in_transit_on(as_of) else ClaimState.AWAITING_PAYMENT

    @property
    def decided_late(self) -> bool:
        return self.decided_on is not None and self.decided_on > self.decision_due_on

    @property
    def paid_late(self) -> bool:
        settled = self.settled_on
        return settled is not None and self.payment_due_on is not None and settled > self.payment_due_on


def claim_timeline(
    submitted_on: date,
    decided_on: date | None = None,
    accepted: bool | None = None,
    paid_on: date | None = None,
    basis: str = DIRECTIVE_2001_40,
    ordered_on: date | None = None,
) -> ClaimTimeline:
    """Deadlines of a claim under `basis`. `decided_on` and `accepted` go together; `paid_on` and `ordered_on`
    (the transfer a released payment batch ordered) need an acceptance on or before them. Codes:
    inconsistent_decision, paid_without_acceptance, paid_before_acceptance, decided_before_submission."""
    rules = rules_for(basis)
    if (decided_on is None) != (accepted is None):
        raise RecognitionRuleError(
            "inconsistent_decision", "decided_on and accepted must be given together", field="decided_on"
        )
    if decided_on is not None and decided_on < submitted_on:
        raise RecognitionRuleError(
            "decided_before_submission", "a claim cannot be decided before it was submitted", field="decided_on"
        )
    for field_name, day in (("ordered_on", ordered_on), ("paid_on", paid_on)):
        if day is not None and not accepted:
            raise RecognitionRuleError("paid_without_acceptance", "only an accepted claim is paid", field=field_name)
        if day is not None and decided_on is not None and day < decided_on:
            raise RecognitionRuleError(
                "paid_before_acceptance", "payment cannot precede acceptance", field=field_name
            )
    return ClaimTimeline(
        basis=basis,
        submitted_on=submitted_on,
        decision_due_on=rules.decision_due_on(submitted_on),
        decided_on=decided_on,
        accepted=accepted,
        payment_due_on=rules.payment_due_on(decided_on) if accepted and decided_on else None,
        paid_on=paid_on,
        ordered_on=ordered_on,
    )


def claim_status_as_of(
    as_of: date,
    submitted_on: date,
    decided_on: date | None = None,
    accepted: bool | None = None,
    paid_on: date | None = None,
    basis: str = DIRECTIVE_2001_40,
) -> ClaimState:
    """Shortcut for `claim_timeline(...).status(as_of)`."""
    return claim_timeline(submitted_on, decided_on, accepted, paid_on, basis).status(as_of)


@dataclass(frozen=True, slots=True)
class TrackedClaim:
    """A claim as the overdue list sees it: who owes the answer and the money, and its timeline."""

    claim_id: str
    issuing_state: str  # decides and pays
    enforcing_state: str  # claims and receives
    timeline: ClaimTimeline


@dataclass(frozen=True, slots=True)
class OverdueItem:
    claim_id: str
    issuing_state: str
    enforcing_state: str
    kind: Overdue
    due_on: date
    days_overdue: int


def list_overdue(claims: Iterable[TrackedClaim], as_of: date, state: str | None = None) -> list[OverdueItem]:
    """Overdue decisions and payments on `as_of`, for both sides: with `state`, the claims where that state
    is either the issuing state (it is late) or the enforcing state (it is waiting). Most overdue first,
    then by claim id."""
    items = []
    for claim in claims:
        if state is not None and state not in (claim.issuing_state, claim.enforcing_state):
            continue
        kind = claim.timeline.overdue(as_of)
        if kind is None:
            continue
        due = claim.timeline.decision_due_on if kind is Overdue.DECISION else claim.timeline.payment_due_on
        if due is None:
            raise ValueError("an overdue claim without a due date")
        items.append(
            OverdueItem(claim.claim_id, claim.issuing_state, claim.enforcing_state, kind, due,
                        claim.timeline.days_overdue(as_of))
        )
    return sorted(items, key=lambda item: (-item.days_overdue, item.claim_id))
