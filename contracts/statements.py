"""Wire schemas of imported bank statements and the transfers they carry."""

from marshmallow import fields, validate

from contracts.common import (
    CurrencyCode,
    Id,
    ListArgs,
    Money,
    PositiveMoney,
    Rate,
    Schema,
    UtcDateTime,
    page_schema,
)

BALANCE_CHECKS = ("ok", "mismatch", "unavailable")
TRANSFER_STATUSES = ("unmatched", "partially_matched", "matched")


class StatementUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={
        "type": "string", "format": "binary", "description": "camt.052/.053/.054, MT940 or CSV; detected from content"})


class StatementUploadOptions(Schema):
    currency = CurrencyCode(load_default=None, metadata={
        "description": "for MT940 exports that state no currency anywhere (no balance lines)"})


class StatementPartSchema(Schema):
    index = fields.Integer()
    account = fields.String(allow_none=True)
    party = fields.String(allow_none=True, attribute="party_code")
    currency = fields.String(allow_none=True)
    statement_id = fields.String(allow_none=True, attribute="bank_statement_id",
                                 metadata={"description": "the bank's id of the statement"})
    message_id = fields.String(allow_none=True)
    from_date = fields.Date(allow_none=True)
    to_date = fields.Date(allow_none=True)
    opening_balance = Money(allow_none=True)
    closing_balance = Money(allow_none=True)
    credits = Money(allow_none=True)
    debits = Money(allow_none=True)
    entries = fields.Integer()
    imported = fields.Integer()
    balance_check = fields.String(validate=validate.OneOf(BALANCE_CHECKS))
    unknown_account = fields.Boolean()


class StatementSchema(Schema):
    id = fields.Integer()
    format = fields.String(metadata={"example": "camt.053"})
    format_version = fields.String(allow_none=True, metadata={"example": "001.02"})
    account = fields.String(allow_none=True, metadata={"description": "null when the file covers several accounts"})
    party = fields.String(allow_none=True, attribute="party_code",
                          metadata={"description": "owner of the account; null while unknown"})
    currency = fields.String(allow_none=True)
    statements = fields.Integer(metadata={"description": "statements (Stmt/Rpt/Ntfctn, MT940 :20: blocks) in the file"})
    entries = fields.Integer(metadata={"description": "movements read (batch entries count per detail)"})
    imported = fields.Integer(metadata={"description": "new transfers stored"})
    duplicates = fields.Integer(metadata={"description": "booked movements already imported before"})
    not_booked = fields.Integer(metadata={"description": "pending or information-only entries, not stored"})
    opening_balance = Money(allow_none=True)
    closing_balance = Money(allow_none=True)
    balance_check = fields.String(validate=validate.OneOf(BALANCE_CHECKS))
    flags = fields.List(fields.String(), metadata={
        "description": "unknown_account, balance_mismatch, duplicates, not_booked_entries, multiple_accounts, "
                       "currency_differs_from_account, no_statements, cash_differs_from_statement (a closing "
                       "balance differs from the journal's cash at the bank account: a statement is missing)"})
    imported_at = UtcDateTime()
    voided_at = UtcDateTime(allow_none=True, metadata={"description": "when the import was voided; null if not"})
    voided_by = fields.String(allow_none=True)
    void_reason = fields.String(allow_none=True)


class StatementVoidSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "why the import is voided (kept with it and in the audit log)"})


class StatementDetailSchema(StatementSchema):
    parts = fields.List(fields.Nested(StatementPartSchema))


class StatementListArgs(ListArgs):
    account = fields.String(load_default=None)
    party = fields.String(load_default=None)


class TransferSchema(Schema):
    id = fields.Integer()
    statement = fields.Integer(attribute="statement_id")
    account = fields.String()
    party = fields.String(allow_none=True, attribute="party_code",
                          metadata={"description": "owner of the account; null while unknown"})
    counterparty_party = fields.String(allow_none=True)
    amount = Money()
    currency = fields.String()
    direction = fields.String(validate=validate.OneOf(("credit", "debit")))
    booking_date = fields.Date(allow_none=True)
    value_date = fields.Date(allow_none=True)
    bank_reference = fields.String(allow_none=True)
    end_to_end_id = fields.String(allow_none=True)
    uetr = fields.String(allow_none=True)
    structured_reference = fields.String(allow_none=True)
    remittance_information = fields.String(allow_none=True)
    counterparty_name = fields.String(allow_none=True)
    counterparty_iban = fields.String(allow_none=True)
    reversal = fields.Boolean()
    status = fields.String(validate=validate.OneOf(TRANSFER_STATUSES))
    allocated = Money()


class TransferFxSchema(Schema):
    """What the bank stated about a payment made in another currency."""

    transfer = fields.Integer(dump_only=True, attribute="transfer_id")
    instructed_amount = PositiveMoney(required=True, currency="instructed_currency",
                                      metadata={"description": "in the instructed currency"})
    instructed_currency = CurrencyCode(required=True, metadata={"description": "the invoice's currency, as a rule"})
    rate = Rate(load_default=None, allow_none=True,
                metadata={"description": "units of the transfer's currency per instructed unit; without it the "
                                         "instructed amount alone values the payment"})
    source = fields.String(load_default="officer", validate=validate.Length(min=1, max=100))


class TransferListArgs(ListArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(TRANSFER_STATUSES))
    party = fields.String(load_default=None)
    account = fields.String(load_default=None)
    statement = Id(load_default=None)


StatementPageSchema = page_schema(StatementSchema, "StatementPage")
TransferPageSchema = page_schema(TransferSchema, "TransferPage")
