"""Money: a Decimal amount in one ISO 4217 currency, quantised to that currency's minor units.

Built only from strings, ints or Decimals (never floats): a float has already lost the cents it was
meant to carry. Arithmetic refuses to mix currencies; rounding happens only where a caller asks for it,
half-even unless an agreement says otherwise.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from iso4217 import Currency

#: Larger than any treasury transfer; anything above is a typo or an attack, not money.
#: (Also keeps every amount, in 10**-4 units, inside a 64-bit integer on SQLite.)
MAX_ABS_AMOUNT = Decimal("1e14")

#: Codes that iso4217 lists but that are not money one can owe (precious metals, testing, "no currency").
_NOT_MONEY = {"XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XTS", "XXX", "XDR", "XSU", "XUA"}


#: Withdrawn ISO 4217 codes (list three) that old bank statements still carry: the euro legacy currencies.
#: Money can hold them, so such a statement imports; `is_currency` stays False, so nothing new is owed in them.
HISTORIC_MINOR_UNITS = {"DEM": 2, "FRF": 2, "NLG": 2, "ATS": 2, "FIM": 2, "IEP": 2}


class MoneyError(ValueError):
    """An amount or currency that cannot be money; the message is safe to show to a caller."""


class CurrencyMismatch(MoneyError):
    pass


@cache
def minor_units(currency: str) -> int:
    """The number of decimal places of `currency` (2 for GBP, 0 for JPY, 3 for BHD)."""
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isupper():
        raise MoneyError(f"{currency!r} is not an ISO 4217 currency code")
    try:
        exponent = Currency(currency).exponent
    except ValueError:
        raise MoneyError(f"{currency!r} is not an ISO 4217 currency code") from None
    if exponent is None or currency in _NOT_MONEY:
        raise MoneyError(f"{currency} is not a currency that payments can be made in")
    return exponent


def is_currency(code: str) -> bool:
    try:
        minor_units(code)
    except MoneyError:
        return False
    return True


def is_historic_currency(code: str) -> bool:
    return code in HISTORIC_MINOR_UNITS


@cache
def _quantum(currency: str) -> Decimal:
    if currency in HISTORIC_MINOR_UNITS:
        return Decimal(1).scaleb(-HISTORIC_MINOR_UNITS[currency])
    return Decimal(1).scaleb(-minor_units(currency))


def to_decimal(value: str | int | Decimal) -> Decimal:
    """A finite Decimal from a string, int or Decimal; floats and bools are refused outright."""
    if isinstance(value, bool | float):
        raise MoneyError("amounts must be decimal strings, not floating point numbers")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text or "e" in text or "E" in text or "_" in text or text.lower() in {"nan", "inf", "infinity"}:
            raise MoneyError(f"{value!r} is not a plain decimal amount")
        try:
            result = Decimal(text)
        except decimal.InvalidOperation:
            raise MoneyError(f"{value!r} is not a decimal amount") from None
    else:
        raise MoneyError(f"{type(value).__name__} is not an amount")
    if not result.is_finite():
        raise MoneyError("amounts must be finite")
    if abs(result) >= MAX_ABS_AMOUNT:
        raise MoneyError("amount is out of range")
    return result


def has_minor_units(amount: Decimal, currency: str) -> bool:
    """True when `amount` is written with exactly the currency's minor units: "20000.00" GBP, "1500" JPY;
    not "20000" GBP, "1500.000" EUR or "25000000.00" RWF (each a sign that the sender got the currency wrong)."""
    return amount.is_finite() and amount.as_tuple().exponent == _quantum(currency).as_tuple().exponent


def quantize(amount: Decimal, currency: str, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """Round `amount` to the currency's minor units: the one place where rounding is done."""
    return amount.quantize(_quantum(currency), rounding=rounding)


def in_minor_units(value: Decimal | None, currency: str | None) -> Decimal | None:
    """A stored amount (4 decimals in the database) back in its currency's minor units; an amount without a
    currency, or in one that ISO 4217 does not know, as stored."""
    if value is None or currency is None:
        return value
    try:
        return quantize(value, currency)
    except MoneyError:
        return value


@dataclass(frozen=True, slots=True, order=False)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise MoneyError("Money needs a Decimal amount; use Money.of() to parse")
        exact = quantize(self.amount, self.currency)
        if exact != self.amount:
            raise MoneyError(
                f"{self.amount} has more decimals than {self.currency} allows ({minor_units(self.currency)})"
            )
        # Store the canonical scale so equal amounts print alike ("5.00", never "5" or "5.000").
        object.__setattr__(self, "amount", exact)

    @classmethod
    def of(cls, value: str | int | Decimal, currency: str) -> Money:
        """Exact parse: refuses more decimals than the currency has (no silent rounding)."""
        return cls(to_decimal(value), currency)

    @classmethod
    def exact(cls, value: str | Decimal, currency: str) -> Money:
        """Parse an amount as a sender writes it: exactly the currency's minor units, no more, no fewer."""
        amount = to_decimal(value)
        if not has_minor_units(amount, currency):
            units, written = -_quantum(currency).as_tuple().exponent, max(-amount.as_tuple().exponent, 0)
            raise MoneyError(f"{value!s} has {'more' if written > units else 'fewer'} decimals than {currency} amounts "
                             f"are written with ({units})")
        return cls(amount, currency)

    @classmethod
    def rounded(cls, value: str | int | Decimal, currency: str, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Parse and round explicitly, for results of rules that divide or multiply by rates."""
        return cls(quantize(to_decimal(value), currency, rounding), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def times(self, factor: int | Decimal, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Multiply by a count or a rate, rounding the product explicitly."""
        if isinstance(factor, (float, bool)):
            raise MoneyError("factors must be int or Decimal")
        return Money(quantize(self.amount * factor, self.currency, rounding), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        """The wire form: a plain decimal string with exactly the currency's minor units."""
        return format(self.amount, "f")

    def __repr__(self) -> str:
        return f"Money('{self}', '{self.currency}')"


def total(items: list[Money] | tuple[Money, ...], currency: str) -> Money:
    """Sum of `items`, all in `currency` (an empty list sums to zero in that currency)."""
    result = Money.zero(currency)
    for item in items:
        result = result + item
    return result
