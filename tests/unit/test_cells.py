"""The one spreadsheet-formula guard (OWASP "CSV injection"): text that a spreadsheet would evaluate gets a leading
apostrophe; a plain decimal, and any value that is not text, is written as it is."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.cells import looks_like_formula, neutralise


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                  "\tTAB", "\rCR", "=1", "=", "+AL", "\tGBP", "\r=cmd", "+1 555 0100", "-",
                                  # not plain decimals, though Python's Decimal would read most of them:
                                  "+5", "-1e5", "-1E+3", "-Infinity", "-NaN", "-12.", "-.5", "-12.50 ", "-12,50",
                                  "-1_000", "-\u0663", "\t5", "\r-1"])
def test_a_text_beginning_like_a_formula_gets_an_apostrophe(text):
    assert looks_like_formula(text) and neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["-12.50", "-3", "-0.0001", "12.50", "0", "-500.00"])
def test_a_plain_decimal_stays_a_number(text):
    assert not looks_like_formula(text) and neutralise(text) == text


@pytest.mark.parametrize("text", ["Republic of Rwanda", "GB-AL-2026-01", "", "a=b", "12-3", " =1", "'=already",
                                  "\n=1"])
def test_text_not_beginning_like_a_formula_is_left_alone(text):
    assert neutralise(text) == text


@pytest.mark.parametrize("value", [None, 7, -3, Decimal("-12.50"), date(2026, 3, 4), True])
def test_a_value_that_is_not_text_passes_unchanged(value):
    assert neutralise(value) is value and not looks_like_formula(value)
