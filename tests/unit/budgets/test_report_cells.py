"""The budget year's CSV keeps the settlement reports' one rule on formula text (`ledger.cells`)."""

import csv
import io

from ledger.budgets.years import BUDGET_COLUMNS, to_csv


def test_a_budget_line_named_like_a_formula_is_text_and_a_negative_figure_stays_a_number():
    line = dict.fromkeys(BUDGET_COLUMNS, "0.00") | {
        "budget_line": "=HYPERLINK(\"http://x\")", "fiscal_year": 2026, "agreement": None, "category": "-",
        "currency": "GBP", "available": "-500.00"}
    rows = list(csv.DictReader(io.StringIO(to_csv({"budget_lines": [line]}, "budget_lines").decode())))
    assert rows[0]["budget_line"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["category"] == "'-"
    assert (rows[0]["available"], rows[0]["agreement"], rows[0]["fiscal_year"]) == ("-500.00", "", "2026")
