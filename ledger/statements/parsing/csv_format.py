"""CSV statements: one transfer per row, columns named by a header row.

Column mapping (header names are matched case-insensitively, surrounding blanks ignored; the delimiter
is `,`, `;` or a tab, detected from the header row; the file is UTF-8, with or without BOM):

| column              | required | meaning                                                               |
|---------------------|----------|-----------------------------------------------------------------------|
| `account_iban`      | yes      | the ledger's own account the row is booked on (IBAN or other id)      |
| `booking_date`      | yes      | ISO date `YYYY-MM-DD`                                                 |
| `value_date`        | no       | ISO date                                                              |
| `amount`            | yes      | plain decimal with `.` (`1234.50`); no thousands separators           |
| `currency`          | yes      | ISO 4217 code; a row without one fails with `missing_currency`        |
| `direction`         | no       | `credit`/`debit` (also `C`/`D`, `CRDT`/`DBIT`); when the column is    |
|                     |          | absent or empty, `amount` is signed: negative is a debit              |
| `counterparty_name` | no       |                                                                       |
| `counterparty_iban` | no       |                                                                       |
| `reference`         | no       | structured creditor reference (RF… or other scheme)                   |
| `end_to_end_id`     | no       |                                                                       |
| `bank_reference`    | no       | the bank's own id of the movement (makes re-imports exact)            |
| `remittance`        | no       | unstructured remittance text                                          |
| `uetr`              | no       |                                                                       |
| `reversal`          | no       | `true`/`false` (also `1`/`0`, `yes`/`no`)                            |

Other columns are ignored. A CSV file carries no balances, so its balance check is `unavailable`. It is
read row by row: memory does not grow with the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

from ._build import build_transfer
from ._common import iso_date, money
from .errors import StatementParseError
from .model import BalanceTracker, OccurrenceCounter, ParsedStatement, clean_reference

REQUIRED_COLUMNS = ("account_iban", "booking_date", "amount", "currency")
KNOWN_COLUMNS = REQUIRED_COLUMNS + (
    "value_date", "direction", "counterparty_name", "counterparty_iban", "reference", "end_to_end_id",
    "bank_reference", "remittance", "uetr", "reversal",
)
_DIRECTIONS = {"credit": "credit", "c": "credit", "crdt": "credit", "cr": "credit",
               "debit": "debit", "d": "debit", "dbit": "debit", "dr": "debit"}
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}


def header_columns(first_line: str) -> list[str]:
    """The normalised column names of a header row, whichever delimiter it uses."""
    delimiter = _delimiter(first_line)
    return [c.strip().strip('"').strip().lower() for c in first_line.strip().split(delimiter)]


def looks_like_csv(first_line: str) -> bool:
    columns = set(header_columns(first_line))
    return all(c in columns for c in REQUIRED_COLUMNS)


def _delimiter(line: str) -> str:
    return max((",", ";", "\t"), key=line.count)


def parse_csv(stream: BinaryIO) -> Iterator[Any]:
    """Yield one statement header (account None: each row names its account), the rows, then the end."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
        if not first.strip():
            raise StatementParseError("invalid_csv", "the CSV file has no header row", "line 1")
        columns = header_columns(first)
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise StatementParseError("invalid_csv", f"the CSV header lacks {', '.join(missing)}", "line 1")
        header = ParsedStatement(format="csv", format_version=None, index=1, account=None, currency=None,
                                 statement_id=None, message_id=None, opening_balance=None,
                                 closing_balance=None, from_date=None, to_date=None, location="line 1")
        yield header
        tracker = BalanceTracker(header)
        occurrences = OccurrenceCounter()
        reader = csv.reader(text, delimiter=_delimiter(first), strict=True)
        for row in reader:
            line = reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise StatementParseError("invalid_csv", f"the row has {len(row)} columns, the header "
                                          f"{len(columns)}", f"line {line}")
            transfer = _row(dict(zip(columns, (c.strip() for c in row), strict=True)), occurrences, line)
            tracker.add(transfer)
            yield transfer
        yield tracker.end()
    except UnicodeDecodeError:
        raise StatementParseError("invalid_csv", "the CSV file is not UTF-8 text", None) from None
    except csv.Error as exc:
        raise StatementParseError("invalid_csv", f"the CSV file cannot be read: {exc}", None) from None
    finally:
        text.detach()


def _row(row: dict[str, str], occurrences: OccurrenceCounter, line: int):
    location = f"line {line}"
    account = row["account_iban"].replace(" ", "")
    if not account:
        raise StatementParseError("invalid_entry", "the row has no account_iban", location)
    raw_amount = row["amount"]
    direction_text = row.get("direction", "").lower()
    if direction_text:
        if direction_text not in _DIRECTIONS:
            raise StatementParseError("invalid_entry", f"{row['direction']!r} is not credit or debit", location)
        direction = _DIRECTIONS[direction_text]
        if raw_amount.startswith("-"):
            raise StatementParseError("invalid_amount", "amounts must be positive when a direction is given",
                                      location)
    else:
        direction = "debit" if raw_amount.startswith("-") else "credit"
    amount = money(raw_amount.lstrip("+-"), row["currency"], location)
    booking_date = iso_date(row["booking_date"], location)
    if booking_date is None:
        raise StatementParseError("invalid_date", "the row has no booking_date", location)
    reversal_text = row.get("reversal", "").lower()
    if reversal_text not in _TRUE | _FALSE:
        raise StatementParseError("invalid_entry", f"{row['reversal']!r} is not true or false", location)
    reference = clean_reference(row.get("reference"))
    iban = row.get("counterparty_iban", "").replace(" ", "").upper() or None
    return build_transfer(
        occurrences=occurrences,
        account=account,
        amount=amount,
        direction=direction,  # type: ignore[arg-type]
        booking_date=booking_date,
        value_date=iso_date(row.get("value_date"), location),
        entry_reference=clean_reference(row.get("bank_reference")),
        detail_reference=None,
        end_to_end_id=clean_reference(row.get("end_to_end_id")),
        uetr=clean_reference(row.get("uetr")),
        structured_reference=reference,
        structured_type_is_scor=reference is not None,
        remittance_information=" ".join(row.get("remittance", "").split()) or None,
        counterparty_name=" ".join(row.get("counterparty_name", "").split()) or None,
        counterparty_iban=iban,
        reversal=reversal_text in _TRUE,
        status="booked",
        statement_index=1,
        entry_index=line - 1,
        detail_index=None,
        location=location,
    )
