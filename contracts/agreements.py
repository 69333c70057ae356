"""Wire schemas of agreements, returnees, their events and obligations."""

from marshmallow import ValidationError, fields, validate, validates_schema

from contracts.common import (
    CountryCode,
    CurrencyCode,
    ListArgs,
    Money,
    Nationality,
    Period,
    Reference,
    Schema,
    UtcDateTime,
    page_schema,
)

KINDS = ("return_hub", "mutual_recognition")
OBLIGATION_KINDS = ("per_returnee_fee", "monthly_support", "instalment", "milestone", "advance", "advance_offset",
                    "adjustment", "departure_grant", "late_interest")
EVENT_TYPES = ("accepted", "departed", "voluntary_departure", "returned_onward")
OBLIGATION_STATUSES = ("accrued", "invoiced", "paid")

TERMS_EXAMPLE = {
    "per_returnee_fee": "20000.00", "monthly_support": {"amount": "2500.00", "max_months": 60},
    "instalments": [{"due_on": "2026-02-01", "amount": "5000000.00", "label": "fund contribution"}],
    "milestones": [{"returnees": 300, "amount": "1000000.00"}], "advance": {"amount": "200000.00"},
    "annual_quota": 1000, "capacity": 300, "payment_terms_days": 30, "notice_months": 6,
    "tolerance": {"absolute": "50.00", "percent": "0.5"},
    "cost_reimbursement": {"cap_per_person": "150874.00", "caps_per_category": {"healthcare": "20000.00"},
                           "cap_per_year": "40000.00"},
    "voluntary_departure_grant": "2500.00", "late_interest": {"kind": "fixed", "rate_percent": "8.00"},
}
TERMS_DOC = ("per_returnee_fee, monthly_support {amount, max_months}, instalments [{due_on, amount, label}], "
             "milestones [{returnees, amount}], advance {amount, due_within_days}, annual_quota, capacity, "
             "payment_terms_days, "
             "notice_months, tolerance {absolute, percent}, cost_reimbursement {cap_per_person, "
             "caps_per_category {accommodation|food|healthcare|legal_aid|integration|onward_travel: amount}, "
             "cap_per_year}, voluntary_departure_grant, late_interest ({kind: none} | {kind: fixed, rate_percent} | "
             "{kind: reference, reference: ECB_MRO|BOE_BANK_RATE, margin_percent}); amounts are positive decimal "
             "strings in the agreement's currency, rates decimal strings in percent (at most 4 decimals)")


