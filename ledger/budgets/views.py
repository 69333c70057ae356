from flask.views import MethodView

from contracts.budgets import (
    BudgetExecutionSchema,
    BudgetLineArgs,
    BudgetLineCreateSchema,
    BudgetLinePageSchema,
    BudgetLineSchema,
    BudgetRevisionSchema,
    FiscalYearReportArgs,
)
from ledger import db, listing
from ledger.api import blueprint, download
from ledger.auth import STAFF
from ledger.budgets import service, years
from ledger.budgets.models import BudgetLine

blp = blueprint("budgets", "Budget lines voted per fiscal year, their commitments and execution, and year reports")

OFFICERS = ("finance_officer", "admin")


@blp.route("/budget-lines")
class BudgetLines(MethodView):
    @blp.reads(STAFF, BudgetLinePageSchema, query=BudgetLineArgs)
    def get(self, args):
        """List budget lines (filter by fiscal year and agreement), each with its execution"""
        result = listing.page(service.lines_query(args.get("fiscal_year"), args.get("agreement")), BudgetLine.id, args)
        result["items"] = [service.budgeted(db.session(), line) for line in result["items"]]
        return result

    @blp.writes(OFFICERS, BudgetLineSchema, body=BudgetLineCreateSchema, status=201)
    def post(self, data):
        """Record a budget line voted for a fiscal year and an agreement (or one kind of its obligations)"""
        line = service.create(db.session(), data)
        return service.budgeted(db.session(), line), 201, {"Location": f"/api/v1/budget-lines/{line.id}"}


@blp.route("/budget-lines/<int:line_id>", endpoint="budget_line")
class BudgetLineItem(MethodView):
    @blp.reads(STAFF, BudgetLineSchema)
    def get(self, line_id):
        """Read a budget line"""
        return service.budgeted(db.session(), service.get(db.session(), line_id))


@blp.route("/budget-lines/<int:line_id>/revisions", endpoint="revise")
class Revisions(MethodView):
    @blp.writes(OFFICERS, BudgetLineSchema, body=BudgetRevisionSchema, status=201)
    def post(self, data, line_id):
        """Revise the voted amount (signed; a cut may not leave committed above voted: 422 budget_exceeded)"""
        line = service.get(db.session(), line_id)
        service.revise(db.session(), line, data["amount"], data["reason"])
        return service.budgeted(db.session(), line), 201


@blp.route("/budget-lines/<int:line_id>/execution", endpoint="execution")
class Execution(MethodView):
    @blp.reads(STAFF, BudgetExecutionSchema)
    def get(self, line_id):
        """Voted, committed, invoiced, paid and available"""
        return service.line_execution(db.session(), service.get(db.session(), line_id))


@blp.route("/reports/fiscal-years/<int:year>", endpoint="fiscal_year_report")
class FiscalYearReport(MethodView):
    @blp.reads(STAFF, query=FiscalYearReportArgs, content_type="application/octet-stream",
               description="the report in the asked format")
    def get(self, args, year):
        """A payer's fiscal year (or `quarter`) per agreement, with its budget lines: JSON, CSV, XLSX or PDF

        JSON: `{payer, fiscal_year, quarter, fiscal_year_start_month, first_period, last_period, status, months_closed,
        agreements: [{agreement_id, reference, payee, currency, opening, accrued, adjustments, approved, paid, closing,
        months: [{period, opening, …, closing}]}], budget_lines: [{budget_line, voted, committed, invoiced, paid,
        available, …}]}`, where opening + accrued + adjustments − paid = closing over the span and for each month.
        CSV: one row per agreement for the span and per month (`?table=budget_lines` for the budget execution).
        """
        report = years.build(db.session(), args["payer"], year, args["quarter"])
        fmt = args["format"]
        body = years.render(report, fmt, args["table"])
        span = f"FY{year}" + (f"Q{args['quarter']}" if args["quarter"] else "")
        return download(body, years.MEDIA_TYPES[fmt], f"{args['payer']}-{span}.{fmt}")
