"""EU cost claims (Decision 2004/191/EC) with their deadlines: decision due, payment due, and what is overdue
today, as the recognition service computes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import render_template, request, url_for

from ledger import auth, db
from ledger.auth import STAFF, requires
from ledger.errors import field_error
from ledger.money import Money
from ledger.recognition import queries, service
from ledger.timeutil import today
from ledger.web import may, pages
from ledger.web.actions import carried_out, chosen, detail_page, form_action
from ledger.web.tables import Column, Filter, Table, as_shown

bp = pages("web_claims", __name__)


CLAIMS = Table(
    columns=[
        Column("id", "Claim", "id", kind="number", default_desc=True,
               link=lambda c: url_for("web_claims.detail", claim_id=c.id)),
        Column("states", "Issuing → enforcing", "issuing_state",
               get=lambda c: f"{c.issuing_state} → {c.enforcing_state}"),
        Column("submitted_on", "Submitted", "submitted_on", kind="date", default_desc=True),
        Column("payable", "Payable", "payable", kind="money", default_desc=True,
               get=lambda c: Money(Decimal(c.payable), c.currency)),
        Column("decision_due_on", "Decision due", "decision_due_on", kind="date"),
        Column("payment_due_on", "Payment due", "payment_due_on", kind="date"),
        Column("stage", "Stage", "stage"),
        Column("status", "Today", get=lambda c: c.status.replace("_", " ")),
        Column("days_overdue", "Days overdue", kind="number", get=lambda c: c.days_overdue or ""),
    ],
    filters=[
        Filter("overdue", "Overdue", "overdue", choices=[("yes", "overdue"), ("no", "not overdue")]),
        Filter("stage", "Stage", "stage", choices=as_shown(*queries.STAGES)),
        Filter("state", "State (either side)", "state", placeholder="e.g. DE"),
    ],
    listing=queries.LISTING, default_sort="decision_due_on",
)


@bp.route("/claims", endpoint="index")
@requires(*STAFF)
def index():
    session = db.session()
    table = CLAIMS.page(session)
    table.rows = service.claims_shown(session, table.rows, today())
    return render_template("claims/index.html", table=table, today=today())


#: Who decides and records payments on the pages, for the issuing state (the API's finance-officer actors).
OFFICERS = ("finance_officer",)


@bp.route("/claims/<int:claim_id>")
@requires(*STAFF)
def detail(claim_id: int):
    session = db.session()
    claim = service.get_claim(session, auth.current(), claim_id)
    return render_template("claims/detail.html", claim=service.claim_shown(session, claim),
                           etag=service.claim_etag(claim), can_act=may(OFFICERS), today=today())


def _day(name: str) -> date:
    try:
        return date.fromisoformat(request.form.get(name, "").strip())
    except ValueError:
        raise field_error(name, "give a date as YYYY-MM-DD") from None


def _line_decisions() -> list[dict] | None:
    """The form's line-by-line answers (`line-<n>`: yes | no, `line-reason-<n>`); lines left "as the claim" follow
    the whole-claim decision (the API's rule)."""
    lines = []
    for name, value in request.form.items():
        if not name.startswith("line-") or name.startswith("line-reason-") or value not in ("yes", "no"):
            continue
        number = name[len("line-"):]
        if not (number.isascii() and number.isdigit()) or len(number) > 6:
            raise field_error(name, "not a line of this claim")
        lines.append({"line": int(number), "accepted": value == "yes",
                      "reason": request.form.get(f"line-reason-{number}", "")[:2000]})
    return sorted(lines, key=lambda item: item["line"]) or None


@bp.route("/claims/<int:claim_id>/decision", methods=["POST"])
@requires(*OFFICERS)
@form_action(lambda claim: f"Cost claim {claim.id} {claim.status} on {claim.decided_on.isoformat()}.")
def decide(session, claim_id: int):
    verdict = chosen("accepted", ("yes", "no"), "choose accept or refuse")
    data = {"accepted": verdict == "yes", "decided_on": _day("decided_on"),
            "reason": request.form.get("reason", "")[:2000], "lines": _line_decisions()}
    return service.decide_claim(session, auth.current(), claim_id, data, request.form.get("version") or None)


@bp.route("/claims/<int:claim_id>/payment", methods=["POST"])
@requires(*OFFICERS)
def pay(claim_id: int):
    return carried_out(lambda s: service.record_payment(s, auth.current(), claim_id, _day("paid_on"),
                                                        request.form.get("version") or None, source="page"),
                       detail_page(),
                       lambda claim: f"Cost claim {claim.id} paid on {claim.paid_on.isoformat()} "
                       f"(entry {claim.payment_entry_id}).")
