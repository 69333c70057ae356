"""Wire schemas for reconciliation runs and matches."""

from __future__ import annotations

import json

from marshmallow import ValidationError, fields, validate, validates_schema

from contracts.common import Amount, Id, ListArgs, PositiveAmount, Schema, UtcDateTime, page_schema

MATCH_STATUSES = ("auto", "proposed", "confirmed", "rejected", "reversed")


class RunCreateSchema(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "match and count, but store no matches and post nothing"})


class _JsonObject(fields.Dict):
    """An object stored as JSON text (the run's `per_rule`)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(json.loads(value) if isinstance(value, str) else value, attr, obj, **kwargs)


class RunSchema(Schema):
    id = fields.Integer()
    dry_run = fields.Boolean()
    auto_matched = fields.Integer(metadata={"description": "matches posted at once (unique, strong evidence)"})
    proposed = fields.Integer(metadata={"description": "matches waiting for an officer's review"})
    unmatched_transfers = fields.Integer()
    open_invoices = fields.Integer(metadata={"description": "invoices still open after the auto matches"})
    transfers_considered = fields.Integer()
    invoices_considered = fields.Integer()
    per_rule = _JsonObject(keys=fields.String(), values=fields.Integer(),
                           metadata={"description": "matches per `rule/status`"})
    started_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
    duration_ms = fields.Integer()


class AllocationSchema(Schema):
    invoice = fields.Integer(allow_none=True, metadata={"description": "the invoice settled (null when a claim is)"})
    claim = fields.Integer(allow_none=True, metadata={"description": "the EU cost claim a credit pays, whole "
                                                                    "(null when an invoice is settled)"})
    amount = Amount()
    written_off = Amount(metadata={"description": "taken off the invoice within tolerance, posted to the "
                                                  "residual account"})


class MatchSchema(Schema):
    id = fields.Integer()
    run = fields.Integer(allow_none=True)
    transfer = fields.Integer()
    payer = fields.String()
    payee = fields.String()
    currency = fields.String()
    allocations = fields.List(fields.Nested(AllocationSchema))
    method = fields.String(metadata={"description": "the rule: reference, amount, multi_invoice, instalments, "
                                                    "partial_payment, near_miss_reference, manual"})
    confidence = fields.String(metadata={"example": "0.99"})
    value = Amount(metadata={"description": "the transfer's worth applied, in the invoices' currency"})
    residual = Amount(metadata={"description": "open − value: positive paid short, negative paid over"})
    residual_account = fields.String(allow_none=True)
    transfer_amount = Amount(metadata={"description": "what the match takes off the transfer, in its currency"})
    transfer_currency = fields.String()
    fx_rate = fields.String(allow_none=True)
    evidence = fields.Dict(keys=fields.String(), values=fields.String(),
                           metadata={"description": "why: references, amounts and dates compared"})
    status = fields.String(validate=validate.OneOf(MATCH_STATUSES))
    created_by = fields.String()
    created_at = UtcDateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    journal_entry = fields.Integer(allow_none=True)
    reversal_entry = fields.Integer(allow_none=True)


MatchPageSchema = page_schema(MatchSchema, "MatchPage")


class MatchListArgs(ListArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(MATCH_STATUSES))
    transfer = Id(load_default=None)
    invoice = Id(load_default=None)


class ManualAllocationSchema(Schema):
    invoice = Id(load_default=None, metadata={"description": "the invoice a payment settles, or the credit note a "
                                                             "credit refunds"})
    claim = Id(load_default=None, metadata={"description": "the accepted EU cost claim a credit pays, whole"})
    amount = PositiveAmount(required=True)

    @validates_schema
    def _names_one_item(self, data, **kwargs):
        named = [name for name in ("invoice", "claim") if data.get(name) is not None]
        if len(named) != 1:
            raise ValidationError("name an invoice or a cost claim, not both" if named else
                                  "name the invoice (or credit note) or the cost claim it settles",
                                  field_name="invoice")


class ManualMatchSchema(Schema):
    """A payment out settles invoices; a credit pays cost claims, each whole, or refunds one credit note."""

    transfer = Id(required=True)
    allocations = fields.List(fields.Nested(ManualAllocationSchema), required=True,
                              validate=validate.Length(min=1, max=100))


class MatchRejectSchema(Schema):
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class MatchReverseSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
