"""Find & match: an officer matches an unmatched (or partly matched) transfer to invoices or EU cost claims
picked from a search, sees the allocated total and the difference (live with JavaScript, on "Check totals"
without), may write the difference off to a named account, and saves. A refusal re-renders the same page with
the reason next to the field and everything typed kept; a write-off above the officer's limit becomes a request
for a second officer's approval."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app, render_template, request, url_for

from ledger import auth, db
from ledger.errors import REFUSALS, Problem, as_problem, not_found
from ledger.money import minor_units, quantize
from ledger.reconciliation import queries, rules, service
from ledger.statements import queries as statements
from ledger.web import may
from ledger.web.actions import done, message
from ledger.web.reconciliation import OFFICERS, bp, stale_note

SEARCH_FIELDS = ("q", "party", "amount", "tolerance", "date_from", "date_to")


@dataclass
class MatchForm:
    """What the page shows and the officer typed: the search, the picks with their amounts, the write-off."""

    values: dict[str, str] = field(default_factory=dict)
    picked: dict[str, str] = field(default_factory=dict)  # candidate key → amount typed
    errors: dict[str, str] = field(default_factory=dict)  # field name (or candidate key) → message
    general: str = ""


def _decimal(text: str, name: str, errors: dict[str, str], currency: str) -> Decimal | None:
    text = (text or "").replace(",", "").replace(" ", "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[name] = "give an amount as a number, e.g. 1250.00"
        return None
    if not value.is_finite() or value < 0:
        errors[name] = "give an amount of zero or more"
        return None
    if quantize(value, currency) != value:
        errors[name] = f"{currency} amounts have at most {minor_units(currency)} decimals"
        return None
    return value


def _day(text: str, name: str, errors: dict[str, str]) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[name] = "give a date as YYYY-MM-DD"
        return None


def _criteria(values: dict[str, str], currency: str, errors: dict[str, str]) -> queries.Criteria:
    amount = _decimal(values.get("amount", ""), "amount", errors, currency)
    tolerance = _decimal(values.get("tolerance", ""), "tolerance", errors, currency) or Decimal(0)
    return queries.Criteria(text=values.get("q", "").strip(), party=values.get("party", "").strip(), amount=amount,
                           tolerance=tolerance, date_from=_day(values.get("date_from", ""), "date_from", errors),
                           date_to=_day(values.get("date_to", ""), "date_to", errors))


def _transfer(session, transfer_id: int):
    transfer = statements.transfer(session, transfer_id)
    if transfer is None:
        raise not_found("transfer")
    return transfer


def _limit() -> Decimal:
    return rules.write_off_limit(current_app.config.get("LEDGER_WRITE_OFF_LIMITS") or {}, auth.current().role)


def _render(transfer, form: MatchForm, status: int = 200):
    session = db.session()
    errors = dict(form.errors)
    criteria = _criteria(form.values, transfer.currency, errors)
    found = queries.candidates(session, transfer, criteria)
    shown = {c.key for c in found}
    kept = [c for key, c in queries.by_keys(session, transfer, list(form.picked)).items() if key not in shown]
    unallocated = transfer.amount - transfer.allocated
    rows = []
    for c in kept + found:
        default = min(c.open_amount, unallocated) if c.kind != "claim" else c.open_amount
        rows.append({"c": c, "checked": c.key in form.picked,
                     "amount": form.picked.get(c.key) or f"{quantize(default, c.currency)}"})
    allocated = Decimal(0)
    for typed in form.picked.values():
        with contextlib.suppress(InvalidOperation):
            allocated += Decimal(typed.replace(",", "") or "0")
    history = queries.matches_of(session, transfer=transfer.id)
    return render_template(
        "reconciliation/find.html", t=transfer, form=form, errors=errors, rows=rows,
        unallocated=quantize(unallocated, transfer.currency), allocated=allocated,
        difference=quantize(unallocated, transfer.currency) - allocated, history=history,
        direction=rules.direction(*_payer_payee(transfer)), accounts=rules.WRITE_OFF_ACCOUNTS, limit=_limit(),
        can_decide=may(OFFICERS), search_fields=SEARCH_FIELDS), status


def _payer_payee(t) -> tuple[str | None, str | None]:
    """A debit is paid by the account's owner; a credit is paid to it."""
    return (t.counterparty_party, t.party_code) if t.direction == "credit" else (t.party_code, t.counterparty_party)


@bp.route("/reconciliation/transfers/<int:transfer_id>", endpoint="find")
@auth.requires(*auth.STAFF)
def find(transfer_id: int):
    transfer = _transfer(db.session(), transfer_id)
    values = {name: request.args.get(name, "") for name in SEARCH_FIELDS}
    if not any(values.values()) and transfer.counterparty_party:
        values["party"] = transfer.counterparty_party
    return _render(transfer, MatchForm(values=values))


