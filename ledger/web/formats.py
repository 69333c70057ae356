"""How values look on the pages: ISO dates, amounts with their currency and their currency's decimals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from markupsafe import Markup, escape

from ledger.money import Money, MoneyError, minor_units

MINUS = "\u2212"  # a real minus sign: a hyphen is easy to miss in a column of figures


def amount(value: Decimal | int | str | None, currency: str | None = None) -> str:
    """`1,234.50` for 1234.5 GBP; the currency's own number of decimals; a minus sign, never colour only."""
    if value is None:
        return ""
    number = Decimal(value) if not isinstance(value, Decimal) else value
    try:
        places = minor_units(currency) if currency else 2
    except MoneyError:
        places = 2
    text = f"{abs(number):,.{places}f}"
    return f"{MINUS}{text}" if number < 0 else text


def money(value: Money | list[Money] | None, currency: str | None = None) -> Markup:
    """An amount followed by its currency code, kept on one line (several amounts: one per line)."""
    if value is None:
        return Markup("")
    if isinstance(value, (list, tuple)):
        return Markup("<br>").join(money(each) for each in value)
    if isinstance(value, Money):
        number, currency = value.amount, value.currency
    else:
        number = value
    figure = escape(amount(number, currency))
    return Markup(f"{figure}&nbsp;{escape(currency)}") if currency else Markup(figure)


def isodate(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat()


def isotime(value: datetime | str | None) -> str:
    """`2026-11-26T05:48:15Z`: ISO 8601 in UTC, to the second."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


FILTERS = {"money": money, "amount": amount, "isodate": isodate, "isotime": isotime}
