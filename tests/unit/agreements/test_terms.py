"""Terms: parsing the API's terms object, validation, versions in force, admission and termination."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from ledger.agreements.rules.terms import (
    AdmissionError,
    AgreementFacts,
    AgreementVersion,
    Terms,
    TermsError,
    admission_counts,
    check_admission,
    check_amendment,
    check_instalment_dates,
    check_term_dates,
    check_termination,
    earliest_termination,
    quota_year,
    terms_in_force,
)
from ledger.money import Money

API_TERMS = {
    "per_returnee_fee": "20000.00",
    "monthly_support": {"amount": "2500.00", "max_months": 60},
    "instalments": [{"due_on": "2026-02-01", "amount": "5000000.00", "label": "fund contribution"}],
    "milestones": [{"returnees": 300, "amount": "1000000.00"}],
    "advance": {"amount": "200000.00"},
    "annual_quota": 1000,
    "capacity": 300,
    "payment_terms_days": 30,
    "tolerance": {"absolute": "50.00", "percent": "0.5"},
}
AGREEMENT = AgreementFacts(1, "GBP", date(2026, 2, 1), date(2031, 1, 31))


def gbp(text: str) -> Money:
    return Money.of(text, "GBP")


def with_change(path: list, value) -> dict:
    data = copy.deepcopy(API_TERMS)
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


def test_the_api_example_parses_to_money_and_round_trips():
    terms = Terms.from_wire(API_TERMS, "GBP")
    assert terms.per_returnee_fee == gbp("20000.00")
    assert terms.monthly_support.amount == gbp("2500.00") and terms.monthly_support.max_months == 60
    assert terms.instalments[0].due_on == date(2026, 2, 1) and terms.instalments[0].label == "fund contribution"
    assert terms.milestones[0].returnees == 300 and terms.milestones[0].amount == gbp("1000000.00")
    assert terms.advance == gbp("200000.00")
    assert (terms.annual_quota, terms.capacity, terms.payment_terms_days) == (1000, 300, 30)
    assert terms.tolerance.percent == Decimal("0.5")
    assert terms.to_wire() == API_TERMS
    assert Terms.from_wire(terms.to_wire(), "GBP") == terms


def test_empty_terms_are_valid_and_price_nothing():
    terms = Terms.from_wire({}, "EUR")
    assert terms.per_returnee_fee is None and terms.instalments == () and terms.to_wire() == {}


def test_zero_decimal_currency_amounts_have_no_decimals():
    terms = Terms.from_wire({"per_returnee_fee": "1500"}, "JPY")
    assert str(terms.per_returnee_fee) == "1500"
    with pytest.raises(TermsError) as err:
        Terms.from_wire({"per_returnee_fee": "1500.00"}, "JPY")
    assert err.value.field == "terms.per_returnee_fee"


@pytest.mark.parametrize("currency", ["gbp", "ABC", "XAU", "", "GBPP"])
def test_an_invalid_currency_is_refused(currency):
    with pytest.raises(TermsError) as err:
        Terms.from_wire(API_TERMS, currency)
    assert (err.value.code, err.value.field) == ("validation_error", "currency")


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["per_returnee_fee"], 20000, "terms.per_returnee_fee"),
        (["per_returnee_fee"], "20000", "terms.per_returnee_fee"),
        (["per_returnee_fee"], "20000.001", "terms.per_returnee_fee"),
        (["per_returnee_fee"], "-20000.00", "terms.per_returnee_fee"),
        (["per_returnee_fee"], "0.00", "terms.per_returnee_fee"),
        (["per_returnee_fee"], "1e4", "terms.per_returnee_fee"),
        (["monthly_support", "amount"], "-1.00", "terms.monthly_support.amount"),
        (["monthly_support", "amount"], 2500.0, "terms.monthly_support.amount"),
        (["monthly_support", "max_months"], 0, "terms.monthly_support.max_months"),
        (["monthly_support", "max_months"], "60", "terms.monthly_support.max_months"),
        (["monthly_support", "max_months"], 601, "terms.monthly_support.max_months"),
        (["instalments", 0, "due_on"], "2026-02-30", "terms.instalments.0.due_on"),
        (["instalments", 0, "due_on"], "20260201", "terms.instalments.0.due_on"),
        (["instalments", 0, "amount"], "0.00", "terms.instalments.0.amount"),
        (["milestones", 0, "returnees"], -1, "terms.milestones.0.returnees"),
        (["milestones", 0, "returnees"], True, "terms.milestones.0.returnees"),
        (["advance", "amount"], "abc", "terms.advance.amount"),
        (["annual_quota"], 0, "terms.annual_quota"),
        (["capacity"], 2.5, "terms.capacity"),
        (["tolerance", "percent"], "101", "terms.tolerance.percent"),
        (["tolerance", "percent"], 0.5, "terms.tolerance.percent"),
        (["tolerance", "absolute"], "-1.00", "terms.tolerance.absolute"),
        (["unexpected"], 1, "terms.unexpected"),
        (["monthly_support", "per_day"], "1.00", "terms.monthly_support.per_day"),
    ],
)
def test_invalid_terms_name_the_offending_field(path, value, field):
    with pytest.raises(TermsError) as err:
        Terms.from_wire(with_change(path, value), "GBP")
    assert err.value.code == "validation_error"
    assert err.value.field == field
    assert err.value.message


def test_a_missing_required_part_is_named():
    data = copy.deepcopy(API_TERMS)
    del data["monthly_support"]["max_months"]
    with pytest.raises(TermsError) as err:
        Terms.from_wire(data, "GBP")
    assert err.value.field == "terms.monthly_support.max_months"


def test_two_milestones_at_one_threshold_are_ambiguous():
    data = with_change(["milestones"], [{"returnees": 300, "amount": "1.00"}, {"returnees": 300, "amount": "2.00"}])
    with pytest.raises(TermsError) as err:
        Terms.from_wire(data, "GBP")
    assert err.value.field == "terms.milestones.1.returnees"


def test_zero_tolerance_is_allowed_and_tolerance_takes_the_lower_allowance():
    assert Terms.from_wire({"tolerance": {"absolute": "0.00", "percent": "0"}}, "GBP").tolerance.absolute.is_zero()
    tolerance = Terms.from_wire(API_TERMS, "GBP").tolerance  # 50.00 or 0.5 %, whichever is lower
    assert tolerance.allows(gbp("-0.50"), gbp("100.00"))  # 0.5 % of 100 is 0.50
    assert not tolerance.allows(gbp("-50.00"), gbp("100.00"))  # within 50.00, but not within 0.5 %
    assert not tolerance.allows(gbp("0.51"), gbp("100.00"))
    assert tolerance.allows(gbp("50.00"), gbp("20000.00"))  # 0.5 % of 20,000 is 100: the 50.00 limit binds
    assert not tolerance.allows(gbp("50.01"), gbp("20000.00"))
    assert not tolerance.allows(gbp("100.00"), gbp("20000.00"))
    assert tolerance.limit(gbp("333.33")) == gbp("1.66")  # 1.66665 rounded down: never more than agreed


def test_the_matching_engine_applies_the_agreements_tolerance_rule():
    """One rule: whatever the agreement's `Tolerance` allows, the engine settles in full, and nothing more."""
    from ledger.reconciliation import match
    from tests.unit.reconciliation.factories import invoice, transfer

    tolerance = Terms.from_wire(API_TERMS, "GBP").tolerance
    for amount, paid in (("100.00", "99.50"), ("100.00", "99.49"), ("100.00", "50.00"), ("20000.00", "19950.00"),
                         ("20000.00", "19949.99"), ("20000.00", "19900.00"), ("333.33", "331.67"),
                         ("333.33", "331.66")):
        (proposal,) = match([invoice("I1", amount, payment_reference="RF18539007547034",
                                     tolerance_abs=str(tolerance.absolute.amount),
                                     tolerance_pct=str(tolerance.percent))],
                            [transfer("T1", paid, structured="RF18539007547034")])
        allowed = tolerance.allows(gbp(amount) - gbp(paid), gbp(amount))
        assert (proposal.residual_account is not None) is allowed, (amount, paid)
        assert proposal.evidence["tolerance"] == f"{tolerance.limit(gbp(amount)).amount} GBP"


