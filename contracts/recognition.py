"""Wire schemas of EU mutual recognition: return orders, recognitions, cost claims, allowance rates,
netting. Amounts are decimal strings in the claim's currency; case references come in and never go out."""

from decimal import Decimal

from marshmallow import ValidationError, fields, validate, validates_schema

from contracts.common import (
    Amount,
    CountryCode,
    CurrencyCode,
    Id,
    ListArgs,
    Money,
    Reference,
    Schema,
    money_of,
    page_schema,
)
from ledger.recognition.rules import Category, Ground, Location

_REF = validate.Length(min=1, max=100)
_REASON = validate.Length(max=2000)


# ---- return orders -----------------------------------------------------------------------------------

class ReturnOrderCreateSchema(Schema):
    issuing_state = CountryCode(required=True)
    decision_ref = Reference(required=True, length=_REF)
    decision_date = fields.Date(required=True)
    ground = fields.String(required=True, validate=validate.OneOf([g.value for g in Ground]))
    case_ref = Reference(required=True, load_only=True, length=validate.Length(min=1, max=200),
                             metadata={"description": "the issuing state's case reference; only its keyed "
                                                      "pseudonym is kept"})
    sis_alert_ref = Reference(load_default=None, allow_none=True, length=_REF)
    european_return_order_ref = Reference(load_default=None, allow_none=True, length=_REF)
    legal_basis = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60),
                                metadata={"description": "defaults to 2001/40/EC+2004/191/EC"})


class RecognitionSchema(Schema):
    id = fields.Integer()
    return_order = fields.Integer(attribute="return_order_id")
    issuing_state = fields.String()
    enforcing_state = fields.String()
    requested_on = fields.Date()
    status = fields.String(metadata={"description": "requested | recognised | refused | enforced"})
    recognised = fields.Boolean(allow_none=True)
    decided_on = fields.Date(allow_none=True)
    reason = fields.String(allow_none=True)
    enforced_on = fields.Date(allow_none=True)
    notified_on = fields.Date(allow_none=True)
    cost_claim = fields.Integer(allow_none=True)
    version = fields.Integer()


class ReturnOrderSchema(Schema):
    id = fields.Integer()
    issuing_state = fields.String()
    decision_ref = fields.String()
    decision_date = fields.Date()
    ground = fields.String()
    pseudonym = fields.String(allow_none=True, metadata={"description": "null once erased"})
    sis_alert_ref = fields.String(allow_none=True)
    european_return_order_ref = fields.String(allow_none=True)
    legal_basis = fields.String()
    retain_until = fields.Date(metadata={"description": "decision date plus the retention period"})
    erased = fields.Boolean(metadata={"description": "past retention: pseudonym and references removed"})
    recognitions = fields.List(fields.Nested(RecognitionSchema))


class ReturnOrderArgs(ListArgs):
    state = CountryCode(load_default=None, metadata={"description": "orders where this state is issuing or "
                                                                    "enforcing"})
    issuing_state = CountryCode(load_default=None)


ReturnOrderPageSchema = page_schema(ReturnOrderSchema, "ReturnOrderPage")


# ---- recognitions ------------------------------------------------------------------------------------

class RecognitionRequestSchema(Schema):
    enforcing_state = CountryCode(required=True)
    requested_on = fields.Date(required=True)


class RecognitionDecisionSchema(Schema):
    recognised = fields.Boolean(required=True)
    decided_on = fields.Date(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=_REASON)


class EnforcementSchema(Schema):
    enforced_on = fields.Date(required=True)
    notified_on = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "when the issuing state was told of the enforcement"})


# ---- cost claims -------------------------------------------------------------------------------------

class ClaimLineInSchema(Schema):
    category = fields.String(required=True, metadata={"enum": [c.value for c in Category]})
    amount = Amount(required=True)
    evidence_ref = Reference(required=True, length=validate.Length(min=1, max=200))
    reference_fare = Amount(load_default=None, allow_none=True)
    location = fields.String(load_default=None, allow_none=True, metadata={"enum": [loc.value for loc in Location]})
    days = fields.Integer(load_default=None, allow_none=True, strict=True)
    escorts = fields.Integer(load_default=None, allow_none=True, strict=True)


