"""Cost-claim assessment under Directive 2001/40/EC + Council Decision 2004/191/EC."""

from dataclasses import replace
from datetime import date

import pytest

from ledger.money import Money
from ledger.recognition.rules import (
    DIRECTIVE_2001_40,
    AllowanceRate,
    Category,
    ClaimFlag,
    ClaimLine,
    LineFlag,
    RecognitionRuleError,
    RecognitionRuleErrors,
    assess_claim,
    rate_in_force,
    validate_ground,
    validate_return_order,
)


def eur(value: str) -> Money:
    return Money.of(value, "EUR")


ZERO = eur("0.00")
RATES = [AllowanceRate(date(2020, 1, 1), eur("60.00")), AllowanceRate(date(2026, 7, 1), eur("75.00"))]
AIR = ClaimLine("transport_air", eur("900.00"), "EV-1", reference_fare=eur("750.00"))


def assess(lines=(AIR,), decision=date(2024, 5, 10), enforced=date(2026, 9, 15), submitted=date(2026, 10, 1),
           recovered=ZERO, rates=RATES):
    return assess_claim(DIRECTIVE_2001_40, decision, enforced, submitted, list(lines), recovered, rates)


def rule_error(**kwargs) -> RecognitionRuleError:
    with pytest.raises(RecognitionRuleError) as caught:
        assess(**kwargs)
    return caught.value


# --- the four-year limit (Art. 3(2)) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "enforced"),
    [
        (date(2022, 3, 15), date(2026, 3, 15)),  # exactly 4 years
        (date(2022, 3, 16), date(2026, 3, 15)),  # a day under
        (date(2020, 2, 29), date(2024, 2, 29)),  # 29 Feb decision, 4 years later is 29 Feb again
        (date(2096, 2, 29), date(2100, 2, 28)),  # 2100 has no 29 Feb: the period ends on 28 Feb
        (date(2026, 3, 15), date(2026, 3, 15)),  # enforced the same day
    ],
)
def test_a_decision_up_to_exactly_four_years_old_is_reimbursable(decision, enforced):
    assert assess(decision=decision, enforced=enforced, submitted=enforced).payable == eur("750.00")


@pytest.mark.parametrize(
    ("decision", "enforced"),
    [
        (date(2022, 3, 15), date(2026, 3, 16)),  # one day over
        (date(2020, 2, 29), date(2024, 3, 1)),
        (date(2096, 2, 29), date(2100, 3, 1)),
        (date(2021, 3, 1), date(2025, 3, 2)),
    ],
)
def test_a_decision_more_than_four_years_old_is_refused(decision, enforced):
    error = rule_error(decision=decision, enforced=enforced, submitted=enforced)
    assert error.code == "decision_too_old"
    assert error.line_index is None
    assert error.field == "decision_date"


# --- the one-year request period (Art. 3(3)): flagged, not refused ----------------------------------


@pytest.mark.parametrize(
    ("enforced", "submitted", "late"),
    [
        (date(2025, 6, 30), date(2026, 6, 30), False),  # exactly 1 year
        (date(2025, 6, 30), date(2026, 7, 1), True),  # one day over
        (date(2025, 6, 30), date(2025, 6, 30), False),  # same day
        (date(2024, 2, 29), date(2025, 2, 28), False),  # 29 Feb + 1 year = 28 Feb
        (date(2024, 2, 29), date(2025, 3, 1), True),
        (date(2023, 2, 28), date(2024, 2, 28), False),
        (date(2023, 2, 28), date(2024, 2, 29), True),  # the leap day is already over the year
    ],
)
def test_a_request_more_than_a_year_after_enforcement_is_flagged_late(enforced, submitted, late):
    result = assess(decision=date(2023, 1, 1), enforced=enforced, submitted=submitted)
    assert result.late is late
    assert (ClaimFlag.LATE in result.flags) is late
    assert result.payable == eur("750.00")  # the issuing state decides; the rules do not refuse it


def test_late_after_is_the_last_day_in_time():
    result = assess(enforced=date(2024, 2, 29), submitted=date(2024, 3, 1), decision=date(2024, 1, 1))
    assert result.late_after == date(2025, 2, 28)


