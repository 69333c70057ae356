"""The budget execution page: every budget line of a fiscal year with what is voted, committed, invoiced, paid
and available (what a parliament's committee asks for), and links to the payers' year reports."""

from __future__ import annotations

from flask import Response, render_template, request
from sqlalchemy import select

from ledger import db
from ledger.agreements.models import Agreement
from ledger.auth import STAFF, requires
from ledger.budgets import pdf, service
from ledger.budgets import years as year_reports
from ledger.budgets.models import BudgetLine
from ledger.errors import field_error
from ledger.web import pages

bp = pages("web_budgets", __name__)


@bp.route("/budgets", endpoint="index")
@requires(*STAFF)
def index():
    session = db.session()
    years = sorted(set(session.execute(select(BudgetLine.fiscal_year)).scalars()), reverse=True)
    try:
        year = int(request.args.get("fiscal_year") or (years[0] if years else 0))
    except ValueError:
        year = years[0] if years else 0
    rows = session.execute(select(BudgetLine, Agreement).join(Agreement, Agreement.id == BudgetLine.agreement_id)
                           .where(BudgetLine.fiscal_year == year).order_by(Agreement.payer_code, BudgetLine.id)).all()
    lines = [{**year_reports.EXECUTION.dump(service.line_execution(session, line)), "reference": agreement.reference,
              "payer": agreement.payer_code, "payee": agreement.payee_code, "on_exceed": line.on_exceed}
             for line, agreement in rows]
    payers = sorted({line["payer"] for line in lines})
    return render_template("budgets/index.html", lines=lines, years=years, year=year, payers=payers)


_MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


@bp.route("/budgets/reports/<int:year>", endpoint="report")
@requires(*STAFF)
def report(year: int):
    """The year report, as `GET /api/v1/reports/fiscal-years/{year}` gives it, for a signed-in person."""
    payer, fmt = request.args.get("payer", ""), request.args.get("format", "json")
    if fmt not in _MEDIA:
        raise field_error("format", "json, csv, xlsx or pdf")
    built = year_reports.build(db.session(), payer.upper(), year)
    body = {"json": year_reports.to_json, "csv": year_reports.to_csv, "xlsx": year_reports.to_xlsx,
            "pdf": pdf.to_pdf}[fmt](built)
    return Response(body, mimetype=_MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{payer.upper()}-FY{year}.{fmt}"'})
