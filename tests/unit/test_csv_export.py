"""A table's CSV export: text a spreadsheet would run as a formula opens as text; computed numbers stay numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.cells import neutralise
from ledger.money import Money
from ledger.web.export import cells, header
from ledger.web.tables import Column


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                  "\tTAB", "\rCR"])
def test_a_cell_beginning_like_a_formula_is_neutralised(text):
    assert neutralise(text) == "'" + text


def test_plain_text_is_left_alone():
    assert neutralise("Republic of Rwanda") == "Republic of Rwanda" and neutralise("") == ""


def test_text_in_a_column_is_neutralised_but_a_computed_negative_number_is_not():
    memo = Column("memo", "Memo")
    amount = Column("amount", "Amount", kind="money")
    count = Column("n", "Count", kind="number")
    assert cells(memo, "=1+1") == ["'=1+1"]
    assert cells(amount, Money(Decimal("-12.50"), "GBP")) == ["-12.50", "GBP"]
    assert cells(count, -3) == ["-3"]
    # A plain decimal is a number whether it came as a Decimal or as text (no formula either way), as in the other
    # spreadsheets the ledger writes; text that only begins like one is neutralised.
    assert cells(memo, "-3") == ["-3"] and cells(memo, "-3+cmd") == ["'-3+cmd"]
    several = [Money(Decimal("-12.50"), "GBP"), Money(Decimal("3.00"), "EUR")]
    assert cells(amount, several[:1]) == ["-12.50", "GBP"]
    assert cells(amount, several) == ["'-12.50; 3.00", "GBP; EUR"]  # two figures in one cell: text
    assert header([memo, amount]) == ["Memo", "Amount", "Amount (currency)"]
