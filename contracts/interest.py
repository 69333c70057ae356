"""Wire schemas of late-payment interest: reference rates, runs and proposals."""

from marshmallow import fields, validate

from contracts.common import Money, Schema, UtcDateTime
from ledger.interest.rules import rate_text

RATE_DOC = ("percent a year as a decimal string with at most 4 decimals (\"4.15\"); a JSON number is refused "
            "(422 naming the field)")


class ReferenceRateInSchema(Schema):
    reference = fields.String(required=True, metadata={"enum": ["ECB_MRO", "BOE_BANK_RATE"], "example": "ECB_MRO"})
    effective_from = fields.Date(required=True)
    rate_percent = fields.Raw(required=True, metadata={"type": "string", "description": RATE_DOC,
                                                       "example": "4.15"})
    source = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                           metadata={"description": "where the figure was published"})


class RatePercent(fields.String):
    """A rate sent with at least two decimals ("8.00", "4.15")."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else rate_text(value)


class ReferenceRateSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    effective_from = fields.Date()
    rate_percent = RatePercent()
    source = fields.String(allow_none=True)


class ReferenceRateListSchema(Schema):
    items = fields.List(fields.Nested(ReferenceRateSchema), required=True)


class ReferenceRateArgs(Schema):
    reference = fields.String(load_default=None)


class InterestRunSchema(Schema):
    as_of = fields.Date(required=True, metadata={"description": "the last day interest runs to (not after today)"})


class InterestProposalSchema(Schema):
    id = fields.Integer()
    invoice = fields.Integer(attribute="invoice_id")
    agreement = fields.Integer(attribute="agreement_id")
    as_of = fields.Date()
    from_date = fields.Date(metadata={"description": "the first day late this proposal covers"})
    days = fields.Integer(metadata={"description": "days late covered, from_date to as_of inclusive"})
    principal = Money(metadata={"description": "what was open on the invoice at the run"})
    rate_percent = RatePercent(metadata={"description": "the annual rate applied (reference + margin, or fixed)"})
    basis = fields.String()
    amount = Money(metadata={"description": "principal × rate/100 × days/365, rounded half-even once"})
    currency = fields.String()
    status = fields.String(metadata={"enum": ["proposed", "accepted", "rejected"]})
    decided_by = fields.String(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    obligation = fields.Integer(allow_none=True, attribute="obligation_id",
                                metadata={"description": "the late_interest obligation, once accepted"})


class SkippedSchema(Schema):
    invoice = fields.Integer()
    reason = fields.String()


class InterestRunResultSchema(Schema):
    as_of = fields.Date()
    proposals = fields.List(fields.Nested(InterestProposalSchema))
    skipped = fields.List(fields.Nested(SkippedSchema))


class InterestProposalListSchema(Schema):
    items = fields.List(fields.Nested(InterestProposalSchema), required=True)


class InterestProposalArgs(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(["proposed", "accepted", "rejected"]))


class InterestRejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
