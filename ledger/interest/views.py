from flask.views import MethodView

from contracts.interest import (
    InterestProposalArgs,
    InterestProposalListSchema,
    InterestProposalSchema,
    InterestRejectSchema,
    InterestRunResultSchema,
    InterestRunSchema,
    ReferenceRateArgs,
    ReferenceRateInSchema,
    ReferenceRateListSchema,
    ReferenceRateSchema,
)
from ledger import auth, db
from ledger.api import blueprint, long_writer
from ledger.auth import READ_ROLES, STAFF
from ledger.interest import service

blp = blueprint("interest", "Late-payment interest on overdue invoices: reference rates, runs that propose, "
                            "officers who decide")

DECIDERS = ("finance_officer",)


@blp.route("/reference-rates")
class ReferenceRates(MethodView):
    @blp.reads(READ_ROLES, ReferenceRateListSchema, query=ReferenceRateArgs)
    def get(self, args):
        """Reference rates recorded (e.g. ECB_MRO), by reference and date"""
        return {"items": service.rates(db.session(), args.get("reference"))}

    @blp.writes(("admin", "finance_officer"), ReferenceRateSchema, body=ReferenceRateInSchema, status=201)
    def post(self, data):
        """Record a reference rate in force from a day (never rewritten; a rate is a decimal string)"""
        return service.add_rate(db.session(), data), 201


@blp.route("/interest/runs")
class InterestRuns(MethodView):
    @long_writer
    @blp.writes(DECIDERS, InterestRunResultSchema, body=InterestRunSchema, status=201)
    def post(self, data):
        """Propose late interest on overdue open invoices up to `as_of` (nothing is posted)"""
        return service.run(db.session(), data["as_of"]), 201


@blp.route("/interest/proposals")
class InterestProposals(MethodView):
    @blp.reads(STAFF, InterestProposalListSchema, query=InterestProposalArgs)
    def get(self, args):
        """Interest proposals, oldest first (`status` filters)"""
        return {"items": service.proposals(db.session(), args.get("status"))}


@blp.route("/interest/proposals/<int:proposal_id>")
class InterestProposalItem(MethodView):
    @blp.reads(STAFF, InterestProposalSchema)
    def get(self, proposal_id):
        """One interest proposal"""
        return service.get(db.session(), proposal_id)


@blp.route("/interest/proposals/<int:proposal_id>/accept")
class AcceptInterest(MethodView):
    @blp.writes(DECIDERS, InterestProposalSchema)
    def post(self, proposal_id):
        """Accept: the interest becomes a late_interest obligation of the agreement, posted to the journal"""
        return service.accept(db.session(), proposal_id, auth.current().name)


@blp.route("/interest/proposals/<int:proposal_id>/reject")
class RejectInterest(MethodView):
    @blp.writes(DECIDERS, InterestProposalSchema, body=InterestRejectSchema)
    def post(self, data, proposal_id):
        """Reject (waive) the proposal's interest, with a reason; nothing is posted"""
        return service.reject(db.session(), proposal_id, auth.current().name, data["reason"])
