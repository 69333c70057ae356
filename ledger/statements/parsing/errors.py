"""Errors for statement files that cannot be read.

Every error carries a stable snake_case `code` for callers to branch on, a message that is safe to show
(it never quotes payment details, only the place and the kind of fault), and a `location` naming where in
the file the fault is ("line 12", "entry 3 (line 40)"), or None when the fault concerns the whole file, and,
where one field of a record is at fault, that field's name (`field`: "amount", "type_code", ...).
"""

from __future__ import annotations


class StatementParseError(ValueError):
    """A statement file that cannot be parsed.

    Codes: `unknown_format`, `malformed_xml`, `forbidden_doctype`, `truncated`, `missing_currency`,
    `invalid_amount`, `invalid_currency`, `invalid_date`, `invalid_entry`, `invalid_fx_rate`, `invalid_csv`,
    `invalid_mt940`, `unsupported_version`.
    """

    def __init__(self, code: str, message: str, location: str | None = None, field: str | None = None) -> None:
        self.code = code
        self.message = message
        self.location = location
        self.field = field
        super().__init__(f"{message} ({location})" if location else message)


class StatementFormatError(StatementParseError):
    """The content is none of the formats the ledger takes in (code `unknown_format`)."""

    def __init__(self, message: str, code: str = "unknown_format", location: str | None = None) -> None:
        super().__init__(code, message, location)
