"""Wire schemas of invoices received from partners (JSON; UBL 2.1 arrives as application/xml)."""

from marshmallow import ValidationError, fields, post_dump, post_load, validate, validates_schema

from contracts.common import (
    Amount,
    CurrencyCode,
    ListArgs,
    Money,
    Period,
    Reference,
    Schema,
    UtcDateTime,
    money_of,
    page_schema,
)
from ledger.agreements.rules.terms import COST_CATEGORIES
from ledger.invoices.arithmetic import FINDING_KINDS
from ledger.invoices.parsed import DOCUMENT_TYPES, LINE_KINDS, STATUSES

MAX_LINES = 10_000


class InvoiceLineInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(sorted(LINE_KINDS)))
    returnee = Reference(load_default=None, allow_none=True, length=validate.Length(min=1, max=64),
                             metadata={"description": "the returnee's pseudonym or numeric id "
                                                      "(per_returnee_fee, monthly_support, actual_cost; optional "
                                                      "on adjustment)"})
    period = Period(load_default=None, allow_none=True,
                    metadata={"description": "the line's own booking period, when not the invoice's"})
    amount = Amount(required=True)
    category = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(COST_CATEGORIES),
                             metadata={"description": "actual_cost lines (required there, refused elsewhere): "
                                                      "the cost category"})
    evidence_ref = Reference(load_default=None, allow_none=True, length=validate.Length(min=1, max=200),
                             metadata={"description": "actual_cost lines (required there, refused elsewhere): "
                                                      "the receipt, contract or file the amount comes from"})

    @validates_schema
    def _actual_cost_fields(self, data, **kwargs):
        errors = {}
        if data.get("kind") == "actual_cost":
            for name in ("returnee", "category", "evidence_ref"):
                if not data.get(name):
                    errors[name] = ["required on an actual_cost line"]
            amount = data.get("amount")
            if isinstance(amount, str) and amount.strip().startswith("-"):
                errors["amount"] = ["an actual cost is positive"]
        else:
            for name in ("category", "evidence_ref"):
                if data.get(name) is not None:
                    errors[name] = ["only on an actual_cost line"]
        if errors:
            raise ValidationError(errors)


class InvoiceCreateSchema(Schema):
    agreement = Reference(required=True, length=validate.Length(min=1, max=40),
                              metadata={"description": "the agreement's reference or id", "example": "GB-AL-2026-01"})
    number = Reference(required=True, length=validate.Length(min=1, max=100),
                           metadata={"example": "AL-2026-03"})
    issued_on = fields.Date(required=True)
    due_on = fields.Date(load_default=None, allow_none=True)
    currency = CurrencyCode(required=True)
    period = Period(required=True)
    payment_reference = Reference(load_default=None, allow_none=True, length=validate.Length(max=140),
                                      metadata={"description": "an ISO 11649 RF creditor reference or free text",
                                                "example": "RF18539007547034"})
    total = Amount(required=True)
    lines = fields.List(fields.Nested(InvoiceLineInSchema), required=True,
                        validate=validate.Length(min=1, max=MAX_LINES))

    @validates_schema
    def _amounts_fit_the_currency(self, data, **kwargs):
        currency = data.get("currency")
        if not currency:
            return
        errors = {}
        if "total" in data:
            money_of(data["total"], currency, "total")
        for index, line in enumerate(data.get("lines") or []):
            try:
                money_of(line["amount"], currency, "amount")
            except ValidationError as error:
                errors[f"lines.{index}.amount"] = error.messages
        if errors:
            raise ValidationError(errors)

    @post_load
    def _to_money(self, data, **kwargs):
        currency = data["currency"]
        data["total"] = money_of(data["total"], currency, "total")
        for line in data["lines"]:
            line["amount"] = money_of(line["amount"], currency, "amount")
        return data


class InvoiceLineSchema(Schema):
    line = fields.String(metadata={"description": "the document's line id (what findings and overrides name)"})
    kind = fields.String(allow_none=True)
    returnee = fields.String(allow_none=True, metadata={"description": "the returnee's pseudonym (null once erased)"})
    returnee_id = fields.Integer(allow_none=True)
    period = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    amount = Amount()
    obligation = fields.Integer(allow_none=True, metadata={"description": "the obligation the line was matched to"})
    override_reason = fields.String(allow_none=True)
    category = fields.String(allow_none=True, metadata={"description": "actual_cost lines: the cost category"})
    evidence_ref = fields.String(allow_none=True, metadata={"description": "actual_cost lines: the evidence"})