# --- deadlines on the assessment ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        (date(2026, 11, 30), date(2027, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),
        (date(2026, 8, 31), date(2026, 11, 30)),
        (date(2026, 10, 1), date(2027, 1, 1)),
    ],
)
def test_the_decision_is_due_three_months_after_submission(submitted, due):
    assert assess(enforced=date(2026, 8, 1), submitted=submitted).decision_due_on == due


# --- categories and their ceilings (Art. 2(2)) --------------------------------------------------


def test_air_transport_is_capped_at_the_reference_fare_and_shown_beside_the_claim():
    (line,) = assess().lines
    assert (line.claimed, line.allowed, line.flags) == (eur("900.00"), eur("750.00"), (LineFlag.CAPPED,))
    assert line.category is Category.TRANSPORT_AIR
    assert line.evidence_ref == "EV-1"


def test_a_fare_under_the_reference_is_allowed_in_full():
    cheap = replace(AIR, amount=eur("750.00"))
    (line,) = assess(lines=[cheap]).lines
    assert line.allowed == eur("750.00") and line.flags == ()


def test_land_and_sea_transport_is_capped_at_the_second_class_fare():
    train = ClaimLine("transport_land_sea", eur("180.00"), "EV-2", reference_fare=eur("95.50"))
    (line,) = assess(lines=[train]).lines
    assert line.allowed == eur("95.50")


@pytest.mark.parametrize("category", ["transport_air", "transport_land_sea"])
def test_transport_needs_a_reference_fare(category):
    error = rule_error(lines=[AIR, ClaimLine(category, eur("100.00"), "EV-2")])
    assert (error.code, error.line_index, error.field) == ("reference_fare_required", 1, "reference_fare")


@pytest.mark.parametrize("category", ["visa_fee", "travel_document_fee"])
def test_fees_are_allowed_as_charged(category):
    (line,) = assess(lines=[ClaimLine(category, eur("80.00"), "EV-3")]).lines
    assert line.allowed == line.claimed == eur("80.00")


def test_escort_allowance_is_capped_at_days_times_escorts_times_the_rate_in_force():
    line = ClaimLine("escort_allowance", eur("1000.00"), "EV-4", days=3, escorts=2)
    (assessed,) = assess(lines=[line], enforced=date(2026, 9, 15)).lines
    assert assessed.allowed == eur("450.00")  # 3 days x 2 escorts x 75.00
    assert assessed.rate_applied == AllowanceRate(date(2026, 7, 1), eur("75.00"))
    assert assessed.flags == (LineFlag.CAPPED,)


@pytest.mark.parametrize(
    ("enforced", "rate"),
    [
        (date(2026, 6, 30), "60.00"),  # the day before the new rate
        (date(2026, 7, 1), "75.00"),  # the day it takes effect
        (date(2020, 1, 1), "60.00"),
    ],
)
def test_the_rate_is_the_one_in_force_on_the_enforcement_date(enforced, rate):
    line = ClaimLine("escort_allowance", eur("1000.00"), "EV-4", days=1, escorts=1)
    decision = date(enforced.year - 1, 1, 1)
    (assessed,) = assess(lines=[line], decision=decision, enforced=enforced, submitted=enforced).lines
    assert assessed.allowed == eur(rate)


def test_escort_allowance_under_the_ceiling_is_allowed_as_claimed():
    line = ClaimLine("escort_allowance", eur("100.00"), "EV-4", days=2, escorts=1)
    (assessed,) = assess(lines=[line]).lines
    assert assessed.allowed == eur("100.00") and assessed.flags == ()


@pytest.mark.parametrize("rates", [[], [AllowanceRate(date(2027, 1, 1), eur("75.00"))]])
def test_with_no_rate_in_force_the_allowance_is_allowed_as_claimed_and_flagged(rates):
    line = ClaimLine("escort_allowance", eur("1000.00"), "EV-4", days=3, escorts=2)
    (assessed,) = assess(lines=[line], rates=rates).lines
    assert assessed.allowed == eur("1000.00")
    assert assessed.flags == (LineFlag.NO_RATE,)
    assert assessed.rate_applied is None


@pytest.mark.parametrize(("days", "escorts"), [(None, 2), (3, None), (0, 2), (3, 0), (-1, 1), (True, 1)])
def test_escort_allowance_needs_days_and_escorts(days, escorts):
    line = ClaimLine("escort_allowance", eur("10.00"), "EV-4", days=days, escorts=escorts)
    error = rule_error(lines=[line])
    assert (error.code, error.line_index) == ("invalid_escort_counts", 0)


