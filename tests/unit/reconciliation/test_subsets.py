from decimal import Decimal

from ledger.reconciliation.subsets import find_subsets


def amounts(*values):
    return [Decimal(v) for v in values]


def test_finds_the_subset_within_the_range():
    result = find_subsets(amounts("120.00", "340.50", "77.25", "999.00"), Decimal("537.75"), Decimal("537.75"))
    assert result.solutions == ((0, 1, 2),) and result.complete


def test_reports_two_solutions_as_enough_to_call_it_ambiguous():
    result = find_subsets(amounts("100", "200", "300", "400"), Decimal(500), Decimal(500))
    assert len(result.solutions) == 2 and result.complete


def test_minimum_size_excludes_single_items():
    assert find_subsets(amounts("500", "200"), Decimal(500), Decimal(500)).solutions == ()
    assert find_subsets(amounts("500", "200"), Decimal(500), Decimal(500), min_size=1).solutions == ((0,),)


def test_node_budget_stops_the_search_and_says_so():
    result = find_subsets([Decimal(2)] * 40, Decimal(21), Decimal(21), node_budget=500)
    assert result.solutions == () and not result.complete


def test_unreachable_target_is_pruned_without_spending_the_budget():
    result = find_subsets([Decimal(1)] * 40, Decimal(1000), Decimal(1000), node_budget=10)
    assert result.complete  # the sum of everything is below the target: nothing to search
