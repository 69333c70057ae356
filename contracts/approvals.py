from marshmallow import fields, validate

from contracts.common import Amount, ListArgs, Schema, UtcDateTime, page_schema

STATUSES = ("pending", "approved", "rejected", "withdrawn")


class ApprovalSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"example": "write_off"})
    subject = fields.String(required=True, metadata={"example": "transfer:12"})
    summary = fields.String(required=True)
    amount = Amount(allow_none=True)
    currency = fields.String(allow_none=True)
    payload = fields.Dict(required=True, metadata={"description": "what approval will do, as the requester asked"})
    digest = fields.String(required=True, metadata={"description": "SHA-256 of kind, subject and payload: "
                                                                  "send it back to approve what you saw"})
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    requested_by = fields.String(required=True)
    requested_at = UtcDateTime(required=True)
    decided_by = fields.String(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    reason = fields.String()


ApprovalPageSchema = page_schema(ApprovalSchema, "ApprovalPage")


class ApprovalArgs(ListArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    kind = fields.String(load_default=None, validate=validate.Length(max=40))


class ApprovalApproveSchema(Schema):
    digest = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"),
                           metadata={"description": "the digest of the request as you saw it"})


class ApprovalRejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
