"""The reconciliation queue: proposed matches beside the evidence, unmatched transfers, and the officer's
decisions (confirm, reject, allocate by hand, run). Every decision is the API's own service call."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import flash, redirect, render_template, request, url_for

from ledger import auth, db
from ledger.api import long_writer
from ledger.audit import service as audit
from ledger.auth import STAFF, requires
from ledger.errors import REFUSALS, as_problem
from ledger.invoices import queries as invoices
from ledger.money import Money, in_minor_units
from ledger.reconciliation import queries, rules, service
from ledger.statements import queries as statements
from ledger.web import may, pages
from ledger.web.actions import SHOWN_ON_THE_PAGE, attempt, done, in_savepoint, message
from ledger.web.formats import isotime
from ledger.web.tables import Column, Filter, Table, as_shown

bp = pages("web_reconciliation", __name__)
OFFICERS = ("finance_officer",)


MATCHES = Table(
    columns=[
        Column("id", "Match", "id", kind="number", default_desc=True),
        Column("transfer", "Transfer", "transfer", kind="number"),
        Column("confidence", "Confidence", "confidence", kind="number", default_desc=True),
        Column("value", "Value", "value", kind="money"),
    ],
    filters=[
        Filter("status", "Status", "status", choices=as_shown(*queries.STATUSES)),
        Filter("party", "Party (either side)", "party", placeholder="e.g. GB"),
        Filter("method", "Rule", "method"),
    ],
    listing=queries.MATCHES, default_sort="id", default_desc=False,
)


@dataclass
class _Unexplained:
    """A transfer of the unmatched list with what is known of it: the paid invoice it may pay twice."""

    transfer: object  # a transfer row (`ledger.statements.queries`)
    duplicate_of: queries.PaidInvoice | None

    def __getattr__(self, name: str):
        return getattr(self.transfer, name)


def _looks_like(row: _Unexplained) -> str:
    invoice = row.duplicate_of
    return f"a second payment of {invoice.number} (paid)" if invoice is not None else ""


def _from_to(t) -> str:
    """Who paid whom (payer → payee): the account's owner pays out a debit and receives a credit."""
    owner, other = t.party_code or "unknown", t.counterparty_party or "unknown"
    return rules.direction(other, owner) if t.direction == "credit" else rules.direction(owner, other)


TRANSFERS = Table(
    columns=[
        Column("id", "Transfer", "id", kind="number",
               link=lambda t: url_for("web_reconciliation.find", transfer_id=t.id)),
        Column("booking_date", "Booked", "booking_date", kind="date", default_desc=True),
        Column("parties", "Payer → payee", "party", get=_from_to),
        Column("amount", "Unallocated", "unallocated", kind="money", default_desc=True,
               get=lambda t: Money(in_minor_units(t.amount - t.allocated, t.currency), t.currency)),
        Column("reference", "Reference",
               get=lambda t: t.structured_reference or t.end_to_end_id or t.remittance_information or "none"),
        Column("looks_like", "Looks like", get=_looks_like,
               link=lambda t: url_for("web_invoices.detail", invoice_id=t.duplicate_of.id) if t.duplicate_of else None),
    ],
    filters=[
        Filter("t_party", "Payer or payee", "party", placeholder="e.g. GB"),
        Filter("t_status", "Transfer status", "status",
               choices=[("unmatched", "unmatched"), ("partially_matched", "partially matched")]),
        Filter("t_currency", "Currency", "currency"),
        Filter("t_direction", "Direction", "direction", choices=[("debit", "payments out"), ("credit", "credits in")]),
    ],
    listing=statements.TRANSFERS, default_sort="booking_date", default_desc=True, prefix="t_",
)


