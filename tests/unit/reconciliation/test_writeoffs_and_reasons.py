"""Write-off rules and plain-language reasons, without HTTP or a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.money import Money
from ledger.reconciliation import explain, writeoffs
from ledger.reconciliation.writeoffs import Pick

D = Decimal


def test_a_short_payment_writes_off_each_invoices_remainder_and_takes_only_what_was_allocated():
    plan = writeoffs.plan([Pick(1, D("1000.00"), D("965.00")), Pick(2, D("200.00"), D("200.00"))], D("1165.00"))
    assert plan.allocations == ((1, D("965.00"), D("35.00")), (2, D("200.00"), D("0.00")))
    assert (plan.transfer_amount, plan.residual, plan.written_off) == (D("1165.00"), D("35.00"), D("35.00"))


def test_an_overpayment_takes_the_whole_transfer_and_writes_off_the_excess():
    plan = writeoffs.plan([Pick(1, D("1000.00"), D("1000.00"))], D("1000.40"))
    assert (plan.transfer_amount, plan.residual, plan.written_off) == (D("1000.40"), D("-0.40"), D("0.40"))
    assert plan.allocations == ((1, D("1000.00"), D(0)),)


@pytest.mark.parametrize("picks, unallocated, says", [
    ([Pick(1, D("100.00"), D("90.00"))], D("95.00"), "both"),
    ([Pick(1, D("100.00"), D("100.00"))], D("100.00"), "no difference"),
])
def test_nothing_or_two_differences_are_refused_with_a_sentence(picks, unallocated, says):
    with pytest.raises(ValueError, match=says):
        writeoffs.plan(picks, unallocated)


def test_limits_come_from_role_equals_amount_and_unknown_roles_may_write_off_nothing():
    limits = writeoffs.parse_limits("finance_officer=100.00, admin=0")
    assert limits == {"finance_officer": D("100.00"), "admin": D(0)}
    assert writeoffs.limit_for(limits, "auditor") == 0
    assert writeoffs.parse_limits(writeoffs.DEFAULT_LIMITS)["finance_officer"] == D("100.00")
    for wrong in ("finance_officer", "finance_officer=lots", "=5", "finance_officer=-1"):
        with pytest.raises(writeoffs.LimitsError, match="role=amount"):
            writeoffs.parse_limits(wrong)


def _match(**over):
    base = {"method": "reference", "residual": Money.of("35.00", "GBP"), "residual_account": "bank_charges",
            "evidence": {"reference": "RW-2026-07", "reference_source": "remittance_text",
                         "tolerance": "50.00 GBP", "days_from_due": "9=2"}}
    return {**base, **over}


def test_a_reason_says_what_was_found_where_and_where_the_difference_went():
    assert explain.reason(_match()) == ("Reference RW-2026-07 found in the remittance; 35.00 GBP short, within the "
                                        "50.00 GBP tolerance → bank charges")


def test_a_reason_for_a_hand_match_with_a_write_off_quotes_the_officer_and_separates_thousands():
    match = _match(method="manual", residual=Money.of("1250.00", "GBP"), residual_account="rounding",
                   evidence={"reason": "matched by hand", "write_off_reason": "agreed with RW"})
    assert explain.reason(match) == ("Matched by hand by an officer; 1,250.00 GBP short, "
                                     "written off → rounding: agreed with RW")


def test_a_partial_payment_leaves_the_rest_open_and_raw_keys_never_show():
    match = _match(method="partial_payment", residual=Money.of("500.00", "GBP"), residual_account=None,
                   evidence={"reason": "partial payment: the rest stays open", "days_from_due": "9=2"})
    text = explain.reason(match)
    assert text.startswith("Part of an open invoice is paid; 500.00 GBP short: the rest stays open")
    assert "9=2" not in text and "days_from_due" not in text
    assert explain.direction("GB", "RW") == "GB → RW"


def test_the_write_off_limits_are_configuration_and_a_wrong_one_stops_the_start(tmp_path):
    from ledger.config import ConfigError, load

    assert load(str(tmp_path), {})["LEDGER_WRITE_OFF_LIMITS"] == {"finance_officer": D("100.00")}
    assert load(str(tmp_path), {"LEDGER_WRITE_OFF_LIMITS": "finance_officer=25,admin=0"})[
        "LEDGER_WRITE_OFF_LIMITS"] == {"finance_officer": D(25), "admin": D(0)}
    with pytest.raises(ConfigError, match="LEDGER_WRITE_OFF_LIMITS"):
        load(str(tmp_path), {"LEDGER_WRITE_OFF_LIMITS": "finance_officer=lots"})
