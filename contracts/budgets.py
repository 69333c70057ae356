from marshmallow import fields, validate

from contracts.common import Amount, CountryCode, CurrencyCode, Id, ListArgs, Schema, UtcDateTime, page_schema

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


class BudgetExecutionSchema(Schema):
    budget_line = fields.Integer(required=True)
    fiscal_year = fields.Integer(required=True)
    agreement = fields.Integer(required=True)
    category = fields.String(allow_none=True)
    currency = fields.String(required=True)
    voted = Amount(required=True, metadata={"description": "voted with every revision"})
    committed = Amount(required=True, metadata={"description": "obligations accrued in the fiscal year"})
    invoiced = Amount(required=True, metadata={"description": "of those, settled by approved invoices"})
    paid = Amount(required=True, metadata={"description": "of those, paid"})
    available = Amount(required=True, metadata={"description": "voted − committed (negative after an approved excess)"})
    approved_excess = Amount(required=True, metadata={"description": "commitments beyond the line a second officer approved"})


class BudgetRevisionSchema(Schema):
    amount = Amount(required=True, metadata={"description": "signed: what the revision adds to (or, negative, "
                                                            "takes from) the voted amount", "example": "-5000.00"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))
    created_at = UtcDateTime(dump_only=True)


class BudgetLineSchema(BudgetLineCreateSchema):
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
