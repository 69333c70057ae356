"""Partner text in spreadsheets is data, never a formula (OWASP "CSV injection").

One rule for the CSV files and the XLSX workbook: a text that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is what a spreadsheet may evaluate (`=HYPERLINK(...)`, `@SUM(...)`, `+cmd|...`), so it is written with a
leading apostrophe, which spreadsheets read as "this cell is text" and do not show. A plain decimal such as
`-500.00` is a number, not a formula, and stays as it is. Pure: no I/O, no openpyxl.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def looks_like_formula(value: object) -> bool:
    """Would a spreadsheet read this text as a formula? A plain (negative) decimal is a number, not one."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value)


def neutralise(value: object) -> object:
    """The text as written to a spreadsheet: prefixed with an apostrophe when it would be a formula; any other
    value (numbers, dates, None, safe text) unchanged."""
    return "'" + value if looks_like_formula(value) else value