def test_term_dates_must_be_ordered():
    check_term_dates(date(2026, 2, 1), date(2026, 2, 1), signed_on=date(2026, 1, 15))
    with pytest.raises(TermsError) as err:
        check_term_dates(date(2026, 2, 1), date(2026, 1, 31))
    assert err.value.field == "effective_to"
    with pytest.raises(TermsError) as err:
        check_term_dates(date(2026, 2, 1), date(2026, 3, 1), signed_on=date(2026, 3, 2))
    assert err.value.field == "signed_on"
    with pytest.raises(TermsError):
        AgreementFacts(1, "GBP", date(2026, 2, 1), date(2025, 2, 1))
    with pytest.raises(TermsError):
        AgreementFacts(1, "GBX", date(2026, 2, 1))


def test_instalments_must_fall_due_within_the_term():
    terms = Terms.from_wire(with_change(["instalments", 0, "due_on"], "2031-02-01"), "GBP")
    with pytest.raises(TermsError) as err:
        check_instalment_dates(terms, AGREEMENT)
    assert err.value.field == "terms.instalments.0.due_on"
    check_instalment_dates(Terms.from_wire(API_TERMS, "GBP"), AGREEMENT)


def versions_fee(*items: tuple[date, str, int]) -> list[AgreementVersion]:
    return [AgreementVersion(d, Terms.from_wire({"per_returnee_fee": fee}, "GBP"), n) for d, fee, n in items]


def test_the_version_with_the_latest_effective_date_on_or_before_the_day_is_in_force():
    versions = versions_fee(
        (date(2026, 2, 1), "20000.00", 1), (date(2026, 6, 1), "22000.00", 2), (date(2026, 4, 1), "21000.00", 3)
    )
    fee = lambda day: terms_in_force(versions, day).per_returnee_fee  # noqa: E731
    assert terms_in_force(versions, date(2026, 1, 31)) is None
    assert fee(date(2026, 3, 31)) == gbp("20000.00")
    assert fee(date(2026, 4, 1)) == gbp("21000.00")  # the back-dated amendment 3 applies from its date
    assert fee(date(2026, 6, 1)) == gbp("22000.00")  # ... and amendment 2 still takes over from June


