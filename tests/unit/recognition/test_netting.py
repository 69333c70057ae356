"""Multilateral netting: net positions from claims and the fewest transfers settling them."""

import random
from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.money import Money, total
from ledger.recognition.rules.netting import (
    EXACT_LIMIT,
    NettableClaim,
    NettingError,
    Transfer,
    _settle_group,
    net_positions,
    net_positions_by_currency,
    open_claims,
    period_end,
    plan_settlement,
    settle,
)


def eur(value) -> Money:
    return Money.of(value, "EUR")


def positions_of(values: dict[str, int], currency: str = "EUR") -> dict[str, Money]:
    return {state: Money.of(v, currency) for state, v in values.items()}


# --- oracles ------------------------------------------------------------------------------------


def set_partitions(items):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in set_partitions(rest):
        yield [[first], *partition]
        for i in range(len(partition)):
            yield [*partition[:i], [first, *partition[i]], *partition[i + 1:]]


def brute_force_minimum(values: list[int]) -> int:
    """n - (most zero-sum blocks of any set partition): searched over every partition (Bell(7) = 877)."""
    nonzero = [v for v in values if v != 0]
    if not nonzero:
        return 0
    most = max(
        len(p) for p in set_partitions(nonzero) if all(sum(block) == 0 for block in p)
    )
    return len(nonzero) - most


def applied(transfers: list[Transfer], states, currency: str) -> dict[str, Money]:
    result = {state: Money.zero(currency) for state in states}
    for t in transfers:
        result[t.payer] = result[t.payer] - t.amount
        result[t.payee] = result[t.payee] + t.amount
    return result


def check_invariants(positions: dict[str, Money], transfers: list[Transfer]) -> None:
    currency = next(iter(positions.values())).currency
    assert applied(transfers, positions, currency) == positions  # positions preserved exactly
    nonzero = sum(1 for m in positions.values() if not m.is_zero())
    assert len(transfers) <= max(nonzero - 1, 0) <= max(len(positions) - 1, 0)
    payers, payees = {t.payer for t in transfers}, {t.payee for t in transfers}
    assert not payers & payees  # no state both pays and receives
    for t in transfers:
        assert isinstance(t.amount, Money) and t.amount.currency == currency and t.amount.amount > 0
        assert positions[t.payer].amount < 0 < positions[t.payee].amount
    assert len({(t.payer, t.payee) for t in transfers}) == len(transfers)  # one transfer per pair
    assert transfers == sorted(transfers, key=lambda t: (t.payer, t.payee))


# --- worked examples ----------------------------------------------------------------------------

STATES = ["AT", "BE", "CZ", "DE", "EE", "FR", "IT"]


def test_five_states_settle_in_the_fewest_transfers():
    # AT owes 100 to the group, BE is owed 100: one transfer settles them; CZ/DE/EE need two more.
    positions = positions_of({"AT": -100, "BE": 100, "CZ": -50, "DE": 30, "EE": 20})
    plan = plan_settlement(positions)
    assert plan.optimal
    assert list(plan.transfers) == [
        Transfer("AT", "BE", eur("100.00")),
        Transfer("CZ", "DE", eur("30.00")),
        Transfer("CZ", "EE", eur("20.00")),
    ]
    assert len(plan.transfers) == brute_force_minimum([-100, 100, -50, 30, 20])


def test_greedy_alone_would_use_more_transfers_than_needed():
    # Largest debtor to largest creditor on the whole set gives 4 transfers (AT->DE 7, BE->EE 5,
    # CZ->EE 2, CZ->DE 1); splitting into the zero-sum groups {AT, EE} and {BE, CZ, DE} gives 3.
    values = {"AT": -7, "BE": -5, "CZ": -3, "DE": 8, "EE": 7}
    transfers = settle(positions_of(values))
    assert len(transfers) == brute_force_minimum(list(values.values())) == 3
    assert Transfer("AT", "EE", eur("7.00")) in transfers
    assert len(_settle_group(values)) == 4  # what the greedy alone does


def test_net_positions_over_claims_between_five_states():
    claims = [
        NettableClaim("c1", "DE", "AT", eur("1000.00"), date(2026, 3, 2)),  # DE issued, AT enforced
        NettableClaim("c2", "AT", "DE", eur("400.00"), date(2026, 3, 5)),
        NettableClaim("c3", "FR", "IT", eur("250.50"), date(2026, 3, 9)),
        NettableClaim("c4", "IT", "BE", eur("250.50"), date(2026, 3, 9)),
        NettableClaim("c5", "BE", "DE", eur("75.25"), date(2026, 3, 30)),
    ]
    positions = net_positions(claims)
    assert positions == {
        "AT": eur("600.00"), "BE": eur("175.25"), "DE": eur("-524.75"), "FR": eur("-250.50"), "IT": eur("0.00")
    }
    assert list(positions) == sorted(positions)
    assert total(list(positions.values()), "EUR").is_zero()
    transfers = settle(positions)
    check_invariants(positions, transfers)
    assert len(transfers) == brute_force_minimum([int(m.amount * 100) for m in positions.values()]) == 3


