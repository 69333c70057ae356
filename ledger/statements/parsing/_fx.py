"""What a bank states about a payment made in another currency: reading and normalising its exchange rate.

ISO 20022 `CurrencyExchange` (camt `AmtDtls/InstdAmt/CcyXchg`, `AmtDtls/TxAmt/CcyXchg`, …) defines
`SrcCcy` as the currency an amount is converted from, `TrgtCcy` as the currency it is converted into,
`XchgRate` as the factor that converts one into the other, and `UnitCcy` as the currency in which the rate
is expressed ("in the example 1GBP = xxxCUR, the unit currency is GBP"; ExchangeRate = UnitCurrency /
QuotedCurrency). So one unit of `UnitCcy` is worth `XchgRate` units of the other currency of the pair, and
without `UnitCcy` the rate converts source into target: 1 `SrcCcy` = `XchgRate` `TrgtCcy`.

The ledger keeps every rate one way round: units of the booked currency per one unit of the instructed one.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .errors import StatementParseError

_RATE = re.compile(r"\d+(\.\d+)?")


def exchange_rate(text: str | None, location: str | None) -> Decimal:
    """A stated rate as an exact Decimal, or a located error: rates are plain positive decimals."""
    value = (text or "").strip()
    if not _RATE.fullmatch(value):
        raise StatementParseError("invalid_fx_rate", f"{value!r} is not a decimal exchange rate", location)
    rate = Decimal(value)
    if rate <= 0:
        raise StatementParseError("invalid_fx_rate", "an exchange rate must be positive", location)
    return rate


def rate_per_instructed_unit(
    rate: Decimal, *, source: str, target: str | None, unit: str | None, booked: str, instructed: str
) -> Decimal | None:
    """`rate` as quoted by the bank, turned into units of `booked` per one unit of `instructed`.

    None when the exchange is between other currencies (one leg of a conversion through a third currency)
    or names a unit currency outside its pair: such a rate says nothing about this payment's two currencies.
    """
    unit = unit or source
    # TrgtCcy is optional: the pair is then the source and whichever of this payment's currencies it is not.
    other = target or (booked if source == instructed else instructed)
    if {source, other} != {booked, instructed} or unit not in (source, other):
        return None
    return rate if unit == instructed else Decimal(1) / rate