def test_a_later_amendment_with_the_same_date_supersedes_the_earlier():
    versions = versions_fee((date(2026, 2, 1), "20000.00", 1), (date(2026, 2, 1), "19000.00", 2))
    assert terms_in_force(list(reversed(versions)), date(2026, 2, 1)).per_returnee_fee == gbp("19000.00")


def test_an_amendment_takes_effect_within_the_term():
    versions = versions_fee((date(2026, 2, 1), "20000.00", 1))
    check_amendment(AGREEMENT, versions, date(2026, 2, 1))
    for day in (date(2026, 1, 31), date(2031, 2, 1)):
        with pytest.raises(TermsError) as err:
            check_amendment(AGREEMENT, versions, day)
        assert err.value.field == "effective_from"
    terminated = AgreementFacts(1, "GBP", date(2026, 2, 1), date(2031, 1, 31), terminated_on=date(2027, 1, 31))
    with pytest.raises(TermsError):
        check_amendment(terminated, versions, date(2027, 2, 1))


def limits(quota=None, capacity=None) -> list[AgreementVersion]:
    wire = {k: v for k, v in {"annual_quota": quota, "capacity": capacity}.items() if v}
    return [AgreementVersion(date(2026, 2, 1), Terms.from_wire(wire, "GBP"))]


def test_admission_is_refused_outside_the_term():
    for day in (date(2026, 1, 31), date(2031, 2, 1)):
        with pytest.raises(AdmissionError) as err:
            check_admission(AGREEMENT, limits(), day, 0, 0)
        assert (err.value.code, err.value.field) == ("outside_term", "transferred_on")
    terminated = AgreementFacts(1, "GBP", date(2026, 2, 1), date(2031, 1, 31), terminated_on=date(2026, 6, 30))
    check_admission(terminated, limits(), date(2026, 6, 30), 0, 0)
    with pytest.raises(AdmissionError) as err:
        check_admission(terminated, limits(), date(2026, 7, 1), 0, 0)
    assert err.value.code == "outside_term"


def test_annual_quota_counts_the_calendar_year():
    versions = limits(quota=2)
    check_admission(AGREEMENT, versions, date(2026, 5, 1), 1, 0)
    with pytest.raises(AdmissionError) as err:
        check_admission(AGREEMENT, versions, date(2026, 5, 1), 2, 0)
    assert err.value.code == "quota_exceeded"
    assert quota_year(date(2026, 5, 1)) == (date(2026, 1, 1), date(2026, 12, 31))
    transfers = [(date(2026, 3, 1), None), (date(2026, 12, 31), date(2027, 1, 2)), (date(2025, 12, 31), None)]
    assert admission_counts(transfers, date(2027, 1, 1)) == (0, 3)
    assert admission_counts(transfers, date(2026, 12, 31)) == (2, 3)


def test_capacity_counts_people_present_at_once_and_a_departure_frees_a_place_that_day():
    versions = limits(capacity=2)
    transfers = [(date(2026, 3, 1), None), (date(2026, 3, 2), date(2026, 4, 1))]
    _, present = admission_counts(transfers, date(2026, 3, 31))
    with pytest.raises(AdmissionError) as err:
        check_admission(AGREEMENT, versions, date(2026, 3, 31), 2, present)
    assert err.value.code == "quota_exceeded"
    _, present = admission_counts(transfers, date(2026, 4, 1))
    check_admission(AGREEMENT, versions, date(2026, 4, 1), 2, present)


def test_termination_needs_the_notice_the_terms_require():
    agreement = AgreementFacts(2, "EUR", date(2024, 2, 1), date(2029, 1, 31))
    versions = [AgreementVersion(date(2024, 2, 1), Terms.from_wire({"notice_months": 6}, "EUR"))]
    assert earliest_termination(versions[0].terms, date(2026, 8, 31)) == date(2027, 2, 28)
    check_termination(agreement, versions, date(2027, 2, 28), notified_on=date(2026, 8, 31))
    with pytest.raises(TermsError) as err:
        check_termination(agreement, versions, date(2027, 2, 27), notified_on=date(2026, 8, 31))
    assert (err.value.code, err.value.field) == ("notice_too_short", "effective_on")
    with pytest.raises(TermsError) as err:
        check_termination(agreement, versions, date(2029, 2, 1), notified_on=date(2026, 8, 31))
    assert err.value.code == "validation_error"
    done = AgreementFacts(2, "EUR", date(2024, 2, 1), date(2029, 1, 31), terminated_on=date(2027, 2, 28))
    with pytest.raises(TermsError) as err:
        check_termination(done, versions, date(2027, 3, 1), notified_on=date(2026, 8, 31))
    assert err.value.code == "already_terminated"


def test_without_a_notice_term_termination_may_take_effect_on_notification():
    check_termination(AGREEMENT, limits(), date(2026, 7, 1), notified_on=date(2026, 7, 1))
