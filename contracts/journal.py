from marshmallow import fields, validate

from contracts.common import Amount, Id, ListArgs, Money, Period, Schema, page_schema


class AccountArgs(ListArgs):
    as_of = fields.Date(load_default=None, metadata={"description": "balances as of the end of this date"})
    period = Period(load_default=None, metadata={"description": "balances as of this period's end"})
    purpose = fields.String(load_default=None)
    party = fields.String(load_default=None)
    agreement_id = Id(load_default=None)
    bank_account = fields.String(load_default=None, metadata={
        "description": "the accounts of one bank account (cash, suspense, conversions, opening balance)"})


class AccountSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    purpose = fields.String()
    party = fields.String(attribute="party_code", allow_none=True)
    counterparty = fields.String(attribute="counterparty_code", allow_none=True)
    agreement_id = fields.Integer(allow_none=True)
    currency = fields.String()
    bank_account = fields.String(allow_none=True, metadata={
        "description": "for money at a bank: the bank account (IBAN, or the BBAN its statements use)"})
    balance = Money(metadata={"description": "debit positive, credit negative"})


class PostingSchema(Schema):
    line = fields.Integer()
    account = fields.String()
    currency = fields.String()
    amount = Amount()
    fx_rate = fields.String(allow_none=True)
    fx_source = fields.String(allow_none=True)
    original_amount = Amount(allow_none=True)
    original_currency = fields.String(allow_none=True)


class EntrySchema(Schema):
    id = fields.Integer()
    effective_date = fields.Date()
    period = fields.String()
    source_type = fields.String()
    source_id = fields.String()
    memo = fields.String()
    reverses_id = fields.Integer(allow_none=True)
    created_at = fields.String()
    prev_hash = fields.String()
    hash = fields.String()
    postings = fields.List(fields.Nested(PostingSchema))


class EntryArgs(ListArgs):
    period = Period(load_default=None)
    source_type = fields.String(load_default=None)
    source_id = fields.String(load_default=None)
    account = fields.String(load_default=None, metadata={"description": "account code"})


class ExportArgs(Schema):
    format = fields.String(load_default="beancount", validate=validate.OneOf(["beancount"]))


AccountPageSchema = page_schema(AccountSchema, "AccountPage")
EntryPageSchema = page_schema(EntrySchema, "EntryPage")