class CostClaimCreateSchema(Schema):
    recognition = Id(required=True, strict=True)
    submitted_on = fields.Date(required=True)
    currency = CurrencyCode(required=True)
    recovered_from_person = Amount(load_default=Decimal(0), metadata={"description": "deducted from the allowed total"})
    lines = fields.List(fields.Nested(ClaimLineInSchema), required=True,
                        validate=validate.Length(min=1, max=200))

    @validates_schema(pass_original=True)
    def _amounts_fit_the_currency(self, data, original, **kwargs):
        currency = data.get("currency")
        if not currency:
            return
        errors: dict = {}
        for name in ("recovered_from_person",):
            if not isinstance(original, dict) or name not in original:
                continue  # not sent: nothing recovered (the default zero is the service's, not the sender's)
            try:
                money_of(data.get(name, Decimal(0)), currency, name)
            except ValidationError as error:
                errors.update(error.normalized_messages())
        for index, line in enumerate(data.get("lines") or []):
            for name in ("amount", "reference_fare"):
                if line.get(name) is not None:
                    try:
                        money_of(line[name], currency, f"lines.{index}.{name}")
                    except ValidationError as error:
                        errors.update(error.normalized_messages())
        if errors:
            raise ValidationError(errors)


class ClaimLineSchema(Schema):
    line = fields.Integer(metadata={"description": "0-based index of the line in the claim"})
    category = fields.String()
    evidence_ref = fields.String()
    claimed = Money()
    allowed = Money()
    flags = fields.List(fields.String(), metadata={"description": "capped | no_rate | review (escorts: more days or "
                                                                  "escorts than usual)"})
    reference_fare = Money(allow_none=True)
    location = fields.String(allow_none=True)
    days = fields.Integer(allow_none=True)
    escorts = fields.Integer(allow_none=True)
    daily_rate = Money(allow_none=True, metadata={"description": "escort rate applied"})
    rate_effective_from = fields.Date(allow_none=True)
    accepted = fields.Boolean(allow_none=True, metadata={"description": "the line's standing: its decision, or a "
                                                                        "dispute's resolution (null: undecided)"})
    decision_reason = fields.String(allow_none=True)


class ClaimDisputeSchema(Schema):
    id = fields.Integer()
    claim = fields.Integer(attribute="claim_id")
    reason = fields.String()
    lines = fields.List(fields.Integer(), metadata={"description": "the refused lines disputed (0-based)"})
    opened_on = fields.Date()
    status = fields.String(metadata={"enum": ["open", "resolved"]})
    outcome = fields.String(allow_none=True, metadata={"enum": ["upheld", "partially_upheld", "rejected"]})
    decided_on = fields.Date(allow_none=True)
    resolution_reason = fields.String(allow_none=True)
    payable_before = Money()
    payable_after = Money(allow_none=True)
    adjustment_entry = fields.Integer(attribute="adjustment_entry_id", allow_none=True,
                                      metadata={"description": "the journal entry adding what the resolution "
                                                               "accepted (source cost_claim_adjustment)"})
    version = fields.Integer()


class ClaimDisputeCreateSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    lines = fields.List(fields.Integer(strict=True), load_default=None, allow_none=True,
                        metadata={"description": "refused lines disputed (0-based); default: every refused line"})
    opened_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "default: today"})


class ResolutionLineSchema(Schema):
    line = fields.Integer(required=True, strict=True)
    accepted = fields.Boolean(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=_REASON)


class ClaimDisputeResolveSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["upheld", "partially_upheld", "rejected"]))
    decided_on = fields.Date(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=_REASON,
                           metadata={"description": "required when rejected"})
    lines = fields.List(fields.Nested(ResolutionLineSchema), load_default=None, allow_none=True,
                        metadata={"description": "partially_upheld: the disputed lines it accepts"})


class CostClaimSchema(Schema):
    id = fields.Integer()
    reference = fields.String(metadata={"description": "what the issuing state quotes in its transfer so "
                                                       "reconciliation matches the payment to the claim",
                                        "example": "CC-42"})
    recognition = fields.Integer(attribute="recognition_id")
    return_order = fields.Integer(attribute="return_order_id")
    issuing_state = fields.String()
    enforcing_state = fields.String()
    legal_basis = fields.String()
    submitted_on = fields.Date()
    currency = fields.String()
    lines = fields.List(fields.Nested(ClaimLineSchema))
    disputes = fields.List(fields.Nested(ClaimDisputeSchema))
    claimed = Money()
    allowed = Money()
    recovered_from_person = Money()
    payable = Money()
    late = fields.Boolean(metadata={"description": "made more than 1 year after enforcement: may be refused"})
    late_after = fields.Date(metadata={"description": "the last day a claim counted as made in time"})
    flags = fields.List(fields.String())
    decision_due_on = fields.Date()
    accepted = fields.Boolean(allow_none=True)
    decided_on = fields.Date(allow_none=True)
    reason = fields.String(allow_none=True)
    payment_due_on = fields.Date(allow_none=True)
    ordered_on = fields.Date(allow_none=True, metadata={"description": "the day a released payment batch ordered "
                                                                      "the transfer paying it"})
    paid_on = fields.Date(allow_none=True, metadata={"description": "through a payment batch: the day the bank "
                                                                   "debited the transfer"})
    stage = fields.String(metadata={"description": "lifecycle: submitted | accepted | refused | disputed | "
                                                   "in_transit (ordered by a released payment batch, not yet "
                                                   "debited by the bank) | paid"})
    status = fields.String(metadata={"description": "awaiting_decision | decision_overdue | refused | "
                                                    "awaiting_payment | payment_overdue | in_transit | paid, as of "
                                                    "`as_of` (a claim in transit is not overdue)"})
    overdue = fields.String(allow_none=True, metadata={"description": "decision | payment | null"})
    days_overdue = fields.Integer()
    as_of = fields.Date()
    acceptance_entry = fields.Integer(attribute="acceptance_entry_id", allow_none=True)
    payment_entry = fields.Integer(attribute="payment_entry_id", allow_none=True)
    version = fields.Integer()


