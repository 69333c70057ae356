from marshmallow import fields, validate

from contracts.common import Amount, CountryCode, CurrencyCode, Id, ListArgs, Money, Schema, UtcDateTime, page_schema

FISCAL_YEAR = validate.Range(min=1900, max=9998, error="a fiscal year, named by the year it starts in (1900-9998)")


def FiscalYear(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=FISCAL_YEAR, metadata={
        "example": 2026, "description": "named by the calendar year it starts in: UK FY2026 = 2026-04 … 2027-03"},
        **kwargs)


class BudgetLineCreateSchema(Schema):
    fiscal_year = FiscalYear(required=True)
    agreement = Id(required=True, strict=True)
    category = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40), metadata={
        "description": "an obligation kind (per_returnee_fee, monthly_support, instalment, milestone, advance);"
                       " none: every obligation of the agreement"})
    voted = Amount(required=True)
    currency = CurrencyCode(required=True)
    on_exceed = fields.String(required=True, validate=validate.OneOf(("refuse", "approve")), metadata={
        "description": "refuse: 422 budget_exceeded; approve: the accrual waits for a second officer (/approvals)"})


def _figure(name: str, description: str) -> Money:
    return Money(required=True, attribute=f"figures.{name}", currency="line.currency",
                 metadata={"description": description})


class BudgetExecutionSchema(Schema):
    """A budget line's execution: the line (`line`) and its figures (`figures`)."""

    budget_line = fields.Integer(required=True, attribute="line.id")
    fiscal_year = fields.Integer(required=True, attribute="line.fiscal_year")
    agreement = fields.Integer(required=True, attribute="line.agreement_id")
    category = fields.String(allow_none=True)
    currency = fields.String(required=True, attribute="line.currency")
    voted = _figure("voted", "voted with every revision")
    committed = _figure("committed", "obligations accrued in the fiscal year")
    invoiced = _figure("invoiced", "of those, settled by approved invoices")
    paid = _figure("paid", "of those, paid")
    available = _figure("available", "voted − committed (negative after an approved excess)")
    approved_excess = _figure("approved_excess", "commitments beyond the line a second officer approved")


class BudgetRevisionSchema(Schema):
    amount = Amount(required=True, metadata={"description": "signed: what the revision adds to (or, negative, "
                                                            "takes from) the voted amount", "example": "-5000.00"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    created_at = UtcDateTime(dump_only=True)


class BudgetLineSchema(BudgetLineCreateSchema):
    agreement = Id(required=True, strict=True, attribute="agreement_id")
    voted = Money(required=True)
    id = fields.Integer(required=True)
    version = fields.Integer()
    revisions = fields.List(fields.Nested(BudgetRevisionSchema))
    execution = fields.Nested(BudgetExecutionSchema)


BudgetLinePageSchema = page_schema(BudgetLineSchema, "BudgetLinePage")


class BudgetLineArgs(ListArgs):
    fiscal_year = FiscalYear(load_default=None)
    agreement = Id(load_default=None)


class FiscalYearReportArgs(Schema):
    payer = CountryCode(required=True)
    quarter = fields.Integer(load_default=None, validate=validate.Range(min=1, max=4))
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx", "pdf")))
    table = fields.String(load_default="agreements", validate=validate.OneOf(("agreements", "budget_lines")),
                          metadata={"description": "CSV only: which table"})
