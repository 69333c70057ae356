"""The budget execution page: every budget line of a fiscal year with what is voted, committed, invoiced, paid
and available (what a parliament's committee asks for), and links to the payers' year reports."""

from __future__ import annotations

from flask import render_template, request

from ledger import db
from ledger.api import download
from ledger.auth import STAFF, requires
from ledger.budgets import queries
from ledger.errors import field_error
from ledger.web import pages

bp = pages("web_budgets", __name__)


@bp.route("/budgets", endpoint="index")
@requires(*STAFF)
def index():
    session = db.session()
    years = queries.fiscal_years(session)
    try:
        year = int(request.args.get("fiscal_year") or (years[0] if years else 0))
    except ValueError:
        year = years[0] if years else 0
    lines = queries.execution_lines(session, year)
    payers = sorted({line["payer"] for line in lines})
    return render_template("budgets/index.html", lines=lines, years=years, year=year, payers=payers)


@bp.route("/budgets/reports/<int:year>", endpoint="report")
@requires(*STAFF)
def report(year: int):
    """The year report, as `GET /api/v1/reports/fiscal-years/{year}` gives it, for a signed-in person."""
    payer, fmt = request.args.get("payer", ""), request.args.get("format", "json")
    if fmt not in queries.MEDIA_TYPES:
        raise field_error("format", "json, csv, xlsx or pdf")
    body = queries.year_report(db.session(), payer.upper(), year, fmt)
    return download(body, queries.MEDIA_TYPES[fmt], f"{payer.upper()}-FY{year}.{fmt}")