@pytest.mark.parametrize("location", ["transit", "origin_country"])
def test_escort_accommodation_in_transit_or_the_country_of_origin_is_eligible(location):
    line = ClaimLine("escort_accommodation", eur("240.00"), "EV-5", location=location)
    (assessed,) = assess(lines=[line]).lines
    assert assessed.allowed == eur("240.00")


@pytest.mark.parametrize("location", [None, "enforcing_state", "hotel", ""])
def test_escort_accommodation_elsewhere_is_an_error_naming_the_line(location):
    line = ClaimLine("escort_accommodation", eur("240.00"), "EV-5", location=location)
    error = rule_error(lines=[AIR, AIR, line])
    assert (error.code, error.line_index, error.field) == ("ineligible_location", 2, "location")
    assert "line 2" in error.message


@pytest.mark.parametrize("category", ["detention", "interpreter", "TRANSPORT_AIR", ""])
def test_an_ineligible_category_is_an_error_naming_the_line(category):
    error = rule_error(lines=[AIR, ClaimLine(category, eur("50.00"), "EV-6")])
    assert (error.code, error.line_index, error.field) == ("ineligible_category", 1, "category")


def test_fields_of_another_category_are_refused():
    error = rule_error(lines=[ClaimLine("visa_fee", eur("60.00"), "EV-7", location="transit")])
    assert (error.code, error.line_index, error.field) == ("field_not_applicable", 0, "location")


@pytest.mark.parametrize("evidence", ["", "   "])
def test_every_line_needs_evidence(evidence):
    error = rule_error(lines=[replace(AIR, evidence_ref=evidence)])
    assert (error.code, error.line_index) == ("evidence_required", 0)


# --- totals and deductions ----------------------------------------------------------------------


def worked_example_lines():
    return [
        AIR,  # 900.00 claimed, 750.00 allowed
        ClaimLine("visa_fee", eur("60.00"), "EV-2"),
        ClaimLine("travel_document_fee", eur("25.00"), "EV-3"),
        ClaimLine("escort_allowance", eur("500.00"), "EV-4", days=2, escorts=2),  # 300.00 allowed
        ClaimLine("escort_accommodation", eur("130.00"), "EV-5", location="transit"),
    ]


def test_totals_and_recovered_costs_are_deducted():
    result = assess(lines=worked_example_lines(), recovered=eur("100.00"))
    assert [str(line.allowed) for line in result.lines] == ["750.00", "60.00", "25.00", "300.00", "130.00"]
    assert (result.claimed, result.allowed) == (eur("1615.00"), eur("1265.00"))
    assert (result.recovered, result.payable) == (eur("100.00"), eur("1165.00"))
    assert result.currency == "EUR" and result.basis == DIRECTIVE_2001_40 and result.flags == ()


def test_recovered_costs_beyond_the_allowed_total_leave_nothing_payable():
    result = assess(recovered=eur("800.00"))
    assert result.payable == ZERO
    assert result.flags == (ClaimFlag.RECOVERED_EXCEEDS_ALLOWED,)


def test_recovered_equal_to_allowed_leaves_zero_without_the_flag():
    result = assess(recovered=eur("750.00"))
    assert result.payable == ZERO and result.flags == ()


def test_currencies_with_other_minor_units_work_exactly():
    jpy = ClaimLine("escort_allowance", Money.of("50000", "JPY"), "EV-8", days=3, escorts=1)
    rates = [AllowanceRate(date(2020, 1, 1), Money.of("12345", "JPY"))]
    result = assess(lines=[jpy], recovered=Money.of("1", "JPY"), rates=rates)
    assert result.lines[0].allowed == Money.of("37035", "JPY")
    assert result.payable == Money.of("37034", "JPY")


# --- refused input --------------------------------------------------------------------------------


def test_a_line_in_another_currency_is_refused():
    error = rule_error(lines=[AIR, ClaimLine("visa_fee", Money.of("60.00", "GBP"), "EV-2")])
    assert (error.code, error.line_index) == ("currency_mismatch", 1)


def test_a_reference_fare_in_another_currency_is_refused():
    error = rule_error(lines=[replace(AIR, reference_fare=Money.of("700.00", "GBP"))])
    assert (error.code, error.line_index, error.field) == ("currency_mismatch", 0, "reference_fare")


