"""The one rule that keeps partner text from becoming a spreadsheet formula (OWASP CSV injection)."""

from datetime import date

import pytest

from ledger.settlement.cells import looks_like_formula, neutralise


@pytest.mark.parametrize("text", ["=1+1", '=HYPERLINK("http://evil.example","x")', "+AL", "-2+3", "@SUM(A1)",
                                  "\tGBP", "\r=cmd", "-", "=", "+1 555 0100"])
def test_formula_starts_are_neutralised(text):
    assert looks_like_formula(text)
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["-500.00", "-1", "12.50", "0", "GB-AL-2026-01", "a=b", " =1", "", "'=already",
                                   None, 7, date(2026, 3, 4)])
def test_everything_else_is_kept_as_it_is(value):
    assert not looks_like_formula(value)
    assert neutralise(value) == value