def _proposal_cards(session, rows: list) -> list[dict]:
    """Each match with its transfer and invoices beside it: what the evidence is about."""
    views = service.views(session, rows)
    transfer_ids = {v["transfer"] for v in views}
    invoice_ids = {a["invoice"] for v in views for a in v["allocations"] if a["invoice"] is not None}
    transfers = statements.transfers_by_ids(session, transfer_ids)
    found = invoices.by_ids(session, invoice_ids)
    cards = []
    for row, v in zip(rows, views, strict=True):
        t = transfers.get(v["transfer"])
        cards.append({"match": v, "transfer": t, "version": row.version, "reason": rules.reason(v),
                      "direction": _from_to(t) if t else rules.direction(v["payer"], v["payee"]),
                      "transfer_amount": Money(in_minor_units(t.amount, t.currency), t.currency) if t else None,
                      "invoices": [(a, found.get(a["invoice"])) for a in v["allocations"]]})
    return cards


@bp.route("/reconciliation", endpoint="index")
@requires(*STAFF)
def index():
    session = db.session()
    args = request.args.to_dict()
    args.setdefault("status", "proposed")
    matches = MATCHES.page(session, args=args)
    matches.rows = _proposal_cards(session, matches.rows)
    transfers = TRANSFERS.page(session, queries.unmatched_transfers())  # the one definition every page counts by
    duplicates = queries.possible_duplicates(session, transfers.rows)
    transfers.rows = [_Unexplained(t, duplicates.get(t.id)) for t in transfers.rows]
    return render_template("reconciliation/index.html", matches=matches, transfers=transfers,
                           can_decide=may(OFFICERS),
                           unmatched_count=queries.unmatched_count(session), definition=queries.UNMATCHED_DEFINITION)


@bp.route("/reconciliation/matches/<int:match_id>")
@requires(*STAFF)
def match(match_id: int):
    session = db.session()
    card = _proposal_cards(session, [service.get(session, match_id)])[0]
    return render_template("reconciliation/match.html", card=card, can_decide=may(OFFICERS))


def _back() -> str:
    target = request.form.get("back", "")
    return target if target.startswith("/reconciliation") and not target.startswith("//") else url_for(".index")


def stale_note(row) -> str:
    """Who changed a match, and when: what a stale page (or a second click) is told."""
    if row.decided_by and row.decided_at:
        return f"match {row.id} was {row.status} by {row.decided_by} at {isotime(row.decided_at)}"
    return f"match {row.id} is {row.status} (made by {row.created_by} at {isotime(row.created_at)})"


def _decide(match_id: int, action, back: str):
    """Run a decision on a match; a page that was stale (412) or a decision already taken (409) is told who took
    it and when."""
    ok, result = in_savepoint(action)
    if ok:
        return True, result
    problem, text = result, message(result)
    row = service.get(db.session(), match_id)
    if (problem.status == 412 or problem.code == "invalid_transition") and row.status != "proposed":
        text = f"your page was out of date: {stale_note(row)}"
    flash(f"Nothing was changed. Match {match_id}: {text}.", "error")
    return False, redirect(back, 303)


def _settled(match_id: int) -> str:
    return ", ".join(f"invoice {a.invoice_id}" if a.invoice_id is not None else f"cost claim CC-{a.claim_id}"
                     for a in service.allocations_of(db.session(), [match_id])[match_id])


@bp.route("/reconciliation/matches/<int:match_id>/confirm", methods=["POST"])
@requires(*OFFICERS)
def confirm(match_id: int):
    ok, result = _decide(match_id, lambda s: service.confirm(s, match_id, auth.current().name,
                                                             request.form.get("version") or None), _back())
    if not ok:
        return result
    return done(f"Match {match_id} confirmed and posted (entry {result.journal_entry_id}); {_settled(match_id)} "
                "updated.", _back())


@bp.route("/reconciliation/matches/<int:match_id>/reject", methods=["POST"])
@requires(*OFFICERS)
def reject(match_id: int):
    reason = request.form.get("reason", "").strip() or None
    ok, result = _decide(match_id, lambda s: service.reject(s, match_id, auth.current().name, reason,
                                                            request.form.get("version") or None), _back())
    return result if not ok else done(f"Match {match_id} rejected: it will not be proposed again.", _back())


