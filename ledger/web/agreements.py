"""Agreements with their terms and versions; returnees (pseudonyms only) and the obligations they give rise to."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import Decimal

from flask import render_template, request, url_for

from ledger import db
from ledger.agreements import queries, service
from ledger.agreements.rules import obligations as obligation_rules
from ledger.auth import STAFF, requires
from ledger.errors import Problem, field_error
from ledger.money import Money
from ledger.parties import queries as parties_queries
from ledger.timeutil import period_of, today
from ledger.web import agreement_forms as term_form
from ledger.web import may, pages
from ledger.web.actions import carried_out, chosen, detail_page, done, form_action, required_text
from ledger.web.tables import Column, Filter, Table, as_shown

bp = pages("web_agreements", __name__)
returnees_bp = pages("web_returnees", __name__)


def short(pseudonym: str | None) -> str:
    """A pseudonym is 64 hex characters; its first 12 tell returnees apart on a page (the full one is on the
    returnee's own page). Erased returnees have none."""
    return f"{pseudonym[:12]}…" if pseudonym else "(erased)"


AGREEMENTS = Table(
    columns=[
        Column("reference", "Reference", "reference", kind="code",
               link=lambda a: url_for("web_agreements.detail", agreement_id=a.id)),
        Column("kind", "Kind", "kind", get=lambda a: a.kind.replace("_", " ")),
        Column("parties", "Payer → payee", "payer", get=lambda a: f"{a.payer_code} → {a.payee_code}"),
        Column("currency", "Currency", "currency", kind="code"),
        Column("effective_from", "From", "effective_from", kind="date", default_desc=True),
        Column("effective_to", "To", "effective_to", kind="date", default_desc=True),
        Column("status", "Status", get=service.status_of),
    ],
    filters=[
        Filter("party", "Party (either side)", "party", placeholder="e.g. GB"),
        Filter("q", "Reference contains", "q"),
    ],
    listing=queries.AGREEMENTS, default_sort="reference",
)

OBLIGATIONS = Table(
    columns=[
        Column("id", "No.", "id", kind="number", default_desc=True),
        Column("period", "Period", "period", kind="code", default_desc=True),
        Column("due_on", "Due", "due_on", kind="date", default_desc=True),
        Column("kind", "Kind", "kind", get=lambda o: o.kind.replace("_", " ")),
        Column("returnee", "Returnee", "returnee", kind="number",
               link=lambda o: url_for("web_returnees.detail", returnee_id=o.returnee_id) if o.returnee_id else None,
               get=lambda o: o.returnee_id),
        Column("amount", "Amount", "amount", kind="money", default_desc=True,
               get=lambda o: Money(Decimal(o.amount), o.currency)),
        Column("status", "Status", "status"),
        Column("journal_entry", "Entry", "journal_entry", kind="number",
               link=lambda o: url_for("web.journal_entry", entry_id=o.journal_entry_id),
               get=lambda o: o.journal_entry_id),
    ],
    filters=[
        Filter("period", "Period", "period", placeholder="YYYY-MM"),
        Filter("status", "Status", "status", choices=as_shown("accrued", "invoiced", "paid")),
    ],
    listing=queries.OBLIGATIONS, default_sort="id",
)

RETURNEES = Table(
    columns=[
        Column("id", "No.", "id", kind="number", default_desc=True,
               link=lambda r: url_for("web_returnees.detail", returnee_id=r.id)),
        Column("pseudonym", "Pseudonym", "pseudonym", kind="code", get=lambda r: short(r.pseudonym)),
        Column("agreement", "Agreement", "agreement", kind="code",
               link=lambda r: url_for("web_agreements.detail", agreement_id=r.agreement_id),
               get=lambda r: r.agreement_reference),
        Column("nationality", "Nationality", "nationality", kind="code"),
        Column("status", "Status", "status"),
        Column("transferred_on", "Transferred", "transferred_on", kind="date", default_desc=True),
        Column("accepted_on", "Accepted", "accepted_on", kind="date", default_desc=True),
        Column("departed_on", "Departed", "departed_on", kind="date", default_desc=True),
    ],
    filters=[
        Filter("agreement", "Agreement (number or reference)", "agreement"),
        Filter("status", "Status", "status", choices=as_shown("transferred", "accepted", "departed")),
        Filter("nationality", "Nationality", "nationality", placeholder="e.g. ALB"),
    ],
    listing=queries.RETURNEES, default_sort="id",
)


@bp.route("/agreements", endpoint="index")
@requires(*STAFF)
def index():
    return render_template("agreements/index.html", table=AGREEMENTS.page(db.session()), can_write=may(WRITERS))


#: Who changes agreements and records events on the pages: the API's writers (auditors only read).
WRITERS = ("admin", "finance_officer")


@bp.route("/agreements/<int:agreement_id>")
@requires(*STAFF)
def detail(agreement_id: int):
    session = db.session()
    agreement = service.get(session, agreement_id)
    versions = service.versions(session, agreement.id)
    obligations = OBLIGATIONS.page(session, service.obligations_query(agreement.id))
    last_month = period_of(today().replace(day=1) - timedelta(days=1))
    return render_template("agreements/detail.html", agreement=service.view(session, agreement), versions=versions,
                           obligations=obligations, can_write=may(WRITERS),
                           etag=service.etag(agreement), last_month=last_month, today=today().isoformat())


def _date(name: str, *, required: bool = True) -> date | None:
    """A date typed into a form (YYYY-MM-DD, what a date input sends)."""
    text = request.form.get(name, "").strip()
    if not text and not required:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise field_error(name, "give a date as YYYY-MM-DD") from None


@bp.route("/agreements/<int:agreement_id>/accrue", methods=["POST"])
@requires(*WRITERS)
def accrue(agreement_id: int):
    period = request.form.get("period", "").strip()
    return carried_out(lambda s: service.accrue_agreement(s, service.get(s, agreement_id), period), detail_page(),
                       lambda posted: f"{period} accrued: {posted} new obligations posted." if posted
                       else f"{period} accrued: nothing new was payable (it had been accrued already).")


@bp.route("/agreements/<int:agreement_id>/amend", methods=["POST"])
@requires(*WRITERS)
@form_action(lambda version: f"Version {version.number} in force from {version.effective_from.isoformat()}; "
             "the next accrual re-prices anything it changes.")
def amend(session, agreement_id: int):
    effective_from = _date("effective_from")
    try:
        terms = json.loads(request.form.get("terms", ""))
    except ValueError as error:
        raise field_error("terms", f"the terms are not valid JSON ({error.msg}, line {error.lineno})") from None
    return service.amend(session, service.get(session, agreement_id), effective_from, terms,
                         request.form.get("version") or None)


@bp.route("/agreements/<int:agreement_id>/terminate", methods=["POST"])
@requires(*WRITERS)
@form_action(lambda agreement: f"Agreement {agreement.reference} terminated with effect from "
             f"{agreement.terminated_on.isoformat()}.")
def terminate(session, agreement_id: int):
    effective_on = _date("effective_on")
    reason = required_text("reason", "say why the agreement ends", 500)
    return service.terminate(session, service.get(session, agreement_id), effective_on, reason,
                             _date("notified_on", required=False), request.form.get("version") or None)


KINDS = [("return_hub", "return hub (bilateral)"), ("mutual_recognition", "EU mutual recognition")]


def _form_errors(problem: Problem, rows_of: dict | None = None) -> dict[str, str]:
    """The refusal's messages by the form field they belong to ("" for the form as a whole)."""
    errors: dict[str, str] = {}
    for field, messages in (problem.errors or {}).items():
        errors[term_form.form_field(field, rows_of or {})] = "; ".join(messages)
    if not errors:
        errors[""] = problem.detail
    return errors


def _terms_page(template: str, status: int = 200, **context):
    values = context.setdefault("values", {})
    rows = {name: term_form.row_count(values, name) for name in term_form.ROW_TERMS}
    context.setdefault("errors", {})
    return render_template(template, rows=rows, today=today().isoformat(), **context), status


@bp.route("/agreements/new", methods=["GET", "POST"])
@requires(*WRITERS)
def new():
    session = db.session()
    parties = list(parties_queries.names(session).items())
    if request.method == "GET":
        values = {"effective_from": today().isoformat(), "signed_on": today().isoformat()}
        return _terms_page("agreements/form.html", values=values, parties=parties, kinds=KINDS)
    values = request.form.to_dict()
    rows_of: dict = {}
    try:
        with session.begin_nested():
            terms, rows_of = term_form.terms_from_form(request.form)
            data = {"reference": required_text("reference", "give the agreement's reference", 100),
                    "kind": request.form.get("kind", ""), "payer": request.form.get("payer", ""),
                    "payee": request.form.get("payee", ""),
                    "currency": request.form.get("currency", "").strip().upper(),
                    "signed_on": _date("signed_on", required=False), "effective_from": _date("effective_from"),
                    "effective_to": _date("effective_to", required=False), "terms": terms}
            if data["kind"] not in dict(KINDS):
                raise field_error("kind", "choose the kind of agreement")
            if not re.fullmatch(r"[A-Z]{3}", data["currency"]):
                raise field_error("currency", "a three-letter currency code, e.g. GBP")
            agreement = service.create(session, data)
    except Problem as problem:
        if problem.status not in (409, 422):
            raise
        return _terms_page("agreements/form.html", 422, values=values, parties=parties, kinds=KINDS,
                           errors=_form_errors(problem, rows_of))
    return done(f"Agreement {agreement.reference} created (version 1 from "
                f"{agreement.effective_from.isoformat()}).", url_for(".detail", agreement_id=agreement.id))


@bp.route("/agreements/<int:agreement_id>/terms", methods=["GET", "POST"])
@requires(*WRITERS)
def amend_form(agreement_id: int):
    """Amend the terms with a field per term: the form holds the complete terms (pre-filled with those in force
    on the date chosen), "Preview" shows what the amendment would re-price, "Add the version" makes it."""
    session = db.session()
    agreement = service.get(session, agreement_id)
    page = {"agreement": service.view(session, agreement), "etag": service.etag(agreement)}
    if request.method == "GET":
        on = _date_arg("on") or today()
        in_force = service.terms_in_force(session, agreement, on)
        values = {**term_form.form_values(in_force), "effective_from": on.isoformat()}
        return _terms_page("agreements/amend.html", values=values, **page)
    values = request.form.to_dict()
    rows_of: dict = {}
    try:
        with session.begin_nested():
            effective_from = _date("effective_from")
            terms, rows_of = term_form.terms_from_form(request.form)
            patch = term_form.merge_diff(service.terms_in_force(session, agreement, effective_from), terms,
                                         term_form.FORM_TERMS)
            if "preview" in request.form:
                preview = service.preview_amendment(session, agreement, effective_from, patch)
                return _terms_page("agreements/amend.html", values=values, preview=preview, patch=patch, **page)
            version = service.amend(session, agreement, effective_from, patch, request.form.get("version") or None)
    except Problem as problem:
        if problem.status not in (409, 412, 422):
            raise
        if problem.status == 412:
            problem.errors = {"": [f"{problem.detail}: {_last_change(session, agreement_id)} while this form was "
                                   "open. Your values are kept below; reload the terms in force to start again."]}
        return _terms_page("agreements/amend.html", 422 if problem.status == 422 else problem.status,
                           values=values, errors=_form_errors(problem, rows_of), **page)
    return done(f"Version {version.number} in force from {version.effective_from.isoformat()}; the next accrual "
                f"re-prices anything it changes.", url_for(".detail", agreement_id=agreement_id))


def _last_change(session, agreement_id: int) -> str:
    """Who changed the agreement last, and when: what a stale form tells its officer."""
    from ledger.web.who import last_change

    change = last_change(session, "agreement", str(agreement_id))
    return f"changed by {change}" if change else "it was changed"


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


class _ReturneeRow:
    """A returnee with its agreement's reference (the list shows references, not internal numbers)."""

    def __init__(self, returnee, reference: str):
        self.returnee, self.agreement_reference = returnee, reference

    def __getattr__(self, name):
        return getattr(self.returnee, name)


@returnees_bp.route("/returnees", endpoint="index")
@requires(*STAFF)
def returnees():
    session = db.session()
    table = RETURNEES.page(session)
    ids = {r.agreement_id for r in table.rows}
    references = queries.references(session, ids)
    table.rows = [_ReturneeRow(r, references.get(r.agreement_id, str(r.agreement_id))) for r in table.rows]
    return render_template("agreements/returnees.html", table=table)


@returnees_bp.route("/returnees/<int:returnee_id>", endpoint="detail")
@requires(*STAFF)
def returnee(returnee_id: int):
    session = db.session()
    returnee, agreement = service.get_returnee(session, returnee_id)
    return render_template("agreements/returnee.html", returnee=service.returnee_shown(session, returnee),
                           agreement=agreement, events=service.events(session, returnee.id),
                           can_write=may(WRITERS), today=today().isoformat())


@returnees_bp.route("/returnees/<int:returnee_id>/events", methods=["POST"])
@requires(*WRITERS)
@form_action(lambda event: f"Recorded: {event.type} on {event.occurred_on.isoformat()}. The next accrual prices it.")
def add_event(session, returnee_id: int):
    kind = chosen("type", ("accepted", *obligation_rules.DEPARTURES),
                  "choose accepted, departed, voluntary_departure or returned_onward")
    returnee, _ = service.get_returnee(session, returnee_id)
    return service.add_event(session, returnee, kind, _date("occurred_on"))
