"""What the pages may read of the budgets (the budgets' door for reads): a fiscal year's budget lines with their
execution, and a payer's year report in each of its formats."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.agreements import queries as agreements
from ledger.budgets import service, years
from ledger.budgets.models import BudgetLine

MEDIA_TYPES = years.MEDIA_TYPES


def fiscal_years(session: Session) -> list[int]:
    """The fiscal years with budget lines, latest first."""
    return sorted(set(session.execute(select(BudgetLine.fiscal_year)).scalars()), reverse=True)


def execution_lines(session: Session, year: int) -> list[dict]:
    """The budget lines of `year`, by payer, each as the API writes its execution (voted, committed, invoiced, paid,
    available) with its agreement's reference, payer and payee, and what happens beyond it (`on_exceed`)."""
    sides = agreements.sides().subquery()
    rows = session.execute(select(BudgetLine, sides.c.reference, sides.c.payer_code, sides.c.payee_code)
                           .join(sides, sides.c.id == BudgetLine.agreement_id)
                           .where(BudgetLine.fiscal_year == year).order_by(sides.c.payer_code, BudgetLine.id)).all()
    return [{**years.EXECUTION.dump(service.line_execution(session, line)), "reference": reference, "payer": payer,
             "payee": payee, "on_exceed": line.on_exceed} for line, reference, payer, payee in rows]


def year_report(session: Session, payer: str, year: int, fmt: str) -> bytes:
    """`payer`'s report of fiscal year `year` as `GET /api/v1/reports/fiscal-years/{year}` gives it, in `fmt` (one
    of `MEDIA_TYPES`)."""
    return years.render(years.build(session, payer, year), fmt)
