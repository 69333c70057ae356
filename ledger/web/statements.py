"""Bank statements: the imports so far, importing a file (with an upload progress bar when scripts run), and one
import's summary (imported, duplicates, balance check, flags). The import is the API's own service call."""

from __future__ import annotations

import re

from flask import Response, flash, redirect, render_template, request, url_for

from ledger import auth, db
from ledger.api import long_writer
from ledger.auth import STAFF, requires
from ledger.errors import field_error
from ledger.money import Money, in_minor_units
from ledger.statements import queries, service
from ledger.web import may, pages
from ledger.web.actions import attempt, detail_page, done
from ledger.web.tables import Column, Filter, Table, as_shown

bp = pages("web_statements", __name__)
IMPORTERS = ("finance_officer", "admin")


def _result(record) -> str:
    if record.voided_at is not None:
        return "voided"
    return "warning" if warnings_of(record) else "imported"


def _balance(field: str):
    def get(s):
        value = getattr(s, field)
        return Money(in_minor_units(value, s.currency), s.currency) if value is not None and s.currency else None
    return get


STATEMENTS = Table(
    columns=[
        Column("id", "Import", "id", kind="number", default_desc=True,
               link=lambda s: url_for("web_statements.detail", statement_id=s.id)),
        Column("imported_at", "Imported at (UTC)", "imported_at", kind="datetime", default_desc=True),
        Column("format", "Format", "format", kind="code"),
        Column("party", "Account of", "party", kind="code", get=lambda s: s.party_code or "several/unknown"),
        Column("imported", "Transfers imported", "imported", kind="number", default_desc=True),
        Column("duplicates", "Duplicates skipped", "duplicates", kind="number", default_desc=True),
        Column("closing", "Closing balance", kind="money", get=_balance("closing_balance")),
        Column("balance_check", "Balance check", "balance_check"),
        Column("flags", "Flags", get=lambda s: s.flags.replace(",", ", ").replace("_", " ") or "none"),
        Column("result", "Result", get=lambda s: _result(s)),
    ],
    filters=[
        Filter("result", "Result", "result",
               choices=[("ok", "imported"), ("warning", "warning"), ("voided", "voided")]),
        Filter("party", "Account of", "party", placeholder="e.g. GB"),
        Filter("balance_check", "Balance check", "balance_check", choices=as_shown("ok", "mismatch", "unavailable")),
    ],
    listing=queries.STATEMENTS, default_sort="id",
)

TRANSFERS = Table(
    columns=[
        Column("id", "Transfer", "id", kind="number"),
        Column("booking_date", "Booked", "booking_date", kind="date", default_desc=True),
        Column("direction", "Direction", "direction"),
        Column("counterparty", "Counterparty", "counterparty",
               get=lambda t: t.counterparty_party or t.counterparty_name or t.counterparty_iban or "unknown"),
        Column("amount", "Amount", "amount", kind="money", default_desc=True,
               get=lambda t: Money(in_minor_units(t.amount, t.currency), t.currency)),
        Column("status", "Matched", get=lambda t: "voided" if t.booking_status == queries.VOIDED
               else service.transfer_status(t.amount, t.allocated).replace("_", " ")),
        Column("reference", "Reference", get=lambda t: t.structured_reference or t.end_to_end_id or ""),
    ],
    filters=[Filter("status", "Matched", "status",
                    choices=[("unmatched", "unmatched"), ("partially_matched", "partially matched"),
                             ("matched", "matched")])],
    listing=queries.TRANSFERS, default_sort="id",
)


@bp.route("/statements", endpoint="index")
@requires(*STAFF)
def index():
    return render_template("statements/index.html", table=STATEMENTS.page(db.session()), can_import=may(IMPORTERS))


@bp.route("/statements/<int:statement_id>")
@requires(*STAFF)
def detail(statement_id: int):
    session = db.session()
    record = service.get(session, statement_id)
    transfers = TRANSFERS.page(session, queries.transfers_of(statement_id))
    return render_template("statements/detail.html", statement=service.view(session, record, detail=True),
                           transfers=transfers, can_void=may(IMPORTERS) and record.voided_at is None,
                           holding=queries.matches_holding(session, statement_id) if record.voided_at is None else [])


@bp.route("/statements/<int:statement_id>/void", methods=["POST"])
@requires(*IMPORTERS)
def void(statement_id: int):
    def act(session):
        record = service.get(session, statement_id)
        return service.void_import(session, record, reason=request.form.get("reason", ""), actor=auth.current().name)

    ok, record = attempt(act, detail_page() + "#void")
    if not ok:
        return record
    return done(f"Import {statement_id} is voided: its transfers are out of reconciliation and its cash entries "
                "are reversed in the journal. Import the corrected file now if there is one.", detail_page())


def _imported(record) -> Response:
    """The import's summary on its page: a success only when the balances close and something new came in.

    A mismatch is imported (the file is what the bank sent) but is not a plain success: entries may be
    missing or misread, so the person is told to check it against the bank's statement.
    """
    summary = (f"Statement imported: {record.imported} transfers, {record.duplicates} duplicates skipped, "
               f"balance check {record.balance_check}.")
    problems = warnings_of(record)
    to = url_for(".detail", statement_id=record.id)
    if not problems:
        return done(summary, to)
    flash(" ".join([summary, *problems]), "warning")
    return redirect(to, 303)


def warnings_of(record) -> list[str]:
    """What keeps an import from being a plain success, each in a sentence the officer can act on."""
    flags = set(filter(None, record.flags.split(",")))
    problems = []
    if record.balance_check == "mismatch":
        problems.append(BALANCE_MISMATCH)
    if "unknown_account" in flags:
        problems.append(UNKNOWN_ACCOUNT)
    if queries.DIFFERS_FLAG in flags:
        problems.append(CASH_DIFFERS)
    if record.imported == 0:
        problems.append(NOTHING_NEW)
    return problems


UNKNOWN_ACCOUNT = ("Some entries are on a bank account no party holds: they wait, unmatched, until the account is "
                   "registered to its party.")
CASH_DIFFERS = ("The statement's closing balance differs from the ledger's cash at that bank account: a statement "
                "before this one may be missing.")
BALANCE_MISMATCH = ("The opening balance plus the entries does not give the closing balance: check the file "
                    "against the bank's statement before relying on it.")
NOTHING_NEW = "Nothing new: every entry in the file had been imported before, or it has none."


@bp.route("/statements", methods=["POST"])
@long_writer
@requires(*IMPORTERS)
def upload():
    def act(session):
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise field_error("file", "choose a statement file to import")
        currency = request.form.get("currency", "").strip().upper() or None
        if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
            raise field_error("currency", "a three-letter currency code, e.g. GBP")
        return service.import_statement(session, upload.stream, actor=auth.current().key, default_currency=currency)

    ok, record = attempt(act, url_for(".index"))
    if ok:
        record = _imported(record)
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        # The progress bar's request: name the next page rather than redirect, so the browser (not the script)
        # loads it and shows the message waiting there.
        return Response(record.headers["Location"], 200, mimetype="text/plain")
    return record
