from marshmallow import fields, validate

from contracts.common import Amount, CountryCode, CurrencyCode, Period, Rate, Schema


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
    account = fields.String(required=True)
    difference = Amount(required=True, metadata={"description": "on the valuation account, debit positive"})
    currency = fields.String(required=True)
    rate = Rate(required=True)
    balance = Amount(required=True)
    balance_currency = fields.String(required=True)


class RevaluationSchema(Schema):
    id = fields.Integer(required=True)
    period = fields.String(required=True)
    party = fields.String(required=True)
    reporting_currency = fields.String(required=True)
    entry = fields.Integer(allow_none=True)
    reversal_entry = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(RevaluationItemSchema), required=True)


class RevaluationListSchema(Schema):
    items = fields.List(fields.Nested(RevaluationSchema), required=True)