class FindingSchema(Schema):
    code = fields.String(metadata={"description": "unknown_obligation, amount_mismatch, already_invoiced, "
                                                  "outside_term, total_mismatch, currency_mismatch, the EN 16931 "
                                                  "arithmetic codes (line_sum_mismatch, payable_mismatch, …), or "
                                                  "disputed (an officer's reason); on actual_cost lines "
                                                  "cap_exceeded (with remaining), not_reimbursable, outside_stay, "
                                                  "unknown_category, missing_evidence"})
    kind = fields.String(metadata={"enum": list(FINDING_KINDS),
                                   "description": "arithmetic: the document's own sums or currencies disagree "
                                                  "(never overridable); obligation: it disagrees with the ledger "
                                                  "or an officer disputed it (approvable over a reason)"})
    message = fields.String()
    field = fields.String(allow_none=True)
    line = fields.String(allow_none=True, metadata={"description": "the line concerned; null: the document"})
    source = fields.String(metadata={"enum": ["check", "officer"]})
    remaining = Money(metadata={"description": "cap_exceeded only: the headroom left under the binding cap "
                                               "before the line"})

    @post_dump
    def _remaining_only_when_capped(self, data, **kwargs):
        """`remaining` is sent on cap_exceeded findings only: the other findings keep their shape."""
        if data.get("remaining") is None:
            data.pop("remaining", None)
        return data


class DecisionSchema(Schema):
    by = fields.String()
    at = UtcDateTime()
    reason = fields.String(allow_none=True)
    journal_entry = fields.Integer(allow_none=True)


class InvoiceSchema(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "null on a dry run"})
    agreement = fields.Integer()
    agreement_reference = fields.String()
    payee = fields.String()
    payer = fields.String()
    number = fields.String()
    document_type = fields.String(metadata={"enum": list(DOCUMENT_TYPES)})
    issued_on = fields.Date()
    due_on = fields.Date(allow_none=True)
    currency = fields.String()
    period = fields.String()
    payment_reference = fields.String(allow_none=True)
    payment_reference_is_rf = fields.Boolean()
    payee_iban = fields.String(allow_none=True)
    preceding_invoice = fields.String(allow_none=True)
    total = Amount(metadata={"description": "the amount due as the document states it"})
    payable = Amount(metadata={"description": "what the document does to the amount owed: negative for a "
                                              "credit note"})
    computed_payable = Amount(allow_none=True, metadata={"description": "dry run: the amount due worked out "
                                                                        "from the document's parts"})
    advance_offset = Amount(metadata={"description": "the part of the payable covered by the advance"})
    amount_open = Amount(metadata={"description": "still to be paid in cash (approved invoices)"})
    status = fields.String(metadata={"enum": list(STATUSES)})
    source = fields.String(metadata={"enum": ["json", "ubl"]})
    dry_run = fields.Boolean()
    has_document = fields.Boolean(metadata={"description": "the original XML is at /invoices/{id}/document"})
    dispute_reason = fields.String(allow_none=True)
    decision = fields.Nested(DecisionSchema, allow_none=True)
    lines = fields.List(fields.Nested(InvoiceLineSchema), metadata={"description": "not in lists"})
    findings = fields.List(fields.Nested(FindingSchema))
    version = fields.Integer()
    created_at = UtcDateTime()


InvoicePageSchema = page_schema(InvoiceSchema, "InvoicePage")


class InvoiceListArgs(ListArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    agreement = fields.String(load_default=None, metadata={"description": "reference or id"})
    period = Period(load_default=None)


class IntakeArgs(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "parse and check, store nothing"})


class OverrideSchema(Schema):
    line = fields.String(load_default=None, allow_none=True,
                         metadata={"description": "the line overridden; null for document-level findings"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ApproveSchema(Schema):
    overrides = fields.List(fields.Nested(OverrideSchema), load_default=list, validate=validate.Length(max=MAX_LINES))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class DisputeSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    lines = fields.List(fields.String(), load_default=None, allow_none=True,
                        metadata={"description": "the lines disputed; none: the whole invoice"})


class RejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CostCapCategorySchema(Schema):
    category = fields.String()
    cap = Amount(allow_none=True)
    consumed = Amount()


class CostCapYearSchema(Schema):
    year = fields.Integer()
    cap = Amount(allow_none=True)
    consumed = Amount()


class CostCapsSchema(Schema):
    """A returnee's actual costs asked on invoices not rejected, against the caps of the terms in force today."""

    returnee = fields.Integer()
    currency = fields.String()
    cap_per_person = Amount(allow_none=True, metadata={"description": "null: the terms reimburse no actual costs"})
    consumed = Amount()
    categories = fields.List(fields.Nested(CostCapCategorySchema))
    years = fields.List(fields.Nested(CostCapYearSchema))
