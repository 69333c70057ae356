"""Payment batches (pain.001), their transfers, approvals and the bank's status reports (pain.002)."""

from marshmallow import fields, validate

from contracts.common import Amount, Id, ListArgs, Money, PositiveAmount, Schema, UtcDateTime, page_schema

BATCH_STATUSES = ("proposed", "approved", "released", "cancelled")
ITEM_STATUSES = ("proposed", "held", "ordered", "accepted", "rejected", "paid", "cancelled")
_DIGEST = validate.Regexp(r"^[0-9a-f]{64}$")


class PaymentItemSchema(Schema):
    id = fields.Integer(required=True)
    invoice = fields.Integer(required=True, allow_none=True, attribute="invoice_id",
                             metadata={"description": "the invoice paid (null when a cost claim is)"})
    claim = fields.Integer(allow_none=True, attribute="claim_id",
                           metadata={"description": "the accepted EU cost claim paid, whole (null when an invoice is)"})
    obligation = fields.Integer(allow_none=True, attribute="obligation_id",
                                metadata={"description": "the agreement's advance paid, whole, with no invoice asking "
                                                         "for it (null otherwise)"})
    payee = fields.String(required=True, attribute="payee_code")
    amount = Money(required=True)
    currency = fields.String(required=True)
    creditor_name = fields.String(required=True)
    creditor_account = fields.String(required=True, metadata={"description": "IBAN, or the account number "
                                                                             "outside IBAN countries"})
    creditor_bic = fields.String(allow_none=True)
    remittance = fields.String(required=True, metadata={"description": "the RF creditor reference, else the "
                                                                       "invoice number; a cost claim's reference "
                                                                       "(CC-42); an advance's agreement reference and "
                                                                       "obligation key (RW-GB-2026/advance)"})
    remittance_structured = fields.Boolean(required=True, attribute="remittance_is_rf")
    end_to_end_id = fields.String(required=True, metadata={"example": "RLP-12-3"})
    status = fields.String(required=True, validate=validate.OneOf(ITEM_STATUSES))
    hold_reason = fields.String(allow_none=True)
    status_reason = fields.String(allow_none=True, metadata={"description": "the bank's reason code (pain.002)"})
    transfer = fields.Integer(allow_none=True, attribute="transfer_id",
                              metadata={"description": "the bank's debit, once matched"})
    match = fields.Integer(allow_none=True, attribute="match_id")


class PaymentApprovalSchema(Schema):
    by = fields.String(required=True)
    at = UtcDateTime(required=True)
    digest = fields.String(required=True)
    current = fields.Boolean(required=True, metadata={"description": "given on the batch's current digest "
                                                                     "(only those count)"})


class PaymentBatchSummarySchema(Schema):
    """A batch as listed (without its transfers)."""

    id = fields.Integer(required=True)
    debtor_party = fields.String(required=True)
    debtor_account = fields.String(required=True)
    currency = fields.String(required=True)
    due_by = fields.Date(required=True)
    execution_date = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(BATCH_STATUSES))
    total = Amount(required=True)
    digest = fields.String(required=True, metadata={"description": "SHA-256 of what an approver approves: send "
                                                                  "it back to approve"})
    approvals_required = fields.Integer(required=True)
    approvals = fields.List(fields.Nested(PaymentApprovalSchema), required=True)
    prepared_by = fields.String(required=True)
    created_at = UtcDateTime(required=True)
    released_by = fields.String(allow_none=True)
    released_at = UtcDateTime(allow_none=True)
    message_id = fields.String(allow_none=True)
    file_sha256 = fields.String(allow_none=True)
    version = fields.Integer(required=True)


class PaymentBatchSchema(PaymentBatchSummarySchema):
    items = fields.List(fields.Nested(PaymentItemSchema), required=True)


PaymentBatchPageSchema = page_schema(PaymentBatchSummarySchema, "PaymentBatchPage")


class PaymentBatchArgs(ListArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(BATCH_STATUSES))


class PaymentBatchCreateSchema(Schema):
    debtor_account = fields.String(required=True, validate=validate.Length(min=5, max=34),
                                   metadata={"example": "GB33BUKB20201555555555"})
    due_by = fields.Date(required=True)
    execution_date = fields.Date(required=True)
    invoices = fields.List(Id(), load_default=None, validate=validate.Length(min=1, max=10_000),
                           metadata={"description": "pay only these invoices (else every approved invoice due "
                                                    "by `due_by` in the account's currency)"})


class PaymentItemPatchSchema(Schema):
    held = fields.Boolean(metadata={"description": "true: do not pay this yet (needs hold_reason)"})
    hold_reason = fields.String(validate=validate.Length(min=1, max=500))
    amount = PositiveAmount(metadata={"description": "pay part of what is open"})


class PaymentApproveSchema(Schema):
    digest = fields.String(required=True, validate=_DIGEST,
                           metadata={"description": "the digest of the batch as you saw it"})


class PaymentStatusUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "an ISO 20022 pain.002 status report"})


class PaymentStatusSchema(Schema):
    id = fields.Integer(required=True)
    batch = fields.Integer(required=True)
    group_status = fields.String(allow_none=True)
    accepted = fields.List(fields.String(), required=True)
    rejected = fields.List(fields.String(), required=True)


class OverrideLineSchema(Schema):
    line = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PaymentOverrideSchema(Schema):
    invoice = Id(required=True)
    overrides = fields.List(fields.Nested(OverrideLineSchema), required=True, validate=validate.Length(min=1))
