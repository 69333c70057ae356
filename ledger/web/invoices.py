"""Invoices: the list, one invoice with its lines and findings, and the officer's decisions (approve with a
reason for each line with findings, dispute, reject): the API's own service calls."""

from __future__ import annotations

from decimal import Decimal

from flask import render_template, request, url_for

from ledger import auth, db
from ledger.auth import STAFF, requires
from ledger.invoices import queries, service
from ledger.money import Money
from ledger.timeutil import today
from ledger.web import may, pages
from ledger.web.actions import form_action, required_text
from ledger.web.reconciliation import matches_of_invoice
from ledger.web.tables import Column, Filter, Table, as_shown, list_page

bp = pages("web_invoices", __name__)
DECIDERS = ("finance_officer",)


def shown_status(invoice) -> str:
    """The status as a reader needs it: an approved invoice with part of it paid is `partially paid`."""
    if invoice.status == "approved":
        settled_in_full = Decimal(invoice.payable) - Decimal(invoice.advance_offset)
        if invoice.amount_open != settled_in_full:
            return "partially paid"
        if invoice.due_on is not None and invoice.due_on < today():
            return "approved, overdue"
    return invoice.status


def _money(field: str):
    return lambda i: Money(Decimal(getattr(i, field)), i.currency)


INVOICES = Table(
    columns=[
        Column("id", "No.", "id", kind="number", default_desc=True,
               link=lambda i: url_for("web_invoices.detail", invoice_id=i.id)),
        Column("number", "Invoice", "number", link=lambda i: url_for("web_invoices.detail", invoice_id=i.id)),
        Column("parties", "From → to", "payee", get=lambda i: f"{i.payee_code} → {i.payer_code}"),
        Column("period", "Period", "period", kind="code", default_desc=True),
        Column("issued_on", "Issued", "issued_on", kind="date", default_desc=True),
        Column("due_on", "Due", "due_on", kind="date"),
        Column("payable", "Payable", "payable", kind="money", default_desc=True, get=_money("payable")),
        Column("amount_open", "Open", "amount_open", kind="money", default_desc=True,
               get=lambda i: _money("amount_open")(i) if i.status in ("approved", "paid") else None),
        Column("status", "Status", "status", get=shown_status),
    ],
    filters=[
        Filter("status", "Status", "status", choices=as_shown(*queries.STATUSES)),
        Filter("party", "Party (either side)", "party", placeholder="e.g. RW"),
        Filter("period", "Period", "period", placeholder="YYYY-MM"),
        Filter("overdue", "Overdue", "overdue", choices=[("yes", "approved, unpaid and past due")]),
    ],
    listing=queries.LISTING, default_sort="id",
)


@bp.route("/invoices", endpoint="index")
@requires(*STAFF)
def index():
    return list_page("Invoices", INVOICES.page(db.session()))


@bp.route("/invoices/<int:invoice_id>")
@requires(*STAFF)
def detail(invoice_id: int):
    session = db.session()
    invoice = service.get(session, invoice_id)
    view = service.view(session, invoice)
    needs_reason = sorted({f.line for f in view["findings"] if f.kind == "obligation"},
                          key=lambda line: (line is not None, line or ""))
    does_not_add_up = [f for f in view["findings"] if f.kind == "arithmetic"]
    return render_template("invoices/detail.html", invoice=view, status=shown_status(invoice),
                           etag=service.etag(invoice), needs_reason=needs_reason, does_not_add_up=does_not_add_up,
                           matches=matches_of_invoice(session, invoice_id),
                           can_decide=may(DECIDERS) and invoice.status in service.OPEN_STATUSES)


def _overrides(form, session, invoice) -> list[dict]:
    """One reason per line with findings (`override-<line>`, `override--` for the document itself)."""
    lines = {f.line for f in service.findings_of(session, invoice.id)}  # arithmetic ones: the service refuses
    overrides = []
    for line in sorted(lines, key=lambda x: x or ""):
        reason = form.get(f"override-{line if line is not None else '-'}", "").strip()
        if reason:
            overrides.append({"line": line, "reason": reason[:1000]})
    return overrides


@bp.route("/invoices/<int:invoice_id>/approve", methods=["POST"])
@requires(*DECIDERS)
@form_action(lambda invoice: f"Invoice {invoice.number} approved and posted (entry {invoice.journal_entry_id}).")
def approve(session, invoice_id: int):
    invoice = service.get(session, invoice_id)
    return service.approve(session, invoice, _overrides(request.form, session, invoice), auth.current().name,
                           request.form.get("version") or None, request.form.get("reason", "").strip() or None)


@bp.route("/invoices/<int:invoice_id>/dispute", methods=["POST"])
@requires(*DECIDERS)
@form_action(lambda invoice: f"Invoice {invoice.number} disputed: the partner sees the reason.")
def dispute(session, invoice_id: int):
    reason = required_text("reason", "say why the invoice is disputed", 2000)
    lines = request.form.getlist("lines") or None
    return service.dispute(session, service.get(session, invoice_id), reason, lines, auth.current().name,
                           request.form.get("version") or None)


@bp.route("/invoices/<int:invoice_id>/reject", methods=["POST"])
@requires(*DECIDERS)
@form_action(lambda invoice: f"Invoice {invoice.number} rejected.")
def reject(session, invoice_id: int):
    reason = required_text("reason", "say why the invoice is rejected", 2000)
    return service.reject(session, service.get(session, invoice_id), reason, auth.current().name,
                          request.form.get("version") or None)
