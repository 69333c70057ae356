"""Settlement: the periods with their status, one period's statement, closing it, and the report downloads
(rendered by the API's own renderer, so a page download and an API download are the same bytes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for

from ledger import auth, db
from ledger.agreements.rules.obligations import period_bounds
from ledger.api import long_writer
from ledger.auth import STAFF, requires
from ledger.journal import queries as journal
from ledger.reconciliation import queries as reconciliation
from ledger.settlement import queries, service
from ledger.timeutil import period_of, today
from ledger.web import may, pages
from ledger.web.actions import carried_out
from ledger.web.tables import Column, Filter, Table, as_shown
from ledger.web.who import last_change

bp = pages("web_settlement", __name__)
CLOSERS = ("finance_officer", "admin")
FORMATS = ("pdf", "xlsx", "csv", "json")

PERIODS = Table(
    columns=[
        Column("period", "Period", "period", kind="code", default_desc=True,
               link=lambda r: url_for("web_settlement.period", period=r.period)),
        Column("status", "Status", "status"),
        Column("closed_at", "Closed at (UTC)", "closed_at", kind="datetime"),
        Column("signed", "Signed statements", kind="number"),
    ],
    filters=[Filter("status", "Status", "status", choices=as_shown("open", "closed"))],
    listing=journal.PERIODS, default_sort="period",
)


@dataclass
class _PeriodRow:
    """A period with how many statements were signed for it."""

    period: str
    status: str
    closed_at: datetime | None
    signed: int


@bp.route("/settlement", endpoint="index")
@requires(*STAFF)
def index():
    session = db.session()
    table = PERIODS.page(session)
    signed = queries.signed_counts(session, [p.period for p in table.rows])
    table.rows = [_PeriodRow(p.period, p.status, p.closed_at, signed.get(p.period, 0)) for p in table.rows]
    return render_template("settlement/index.html", table=table, current=period_of(today()), formats=FORMATS)


def _checked(period: str) -> str:
    service.check_period(period)
    return period


@bp.route("/settlement/<string:period>")
@requires(*STAFF)
def period(period: str):
    session = db.session()
    view = service.statement_for(session, _checked(period), None, None, service.signing_key(current_app.config))
    if view["status"] == "open":
        statement, signed = view["statement"], None
    else:
        documents = view["documents"]
        statement = documents[0]["statement"] if documents else {"agreements": [], "parties": [], "open_items": {}}
        signed = documents[0] if documents else None
    ended = period < period_of(today())
    checks = queries.checklist(session, period, view.get("statement"),
                                 last_change(session, "period", period, "settlement.close"))
    _, last = period_bounds(period)
    counts = {"now": reconciliation.unmatched_count(session), "last": last,
              "by_end": reconciliation.unmatched_count(session, as_of=last),
              "definition": reconciliation.UNMATCHED_DEFINITION}
    return render_template("settlement/period.html", period=period, status=view["status"], statement=statement,
                           signed=signed, formats=FORMATS, ended=ended, checklist=checks, unmatched=counts,
                           may_close=may(CLOSERS),
                           reviews=queries.reviews(session, period),
                           disputes=queries.open_disputes(session, service.next_period(period)),
                           can_resolve=may(CLOSERS))


@bp.route("/settlement/disputes/<int:review_id>/resolve", methods=["POST"])
@requires(*CLOSERS)
def resolve(review_id: int):
    back = request.form.get("period", "")
    here = url_for(".period", period=_checked(back)) if back else url_for(".index")
    return carried_out(lambda s: service.resolve(s, review_id, request.form.get("resolution", ""),
                                                 auth.current().key), here,
                       lambda row: f"The dispute of {row.line} ({row.period}) is resolved: it is no longer "
                       "carried over.")


@bp.route("/settlement/<string:period>/close", methods=["POST"])
@long_writer
@requires(*CLOSERS)
def close(period: str):
    here = url_for(".period", period=_checked(period))
    session = db.session()
    if service.period_status(session, period) == "closed":  # a second click, or another officer was first
        closed = last_change(session, "period", period, "settlement.close")
        flash(f"Nothing was changed. {period} is closed already" + (f": closed by {closed}." if closed else "."),
              "error")
        return redirect(here + "#close", 303)
    if request.form.get("earlier") == "yes":
        return carried_out(lambda s: service.close_in_order(s, period, service.signing_key(current_app.config)),
                           here + "#close",
                           lambda months: f"Closed in order: {', '.join(months)}. Their statements are frozen and "
                           "signed.", here)
    return carried_out(lambda s: service.close(s, period, service.signing_key(current_app.config)), here + "#close",
                       lambda frozen: f"{period} is closed: {len(frozen)} statements frozen and signed.", here)


@bp.route("/settlement/<string:period>/report.<string:fmt>")
@requires(*STAFF)
def report(period: str, fmt: str):
    if fmt not in FORMATS:
        abort(404, f"There is no {fmt} report; choose one of {', '.join(FORMATS)}.")
    body = service.render(db.session(), _checked(period), fmt, None, None, service.signing_key(current_app.config))
    return Response(body, mimetype=service.MEDIA_TYPES[fmt],
                    headers=service.download_headers(fmt, service.filename(period, fmt, None, None)))
