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
from ledger.api import answerer, blueprint, long_writer
from ledger.auth import READ_ROLES, STAFF, current, party_visible
from ledger.reconciliation import service
from ledger.reconciliation.models import ReconciliationMatch

blp = blueprint("reconciliation", "Which transfers settle which invoices: runs, matches and their review")

OFFICERS = ("finance_officer",)


def _view(session, row: ReconciliationMatch) -> dict:
    return service.views(session, [row])[0]


_response = answerer(_view, service.etag, "/api/v1/reconciliation/matches/{0.id}")


def _visible(match_id: int) -> ReconciliationMatch:
    return party_visible(service.get(db.session(), match_id), kind="reconciliation match")


@blp.route("/reconciliation/runs")
class Runs(MethodView):
    @long_writer
    @blp.writes(OFFICERS, RunSchema, body=RunCreateSchema, status=201)
    def post(self, data):
        """Run reconciliation over everything open: auto matches are posted at once, proposals wait for review"""
        record = service.run(db.session(), current().name, dry_run=data["dry_run"])
        return record, 201, {"Location": f"/api/v1/reconciliation/runs/{record.id}"}


@blp.route("/reconciliation/runs/<int:run_id>")
class RunItem(MethodView):
    @blp.reads(STAFF, RunSchema)
    def get(self, run_id):
        """Read a reconciliation run's answer"""
        return service.get_run(db.session(), run_id)


@blp.route("/reconciliation/matches")
class Matches(MethodView):
    @blp.reads(READ_ROLES, MatchPageSchema, query=MatchListArgs)
    def get(self, args):
        """List matches, by status (a partner sees those its party is a side of)"""
        principal = current()
        query = service.list_query(args.get("status"), principal.party if principal.is_partner else None,
                                   args.get("transfer"), args.get("invoice"))
        result = listing.page(query, ReconciliationMatch.id, args)
        result["items"] = service.views(db.session(), result["items"])
        return result

    @blp.writes(OFFICERS, MatchSchema, body=ManualMatchSchema, status=201, etag=True)
    def post(self, data):
        """Match a transfer to invoices by hand (posted at once)"""
        row = service.manual(db.session(), data["transfer"], data["allocations"], current().name)
        return _response(row, 201)


@blp.route("/reconciliation/matches/<int:match_id>")
class MatchItem(MethodView):
    @blp.reads(READ_ROLES, MatchSchema, etag=True)
    def get(self, match_id):
        """Read a match: its allocations, rule, confidence and evidence"""
        return _response(_visible(match_id))


@blp.route("/reconciliation/matches/<int:match_id>/confirm")
class Confirm(MethodView):
    @blp.writes(OFFICERS, MatchSchema, if_match=True, etag=True)
    def post(self, match_id, if_match):
        """Confirm a proposed match: post the settlement (honours If-Match)"""
        row = service.confirm(db.session(), match_id, current().name, if_match)
        return _response(row)


@blp.route("/reconciliation/matches/<int:match_id>/reject")
class Reject(MethodView):
    @blp.writes(OFFICERS, MatchSchema, body=MatchRejectSchema, if_match=True, etag=True)
    def post(self, data, match_id, if_match):
        """Reject a proposed match: its transfer–invoice pairs are never proposed again (honours If-Match)"""
        row = service.reject(db.session(), match_id, current().name, data.get("reason"),
                             if_match)
        return _response(row)


@blp.route("/reconciliation/matches/<int:match_id>/reverse")
class Reverse(MethodView):
    @blp.writes(OFFICERS, MatchSchema, body=MatchReverseSchema, if_match=True, etag=True)
    def post(self, data, match_id, if_match):
        """Reverse a posted match: a reversal entry; the invoices' amounts open again (honours If-Match)"""
        row = service.reverse(db.session(), match_id, current().name, data["reason"],
                              if_match)
        return _response(row)
