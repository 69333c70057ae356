"""Wire types shared by every resource: money strings, currencies, countries, lists and problems.

These fields validate input and describe themselves in the OpenAPI document from the same code, so the
contract cannot drift from what the service accepts.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from decimal import Decimal

import marshmallow as ma
import pycountry
from marshmallow import ValidationError, fields, validate

from contracts.dumping import CompiledSchema
from ledger.facts import spoofing_problem
from ledger.money import Money as MoneyValue
from ledger.money import MoneyError, in_minor_units, is_currency, minor_units, to_decimal

AMOUNT_PATTERN = r"^-?[0-9]{1,14}(\.[0-9]{1,4})?$"
_AMOUNT_RE = re.compile(AMOUNT_PATTERN)

EU_EXTRA_ALPHA2 = {"XK": "Kosovo"}  # used by the EU and the IBAN registry; not (yet) assigned by ISO
EU_EXTRA_ALPHA3 = {"XKX": "Kosovo"}


def _meta(kwargs: dict, **defaults) -> dict:
    """Field documentation defaults, overridable by the caller's own metadata."""
    return {**defaults, **kwargs.pop("metadata", {})}


def is_country(code: str) -> bool:
    return code in EU_EXTRA_ALPHA2 or pycountry.countries.get(alpha_2=code) is not None


def country_name(code: str) -> str:
    if code in EU_EXTRA_ALPHA2:
        return EU_EXTRA_ALPHA2[code]
    return pycountry.countries.get(alpha_2=code).name


