"""Text written to a spreadsheet is data, never a formula (OWASP "CSV injection").

One rule for every CSV file and XLSX workbook the ledger writes: a text that starts with `=`, `+`, `-`, `@`, a tab
or a carriage return is what a spreadsheet may evaluate (`=HYPERLINK(...)`, `@SUM(...)`, `+cmd|...`), so it is
written with a leading apostrophe, which spreadsheets read as "this cell is text" and do not show. A plain decimal
such as `-500.00` (an amount, a count) is a number, not a formula, and stays as it is: only ASCII digits with an
optional minus and decimal part count as one (`+5`, `-1e5`, `-Infinity` or `-٣` are quoted). Values that are not
text (numbers, dates, None) pass unchanged. Pure: no I/O, no openpyxl.
"""

from __future__ import annotations

import re
from typing import TypeVar

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
V = TypeVar("V")


def looks_like_formula(value: object) -> bool:
    """Would a spreadsheet read this text as a formula? A plain (negative) decimal is a number, not one."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value)


def neutralise(value: V) -> V:
    """The value as written to a spreadsheet: a text that would be a formula gets a leading apostrophe; any other
    value (numbers, dates, None, safe text, a plain decimal) unchanged."""
    return "'" + value if looks_like_formula(value) else value  # type: ignore[return-value, operator]
