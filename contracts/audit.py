from marshmallow import fields

from contracts.common import ListArgs, Schema, page_schema


class AuditRecordSchema(Schema):
    seq = fields.Integer()
    at = fields.String(metadata={"format": "date-time"})
    principal = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String()
    request_id = fields.String()
    summary = fields.String()
    prev_hash = fields.String()
    hash = fields.String()


class AuditArgs(ListArgs):
    action = fields.String(load_default=None)
    object_type = fields.String(load_default=None)
    object_id = fields.String(load_default=None)


AuditPageSchema = page_schema(AuditRecordSchema, "AuditPage")
