"""Invariants of accrual and re-pricing over random agreements, amendments and returnee histories."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.agreements.rules.obligations import (
    ObligationDraft,
    ReturneeFacts,
    Scope,
    accrue,
    adjusted_key,
    derive_obligations,
    period_bounds,
    period_of,
    price_obligations,
    pricing_digest,
    reprice,
)
from ledger.agreements.rules.terms import AgreementFacts, AgreementVersion, Terms
from ledger.money import Money

START = date(2026, 2, 1)
END = date(2027, 7, 31)
PERIODS = [period_of(date(2026 + (m // 12), m % 12 + 1, 1)) for m in range(1, 19)]  # 2026-02 .. 2027-07

days = st.integers(min_value=0, max_value=(END - START).days).map(lambda n: START + timedelta(days=n))
cents = st.integers(min_value=1, max_value=10_000_000).map(lambda n: Money(Decimal(n).scaleb(-2), "GBP"))


@st.composite
def terms(draw) -> Terms:
    wire: dict = {}
    if draw(st.booleans()):
        wire["per_returnee_fee"] = str(draw(cents))
    if draw(st.booleans()):
        wire["monthly_support"] = {"amount": str(draw(cents)), "max_months": draw(st.integers(1, 24))}
    if draw(st.booleans()):
        wire["instalments"] = [
            {"due_on": d.isoformat(), "amount": str(draw(cents))} for d in draw(st.lists(days, max_size=3))
        ]
    if draw(st.booleans()):
        thresholds = draw(st.lists(st.integers(1, 8), max_size=3, unique=True))
        wire["milestones"] = [{"returnees": t, "amount": str(draw(cents))} for t in thresholds]
    if draw(st.booleans()):
        wire["advance"] = {"amount": str(draw(cents))}
    return Terms.from_wire(wire, "GBP")


@st.composite
def agreement(draw) -> AgreementFacts:
    terminated = draw(st.none() | days)
    return AgreementFacts(1, "GBP", START, END, terminated)


@st.composite
def versions(draw, amendments: int = 3) -> list[AgreementVersion]:
    result = [AgreementVersion(START, draw(terms()), 1)]
    for number in range(2, draw(st.integers(1, amendments + 1)) + 1):
        result.append(AgreementVersion(draw(days), draw(terms()), number))
    return result


@st.composite
def returnee(draw, id: int) -> ReturneeFacts:
    transferred = draw(days)
    accepted = draw(st.none() | st.integers(0, 40).map(lambda n: transferred + timedelta(days=n)))
    departed = None
    if accepted is not None:
        departed = draw(st.none() | st.integers(0, 400).map(lambda n: accepted + timedelta(days=n)))
    return ReturneeFacts(id, transferred, accepted, departed)


@st.composite
def returnees(draw) -> list[ReturneeFacts]:
    return [draw(returnee(i)) for i in range(1, draw(st.integers(0, 8)) + 1)]


def net_by_key(drafts: list[ObligationDraft]) -> dict[str, Money]:
    totals: dict[str, Money] = {}
    for d in drafts:
        key = adjusted_key(d.key)
        totals[key] = totals.get(key, Money.zero("GBP")) + d.amount
    return {k: v for k, v in totals.items() if not v.is_zero()}


@settings(max_examples=60, deadline=None)
@given(agreement(), versions(), returnees(), st.sampled_from(PERIODS))
def test_deriving_a_period_twice_gives_the_same_keys_and_amounts(agreement, versions, returnees, period):
    first = derive_obligations(agreement, versions, returnees, period)
    assert first == derive_obligations(agreement, list(reversed(versions)), list(reversed(returnees)), period)
    assert len({d.key for d in first}) == len(first)
    assert all(d.period == period and d.amount.amount > 0 for d in first)


@settings(max_examples=60, deadline=None)
@given(agreement(), versions(), returnees(), st.sampled_from(PERIODS))
def test_accruing_a_period_twice_posts_nothing_new(agreement, versions, returnees, period):
    posted = accrue([], agreement, versions, returnees, period)
    assert accrue(posted, agreement, versions, returnees, period) == []


@settings(max_examples=60, deadline=None)
@given(agreement(), versions(amendments=0), returnees())
def test_support_per_returnee_never_exceeds_max_months_times_the_amount(agreement, versions, returnees):
    support = versions[0].terms.monthly_support
    drafts = price_obligations(agreement, versions, returnees, END)
    for r in returnees:
        months = [d for d in drafts if d.kind == "monthly_support" and d.returnee_id == r.id]
        if support is None:
            assert months == []
            continue
        assert len(months) <= support.max_months
        assert sum((d.amount.amount for d in months), start=0) <= support.amount.amount * support.max_months
        assert all(d.due_on <= (r.departed_on or END) for d in months)


@settings(max_examples=60, deadline=None)
@given(agreement(), versions(), versions(), returnees(), st.sampled_from(PERIODS[:-1]))
def test_repricing_twice_yields_no_second_adjustment(agreement, old, new, returnees, period):
    posted = accrue([], agreement, old, returnees, period)
    current = PERIODS[-1]
    first = reprice(posted, agreement, new, returnees, period, current)
    assert reprice(posted + first, agreement, new, returnees, period, current) == []
    assert all(d.period == current for d in first)
    assert len({d.key for d in posted + first}) == len(posted) + len(first)


@st.composite
def history(draw):
    """A final agreement state plus when each amendment and each returnee's events became known.

    Amendments become known in or after the period they take effect in (often later: back-dated);
    a returnee's acceptance and departure become known at or after the periods they happen in.
    """
    drawn = draw(versions())
    last = len(PERIODS) - 1
    amendments = sorted(
        ((draw(st.integers(_index(v.effective_from), last)), v) for v in drawn[1:]), key=lambda kv: kv[0]
    )
    known = [0, *(k for k, _ in amendments)]
    # numbered in the order they became known, as amendments are numbered in the order they are made
    final_versions = [
        drawn[0],
        *(AgreementVersion(v.effective_from, v.terms, n) for n, (_, v) in enumerate(amendments, 2)),
    ]
    final_returnees = draw(returnees())
    reveals = []
    for r in final_returnees:
        accepted = draw(st.integers(_index(r.accepted_on or START), last))
        reveals.append((accepted, draw(st.integers(max(accepted, _index(r.departed_on or START)), last))))
    return draw(agreement()), final_versions, known, final_returnees, reveals


def _index(day: date) -> int:
    return min(max(0, (day.year - 2026) * 12 + day.month - 2), len(PERIODS) - 1)


def known_at(index: int, final_returnees: list[ReturneeFacts], reveals: list[tuple[int, int]]) -> list[ReturneeFacts]:
    """What is known of each returnee in period ``index``: transfer always, acceptance and departure once revealed."""
    known = []
    for r, (accepted, departed) in zip(final_returnees, reveals, strict=True):
        known.append(
            ReturneeFacts(
                r.id,
                r.transferred_on,
                r.accepted_on if accepted <= index else None,
                r.departed_on if departed <= index else None,
            )
        )
    return known


@settings(max_examples=150, deadline=None)
@given(history())
def test_originals_plus_adjustments_equal_pricing_everything_with_the_latest_versions(case):
    agreement, final_versions, known, final_returnees, reveals = case
    posted: list[ObligationDraft] = []
    for index, period in enumerate(PERIODS):
        in_force = [v for v, k in zip(final_versions, known, strict=True) if k <= index]
        posted += accrue(posted, agreement, in_force, known_at(index, final_returnees, reveals), period)
    expected = price_obligations(agreement, final_versions, final_returnees, END)
    assert net_by_key(posted) == {d.key: d.amount for d in expected}
    assert len({d.key for d in posted}) == len(posted)
    assert accrue(posted, agreement, final_versions, final_returnees, PERIODS[-1]) == []


@settings(max_examples=150, deadline=None)
@given(history(), st.lists(st.integers(0, len(PERIODS) - 1), max_size=6))
def test_a_run_within_its_scope_posts_exactly_what_a_full_run_would(case, reruns):
    """The service keeps (digest, since, changed returnees) between runs, as here, and accrues within that
    scope; months are accrued in order, with re-runs of earlier months mixed in (``reruns``)."""
    agreement, final_versions, known, final_returnees, reveals = case
    posted: list[ObligationDraft] = []
    state: tuple[str, date, dict[int, ReturneeFacts]] | None = None  # digest, since, facts priced then
    steps = [(i, i) for i in range(len(PERIODS))]
    for rerun in reruns:  # an earlier month accrued again while month `at` is current
        at = max(rerun, min(len(PERIODS) - 1, rerun + 3))
        steps.insert(steps.index((at, at)) + 1, (at, rerun))
    for current, index in steps:
        in_force = [v for v, k in zip(final_versions, known, strict=True) if k <= current]
        facts = known_at(current, final_returnees, reveals)
        digest = pricing_digest(agreement, in_force)
        scope = None
        if state is not None and state[0] == digest:
            changed = frozenset(r.id for r in facts if state[2].get(r.id) != r)
            scope = Scope(state[1], changed)
        period = PERIODS[index]
        drafts = accrue(posted, agreement, in_force, facts, period, scope)
        assert drafts == accrue(posted, agreement, in_force, facts, period)
        posted += drafts
        through = period_bounds(period)[1]
        if state is None or through >= state[1]:  # an earlier month's run settles less than the state says
            state = (digest, through, {r.id: r for r in facts})
