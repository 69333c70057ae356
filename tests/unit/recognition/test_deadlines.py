"""Decision and payment deadlines (Decision 2004/191/EC, Art. 3(5) and 3(6)) and overdue status."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.recognition.rules import (
    ClaimState,
    Overdue,
    RecognitionRuleError,
    claim_status_as_of,
    claim_timeline,
    decision_due_on,
    payment_due_on,
    validate_decision,
)

DAY = timedelta(days=1)

MONTH_END_CASES = [
    (date(2026, 11, 30), date(2027, 2, 28)),  # 30 Nov -> 28 Feb
    (date(2027, 11, 30), date(2028, 2, 29)),  # 30 Nov -> 29 Feb in a leap year
    (date(2027, 11, 29), date(2028, 2, 29)),
    (date(2027, 12, 1), date(2028, 3, 1)),
    (date(2026, 8, 31), date(2026, 11, 30)),  # 31 Aug -> 30 Nov
    (date(2026, 12, 31), date(2027, 3, 31)),
    (date(2028, 2, 29), date(2028, 5, 29)),  # a 29 Feb decision
    (date(2027, 3, 31), date(2027, 6, 30)),
]


@pytest.mark.parametrize(("start", "due"), MONTH_END_CASES)
def test_decision_deadline_is_three_calendar_months_with_end_of_month_clamping(start, due):
    assert decision_due_on(start) == due


@pytest.mark.parametrize(("start", "due"), MONTH_END_CASES)
def test_payment_deadline_is_three_calendar_months_after_acceptance(start, due):
    assert payment_due_on(start) == due


@pytest.mark.parametrize(("submitted", "due"), MONTH_END_CASES)
def test_an_undecided_claim_is_overdue_from_the_day_after_the_deadline(submitted, due):
    timeline = claim_timeline(submitted)
    assert timeline.decision_due_on == due
    assert timeline.status(submitted) is ClaimState.AWAITING_DECISION
    assert timeline.status(due) is ClaimState.AWAITING_DECISION
    assert timeline.overdue(due) is None
    assert timeline.status(due + DAY) is ClaimState.DECISION_OVERDUE
    assert timeline.overdue(due + DAY) is Overdue.DECISION
    assert timeline.days_overdue(due + 10 * DAY) == 10


@pytest.mark.parametrize(("accepted_on", "due"), MONTH_END_CASES)
def test_an_accepted_unpaid_claim_is_overdue_from_the_day_after_the_payment_deadline(accepted_on, due):
    timeline = claim_timeline(date(2026, 8, 1), decided_on=accepted_on, accepted=True)
    assert timeline.payment_due_on == due
    assert timeline.status(due) is ClaimState.AWAITING_PAYMENT
    assert timeline.status(due + DAY) is ClaimState.PAYMENT_OVERDUE
    assert timeline.overdue(due + DAY) is Overdue.PAYMENT
    assert timeline.days_overdue(due + DAY) == 1


def test_a_decision_taken_on_the_last_day_is_in_time():
    timeline = claim_timeline(date(2026, 11, 30), decided_on=date(2027, 2, 28), accepted=True)
    assert not timeline.decided_late
    assert claim_timeline(date(2026, 11, 30), decided_on=date(2027, 3, 1), accepted=True).decided_late


def test_a_late_decision_is_overdue_until_it_is_taken_and_then_counts_from_acceptance():
    timeline = claim_timeline(date(2026, 8, 31), decided_on=date(2026, 12, 15), accepted=True)
    assert timeline.status(date(2026, 12, 14)) is ClaimState.DECISION_OVERDUE
    assert timeline.status(date(2026, 12, 15)) is ClaimState.AWAITING_PAYMENT
    assert timeline.payment_due_on == date(2027, 3, 15)


def test_a_refused_claim_is_never_overdue():
    timeline = claim_timeline(date(2026, 1, 10), decided_on=date(2026, 2, 1), accepted=False)
    assert timeline.status(date(2030, 1, 1)) is ClaimState.REFUSED
    assert timeline.overdue(date(2030, 1, 1)) is None
    assert timeline.payment_due_on is None


def test_payment_closes_the_claim_from_the_day_it_is_paid():
    accepted = {"decided_on": date(2026, 2, 1), "accepted": True}  # payment due 1 May 2026
    timeline = claim_timeline(date(2026, 1, 10), paid_on=date(2026, 4, 15), **accepted)
    assert timeline.status(date(2026, 4, 14)) is ClaimState.AWAITING_PAYMENT
    assert timeline.status(date(2026, 4, 15)) is ClaimState.PAID
    assert not timeline.paid_late
    assert not claim_timeline(date(2026, 1, 10), paid_on=date(2026, 5, 1), **accepted).paid_late
    late = claim_timeline(date(2026, 1, 10), paid_on=date(2026, 5, 2), **accepted)
    assert late.paid_late
    assert late.status(date(2026, 5, 1)) is ClaimState.AWAITING_PAYMENT
    assert late.status(date(2026, 5, 2)) is ClaimState.PAID


def test_a_claim_ordered_by_a_payment_batch_is_in_transit_until_the_debit_and_not_overdue():
    """The issuing state's payment counts from its order: the bank's execution is not its delay."""
    accepted = {"decided_on": date(2026, 2, 1), "accepted": True}  # payment due 1 May 2026
    timeline = claim_timeline(date(2026, 1, 10), paid_on=date(2026, 5, 4), ordered_on=date(2026, 4, 30), **accepted)
    assert timeline.status(date(2026, 4, 29)) is ClaimState.AWAITING_PAYMENT
    assert timeline.status(date(2026, 4, 30)) is ClaimState.IN_TRANSIT
    assert timeline.status(date(2026, 5, 3)) is ClaimState.IN_TRANSIT
    assert timeline.overdue(date(2026, 5, 3)) is None and timeline.days_overdue(date(2026, 5, 3)) == 0
    assert timeline.status(date(2026, 5, 4)) is ClaimState.PAID
    assert not timeline.paid_late  # ordered by the due day, debited after it
    late = claim_timeline(date(2026, 1, 10), ordered_on=date(2026, 5, 10), **accepted)
    assert late.overdue(date(2026, 5, 9)) is Overdue.PAYMENT
    assert late.status(date(2026, 5, 10)) is ClaimState.IN_TRANSIT and late.overdue(date(2026, 5, 10)) is None
    assert late.paid_late


def test_an_order_needs_an_acceptance_before_it():
    with pytest.raises(RecognitionRuleError) as refused:
        claim_timeline(date(2026, 1, 10), ordered_on=date(2026, 2, 1))
    assert (refused.value.code, refused.value.field) == ("paid_without_acceptance", "ordered_on")
    with pytest.raises(RecognitionRuleError) as early:
        claim_timeline(date(2026, 1, 10), decided_on=date(2026, 2, 1), accepted=True, ordered_on=date(2026, 1, 31))
    assert (early.value.code, early.value.field) == ("paid_before_acceptance", "ordered_on")


def test_the_status_of_a_past_day_ignores_what_happened_later():
    timeline = claim_timeline(date(2026, 1, 10), decided_on=date(2026, 6, 1), accepted=True, paid_on=date(2026, 7, 1))
    assert timeline.status(date(2026, 1, 10)) is ClaimState.AWAITING_DECISION
    assert timeline.status(date(2026, 4, 11)) is ClaimState.DECISION_OVERDUE


def test_claim_status_as_of_is_a_shortcut():
    assert claim_status_as_of(date(2027, 3, 1), date(2026, 11, 30)) is ClaimState.DECISION_OVERDUE
    assert claim_status_as_of(date(2027, 2, 28), date(2026, 11, 30)) is ClaimState.AWAITING_DECISION


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"decided_on": date(2026, 2, 1)}, "inconsistent_decision"),
        ({"accepted": True}, "inconsistent_decision"),
        ({"decided_on": date(2026, 1, 9), "accepted": True}, "decided_before_submission"),
        ({"decided_on": date(2026, 2, 1), "accepted": False, "paid_on": date(2026, 3, 1)}, "paid_without_acceptance"),
        ({"paid_on": date(2026, 3, 1)}, "paid_without_acceptance"),
        ({"decided_on": date(2026, 2, 1), "accepted": True, "paid_on": date(2026, 1, 31)}, "paid_before_acceptance"),
    ],
)
def test_inconsistent_timelines_are_refused(kwargs, code):
    with pytest.raises(RecognitionRuleError) as caught:
        claim_timeline(date(2026, 1, 10), **kwargs)
    assert caught.value.code == code


def test_a_refusal_needs_reasons():
    validate_decision(date(2026, 1, 10), accepted=True, decided_on=date(2026, 1, 10), reason=None)
    validate_decision(date(2026, 1, 10), accepted=False, decided_on=date(2026, 2, 1), reason="no boarding pass")
    for reason in (None, "", "  "):
        with pytest.raises(RecognitionRuleError) as caught:
            validate_decision(date(2026, 1, 10), accepted=False, decided_on=date(2026, 2, 1), reason=reason)
        assert (caught.value.code, caught.value.field) == ("refusal_reason_required", "reason")


def test_a_decision_before_the_claim_is_refused():
    with pytest.raises(RecognitionRuleError) as caught:
        validate_decision(date(2026, 1, 10), accepted=True, decided_on=date(2026, 1, 9), reason=None)
    assert caught.value.code == "decided_before_submission"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_three_months_is_between_89_and_92_days_and_never_skips_a_month(start):
    due = decision_due_on(start)
    assert 89 <= (due - start).days <= 92
    assert (due.year * 12 + due.month) - (start.year * 12 + start.month) == 3
    assert due.day == start.day or due.day < start.day and (due + DAY).day == 1


def test_overdue_decisions_and_payments_are_listed_for_both_sides():
    from ledger.recognition.rules import OverdueItem, TrackedClaim, list_overdue

    claims = [
        TrackedClaim("undecided", "DE", "AT", claim_timeline(date(2026, 8, 31))),  # due 30 Nov
        TrackedClaim("unpaid", "FR", "DE", claim_timeline(date(2026, 6, 1), date(2026, 8, 31), True)),  # due 30 Nov
        TrackedClaim("older", "IT", "FR", claim_timeline(date(2026, 5, 1))),  # due 1 Aug
        TrackedClaim("in_time", "DE", "AT", claim_timeline(date(2026, 9, 1))),  # due 1 Dec
        TrackedClaim("refused", "DE", "AT", claim_timeline(date(2026, 1, 1), date(2026, 2, 1), False)),
    ]
    as_of = date(2026, 12, 1)
    assert [i.claim_id for i in list_overdue(claims, as_of)] == ["older", "undecided", "unpaid"]
    assert list_overdue(claims, as_of, state="DE") == [
        OverdueItem("undecided", "DE", "AT", Overdue.DECISION, date(2026, 11, 30), 1),
        OverdueItem("unpaid", "FR", "DE", Overdue.PAYMENT, date(2026, 11, 30), 1),
    ]
    assert [i.claim_id for i in list_overdue(claims, as_of, state="AT")] == ["undecided"]
    assert list_overdue(claims, date(2026, 11, 30), state="DE") == []