def _read_form(transfer) -> MatchForm:
    form = MatchForm(values={name: request.form.get(name, "") for name in
                             (*SEARCH_FIELDS, "write_off", "write_off_account", "write_off_reason",
                              "seen_allocated", "seen_write_off")})
    for key in request.form.getlist("pick"):
        form.picked[key] = request.form.get(f"amount-{key}", "").strip()
    return form


def _allocations(transfer, form: MatchForm) -> list[dict]:
    allocations = []
    for key, typed in form.picked.items():
        kind, _, number = key.partition(":")
        amount = _decimal(typed, key, form.errors, transfer.currency)
        if amount is None and key not in form.errors:
            form.errors[key] = "give the amount to allocate"
        elif amount is not None and amount <= 0:
            form.errors[key] = "the amount must be more than zero"
        if kind in ("invoice", "claim") and number.isdigit() and key not in form.errors:
            allocations.append({kind: int(number), "amount": amount})
    if not form.picked:
        form.errors["pick"] = "tick at least one invoice or claim from the search"
    return allocations


def _stale(transfer, form: MatchForm) -> str | None:
    """The transfer changed since the page was shown (another officer, or this form sent twice)."""
    seen = form.values.get("seen_allocated", "")
    try:
        changed = seen and Decimal(seen) != transfer.allocated
    except InvalidOperation:
        changed = True
    if not changed:
        return None
    latest = queries.latest_match_of_transfer(db.session(), transfer.id)
    note = stale_note(latest) if latest is not None else "it changed"
    return (f"Transfer {transfer.id} changed since this page was shown: {note}. Nothing was saved; check the figures "
            "below (your picks are kept) and save again if they are still right.")


def _problem_to_form(problem: Problem, form: MatchForm) -> None:
    keys = list(form.picked)
    for name, texts in (problem.errors or {}).items():
        parts = name.split(".")
        if parts[0] == "allocations" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(keys):
            form.errors[keys[int(parts[1])]] = " ".join(texts)
        elif name in ("write_off", "write_off_account", "write_off_reason"):
            form.errors[name] = " ".join(texts)
        else:
            form.general = message(problem)
    if not problem.errors:
        form.general = f"Nothing was saved. {problem.detail}"


@bp.route("/reconciliation/transfers/<int:transfer_id>", methods=["POST"])
@auth.requires(*OFFICERS)
def save(transfer_id: int):
    session = db.session()
    transfer = _transfer(session, transfer_id)
    form = _read_form(transfer)
    allocations = _allocations(transfer, form)
    if "check" in request.form or "search" in request.form:
        form.errors.pop("pick", None)
        return _render(transfer, form)
    stale = _stale(transfer, form)
    if stale:
        form.general = stale
        return _render(transfer, form, 409)
    if form.errors:
        return _render(transfer, form, 422)
    write_off = None
    if form.values.get("write_off") == "yes":
        write_off = service.WriteOff(account=form.values.get("write_off_account", ""),
                                     reason=form.values.get("write_off_reason", "").strip(), limit=_limit())
    try:
        with session.begin_nested():
            row = service.manual(session, transfer.id, allocations, auth.current().name, write_off)
    except REFUSALS as refusal:
        problem = as_problem(refusal)
        if problem.status not in (409, 412, 422):
            raise
        if problem.code == "write_off_above_limit" and "ask_approval" in request.form:
            return _ask_approval(transfer, allocations, write_off)
        if problem.code == "write_off_above_limit":
            form.values["above_limit"] = "yes"  # offers "ask a second officer" beside the write-off
        _problem_to_form(problem, form)
        return _render(transfer, form, problem.status)
    written = f", {write_off.account.replace('_', ' ')} written off" if write_off else ""
    return done(f"Transfer {transfer.id} matched by hand (match {row.id}, entry {row.journal_entry_id}{written}).",
                url_for(".match", match_id=row.id))


def _ask_approval(transfer, allocations: list[dict], write_off: service.WriteOff):
    """Above the limit: nothing is posted; the whole match waits for a second officer (approvals page)."""
    approval, written_off = service.ask_write_off_approval(db.session(), auth.current(), transfer, allocations,
                                                           write_off)
    return done(f"Writing off {written_off:,} {transfer.currency} is above your limit of {write_off.limit:,} "
                f"{transfer.currency}: nothing was posted yet; request {approval.id} waits for a second officer "
                "on the Approvals page.", url_for("web_approvals.index"))
