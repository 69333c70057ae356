"""HTTP for reconciliation: runs, matches and the review workflow (translate requests to `service` calls)."""

from flask.views import MethodView

from contracts.reconciliation import (
    ManualMatchSchema,
    MatchListArgs,
    MatchPageSchema,
    MatchRejectSchema,
    MatchReverseSchema,
    MatchSchema,
    RunCreateSchema,
    RunSchema,
)
from ledger import db, listing
from ledger.api import answer, blueprint, honours_if_match, long_writer, sends_etag
from ledger.auth import READ_ROLES, STAFF, current, ensure_party_visible, requires
from ledger.reconciliation import service
from ledger.reconciliation.models import ReconciliationMatch

blp = blueprint("reconciliation", "Which transfers settle which invoices: runs, matches and their review")

OFFICERS = ("finance_officer",)


def _response(row: ReconciliationMatch, status: int = 200):
    return answer(service.views(db.session(), [row])[0], service.etag(row), status,
                  f"/api/v1/reconciliation/matches/{row.id}")


def _visible(match_id: int) -> ReconciliationMatch:
    row = service.get(db.session(), match_id)
    ensure_party_visible(row.payer_code, row.payee_code, kind="reconciliation match")
    return row


@blp.route("/reconciliation/runs")
class Runs(MethodView):
    @long_writer
    @requires(*OFFICERS)
    @blp.arguments(RunCreateSchema)
    @blp.response(201, RunSchema)
    def post(self, data):
        """Run reconciliation over everything open: auto matches are posted at once, proposals wait for review"""
        record = service.run(db.session(), current().name, dry_run=data["dry_run"])
        return record, 201, {"Location": f"/api/v1/reconciliation/runs/{record.id}"}


@blp.route("/reconciliation/runs/<int:run_id>")
class RunItem(MethodView):
    @requires(*STAFF)
    @blp.response(200, RunSchema)
    def get(self, run_id):
        """Read a reconciliation run's answer"""
        return service.get_run(db.session(), run_id)


@blp.route("/reconciliation/matches")
class Matches(MethodView):
    @requires(*READ_ROLES)
    @blp.arguments(MatchListArgs, location="query")
    @blp.response(200, MatchPageSchema)
    def get(self, args):
        """List matches, by status (a partner sees those its party is a side of)"""
        principal = current()
        query = service.list_query(args.get("status"), principal.party if principal.is_partner else None,
                                   args.get("transfer"), args.get("invoice"))
        result = listing.page(query, ReconciliationMatch.id, args)
        result["items"] = service.views(db.session(), result["items"])
        return result

    @requires(*OFFICERS)
    @blp.arguments(ManualMatchSchema)
    @blp.response(201, MatchSchema)
    @sends_etag
    def post(self, data):
        """Match a transfer to invoices by hand (posted at once)"""
        row = service.manual(db.session(), data["transfer"], data["allocations"], current().name)
        return _response(row, 201)


@blp.route("/reconciliation/matches/<int:match_id>")
class MatchItem(MethodView):
    @requires(*READ_ROLES)
    @blp.response(200, MatchSchema)
    @sends_etag
    def get(self, match_id):
        """Read a match: its allocations, rule, confidence and evidence"""
        return _response(_visible(match_id))


@blp.route("/reconciliation/matches/<int:match_id>/confirm")
class Confirm(MethodView):
    @requires(*OFFICERS)
    @blp.response(200, MatchSchema)
    @honours_if_match
    @sends_etag
    def post(self, match_id, if_match):
        """Confirm a proposed match: post the settlement (honours If-Match)"""
        row = service.confirm(db.session(), match_id, current().name, if_match)
        return _response(row)


@blp.route("/reconciliation/matches/<int:match_id>/reject")
class Reject(MethodView):
    @requires(*OFFICERS)
    @blp.arguments(MatchRejectSchema)
    @blp.response(200, MatchSchema)
    @honours_if_match
    @sends_etag
    def post(self, data, match_id, if_match):
        """Reject a proposed match: its transfer–invoice pairs are never proposed again (honours If-Match)"""
        row = service.reject(db.session(), match_id, current().name, data.get("reason"),
                             if_match)
        return _response(row)


@blp.route("/reconciliation/matches/<int:match_id>/reverse")
class Reverse(MethodView):
    @requires(*OFFICERS)
    @blp.arguments(MatchReverseSchema)
    @blp.response(200, MatchSchema)
    @honours_if_match
    @sends_etag
    def post(self, data, match_id, if_match):
        """Reverse a posted match: a reversal entry; the invoices' amounts open again (honours If-Match)"""
        row = service.reverse(db.session(), match_id, current().name, data["reason"],
                              if_match)
        return _response(row)