class _TermsDict(fields.Dict):
    """Terms as their wire object: sent from the terms' own `to_wire()` (or as given, a dict)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if hasattr(value, "to_wire"):
            value = value.to_wire()
        return super()._serialize(value, attr, obj, **kwargs)


def Terms(**kwargs):
    return _TermsDict(keys=fields.String(), metadata={"description": TERMS_DOC, "example": TERMS_EXAMPLE}, **kwargs)


class AgreementDetailsSchema(Schema):
    reference = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$"),
                              metadata={"example": "GB-RW-2026-01"})
    signed_on = fields.Date(load_default=None, allow_none=True)
    effective_to = fields.Date(load_default=None, allow_none=True)


class AgreementCreateSchema(AgreementDetailsSchema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    payer = CountryCode(required=True)
    payee = CountryCode(required=True)
    currency = CurrencyCode(required=True)
    effective_from = fields.Date(required=True)
    terms = Terms(required=True)


class AgreementSchema(AgreementCreateSchema):
    id = fields.Integer(dump_only=True)
    terminated_on = fields.Date(allow_none=True, dump_only=True)
    termination_reason = fields.String(allow_none=True, dump_only=True)
    status = fields.String(dump_only=True, metadata={"enum": ["pending", "active", "terminating", "terminated",
                                                              "ended"]})
    terms_version = fields.Integer(dump_only=True, metadata={"description": "the version whose terms are shown: "
                                                                            "the one in force today"})
    versions = fields.Integer(dump_only=True)
    version = fields.Integer(dump_only=True, metadata={"description": "changes with every change (the ETag)"})


class AgreementListArgs(ListArgs):
    party = CountryCode(load_default=None)


AMENDMENT_EXAMPLE = {"per_returnee_fee": "21000.00", "monthly_support": {"amount": "2600.00"}, "advance": None}
AMENDMENT_DOC = ("a JSON merge patch (RFC 7396) of the terms in force on effective_from: a term left out stays as "
                 "it is, a term set to null is removed, an object (monthly_support, advance, tolerance) is merged "
                 "key by key, a list (instalments, milestones) is replaced whole. The merged result must be valid "
                 "terms (" + TERMS_DOC + "); a 422 names the offending field, e.g. terms.monthly_support.amount")


class AmendmentSchema(Schema):
    effective_from = fields.Date(required=True)
    terms = fields.Dict(keys=fields.String(), required=True,
                        metadata={"description": AMENDMENT_DOC, "example": AMENDMENT_EXAMPLE})


class VersionSchema(Schema):
    number = fields.Integer()
    effective_from = fields.Date()
    terms = Terms()


class VersionListSchema(Schema):
    items = fields.List(fields.Nested(VersionSchema), required=True)


class TerminateSchema(Schema):
    effective_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    notified_on = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "when notice was given; defaults to today"})


class ObligationSchema(Schema):
    id = fields.Integer()
    agreement = fields.Integer(attribute="agreement_id")
    key = fields.String()
    kind = fields.String(metadata={"enum": list(OBLIGATION_KINDS)})
    returnee = fields.Integer(allow_none=True, attribute="returnee_id")
    due_on = fields.Date()
    period = fields.String()
    amount = Money()
    currency = fields.String()
    status = fields.String(metadata={"enum": list(OBLIGATION_STATUSES)})
    adjusts = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    journal_entry = fields.Integer(attribute="journal_entry_id")


ObligationPageSchema = page_schema(ObligationSchema, "ObligationPage")


class ObligationArgs(ListArgs):
    period = Period(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(OBLIGATION_STATUSES))


class AccrueSchema(Schema):
    period = Period(required=True)


class AccrueResultSchema(Schema):
    period = fields.String()
    posted = fields.Integer()


class ReturneeSubmitSchema(Schema):
    case_ref = Reference(required=True, load_only=True, length=validate.Length(min=1, max=100),
                             metadata={"description": "replaced by a keyed pseudonym at once; never stored"})
    transferred_on = fields.Date(required=True)
    nationality = Nationality(required=True)
    accepted_on = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "records an `accepted` event at submission"})

    @validates_schema
    def _accepted_after_transfer(self, data, **kwargs):
        if data.get("accepted_on") and data.get("transferred_on") and data["accepted_on"] < data["transferred_on"]:
            raise ValidationError("cannot be before transferred_on", field_name="accepted_on")


class PerItemList(fields.List):
    """A list whose items are validated one by one later, so one bad item is a per-item result, not a 422
    for the whole batch (the inner schema documents the items)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise ValidationError("must be a list of objects")
        return value


class ReturneeBatchSchema(Schema):
    items = PerItemList(fields.Nested(ReturneeSubmitSchema), required=True,
                        validate=validate.Length(min=1, max=10_000))


class BatchItemErrorSchema(Schema):
    code = fields.String()
    detail = fields.String()


class BatchItemSchema(Schema):
    index = fields.Integer()
    status = fields.Integer()
    id = fields.Integer()
    error = fields.Nested(BatchItemErrorSchema)


class BatchResultSchema(Schema):
    accepted = fields.Integer()
    rejected = fields.Integer()
    items = fields.List(fields.Nested(BatchItemSchema))


class ReturneeSchema(Schema):
    id = fields.Integer()
    agreement = fields.Integer(attribute="agreement_id")
    pseudonym = fields.String(allow_none=True, metadata={"description": "null once erased"})
    status = fields.String(metadata={"enum": ["transferred", "accepted", "departed"]})
    nationality = fields.String()
    transferred_on = fields.Date()
    accepted_on = fields.Date(allow_none=True)
    departed_on = fields.Date(allow_none=True)
    departure = fields.String(allow_none=True, metadata={
        "enum": ["departed", "voluntary_departure", "returned_onward"],
        "description": "the event that ended the stay (null while present)"})
    retain_until = fields.Date()
    erased = fields.Boolean()
    obligations = fields.List(fields.Nested(ObligationSchema))


ReturneePageSchema = page_schema(ReturneeSchema, "ReturneePage")


class EventCreateSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES), metadata={
        "description": "accepted; or the end of the stay, each stopping support on its date: departed, "
                       "voluntary_departure (makes the terms' voluntary_departure_grant payable, obligation kind "
                       "departure_grant), returned_onward (to the country of origin; its journey is invoiced as an "
                       "actual_cost line of category onward_travel)"})
    occurred_on = fields.Date(required=True)


class EventSchema(EventCreateSchema):
    id = fields.Integer()
    recorded_at = UtcDateTime()


class EventListSchema(Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)


AgreementPageSchema = page_schema(AgreementSchema, "AgreementPage")