class Schema(CompiledSchema):
    """Unknown fields are an error: a typo in a partner's field name must not be silently ignored. Dumped by a plan
    compiled once per instance (`contracts.dumping`), to the same output as marshmallow's."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def _refuse_nul(self, data, **kwargs):
        """No text field may hold a NUL character: PostgreSQL cannot store one (a 500 if it got that far)."""
        where = _nul_in(data)
        if where is not None:
            raise ma.ValidationError({where or "_schema": ["must not contain a NUL character"]})
        return data


def _nul_in(value, path: str = "") -> str | None:
    """The dotted path of the first string (or key) holding a NUL, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return path or "_schema"
            found = _nul_in(item, name)
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _nul_in(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def plain_text(value: str) -> None:
    """Validator for identifiers, references and names: no control or bidirectional characters, which could make
    one reference display as another (`ledger.facts.spoofing_problem`)."""
    problem = spoofing_problem(value)
    if problem is not None:
        raise ValidationError(problem)


def Reference(*, length: validate.Length, **kwargs) -> fields.String:
    """A string naming something (an invoice number, a decision or case reference, a name): `length`, and
    `plain_text`."""
    return fields.String(validate=[length, plain_text], **kwargs)


class UtcDateTime(fields.DateTime):
    """A timestamp always sent with its UTC offset. SQLite hands `DateTime(timezone=True)` columns back naive
    (they were stored as UTC), which `fields.DateTime` would send without an offset: not an RFC 3339 date-time."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class Amount(fields.String):
    """A decimal string such as "20000.00"; a JSON number is refused (floats lose money)."""

    def __init__(self, **kwargs):
        metadata = _meta(kwargs, pattern=AMOUNT_PATTERN, example="20000.00",
                         description="decimal string with the currency's minor units")
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if isinstance(value, MoneyValue):
            return str(value)
        return format(value, "f")

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if not isinstance(value, str):
            raise ValidationError("must be a decimal string such as \"20000.00\", not a JSON number")
        if not _AMOUNT_RE.match(value):
            raise ValidationError("must be a plain decimal string such as \"20000.00\" "
                                  "(at most 14 digits before the point)")
        try:
            return to_decimal(value)
        except MoneyError as error:
            raise ValidationError(str(error)) from None


class Money(Amount):
    """An amount sent as money: a decimal string with exactly its currency's minor units ("20000.00" GBP, "1500"
    JPY; stored amounts carry the database's four decimals), the currency read from the object's attribute that
    `currency` names (dotted: through attributes). A `ledger.money.Money` is sent as it is; an amount without a
    currency (a bank statement that states none) as it is stored."""

    def __init__(self, *, currency: str = "currency", **kwargs):
        self.currency = currency
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None or isinstance(value, MoneyValue):
            return super()._serialize(value, attr, obj, **kwargs)
        return format(in_minor_units(Decimal(value), _read(obj, self.currency)), "f")


def _read(obj, name: str):
    """`name` of `obj` (a dotted path reads through attributes)."""
    for part in name.split("."):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


def _positive(amount: Decimal) -> Decimal:
    if amount <= 0:
        raise ValidationError("must be greater than zero")
    return amount


class PositiveAmount(Amount):
    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        return _positive(super()._deserialize(value, attr, data, **kwargs))


class PositiveMoney(Money):
    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        return _positive(super()._deserialize(value, attr, data, **kwargs))


class Rate(fields.String):
    """An exchange rate as a decimal string such as "1.15" (never a JSON number), sent without trailing zeros."""

    _PLAIN = re.compile(r"^\d{1,12}(\.\d{1,12})?$")

    def __init__(self, **kwargs):
        super().__init__(metadata=_meta(kwargs, pattern=self._PLAIN.pattern, example="1.15"), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format(Decimal(value).normalize(), "f")

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if not isinstance(value, str) or not self._PLAIN.match(value):
            raise ValidationError('must be a plain decimal string such as "1.15", not a JSON number')
        return Decimal(value)


class _Code(fields.String):
    """A code from a standard's list: `PATTERN` and `EXAMPLE` document it, `known` checks it."""

    PATTERN = EXAMPLE = LIST = ""

    def __init__(self, **kwargs):
        super().__init__(metadata=_meta(kwargs, pattern=self.PATTERN, example=self.EXAMPLE), **kwargs)

    def known(self, code: str) -> bool:
        raise NotImplementedError

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        code = super()._deserialize(value, attr, data, **kwargs)
        if not self.known(code):
            raise ValidationError(f"{code!r} is not an {self.LIST} code")
        return code


class CurrencyCode(_Code):
    PATTERN, EXAMPLE, LIST = "^[A-Z]{3}$", "GBP", "ISO 4217 currency"

    def known(self, code: str) -> bool:
        return is_currency(code)


class CountryCode(_Code):
    """ISO 3166-1 alpha-2, plus XK for Kosovo."""

    PATTERN, EXAMPLE, LIST = "^[A-Z]{2}$", "AL", "ISO 3166-1 alpha-2 country"

    def known(self, code: str) -> bool:
        return is_country(code)


class Nationality(_Code):
    """ISO 3166-1 alpha-3, plus XKX for Kosovo."""

    PATTERN, EXAMPLE, LIST = "^[A-Z]{3}$", "IRN", "ISO 3166-1 alpha-3 country"

    def known(self, code: str) -> bool:
        return code in EU_EXTRA_ALPHA3 or pycountry.countries.get(alpha_3=code) is not None


#: The last period whose end is a date: 9999-12 ends on 10000-01-01, past the calendar (a 500 further on).
LAST_PERIOD = "9999-11"



def period_in_calendar(value: str) -> bool:
    """A well-formed period whose first and last days are dates (0001-01 to 9999-11)."""
    return "0001-01" <= value <= LAST_PERIOD


class Period(fields.String):
    def __init__(self, **kwargs):
        super().__init__(
            validate=[validate.Regexp(r"^[0-9]{4}-(0[1-9]|1[0-2])$", error="must be a period YYYY-MM"),
                      _in_calendar],
            metadata=_meta(kwargs, pattern="^[0-9]{4}-(0[1-9]|1[0-2])$", example="2026-03"),
            **kwargs,
        )


def _in_calendar(value: str) -> None:
    if not period_in_calendar(value):
        raise ValidationError(f"must be a period from 0001-01 to {LAST_PERIOD}")


def money_of(amount: Decimal, currency: str, field: str) -> MoneyValue:
    """Combine an amount field with its currency, naming the field unless the amount is written with exactly the
    currency's minor units ("20000" GBP and "1500.000" EUR are refused like "1.234" GBP: the sender has the
    currency or the amount wrong)."""
    try:
        return MoneyValue.exact(amount, currency)
    except MoneyError:
        raise ValidationError(
            f"{currency} amounts are written with exactly {minor_units(currency)} decimals", field_name=field
        ) from None


# ---- lists -------------------------------------------------------------------------------------------

#: The largest integer an id column holds on every database we run on (SQLModel's `int` is INTEGER, 32-bit on
#: PostgreSQL): larger numbers name nothing.
MAX_ID = 2**31 - 1


def Id(**kwargs) -> fields.Integer:
    """An integer naming a stored object: 1..MAX_ID, so 10**30 is a 422 rather than an overflow (a 500) in the
    database driver. Use it for every id-like integer a caller sends (query, body)."""
    kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
    return fields.Integer(**kwargs)


class ListArgs(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    cursor = fields.String(load_default=None)


def encode_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationError("not a cursor this service gave out", field_name="cursor") from None


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """`{"items": [...], "next_cursor": "…" | null}` for a given item schema."""
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "next_cursor": fields.String(allow_none=True, required=True),
    })


class ProblemSchema(Schema):
    """RFC 9457 problem details (documentation of every error response)."""

    class Meta:
        unknown = ma.INCLUDE

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    request_id = fields.String()