@bp.route("/reconciliation/matches/<int:match_id>/reverse", methods=["POST"])
@requires(*OFFICERS)
def reverse(match_id: int):
    """Undo a posted match (auto, confirmed or by hand): the API's own reversal, with the officer's reason."""
    back = url_for(".match", match_id=match_id)
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash("Nothing was changed. Reason: say why the match is reversed (it goes into the journal and the "
              "audit log).", "error")
        return redirect(back + "#reverse", 303)
    ok, result = _decide(match_id, lambda s: service.reverse(s, match_id, auth.current().name, reason,
                                                             request.form.get("version") or None), back)
    if not ok:
        return result
    return done(f"Match {match_id} reversed (entry {result.reversal_entry_id}): transfer {result.transfer_id} "
                f"is unmatched again and {_settled(match_id)} open again.", back)


def _bulk(ids: list[int], decide, verb: str) -> str:
    """Decide each match in its own savepoint: one stale or refused match does not undo the others."""
    session = db.session()
    done_ids, refused = [], []
    for match_id in ids:
        notes = len(audit.pending(session))
        try:
            with session.begin_nested():
                decide(session, match_id)
            done_ids.append(match_id)
        except REFUSALS as refusal:
            problem = as_problem(refusal)
            if problem.status not in SHOWN_ON_THE_PAGE and problem.status != 404:
                raise
            audit.forget_since(session, notes)
            row = service.get(session, match_id)
            refused.append(stale_note(row) if row.status != "proposed" else f"match {match_id}: {message(problem)}")
    text = f"{len(done_ids)} {verb}" + (f" ({', '.join(map(str, done_ids))})" if done_ids else "")
    return text + (f"; not changed: {'; '.join(refused)}" if refused else "")


def _selected() -> list[int]:
    return sorted({int(v) for v in request.form.getlist("match") if v.isdigit()})


@bp.route("/reconciliation/matches/bulk", methods=["POST"])
@requires(*OFFICERS)
def bulk():
    """Confirm or reject the proposals ticked on the queue, each against the version the page showed."""
    ids, action = _selected(), request.form.get("action", "")
    if not ids or action not in ("confirm", "reject"):
        flash("Nothing was changed: tick one or more proposals, then confirm or reject them.", "error")
        return redirect(_back(), 303)
    actor, reason = auth.current().name, request.form.get("reason", "").strip() or None

    def decide(session, match_id):
        version = request.form.get(f"version-{match_id}") or None
        if action == "confirm":
            return service.confirm(session, match_id, actor, version)
        return service.reject(session, match_id, actor, reason, version)

    text = _bulk(ids, decide, "confirmed and posted" if action == "confirm" else "rejected")
    return done(f"Proposals: {text}.", _back())


@bp.route("/reconciliation/matches/confirm-confident", methods=["POST"])
@requires(*OFFICERS)
def confirm_confident():
    """Confirm every proposal with a confidence at or above the one given."""
    try:
        floor = Decimal(request.form.get("confidence", "").strip())
    except InvalidOperation:
        floor = None
    if floor is None or not floor.is_finite() or not Decimal(0) <= floor <= Decimal(1):
        flash("Nothing was changed. Confidence: give a number from 0 to 1, e.g. 0.9.", "error")
        return redirect(_back() + "#confident", 303)
    session = db.session()
    ids = queries.confident_proposals(session, floor)
    actor = auth.current().name
    text = _bulk(ids, lambda s, match_id: service.confirm(s, match_id, actor), "confirmed and posted")
    return done(f"Proposals with confidence ≥ {floor}: {text}.", _back())


@bp.route("/reconciliation/runs", methods=["POST"])
@long_writer
@requires(*OFFICERS)
def run():
    ok, record = attempt(lambda s: service.run(s, auth.current().name), url_for(".index"))
    if not ok:
        return record
    count = queries.unmatched_count(db.session())
    return done(f"Reconciliation run {record.id}: {record.auto_matched} matched and posted, {record.proposed} "
                f"proposed for review; {count} transfers unmatched (booked, not a reversal, money not yet explained "
                "by a posted match, proposals waiting included).", url_for(".index"))


def matches_of_invoice(session, invoice_id: int) -> list[dict]:
    return queries.matches_of(session, invoice=invoice_id)



from ledger.web import reconciliation_match  # noqa: E402,F401  (its pages are routes of this blueprint)