def test_open_claims_are_accepted_by_the_period_end_and_unpaid_at_it():
    claims = [
        NettableClaim("in", "DE", "AT", eur("1.00"), accepted_on=date(2026, 2, 28)),
        NettableClaim("earlier", "DE", "AT", eur("1.00"), accepted_on=date(2025, 12, 1)),
        NettableClaim("paid_later", "DE", "AT", eur("1.00"), accepted_on=date(2026, 2, 1), paid_on=date(2026, 3, 1)),
        NettableClaim("paid", "DE", "AT", eur("1.00"), accepted_on=date(2026, 2, 1), paid_on=date(2026, 2, 28)),
        NettableClaim("next_month", "DE", "AT", eur("1.00"), accepted_on=date(2026, 3, 1)),
        NettableClaim("undecided", "DE", "AT", eur("1.00"), accepted_on=None),
        NettableClaim("other_currency", "DE", "AT", Money.of("1.00", "GBP"), accepted_on=date(2026, 2, 1)),
    ]
    assert [c.claim_id for c in open_claims(claims, "2026-02", "EUR")] == ["in", "earlier", "paid_later"]


def test_a_claim_in_transit_at_the_period_end_is_not_open():
    """Ordered by a released payment batch by the period's end (the money with the issuing state's bank): netting
    it would pay it twice. Ordered after the end, it was still open at it."""
    feb = date(2026, 2, 1)
    claims = [
        NettableClaim("ordered", "DE", "AT", eur("1.00"), accepted_on=feb, ordered_on=date(2026, 2, 27)),
        NettableClaim("debited", "DE", "AT", eur("1.00"), accepted_on=feb, ordered_on=date(2026, 2, 27),
                      paid_on=date(2026, 2, 28)),
        NettableClaim("ordered_later", "DE", "AT", eur("1.00"), accepted_on=feb, ordered_on=date(2026, 3, 2)),
        NettableClaim("debited_later", "DE", "AT", eur("1.00"), accepted_on=feb, ordered_on=date(2026, 2, 27),
                      paid_on=date(2026, 3, 2)),
    ]
    assert [c.claim_id for c in open_claims(claims, "2026-02", "EUR")] == ["ordered_later"]
    end = date(2026, 2, 28)
    assert [c.claim_id for c in claims if c.in_transit_at(end)] == ["ordered", "debited_later"]


@pytest.mark.parametrize(("period", "end"), [("2026-02", date(2026, 2, 28)), ("2028-02", date(2028, 2, 29)),
                                             ("2026-12", date(2026, 12, 31)), ("2026-04", date(2026, 4, 30))])
def test_period_end(period, end):
    assert period_end(period) == end


@pytest.mark.parametrize("period", ["2026-13", "2026-2", "26-02", "2026/02", "", "2026-00"])
def test_invalid_periods_are_refused(period):
    with pytest.raises(NettingError) as caught:
        period_end(period)
    assert caught.value.code == "invalid_period"


def test_positions_per_currency():
    claims = [
        NettableClaim("c1", "DE", "AT", eur("10.00"), date(2026, 3, 2)),
        NettableClaim("c2", "AT", "DE", Money.of("500", "JPY"), date(2026, 3, 2)),
    ]
    assert net_positions_by_currency(claims) == {
        "EUR": {"AT": eur("10.00"), "DE": eur("-10.00")},
        "JPY": {"AT": Money.of("-500", "JPY"), "DE": Money.of("500", "JPY")},
    }


def test_zero_positions_need_no_transfers():
    assert settle(positions_of({"AT": 0, "BE": 0})) == []
    assert net_positions([]) == {}


@pytest.mark.parametrize(
    ("positions", "code"),
    [
        (positions_of({"AT": -10, "BE": 9}), "unbalanced_positions"),
        ({"AT": eur("-10.00"), "BE": Money.of("10.00", "GBP")}, "mixed_currencies"),
        ({}, "no_positions"),
    ],
)
def test_settle_refuses_bad_positions(positions, code):
    with pytest.raises(NettingError) as caught:
        settle(positions)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("claim", "code"),
    [
        (NettableClaim("c", "DE", "DE", eur("1.00"), date(2026, 1, 1)), "same_state"),
        (NettableClaim("c", "DE", "AT", eur("-1.00"), date(2026, 1, 1)), "negative_amount"),
    ],
)
def test_net_positions_refuses_bad_claims(claim, code):
    with pytest.raises(NettingError) as caught:
        net_positions([claim])
    assert caught.value.code == code


def test_net_positions_refuses_mixed_currencies():
    claims = [
        NettableClaim("a", "DE", "AT", eur("1.00"), None),
        NettableClaim("b", "DE", "AT", Money.of("1", "JPY"), None),
    ]
    with pytest.raises(NettingError) as caught:
        net_positions(claims)
    assert caught.value.code == "mixed_currencies"


def test_the_exact_method_is_fast_enough_at_its_limit():
    rng = random.Random(2001)
    values = [rng.randint(1, 10**9) * rng.choice([-1, 1]) for _ in range(EXACT_LIMIT - 1)]
    values.append(-sum(values))
    positions = positions_of({f"S{i:02d}": v for i, v in enumerate(values)})
    plan = plan_settlement(positions)  # 2^15 subsets
    assert plan.optimal
    check_invariants(positions, list(plan.transfers))


