from marshmallow import fields, validate

from contracts.common import CountryCode, CurrencyCode, Money, Period, Rate, Schema


class FxRateSchema(Schema):
    id = fields.Integer(dump_only=True)
    currency = CurrencyCode(required=True, metadata={"example": "EUR"})
    quote_currency = CurrencyCode(required=True, metadata={"example": "GBP"})
    rate = Rate(required=True, metadata={"description": "1 currency = rate quote_currency, a decimal string",
                                         "example": "0.8612"})
    on = fields.Date(required=True)
    source = fields.String(load_default="recorded by an officer", validate=validate.Length(min=1, max=100))


class RevaluationCreateSchema(Schema):
    period = Period(required=True)
    party = CountryCode(load_default=None, metadata={"description": "one party; none: every party with a "
                                                                    "reporting_currency"})


class RevaluationItemSchema(Schema):
    """A journal line that revalues an open item."""

    account = fields.String(required=True, attribute="account.code")
    difference = Money(required=True, attribute="amount",
                       metadata={"description": "on the valuation account, debit positive"})
    currency = fields.String(required=True, attribute="amount.currency")
    rate = Rate(required=True, attribute="fx.rate")
    balance = Money(required=True, attribute="fx.original")
    balance_currency = fields.String(required=True, attribute="fx.original.currency")


class RevaluationSchema(Schema):
    id = fields.Integer(required=True)
    period = fields.String(required=True)
    party = fields.String(required=True, attribute="party_code")
    reporting_currency = fields.String(required=True)
    entry = fields.Integer(allow_none=True, attribute="entry_id")
    reversal_entry = fields.Integer(allow_none=True, attribute="reversal_entry_id")
    items = fields.List(fields.Nested(RevaluationItemSchema), required=True)


class RevaluationListSchema(Schema):
    items = fields.List(fields.Nested(RevaluationSchema), required=True)
