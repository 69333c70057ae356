from datetime import date
from decimal import Decimal

import pytest

from ledger.journal.rules import (
    AccountKey,
    EntryDraft,
    Fx,
    JournalError,
    Line,
    check_entry,
    credit,
    debit,
    entry_content,
    reversal_lines,
)
from ledger.money import Money

COSTS = AccountKey("returns_costs", "GBP", "GB", "AL", 1)
OWED = AccountKey("obligations", "GBP", "AL", "GB", 1)


def draft(*lines):
    return EntryDraft(date(2026, 3, 4), tuple(lines), "test", "1")


def test_a_balanced_entry_passes():
    check_entry(draft(debit(COSTS, Money.of("20000.00", "GBP")), credit(OWED, Money.of("20000.00", "GBP"))))


def test_an_unbalanced_entry_says_by_how_much():
    with pytest.raises(JournalError, match="GBP off by 0.01") as error:
        check_entry(draft(debit(COSTS, Money.of("20000.01", "GBP")), credit(OWED, Money.of("20000.00", "GBP"))))
    assert error.value.code == "unbalanced_entry"


def test_balance_is_per_currency():
    eur_cash = AccountKey("cash", "EUR", "GB")
    gbp_cash = AccountKey("cash", "GBP", "GB")
    with pytest.raises(JournalError, match="EUR off by 100.00, GBP off by -100.00"):
        check_entry(draft(debit(eur_cash, Money.of("100.00", "EUR")), credit(gbp_cash, Money.of("100.00", "GBP"))))


def test_single_line_and_wrong_currency_are_refused():
    with pytest.raises(JournalError, match="at least two lines"):
        check_entry(draft(debit(COSTS, Money.of("1.00", "GBP"))))
    with pytest.raises(JournalError, match="a EUR amount on a GBP account"):
        check_entry(draft(debit(COSTS, Money.of("1.00", "EUR")), credit(OWED, Money.of("1.00", "EUR"))))


def test_reversal_negates_every_line_and_keeps_fx():
    fx = Fx(Decimal("1.1700"), "ECB 2026-03-04", Money.of("117.00", "EUR"))
    lines = (Line(COSTS, Money.of("100.00", "GBP"), fx), credit(OWED, Money.of("100.00", "GBP")))
    reversed_ = reversal_lines(lines)
    assert [line.amount for line in reversed_] == [Money.of("-100.00", "GBP"), Money.of("100.00", "GBP")]
    assert reversed_[0].fx == fx


def test_content_is_stable_across_decimal_representations():
    a = draft(debit(COSTS, Money(Decimal("5.0000"), "GBP")), credit(OWED, Money.of("5", "GBP")))
    b = draft(debit(COSTS, Money.of("5.00", "GBP")), credit(OWED, Money(Decimal("5.00"), "GBP")))
    assert entry_content(1, "2026-03", "t", a) == entry_content(1, "2026-03", "t", b)


def test_account_codes_name_every_part():
    assert OWED.code == "obligations:AL:GB:1:GBP"
    assert AccountKey("cash", "EUR", "DE").code == "cash:DE:-:-:EUR"
    with pytest.raises(ValueError):
        AccountKey("petty_cash", "GBP")
