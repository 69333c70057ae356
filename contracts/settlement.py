from marshmallow import fields, validate

from contracts.common import Id, Schema, UtcDateTime


class StatementArgs(Schema):
    agreement = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                              metadata={"description": "one agreement's statement: its numeric id or its reference"})


class ReportArgs(StatementArgs):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx", "pdf"]), metadata={
        "description": "json: the signed document(s); csv: a zip (application/zip) of one flat CSV per table "
                       "(ISO dates, plain decimal amounts beside a currency column) with each signed statement's "
                       "canonical JSON, its detached Ed25519 signature (.sig, raw) and public key (.key.pem); "
                       "xlsx: typed sheets, a summary and one per partner; pdf: A4, one section per partner"})
    party = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z]{2}$"), metadata={
        "description": "one partner's section alone (ISO 3166-1 alpha-2 code), with the signed statements of its "
                       "agreements; a partner may name only itself (another party is a 404)"})


class SettlementViewSchema(Schema):
    """A live statement for an open period, or the signed documents of a closed one."""

    period = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["open", "closed"]})
    statement = fields.Dict(metadata={"description": "the live statement (open periods)"})
    documents = fields.List(fields.Dict(), metadata={
        "description": "signed documents {statement, digest, signature, key_id, public_key} (closed periods). "
                       "`signature` (base64 Ed25519) and `digest` (SHA-256 hex) cover the statement's canonical JSON: "
                       "keys sorted, no whitespace, UTF-8 without \\u escapes (Python: json.dumps(statement, "
                       "sort_keys=True, separators=(',', ':'), ensure_ascii=False)); the key is the one of "
                       "GET /signing-key's `keys` whose key_id is statement.signing_key_id"})


class CloseResultSchema(Schema):
    period = fields.String()
    status = fields.String()
    statements = fields.List(fields.Dict())


class DisputedLineSchema(Schema):
    line = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "the statement line disputed, e.g. 'paid' or 'accrued'"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class AcknowledgementInSchema(Schema):
    agreement = Id(required=True)
    digest = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    accepted = fields.Boolean(required=True)
    disputed_lines = fields.List(fields.Nested(DisputedLineSchema), load_default=list)
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class AcknowledgementSchema(Schema):
    id = fields.Integer()
    period = fields.String()
    agreement_id = fields.Integer()
    party = fields.String(attribute="party_code")
    digest = fields.String()
    accepted = fields.Boolean()
    disputed_lines = fields.Method("_lines")
    reason = fields.String()
    acknowledged_at = fields.String()

    def _lines(self, obj):
        import json

        return json.loads(obj.disputed_lines)


class AcknowledgementListSchema(Schema):
    items = fields.List(fields.Nested(AcknowledgementSchema))


class PublishedKeySchema(Schema):
    key_id = fields.String(metadata={"description": "first 16 hex digits of the SHA-256 of the raw public key"})
    algorithm = fields.String()
    public_key = fields.String(metadata={"description": "base64 of the raw 32-byte Ed25519 public key"})
    public_key_pem = fields.String()
    status = fields.String(metadata={"description": "current or retired"})
    valid_from = UtcDateTime(allow_none=True)
    retired_at = UtcDateTime(allow_none=True, metadata={"description": "null while current"})


class SigningKeySchema(Schema):
    algorithm = fields.String()
    key_id = fields.String(metadata={"description": "the current key's id"})
    public_key = fields.String(metadata={"description": "base64 of the raw 32-byte Ed25519 public key"})
    public_key_pem = fields.String()
    keys = fields.List(fields.Nested(PublishedKeySchema), metadata={
        "description": "the current key first, then every retired key, newest first: a statement names its "
                       "key in statement.signing_key_id"})


class ReviewInSchema(Schema):
    agreement = Id(required=True)
    line = fields.String(required=True, validate=validate.Length(min=1, max=80), metadata={
        "description": "a figure of the agreement's signed statement ('accrued', 'closing') or one of its open "
                       "items as kind:id ('overdue_invoices:9', 'unreconciled_transfers:12')"})
    decision = fields.String(required=True, validate=validate.OneOf(["acknowledged", "disputed"]))
    comment = fields.String(load_default="", validate=validate.Length(max=2000),
                            metadata={"description": "required for a dispute: what is wrong"})


class ReviewSchema(Schema):
    id = fields.Integer()
    period = fields.String()
    agreement_id = fields.Integer()
    party = fields.String(attribute="party_code")
    line = fields.String()
    digest = fields.String(metadata={"description": "the signed statement reviewed"})
    decision = fields.String(metadata={"enum": ["acknowledged", "disputed"]})
    comment = fields.String()
    reviewed_at = UtcDateTime()
    resolved_at = UtcDateTime(allow_none=True, metadata={"description": "null while a dispute is open"})
    resolution = fields.String()


class ReviewListSchema(Schema):
    items = fields.List(fields.Nested(ReviewSchema), metadata={
        "description": "the review in force of each line (the latest), in the order made"})


class ResolveInSchema(Schema):
    resolution = fields.String(required=True, validate=validate.Length(min=1, max=2000))
