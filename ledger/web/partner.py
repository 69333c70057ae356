"""A partner's pages: its own agreements' signed statements, their downloads, and its review of each line
(acknowledge, or dispute with a comment). A partner person sees nothing else: any other agreement is a 404."""

from __future__ import annotations

import json

from flask import Response, abort, current_app, render_template, request, url_for

from ledger import auth, db
from ledger.auth import requires
from ledger.errors import not_found
from ledger.settlement import queries, service
from ledger.web import pages
from ledger.web.actions import attempt, done

bp = pages("web_partner", __name__)
FORMATS = ("pdf", "xlsx", "csv", "json")
#: The newest statements shown on the index (a partner with many agreements sees the latest months).
LISTED = 120


def _party() -> str:
    party = auth.current().party
    if party is None:
        abort(403, "This account is not bound to a party.")
    return party


def _own(agreement_id: int) -> None:
    if agreement_id not in service.agreements_of_party(db.session(), _party()):
        raise not_found("agreement")


@bp.route("/partner", endpoint="index")
@requires("partner")
def index():
    session = db.session()
    own = service.agreements_of_party(session, _party())
    rows = queries.latest_signed(session, own, LISTED)
    statements = []
    for row in rows:
        content = json.loads(row.canonical)
        line = next((a for a in content.get("agreements", []) if a["agreement_id"] == row.agreement_id), {})
        in_force = queries.reviews(session, row.period, {row.agreement_id})
        statements.append({"period": row.period, "agreement_id": row.agreement_id,
                           "reference": line.get("reference") or f"#{row.agreement_id}",
                           "closing": line.get("closing"), "currency": line.get("currency"),
                           "acknowledged": sum(r.decision == "acknowledged" for r in in_force),
                           "disputed": sum(r.decision == "disputed" for r in in_force)})
    return render_template("partner/index.html", statements=statements, party=_party())


@bp.route("/partner/<string:period>/<int:agreement_id>", endpoint="statement")
@requires("partner")
def statement(period: str, agreement_id: int):
    service.check_period(period)
    _own(agreement_id)
    session = db.session()
    row = service.frozen(session, period, f"agreement:{agreement_id}")
    if row is None:
        abort(404, f"There is no signed statement of {period} for this agreement yet.")
    content = json.loads(row.canonical)
    in_force = {r.line: r for r in queries.reviews(session, period, {agreement_id})}
    agreement = next((a for a in content.get("agreements", []) if a["agreement_id"] == agreement_id), {})
    return render_template("partner/statement.html", period=period, agreement_id=agreement_id, agreement=agreement,
                           lines=queries.statement_lines(content, agreement_id), in_force=in_force, signed=row,
                           formats=FORMATS)


@bp.route("/partner/<string:period>/<int:agreement_id>/review", methods=["POST"], endpoint="review")
@requires("partner")
def review(period: str, agreement_id: int):
    service.check_period(period)
    _own(agreement_id)
    here = url_for(".statement", period=period, agreement_id=agreement_id)
    form = request.form
    principal = auth.current()
    ok, made = attempt(lambda s: service.review(s, principal.party, period, agreement_id, form.get("line", ""),
                                                form.get("decision", ""), form.get("comment", ""), principal.key),
                       here)
    if not ok:
        return made
    return done(f"{made.line}: {made.decision}.", here)


@bp.route("/partner/<string:period>/<int:agreement_id>/report.<string:fmt>", endpoint="report")
@requires("partner")
def report(period: str, agreement_id: int, fmt: str):
    if fmt not in FORMATS:
        abort(404, f"There is no {fmt} report; choose one of {', '.join(FORMATS)}.")
    service.check_period(period)
    _own(agreement_id)
    body = service.render(db.session(), period, fmt, _party(), agreement_id,
                          service.signing_key(current_app.config))
    return Response(body, mimetype=service.MEDIA_TYPES[fmt],
                    headers=service.download_headers(fmt, service.filename(period, fmt, None, agreement_id)))