class AsOfArgs(Schema):
    as_of = fields.Date(load_default=None, metadata={"description": "status and overdue as of this day "
                                                                   "(default: today)"})


class CostClaimArgs(ListArgs):
    as_of = fields.Date(load_default=None, metadata={"description": "default: today"})
    overdue = fields.Boolean(load_default=None, metadata={"description": "only claims with a decision or "
                                                                       "payment overdue on `as_of`"})
    state = CountryCode(load_default=None, metadata={"description": "claims where this state is either side"})
    issuing_state = CountryCode(load_default=None)
    enforcing_state = CountryCode(load_default=None)
    stage = fields.String(load_default=None, validate=validate.OneOf(["submitted", "accepted", "refused", "disputed",
                                                                      "in_transit", "paid"]),
                          metadata={"description": "where the claim is in its lifecycle"})


CostClaimPageSchema = page_schema(CostClaimSchema, "CostClaimPage")


class ClaimDecisionSchema(Schema):
    accepted = fields.Boolean(required=True, metadata={"description": "the whole claim: false refuses it; true "
                                                                      "accepts it, in part where `lines` refuse some"})
    decided_on = fields.Date(required=True)
    reason = fields.String(load_default=None, allow_none=True, validate=_REASON)
    lines = fields.List(fields.Nested(ResolutionLineSchema), load_default=None, allow_none=True,
                        metadata={"description": "line by line: {line (0-based), accepted, reason} (a refused line "
                                                 "gives its reason); lines not listed follow `accepted`"})


class ClaimPaymentSchema(Schema):
    paid_on = fields.Date(required=True)


# ---- allowance rates ---------------------------------------------------------------------------------

class AllowanceRateInSchema(Schema):
    effective_from = fields.Date(required=True)
    daily_rate = Amount(required=True)
    currency = CurrencyCode(required=True)

    @validates_schema
    def _rate_fits(self, data, **kwargs):
        if data.get("currency") and data.get("daily_rate") is not None:
            money_of(data["daily_rate"], data["currency"], "daily_rate")
            if data["daily_rate"] <= 0:
                raise ValidationError("must be greater than zero", field_name="daily_rate")


class AllowanceRateSchema(Schema):
    party = fields.String(attribute="party_code")
    effective_from = fields.Date()
    daily_rate = Money()
    currency = fields.String()


class AllowanceRateListSchema(Schema):
    items = fields.List(fields.Nested(AllowanceRateSchema))


# ---- netting -----------------------------------------------------------------------------------------

class NettingArgs(Schema):
    currency = CurrencyCode(load_default=None, metadata={"description": "one currency (default: every "
                                                                       "currency with open claims)"})


class PositionSchema(Schema):
    state = fields.String()
    position = Amount(metadata={"description": "positive: receives; negative: pays"})


class NettingTransferSchema(Schema):
    payer = fields.String()
    payee = fields.String()
    amount = Amount()


class CurrencyNettingSchema(Schema):
    currency = fields.String()
    claims = fields.List(fields.Integer(), metadata={"description": "the accepted claims unpaid at period end, "
                                                                    "netted"})
    in_transit = fields.List(fields.Integer(), metadata={"description": "the claims in transit at period end: "
                                                                        "ordered by a released payment batch, not "
                                                                        "yet debited; not netted"})
    positions = fields.List(fields.Nested(PositionSchema))
    transfers = fields.List(fields.Nested(NettingTransferSchema))
    optimal = fields.Boolean(metadata={"description": "the number of transfers is proven minimal"})


class NettingSchema(Schema):
    period = fields.String()
    as_of = fields.Date(metadata={"description": "the period's last day"})
    currencies = fields.List(fields.Nested(CurrencyNettingSchema))
