"""Small helpers shared by the format parsers: amounts, dates, references."""

from __future__ import annotations

import re
from datetime import date

from stdnum import iso11649

from ledger.money import Money, MoneyError, is_currency, is_historic_currency

from .errors import StatementParseError

_RF_IN_TEXT = re.compile(r"\bRF\d{2}[0-9A-Z]{1,21}\b")
_RF_COMPACT = re.compile(r"RF\d{2}[0-9A-Z]{1,21}")
_LETTERS_AS_DIGITS = str.maketrans({chr(ord("A") + n): str(10 + n) for n in range(26)})
_AMOUNT = re.compile(r"-?\d+(\.\d+)?")


def money(value: str | None, currency: str | None, location: str | None) -> Money:
    """An exact, non-negative Money from statement text, or a located error (never rounds)."""
    if not currency:
        raise StatementParseError("missing_currency", "an amount has no currency", location)
    currency = currency_code(currency, location)
    text = (value or "").strip()
    if not _AMOUNT.fullmatch(text):
        raise StatementParseError("invalid_amount", f"{text!r} is not a decimal amount", location)
    try:
        return Money.of(text, currency)
    except MoneyError as exc:
        raise StatementParseError("invalid_amount", str(exc), location) from None


#: Currency texts already accepted by `currency_code`, with the code each stands for: a statement names the same
#: one or two currencies on every amount. Bounded, as the texts come from the file.
_ACCEPTED_CURRENCIES: dict[str, str] = {}
_ACCEPTED_CURRENCIES_MAX = 1024


def currency_code(value: str | None, location: str | None) -> str:
    """An ISO 4217 code from statement text, or a located error."""
    accepted = _ACCEPTED_CURRENCIES.get(value)  # type: ignore[arg-type]
    if accepted is not None:
        return accepted
    currency = (value or "").strip().upper()
    # Withdrawn codes (DEM, NLG, ...) appear in archived statements; they import, though nothing is owed in them.
    if not (is_currency(currency) or is_historic_currency(currency)):
        raise StatementParseError("invalid_currency", f"{currency!r} is not an ISO 4217 currency", location)
    if value and len(_ACCEPTED_CURRENCIES) < _ACCEPTED_CURRENCIES_MAX:
        _ACCEPTED_CURRENCIES[value] = currency
    return currency


def iso_date(value: str | None, location: str | None) -> date | None:
    """The date part of an ISO date or date-time (the bank's local date as written), None when empty."""
    if not value or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise StatementParseError("invalid_date", f"{value.strip()!r} is not an ISO date", location) from None


def rf_scheme(reference: str | None) -> bool:
    """Whether `reference` is a valid ISO 11649 creditor reference (RF + check digits)."""
    return bool(reference) and _rf_valid(reference)


def _rf_valid(reference: str) -> bool:
    """`iso11649.is_valid`, with the check computed here for a reference already in compact form (as statements
    carry them; python-stdnum cleans and converts it character by character, once per imported entry)."""
    if _RF_COMPACT.fullmatch(reference):
        return int((reference[4:] + reference[:4]).translate(_LETTERS_AS_DIGITS)) % 97 == 1
    return iso11649.is_valid(reference)


def rf_from_text(text: str | None) -> str | None:
    """The first valid ISO 11649 reference written inside free text, as payers often do."""
    if not text:
        return None
    for match in _RF_IN_TEXT.finditer(text.upper()):
        if _rf_valid(match.group(0)):
            return match.group(0)
    return None


def join_text(parts: list[str]) -> str | None:
    text = " ".join(" ".join(p.split()) for p in parts if p and p.strip())
    return text or None