def test_negative_amounts_are_refused():
    assert rule_error(lines=[replace(AIR, amount=eur("-1.00"))]).code == "negative_amount"
    assert rule_error(recovered=eur("-1.00")).code == "negative_amount"


def test_an_empty_claim_is_refused():
    assert rule_error(lines=[]).code == "no_lines"


def test_enforcement_before_the_decision_is_refused():
    assert rule_error(decision=date(2026, 9, 16), enforced=date(2026, 9, 15)).code == "enforced_before_decision"


def test_a_claim_before_enforcement_is_refused():
    assert rule_error(submitted=date(2026, 9, 14)).code == "submitted_before_enforcement"


def test_an_unknown_legal_basis_is_refused():
    with pytest.raises(RecognitionRuleError) as caught:
        assess_claim("COM(2025) 101", date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), [AIR], ZERO, [])
    assert caught.value.code == "unknown_legal_basis"


# --- rate table ----------------------------------------------------------------------------------


def test_rates_in_force_only_in_another_currency_are_refused_not_ignored():
    line = ClaimLine("escort_allowance", eur("100.00"), "EV-4", days=1, escorts=1)
    error = rule_error(lines=[line], rates=[AllowanceRate(date(2020, 1, 1), Money.of("250.00", "PLN"))])
    assert (error.code, error.line_index, error.field) == ("rate_currency_mismatch", 0, "rates")


def test_rate_tables_in_several_currencies_pick_the_claims_currency():
    rates = [AllowanceRate(date(2026, 1, 1), Money.of("250.00", "PLN")), AllowanceRate(date(2020, 1, 1), eur("60.00"))]
    assert rate_in_force(rates, date(2026, 9, 1), "EUR") == AllowanceRate(date(2020, 1, 1), eur("60.00"))


def test_two_different_rates_from_the_same_day_are_ambiguous():
    rates = [AllowanceRate(date(2020, 1, 1), eur("60.00")), AllowanceRate(date(2020, 1, 1), eur("61.00"))]
    with pytest.raises(RecognitionRuleError) as caught:
        rate_in_force(rates, date(2026, 9, 1), "EUR")
    assert caught.value.code == "ambiguous_rate"


def test_a_repeated_identical_rate_is_not_ambiguous():
    rates = [AllowanceRate(date(2020, 1, 1), eur("60.00"))] * 2
    assert rate_in_force(rates, date(2026, 9, 1), "EUR").daily_rate == eur("60.00")


# --- grounds ------------------------------------------------------------------------------------


def test_grounds_of_the_directive():
    assert validate_ground("public_order").value == "public_order"
    assert validate_ground("entry_residence_rules").value == "entry_residence_rules"
    with pytest.raises(RecognitionRuleError) as caught:
        validate_ground("economic")
    assert (caught.value.code, caught.value.field) == ("invalid_ground", "ground")


def test_every_problem_of_a_claim_is_reported_the_first_giving_the_code():
    wrong_line = ClaimLine("catering", eur("10.00"), "EV-2")
    no_evidence = ClaimLine("visa_fee", eur("0.00"), " ")
    error = rule_error(lines=(AIR, wrong_line, no_evidence), decision=date(2020, 1, 1), recovered=eur("-1.00"))
    assert isinstance(error, RecognitionRuleErrors)
    assert error.code == "decision_too_old" and error.field == "decision_date" and error.line_index is None
    assert [(f.code, f.line_index, f.field) for f in error.findings] == [
        ("decision_too_old", None, "decision_date"),
        ("negative_amount", None, "recovered_from_person"),
        ("ineligible_category", 1, "category"),
        ("zero_amount", 2, "amount"),
        ("evidence_required", 2, "evidence_ref"),
    ]


def test_one_problem_is_refused_as_before():
    error = rule_error(lines=(replace(AIR, reference_fare=None),))
    assert type(error) is RecognitionRuleError and error.findings == (error,)
    assert (error.code, error.line_index, error.field) == ("reference_fare_required", 0, "reference_fare")


def test_a_return_order_hears_of_its_date_and_its_ground_at_once():
    with pytest.raises(RecognitionRuleErrors) as caught:
        validate_return_order("FR", "curfew", date(2026, 5, 2), date(2026, 5, 1))
    assert [(f.code, f.field) for f in caught.value.findings] == [("decision_in_future", "decision_date"),
                                                                  ("invalid_ground", "ground")]
