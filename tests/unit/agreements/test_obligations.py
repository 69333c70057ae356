"""The pricing rules one by one: fee, monthly support, instalments, milestones, advance, re-pricing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from ledger.agreements.rules.obligations import (
    ObligationError,
    ReturneeFacts,
    accrue,
    adjusted_key,
    advance_offset,
    advance_offset_obligation,
    advance_remaining,
    derive_obligations,
    period_bounds,
    price_obligations,
    reprice,
    support_months,
)
from ledger.agreements.rules.terms import AgreementFacts
from ledger.money import Money

from .helpers import amounts, version

AGREEMENT = AgreementFacts(7, "GBP", date(2026, 2, 1), date(2031, 1, 31))
START = date(2026, 2, 1)


def gbp(text: str) -> Money:
    return Money.of(text, "GBP")


def support_terms(amount: str = "2500.00", max_months: int = 60, number: int = 1, start: date = START):
    return version(start, number=number, monthly_support={"amount": amount, "max_months": max_months})


# --- periods -----------------------------------------------------------------------------------------


def test_period_bounds_know_month_lengths_and_refuse_bad_periods():
    assert period_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert period_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    for bad in ("2026-13", "2026-1", "26-01", "2026/01", None):
        with pytest.raises(ObligationError) as err:
            period_bounds(bad)
        assert (err.value.code, err.value.field) == ("validation_error", "period")


def test_returnee_dates_must_be_in_order():
    with pytest.raises(ObligationError):
        ReturneeFacts(1, date(2026, 3, 4), accepted_on=date(2026, 3, 3))
    with pytest.raises(ObligationError):
        ReturneeFacts(1, date(2026, 3, 4), accepted_on=date(2026, 3, 6), departed_on=date(2026, 3, 5))


# --- per-returnee fee --------------------------------------------------------------------------------


def test_the_fee_falls_due_on_acceptance_not_on_transfer():
    versions = [version(START, per_returnee_fee="20000.00")]
    pending = ReturneeFacts(1, date(2026, 3, 30))
    assert derive_obligations(AGREEMENT, versions, [pending], "2026-03") == []
    accepted = replace(pending, accepted_on=date(2026, 4, 2))
    assert derive_obligations(AGREEMENT, versions, [accepted], "2026-03") == []
    [fee] = derive_obligations(AGREEMENT, versions, [accepted], "2026-04")
    assert (fee.key, fee.kind, fee.returnee_id, fee.due_on, fee.amount, fee.period, fee.version) == (
        "fee:r1",
        "per_returnee_fee",
        1,
        date(2026, 4, 2),
        gbp("20000.00"),
        "2026-04",
        1,
    )


def test_the_fee_is_priced_by_the_version_in_force_on_acceptance():
    versions = [
        version(START, per_returnee_fee="20000.00"),
        version(date(2026, 5, 1), number=2, per_returnee_fee="22000.00"),
    ]
    returnees = [
        ReturneeFacts(1, date(2026, 4, 28), date(2026, 4, 30)),
        ReturneeFacts(2, date(2026, 4, 28), date(2026, 5, 1)),
    ]
    assert amounts(price_obligations(AGREEMENT, versions, returnees, date(2026, 5, 31))) == {
        "fee:r1": "20000.00",
        "fee:r2": "22000.00",
    }


def test_acceptance_after_termination_makes_nothing_payable():
    terminated = replace(AGREEMENT, terminated_on=date(2026, 6, 30))
    versions = [version(START, per_returnee_fee="20000.00")]
    late = ReturneeFacts(1, date(2026, 6, 29), date(2026, 7, 1))
    assert price_obligations(terminated, versions, [late], date(2026, 12, 31)) == []


# --- monthly support ---------------------------------------------------------------------------------


def test_support_runs_from_the_acceptance_month_to_the_departure_month():
    returnee = ReturneeFacts(1, date(2026, 3, 4), date(2026, 3, 5), departed_on=date(2026, 6, 1))
    drafts = price_obligations(AGREEMENT, [support_terms()], [returnee], date(2026, 12, 31))
    assert [(d.key, d.due_on) for d in drafts] == [
        ("support:r1:2026-03", date(2026, 3, 5)),
        ("support:r1:2026-04", date(2026, 4, 1)),
        ("support:r1:2026-05", date(2026, 5, 1)),
        ("support:r1:2026-06", date(2026, 6, 1)),
    ]
    assert {d.kind for d in drafts} == {"monthly_support"}


def test_support_stops_at_max_months_even_for_a_returnee_who_stays():
    returnee = ReturneeFacts(1, date(2026, 3, 4), date(2026, 3, 31))
    drafts = price_obligations(AGREEMENT, [support_terms(max_months=3)], [returnee], date(2027, 12, 31))
    assert [d.period for d in drafts] == ["2026-03", "2026-04", "2026-05"]


def test_support_stops_when_the_agreement_is_terminated():
    terminated = replace(AGREEMENT, terminated_on=date(2026, 5, 15))
    returnee = ReturneeFacts(1, date(2026, 3, 4), date(2026, 3, 5))
    drafts = price_obligations(terminated, [support_terms()], [returnee], date(2027, 12, 31))
    assert [d.period for d in drafts] == ["2026-03", "2026-04", "2026-05"]


def test_support_months_follow_the_version_in_force_each_month():
    versions = [support_terms("2500.00"), support_terms("2600.00", number=2, start=date(2026, 5, 1))]
    returnee = ReturneeFacts(1, date(2026, 3, 4), date(2026, 3, 5))
    assert amounts(price_obligations(AGREEMENT, versions, [returnee], date(2026, 6, 30))) == {
        "support:r1:2026-03": "2500.00",
        "support:r1:2026-04": "2500.00",
        "support:r1:2026-05": "2600.00",
        "support:r1:2026-06": "2600.00",
    }


def test_support_months_are_only_those_in_reach():
    returnee = ReturneeFacts(1, date(2026, 1, 20), date(2026, 1, 25))  # accepted before the term starts
    assert list(support_months(AGREEMENT, returnee, date(2026, 12, 31))) == []
    returnee = ReturneeFacts(2, date(2026, 12, 20), date(2026, 12, 31))
    assert list(support_months(AGREEMENT, returnee, date(2027, 2, 1))) == [
        (1, date(2026, 12, 31)),
        (2, date(2027, 1, 1)),
        (3, date(2027, 2, 1)),
    ]


# --- instalments and milestones ----------------------------------------------------------------------


def test_instalments_fall_due_on_their_dates_whatever_the_numbers():
    versions = [
        version(
            START,
            instalments=[
                {"due_on": "2026-02-01", "amount": "5000000.00", "label": "fund"},
                {"due_on": "2026-02-01", "amount": "10.00", "label": "fees"},
                {"due_on": "2026-08-01", "amount": "5000000.00", "label": "fund"},
            ],
        )
    ]
    assert amounts(derive_obligations(AGREEMENT, versions, [], "2026-02")) == {
        "instalment:2026-02-01:0": "5000000.00",
        "instalment:2026-02-01:1": "10.00",
    }
    assert derive_obligations(AGREEMENT, versions, [], "2026-07") == []
    assert [d.kind for d in derive_obligations(AGREEMENT, versions, [], "2026-08")] == ["instalment"]
    terminated = replace(AGREEMENT, terminated_on=date(2026, 7, 31))
    assert derive_obligations(terminated, versions, [], "2026-08") == []


def test_a_milestone_fires_once_on_the_day_the_threshold_is_reached():
    versions = [
        version(START, milestones=[{"returnees": 3, "amount": "1000000.00"}, {"returnees": 5, "amount": "7.00"}])
    ]
    returnees = [ReturneeFacts(i, date(2026, 3, 1), date(2026, 3, i)) for i in range(1, 5)]
    returnees.append(ReturneeFacts(9, date(2026, 3, 1)))  # never accepted: does not count
    drafts = price_obligations(AGREEMENT, versions, returnees, date(2026, 12, 31))
    assert [(d.key, d.due_on, str(d.amount), d.returnee_id) for d in drafts] == [
        ("milestone:3", date(2026, 3, 3), "1000000.00", None)
    ]
    returnees = [replace(r, departed_on=date(2026, 4, 1)) for r in returnees if r.accepted_on]
    assert amounts(price_obligations(AGREEMENT, versions, returnees, date(2026, 12, 31))) == {
        "milestone:3": "1000000.00"
    }


def test_a_milestone_counts_only_if_the_version_in_force_that_day_has_it():
    versions = [version(START), version(date(2026, 4, 1), number=2, milestones=[{"returnees": 2, "amount": "5.00"}])]
    early = [ReturneeFacts(i, date(2026, 3, 1), date(2026, 3, i)) for i in (1, 2)]
    assert price_obligations(AGREEMENT, versions, early, date(2026, 12, 31)) == []
    later = [ReturneeFacts(1, date(2026, 3, 1), date(2026, 3, 1)), ReturneeFacts(2, date(2026, 3, 1), date(2026, 4, 1))]
    assert amounts(price_obligations(AGREEMENT, versions, later, date(2026, 12, 31))) == {"milestone:2": "5.00"}


# --- advance -----------------------------------------------------------------------------------------


def test_the_advance_falls_due_when_the_agreement_takes_effect():
    [advance] = price_obligations(AGREEMENT, [version(START, advance={"amount": "200000.00"})], [], date(2026, 12, 31))
    assert (advance.key, advance.kind, advance.due_on, str(advance.amount)) == (
        "advance",
        "advance",
        START,
        "200000.00",
    )


def test_the_advance_is_offset_against_invoices_until_used_up():
    posted = price_obligations(AGREEMENT, [version(START, advance={"amount": "50000.00"})], [], date(2026, 12, 31))
    remaining = advance_remaining(posted, "GBP")
    assert remaining == gbp("50000.00")
    first = advance_offset_obligation(101, gbp("42500.00"), remaining, date(2026, 4, 10), "2026-04")
    assert (first.key, first.kind, first.amount) == ("advance_offset:invoice:101", "advance_offset", gbp("-42500.00"))
    remaining = advance_remaining([*posted, first], "GBP")
    assert remaining == gbp("7500.00")
    second = advance_offset_obligation(102, gbp("20000.00"), remaining, date(2026, 5, 10), "2026-05")
    assert second.amount == gbp("-7500.00")
    assert advance_remaining([*posted, first, second], "GBP").is_zero()
    assert advance_offset_obligation(103, gbp("20000.00"), gbp("0.00"), date(2026, 6, 10), "2026-06") is None
    assert advance_offset(gbp("10.00"), gbp("-5.00")) == gbp("0.00")


# --- accrual and re-pricing --------------------------------------------------------------------------


def test_accrual_is_idempotent():
    versions = [version(START, per_returnee_fee="20000.00", monthly_support={"amount": "2500.00", "max_months": 60})]
    returnees = [ReturneeFacts(1, date(2026, 3, 4), date(2026, 3, 5))]
    posted = accrue([], AGREEMENT, versions, returnees, "2026-03")
    assert amounts(posted) == {"fee:r1": "20000.00", "support:r1:2026-03": "2500.00"}
    assert accrue(posted, AGREEMENT, versions, returnees, "2026-03") == []
    assert derive_obligations(AGREEMENT, versions, returnees, "2026-03") == derive_obligations(
        AGREEMENT, versions, returnees, "2026-03"
    )


def test_a_late_event_is_posted_with_its_own_kind_and_date_in_the_open_period():
    versions = [version(START, per_returnee_fee="20000.00")]
    posted = accrue([], AGREEMENT, versions, [], "2026-03")
    late = [ReturneeFacts(1, date(2026, 3, 4), date(2026, 3, 20))]  # recorded after March was closed
    [fee] = accrue(posted, AGREEMENT, versions, late, "2026-04")
    assert (fee.key, fee.kind, fee.due_on, fee.period) == ("fee:r1", "per_returnee_fee", date(2026, 3, 20), "2026-04")


def test_a_late_departure_reverses_support_already_posted_by_adjustment():
    versions = [support_terms()]
    stays = ReturneeFacts(1, date(2026, 3, 4), date(2026, 3, 5))
    posted = accrue([], AGREEMENT, versions, [stays], "2026-03")
    posted += accrue(posted, AGREEMENT, versions, [stays], "2026-04")
    posted += accrue(posted, AGREEMENT, versions, [stays], "2026-05")
    left = replace(stays, departed_on=date(2026, 3, 28))  # learnt in June
    adjustments = accrue(posted, AGREEMENT, versions, [left], "2026-06")
    assert [(a.key, a.kind, a.adjusts, a.due_on, a.period, str(a.amount)) for a in adjustments] == [
        (
            "adjustment:support:r1:2026-04:1",
            "adjustment",
            "support:r1:2026-04",
            date(2026, 6, 1),
            "2026-06",
            "-2500.00",
        ),
        (
            "adjustment:support:r1:2026-05:1",
            "adjustment",
            "support:r1:2026-05",
            date(2026, 6, 1),
            "2026-06",
            "-2500.00",
        ),
    ]
    assert adjustments[0].returnee_id == 1
    assert accrue(posted + adjustments, AGREEMENT, versions, [left], "2026-06") == []


def test_repeated_corrections_number_their_adjustments():
    returnee = [ReturneeFacts(1, date(2026, 3, 4), date(2026, 3, 5))]
    fee = lambda amount, n=1, start=START: version(start, number=n, per_returnee_fee=amount)  # noqa: E731
    posted = accrue([], AGREEMENT, [fee("20000.00")], returnee, "2026-03")
    up = accrue(posted, AGREEMENT, [fee("20000.00"), fee("21000.00", 2)], returnee, "2026-04")
    down = accrue(
        posted + up, AGREEMENT, [fee("20000.00"), fee("21000.00", 2), fee("19999.99", 3)], returnee, "2026-05"
    )
    assert [(a.key, str(a.amount)) for a in up] == [("adjustment:fee:r1:1", "1000.00")]
    assert [(a.key, str(a.amount), a.version) for a in down] == [("adjustment:fee:r1:2", "-1000.01", 3)]
    assert (
        adjusted_key("adjustment:fee:r1:2") == "fee:r1" and adjusted_key("support:r1:2026-04") == "support:r1:2026-04"
    )


def test_reprice_leaves_obligations_after_the_repriced_periods_alone():
    versions = [support_terms()]
    returnee = [ReturneeFacts(1, date(2026, 3, 4), date(2026, 3, 5))]
    posted = accrue([], AGREEMENT, versions, returnee, "2026-03")
    posted += accrue(posted, AGREEMENT, versions, returnee, "2026-04")
    cheaper = [support_terms("2000.00")]
    result = reprice(posted, AGREEMENT, cheaper, returnee, "2026-03", "2026-04")
    assert [(a.adjusts, str(a.amount)) for a in result] == [("support:r1:2026-03", "-500.00")]
    with pytest.raises(ObligationError):
        reprice(posted, AGREEMENT, cheaper, returnee, "2026-05", "2026-04")


def test_advance_offsets_are_not_repriced():
    versions = [version(START, advance={"amount": "50000.00"})]
    posted = accrue([], AGREEMENT, versions, [], "2026-02")
    offset = advance_offset_obligation(1, gbp("100.00"), advance_remaining(posted, "GBP"), date(2026, 3, 3), "2026-03")
    assert accrue([*posted, offset], AGREEMENT, versions, [], "2026-03") == []
