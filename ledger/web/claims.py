"""EU cost claims (Decision 2004/191/EC) with their deadlines: decision due, payment due, and what is overdue
today, as the recognition service computes them."""

from __future__ import annotations

from flask import render_template, url_for
from sqlalchemy import or_, select

from ledger import db
from ledger.auth import STAFF, requires
from ledger.recognition import service
from ledger.recognition.models import CostClaim
from ledger.timeutil import today
from ledger.web import pages
from ledger.web.tables import Column, Filter, Table

bp = pages("web_claims", __name__)


def _overdue(query, value: str):
    condition = service._overdue_on(today())
    return query.where(condition if value == "yes" else ~condition)


CLAIMS = Table(
    columns=[
        Column("id", "Claim", CostClaim.id, kind="number", default_desc=True,
               link=lambda c: url_for("web_claims.detail", claim_id=c["id"]), get=lambda c: c["id"]),
        Column("states", "Issuing → enforcing", CostClaim.issuing_state,
               get=lambda c: f"{c['issuing_state']} → {c['enforcing_state']}"),
        Column("submitted_on", "Submitted", CostClaim.submitted_on, kind="date", default_desc=True),
        Column("payable", "Payable", CostClaim.payable, kind="money", default_desc=True),
        Column("decision_due_on", "Decision due", CostClaim.decision_due_on, kind="date"),
        Column("payment_due_on", "Payment due", CostClaim.payment_due_on, kind="date"),
        Column("stage", "Stage", CostClaim.status),
        Column("status", "Today", get=lambda c: c["status"].replace("_", " ")),
        Column("days_overdue", "Days overdue", kind="number", get=lambda c: c["days_overdue"] or ""),
    ],
    filters=[
        Filter("overdue", "Overdue", _overdue, choices=[("yes", "overdue"), ("no", "not overdue")]),
        Filter("stage", "Stage", lambda q, v: q.where(CostClaim.status == v),
               choices=[(s, s) for s in ("submitted", "accepted", "refused", "paid")]),
        Filter("state", "State (either side)", lambda q, v: q.where(
            or_(CostClaim.issuing_state == v.upper(), CostClaim.enforcing_state == v.upper())), placeholder="e.g. DE"),
    ],
    default_sort="decision_due_on", tiebreak=CostClaim.id,
)


@bp.route("/claims", endpoint="index")
@requires(*STAFF)
def index():
    session = db.session()
    table = CLAIMS.page(session, select(CostClaim))
    table.rows = service.claim_views(session, table.rows, today())
    return render_template("claims/index.html", table=table, today=today())


@bp.route("/claims/<int:claim_id>")
@requires(*STAFF)
def detail(claim_id: int):
    session = db.session()
    return render_template("claims/detail.html", claim=service.claim_view(session, service.get_claim(session, claim_id)))
