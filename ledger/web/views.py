"""The workspace's own pages: sign-in and sign-out, the dashboard, and what the foundation holds
(parties, accounts with balances, journal entries, the audit log)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from ledger import auth, db
from ledger.audit import queries as audit_log
from ledger.auth import STAFF, public, requires
from ledger.journal import queries as journal_queries
from ledger.journal.rules import canonical_rate
from ledger.money import Money
from ledger.parties import queries as parties_queries
from ledger.web import dashboard, formats, pages, people
from ledger.web.limits import limiter, sign_in_rate
from ledger.web.models import User
from ledger.web.tables import Column, Filter, Table, list_page

bp = pages("web", static_folder="static", static_url_path="/assets")

SIGN_IN_FAILED = ("Sign-in failed. Check the email address and password. After repeated failures an "
                  "account is locked for a while.")


# ---- signing in and out ------------------------------------------------------------------------------

def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    if not target:
        return _home()
    parts = urlsplit(target)
    # Browsers drop tabs and newlines and read a backslash as "/": both could turn a path into "//elsewhere".
    odd = any(c.isspace() or ord(c) < 32 or c == "\\" for c in target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or odd:
        return _home()
    return target


def _home() -> str:
    """Where a person lands: a partner on its statements, staff on the dashboard."""
    principal = g.get("principal")
    return url_for("web_partner.index") if principal is not None and principal.is_partner else url_for("web.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(sign_in_rate, methods=["POST"])
def login():
    next_url = request.values.get("next", "")
    if request.method == "GET":
        if g.get("principal") is not None:
            return redirect(_safe_next(next_url), 303)
        return render_template("login.html", next=next_url, email="")
    email = request.form.get("email", "")
    outcome = people.sign_in(db.session(), email, request.form.get("password", ""))
    if outcome.user is None:
        # 200, not 401: the failure count must commit with the request (errors roll back).
        flash(SIGN_IN_FAILED, "error")
        return render_template("login.html", next=next_url, email=email)
    people.start_session(outcome.user)
    g.principal = people.principal_of(outcome.user)
    return redirect(_safe_next(next_url), 303)


@bp.route("/logout", methods=["POST"])
@requires(*STAFF, "partner")
def logout():
    principal = auth.current()
    people.end_session(db.session(), int(principal.key.removeprefix("user:")))
    flash("You are signed out.", "info")
    return redirect(url_for("web.login"), 303)


# ---- dashboard ---------------------------------------------------------------------------------------

@bp.route("/", endpoint="dashboard")
@requires(*STAFF, "partner")
def dashboard_page():
    if auth.current().is_partner:
        return redirect(url_for("web_partner.index"), 303)
    return render_template("dashboard.html", panels=dashboard.panels(db.session(), auth.current()))


# ---- parties -----------------------------------------------------------------------------------------

PARTIES = Table(
    columns=[
        Column("code", "Code", "code", kind="code"),
        Column("name", "Name", "name"),
        Column("contact_point", "Contact point", "contact_point"),
        Column("accounts", "Bank accounts", get=lambda row: row.accounts),
    ],
    filters=[Filter("q", "Code or name contains", "q")],
    listing=parties_queries.LISTING, default_sort="code",
)


class _PartyRow:
    def __init__(self, party, accounts: list[str]):
        self.code, self.name, self.contact_point = party.code, party.name, party.contact_point
        self.accounts = ", ".join(accounts) or "none registered"


def _page_with(table: Table, key, found_for, row):
    """A page of `table` whose rows carry what one more query found for the page's rows: `found_for(session,
    keys)` answers a list per key, and `row(item, found)` is the row shown."""
    session = db.session()
    page = table.page(session)
    found = found_for(session, [key(item) for item in page.rows])
    page.rows = [row(item, found.get(key(item), [])) for item in page.rows]
    return page


@bp.route("/parties")
@requires(*STAFF)
def parties():
    table = _page_with(PARTIES, lambda p: p.code, parties_queries.account_labels, _PartyRow)
    return list_page("Parties", table)


# ---- accounts ----------------------------------------------------------------------------------------

def _purposes(session) -> list[tuple[str, str]]:
    return [(p, p.replace("_", " ")) for p in journal_queries.account_purposes(session)]


def _currencies(session) -> list[tuple[str, str]]:
    return [(c, c) for c in journal_queries.account_currencies(session)]


ACCOUNTS = Table(
    columns=[
        Column("code", "Account", "code", kind="code",
               link=lambda row: url_for("web.journal", account=row.Account.code), get=lambda row: row.Account.code),
        Column("purpose", "Purpose", "purpose", get=lambda row: row.Account.purpose.replace("_", " ")),
        Column("party", "Party", "party", kind="code", get=lambda row: row.Account.party_code),
        Column("counterparty", "Counterparty", "counterparty", kind="code",
               get=lambda row: row.Account.counterparty_code),
        Column("agreement", "Agreement", "agreement", kind="number", get=lambda row: row.Account.agreement_id),
        Column("currency", "Currency", "currency", kind="code", get=lambda row: row.Account.currency),
        Column("balance", "Balance", "balance", kind="money", default_desc=True,
               get=lambda row: Money(Decimal(row.balance), row.Account.currency)),
    ],
    filters=[
        Filter("purpose", "Purpose", "purpose", choices=_purposes),
        Filter("party", "Party (either side)", "party", placeholder="e.g. GB"),
        Filter("currency", "Currency", "currency", choices=_currencies),
        Filter("nonzero", "Balance", "nonzero", choices=[("nonzero", "not zero")]),
    ],
    listing=journal_queries.ACCOUNTS, default_sort="code",
)


@bp.route("/accounts")
@requires(*STAFF)
def accounts():
    return render_template("accounts.html", table=ACCOUNTS.page(db.session()))


# ---- journal -----------------------------------------------------------------------------------------

JOURNAL = Table(
    columns=[
        Column("id", "Entry", "id", kind="number", default_desc=True,
               link=lambda e: url_for("web.journal_entry", entry_id=e.id)),
        Column("effective_date", "Effective date", "effective_date", kind="date", default_desc=True),
        Column("period", "Period", "period", kind="code", default_desc=True),
        Column("source", "Source", "source_type", get=lambda e: f"{e.source_type} {e.source_id}"),
        Column("amount", "Debits", kind="money", get=lambda e: e.debits),
        Column("memo", "Memo"),
        Column("reverses_id", "Reverses", kind="number",
               link=lambda e: url_for("web.journal_entry", entry_id=e.reverses_id) if e.reverses_id else None),
    ],
    filters=[
        Filter("period", "Period", "period", placeholder="YYYY-MM"),
        Filter("source_type", "Source type", "source_type",
               choices=lambda s: [(t, t) for t in journal_queries.source_types(s)]),
        Filter("account", "Account code", "account"),
    ],
    listing=journal_queries.ENTRIES, default_sort="id",
)


class _EntryRow:
    """An entry with the total of its debits (one per currency: an entry may convert between currencies)."""

    def __init__(self, entry, debits: list[Money]):
        self.entry, self.debits = entry, debits

    def __getattr__(self, name):
        return getattr(self.entry, name)


@bp.route("/journal")
@requires(*STAFF)
def journal():
    table = _page_with(JOURNAL, lambda e: e.id, journal_queries.debits_of, _EntryRow)
    return list_page("Journal", table)


@bp.route("/journal/<int:entry_id>")
@requires(*STAFF)
def journal_entry(entry_id: int):
    session = db.session()
    entry = journal_queries.entry(session, entry_id)
    if entry is None:
        abort(404, f"There is no journal entry {entry_id}.")
    lines = []
    for posting, code in journal_queries.lines_of(session, entry_id):
        amount = Decimal(posting.amount)
        lines.append({
            "line": posting.line, "account": code,
            "debit": Money(amount, posting.currency) if amount > 0 else None,
            "credit": Money(-amount, posting.currency) if amount < 0 else None,
            "fx": (f"{formats.money(Money(Decimal(posting.original_amount), posting.original_currency))} "
                   f"at {canonical_rate(Decimal(posting.fx_rate))}" if posting.fx_rate is not None else ""),
        })
    reversed_by = journal_queries.reversal_of(session, entry_id)
    return render_template("journal_entry.html", entry=entry, lines=lines, reversed_by=reversed_by,
                           converted=any(line["fx"] for line in lines))


# ---- audit log ---------------------------------------------------------------------------------------

AUDIT = Table(
    columns=[
        Column("seq", "No.", "seq", kind="number", default_desc=True),
        Column("at", "At (UTC)", "seq", kind="datetime", default_desc=True),
        Column("action", "Action", "action", kind="code"),
        Column("object", "Object", "object_type", get=lambda r: f"{r.object_type} {r.object_id}".strip()),
        Column("principal", "Who", "principal", kind="code", get=lambda r: r.who),
        Column("summary", "Summary"),
        Column("request_id", "Request", kind="code"),
    ],
    filters=[
        Filter("action", "Action", "action"),
        Filter("object_type", "Object type", "object_type"),
        Filter("principal", "Who", "principal", placeholder="e.g. user:1"),
    ],
    listing=audit_log.LISTING, default_sort="seq",
)


class _AuditRow:
    """A record with the person behind `user:N` named for the reader (the log itself holds only the id)."""

    def __init__(self, record, emails: dict[str, str]):
        self.record = record
        email = emails.get(record.principal)
        self.who = f"{email} ({record.principal})" if email else record.principal

    def __getattr__(self, name):
        return getattr(self.record, name)


@bp.route("/audit")
@requires("auditor", "admin")
def audit():
    session = db.session()
    table = AUDIT.page(session)
    ids = {int(r.principal[5:]) for r in table.rows if r.principal.startswith("user:") and r.principal[5:].isdigit()}
    emails = {f"user:{i}": e for i, e in session.execute(select(User.id, User.email).where(User.id.in_(ids)))}
    table.rows = [_AuditRow(r, emails) for r in table.rows]
    return list_page("Audit log", table)
