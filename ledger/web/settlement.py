"""Settlement: the periods with their status, one period's statement, closing it, and the report downloads
(rendered by the API's own renderer, so a page download and an API download are the same bytes)."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from ledger import auth, db
from ledger.agreements.rules.obligations import period_bounds
from ledger.auth import STAFF, requires
from ledger.journal.models import Period
from ledger.reconciliation import unmatched
from ledger.settlement import checklist, reviews, service
from ledger.settlement.models import FrozenStatement
from ledger.timeutil import period_of, today
from ledger.web import pages
from ledger.web.actions import attempt, done
from ledger.web.tables import Column, Filter, Table
from ledger.web.who import last_change

bp = pages("web_settlement", __name__)
CLOSERS = ("finance_officer", "admin")
FORMATS = ("pdf", "xlsx", "csv", "json")

_SIGNED = select(FrozenStatement.period, func.count(FrozenStatement.id).label("signed")) \
    .group_by(FrozenStatement.period).subquery("signed")

PERIODS = Table(
    columns=[
        Column("period", "Period", Period.period, kind="code", default_desc=True,
               link=lambda r: url_for("web_settlement.period", period=r.Period.period), get=lambda r: r.Period.period),
        Column("status", "Status", Period.status, get=lambda r: r.Period.status),
        Column("closed_at", "Closed at (UTC)", Period.closed_at, kind="datetime", get=lambda r: r.Period.closed_at),
        Column("signed", "Signed statements", kind="number", get=lambda r: r.signed or 0),
    ],
    filters=[Filter("status", "Status", lambda q, v: q.where(Period.status == v),
                    choices=[("open", "open"), ("closed", "closed")])],
    default_sort="period", tiebreak=Period.period,
)


@bp.route("/settlement", endpoint="index")
@requires(*STAFF)
def index():
    query = select(Period, _SIGNED.c.signed).outerjoin(_SIGNED, _SIGNED.c.period == Period.period)
    return render_template("settlement/index.html", table=PERIODS.page(db.session(), query),
                           current=period_of(today()), formats=FORMATS)


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
    checks = checklist.checklist(session, period, view.get("statement"),
                                 last_change(session, "period", period, "settlement.close"))
    _, last = period_bounds(period)
    counts = {"now": unmatched.count(session), "by_end": unmatched.count(session, as_of=last), "last": last,
              "definition": unmatched.DEFINITION}
    return render_template("settlement/period.html", period=period, status=view["status"], statement=statement,
                           signed=signed, formats=FORMATS, ended=ended, checklist=checks, unmatched=counts,
                           may_close=auth.current().role in CLOSERS,
                           reviews=reviews.reviews(session, period),
                           disputes=reviews.open_disputes(session, service.next_period(period)),
                           can_resolve=auth.current().role in CLOSERS)


@bp.route("/settlement/disputes/<int:review_id>/resolve", methods=["POST"])
@requires(*CLOSERS)
def resolve(review_id: int):
    back = request.form.get("period", "")
    here = url_for(".period", period=_checked(back)) if back else url_for(".index")
    ok, row = attempt(lambda s: reviews.resolve(s, review_id, request.form.get("resolution", ""),
                                                auth.current().key), here)
    if not ok:
        return row
    return done(f"The dispute of {row.line} ({row.period}) is resolved: it is no longer carried over.", here)


@bp.route("/settlement/<string:period>/close", methods=["POST"])
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
        ok, months = attempt(lambda s: checklist.close_in_order(s, period, service.signing_key(current_app.config)),
                             here + "#close")
        if not ok:
            return months
        return done(f"Closed in order: {', '.join(months)}. Their statements are frozen and signed.", here)
    ok, frozen = attempt(lambda s: service.close(s, period, service.signing_key(current_app.config)),
                         here + "#close")
    if not ok:
        return frozen
    return done(f"{period} is closed: {len(frozen)} statements frozen and signed.", here)


@bp.route("/settlement/<string:period>/report.<string:fmt>")
@requires(*STAFF)
def report(period: str, fmt: str):
    if fmt not in FORMATS:
        abort(404, f"There is no {fmt} report; choose one of {', '.join(FORMATS)}.")
    body = service.render(db.session(), _checked(period), fmt, None, None, service.signing_key(current_app.config))
    return Response(body, mimetype=service.MEDIA_TYPES[fmt],
                    headers=service.download_headers(fmt, service.filename(period, fmt, None, None)))