def test_beyond_the_limit_the_greedy_fallback_pairs_opposites_and_stays_within_n_minus_1():
    values = {f"S{i:02d}": v for i, v in enumerate([-5, 5, -7, 7, -3, 1, 2] + [-1, 1] * 6)}
    positions = positions_of(values)
    assert len(positions) > EXACT_LIMIT
    plan = plan_settlement(positions)
    assert not plan.optimal
    check_invariants(positions, list(plan.transfers))
    # 8 opposite pairs (one transfer each) and the rest {-3, 1, 2} (two transfers): 19 states, 9 groups.
    assert len(plan.transfers) == len(positions) - 9 == 10
    assert Transfer("S02", "S03", eur("7.00")) in plan.transfers


# --- properties -----------------------------------------------------------------------------------

amounts = st.integers(min_value=-10**6, max_value=10**6)


@st.composite
def balanced(draw, min_states=2, max_states=7, values=amounts):
    n = draw(st.integers(min_states, max_states))
    codes = draw(st.lists(st.sampled_from(STATES + ["LU", "NL", "PL", "PT", "SE", "SI", "SK", "ES", "FI", "GR",
                                                     "HR", "HU", "IE", "LT", "LV", "MT", "RO", "BG", "CY", "DK"]),
                          min_size=n, max_size=n, unique=True))
    nums = draw(st.lists(values, min_size=n - 1, max_size=n - 1))
    nums.append(-sum(nums))
    return dict(zip(codes, nums))


@given(balanced(values=st.integers(-6, 6)))
@settings(max_examples=300)
def test_exact_minimum_matches_brute_force_with_many_zero_sum_subsets(values):
    positions = positions_of(values)
    transfers = settle(positions)
    check_invariants(positions, transfers)
    assert len(transfers) == brute_force_minimum(list(values.values()))


@given(balanced())
@settings(max_examples=200)
def test_exact_minimum_matches_brute_force(values):
    positions = positions_of(values)
    transfers = settle(positions)
    check_invariants(positions, transfers)
    assert len(transfers) == brute_force_minimum(list(values.values()))


@given(
    balanced(min_states=2, max_states=EXACT_LIMIT, values=st.integers(-50, 50)),
    st.sampled_from(["EUR", "JPY", "BHD"]),
)
@settings(max_examples=100, deadline=None)
def test_settlement_invariants_up_to_the_exact_limit(values, currency):
    positions = positions_of(values, currency)
    check_invariants(positions, settle(positions))


@given(balanced(min_states=EXACT_LIMIT + 1, max_states=27, values=st.integers(-10**6, 10**6)))
@settings(max_examples=50, deadline=None)
def test_settlement_invariants_beyond_the_exact_limit(values):
    positions = positions_of(values)
    plan = plan_settlement(positions)
    assert not plan.optimal or sum(1 for v in values.values() if v) <= EXACT_LIMIT
    check_invariants(positions, list(plan.transfers))


@given(balanced(max_states=10), st.randoms(use_true_random=False))
@settings(max_examples=100)
def test_the_result_does_not_depend_on_the_order_of_the_input(values, rng):
    items = list(positions_of(values).items())
    shuffled = items[:]
    rng.shuffle(shuffled)
    assert settle(dict(items)) == settle(dict(shuffled))


@given(st.lists(st.tuples(st.sampled_from(STATES), st.sampled_from(STATES), st.integers(0, 10**6)), max_size=30))
def test_net_positions_sum_to_zero_and_settle_the_claims(raw):
    claims = [NettableClaim(f"c{i}", a, b, Money.of(v, "EUR").times(1), date(2026, 1, 1))
              for i, (a, b, v) in enumerate(raw) if a != b]
    positions = net_positions(claims)
    if not positions:
        return
    assert total(list(positions.values()), "EUR").is_zero()
    owed = Counter()
    for c in claims:
        owed[c.enforcing_state] += c.payable.amount
        owed[c.issuing_state] -= c.payable.amount
    assert {s: m.amount for s, m in positions.items()} == {s: owed[s] for s in positions}
    check_invariants(positions, settle(positions))


def test_netting_a_period_end_to_end():
    from ledger.recognition.rules.netting import netting

    claims = [
        NettableClaim("c1", "DE", "AT", eur("300.00"), date(2026, 2, 10)),
        NettableClaim("c2", "AT", "FR", eur("300.00"), date(2026, 2, 11)),
        NettableClaim("c3", "FR", "DE", eur("50.00"), date(2026, 3, 1)),  # accepted after the period
    ]
    plan = netting(claims, "2026-02", "EUR")
    assert plan.positions == {"AT": eur("0.00"), "DE": eur("-300.00"), "FR": eur("300.00")}
    assert plan.transfers == (Transfer("DE", "FR", eur("300.00")),)
    empty = netting(claims, "2026-01", "EUR")
    assert (empty.positions, empty.transfers, empty.optimal) == ({}, (), True)
