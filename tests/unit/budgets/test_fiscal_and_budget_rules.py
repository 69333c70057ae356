"""Fiscal years, budget-line rules and the FX revaluation arithmetic, with figures worked out by hand."""

from datetime import date
from decimal import Decimal

import pytest

from ledger.budgets import fiscal, rules
from ledger.fx import rules as fx

# ---- fiscal years ------------------------------------------------------------------------------------

def test_a_uk_fiscal_year_runs_april_to_march_and_is_named_by_its_first_year():
    assert fiscal.periods(2026, 4) == ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09",
                                       "2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03"]
    assert fiscal.fiscal_year_of("2027-03", 4) == 2026
    assert fiscal.fiscal_year_of("2027-04", 4) == 2027
    assert fiscal.fiscal_year_of(date(2026, 3, 31), 4) == 2025
    assert fiscal.fiscal_year_of(date(2026, 12, 31), 1) == 2026


def test_quarters_are_three_months_from_the_start():
    assert fiscal.periods(2026, 4, quarter=4) == ["2027-01", "2027-02", "2027-03"]
    assert fiscal.bounds(2026, 1, quarter=2) == ("2026-04", "2026-06")
    assert fiscal.bounds(2026, 10) == ("2026-10", "2027-09")


@pytest.mark.parametrize("month", [0, 13, -1, True, "4"])
def test_a_start_month_outside_1_to_12_is_refused(month):
    with pytest.raises(fiscal.FiscalError) as error:
        fiscal.check_start_month(month)
    assert error.value.field == "fiscal_year_start_month"


# ---- budget lines ------------------------------------------------------------------------------------

def test_a_commitment_beyond_the_ceiling_exceeds_by_the_difference():
    # voted 1,000,000.00 (900,000 + a 100,000 supplementary), 950,000 committed: 80,000 more goes 30,000 over
    line = rules.Execution(voted=Decimal("1000000.00"), committed=Decimal("950000.00"), invoiced=Decimal(0),
                           paid=Decimal(0))
    assert line.available == Decimal("50000.00")
    assert rules.excess(line, Decimal("80000.00")) == Decimal("30000.00")
    assert rules.excess(line, Decimal("50000.00")) == 0
    assert rules.excess(line, Decimal("-10000.00")) == 0  # a re-pricing down releases budget
    approved = rules.Execution(Decimal("1000000.00"), Decimal("950000.00"), Decimal(0), Decimal(0),
                               approved_excess=Decimal("30000.00"))
    assert rules.excess(approved, Decimal("80000.00")) == 0


def test_a_cut_may_not_leave_committed_above_voted():
    line = rules.Execution(voted=Decimal("100000.00"), committed=Decimal("70000.00"), invoiced=Decimal(0),
                           paid=Decimal(0))
    assert rules.revision_refusal(line, Decimal("-30000.00")) is None
    assert "at most 30000.00" in rules.revision_refusal(line, Decimal("-30000.01"))
    assert rules.revision_refusal(line, Decimal("500.00")) is None


# ---- FX revaluation ----------------------------------------------------------------------------------

def test_payments_settle_the_oldest_parts_of_a_balance_first():
    # a payable (credits negative): 1,000 on 1 Oct, 500 on 15 Oct, 600 paid on 20 Oct; the 600 settles 600 of
    # the oldest 1,000 → still open: 400 (from 1 Oct) and 500 (from 15 Oct)
    layers = fx.open_layers([(date(2026, 10, 1), Decimal("-1000.00")), (date(2026, 10, 15), Decimal("-500.00")),
                             (date(2026, 10, 20), Decimal("600.00"))])
    assert layers == [(date(2026, 10, 1), Decimal("-400.00")), (date(2026, 10, 15), Decimal("-500.00"))]
    assert fx.open_layers([(date(2026, 10, 1), Decimal("-5.00")), (date(2026, 10, 2), Decimal("5.00"))]) == []


def test_a_payable_in_euro_that_became_dearer_in_pounds_is_a_loss():
    # 100,000.00 EUR owed since 1 Oct (0.8500 GBP per EUR: carried at 85,000.00 GBP); at 31 Oct 0.8612:
    # worth 86,120.00 GBP → the valuation account takes 1,120.00 more credit (a loss)
    rates = {date(2026, 10, 1): Decimal("0.8500"), date(2026, 10, 31): Decimal("0.8612")}
    diff = fx.difference([(date(2026, 10, 1), Decimal("-100000.00"))], lambda d: rates[d], date(2026, 10, 31), "GBP")
    assert str(diff) == "-1120.00" and diff.currency == "GBP"


def test_the_difference_is_rounded_half_even_once():
    # 0.05 EUR receivable; rate 0.5 → 0.6 gives 0.005 GBP → rounds half-even to 0.00; 0.15 EUR gives 0.015 → 0.02
    rates = {date(2026, 1, 1): Decimal("0.5"), date(2026, 1, 31): Decimal("0.6")}
    assert str(fx.difference([(date(2026, 1, 1), Decimal("0.05"))], rates.get, date(2026, 1, 31), "GBP")) == "0.00"
    assert str(fx.difference([(date(2026, 1, 1), Decimal("0.15"))], rates.get, date(2026, 1, 31), "GBP")) == "0.02"


def test_a_rate_published_the_other_way_round_is_inverted():
    assert fx.convert_rate(None, Decimal("0.8")) == Decimal("1.25")
    assert fx.convert_rate(None, Decimal("1.16")) == Decimal("0.86206897")  # 0.862068965… to 8 decimals
    assert fx.convert_rate(Decimal("0.8"), Decimal("5")) == Decimal("0.8")
    assert fx.convert_rate(None, None) is None
