from flask import current_app
from flask.views import MethodView

from contracts.recognition import (
    AllowanceRateInSchema,
    AllowanceRateListSchema,
    AllowanceRateSchema,
    AsOfArgs,
    ClaimDecisionSchema,
    ClaimDisputeCreateSchema,
    ClaimDisputeResolveSchema,
    ClaimDisputeSchema,
    ClaimPaymentSchema,
    CostClaimArgs,
    CostClaimCreateSchema,
    CostClaimPageSchema,
    CostClaimSchema,
    EnforcementSchema,
    NettingArgs,
    NettingSchema,
    RecognitionDecisionSchema,
    RecognitionRequestSchema,
    RecognitionSchema,
    ReturnOrderArgs,
    ReturnOrderCreateSchema,
    ReturnOrderPageSchema,
    ReturnOrderSchema,
)
from ledger import auth, db
from ledger.api import blueprint
from ledger.auth import READ_ROLES
from ledger.pseudonyms import PersonalData
from ledger.recognition import service

blp = blueprint("recognition", "EU mutual recognition of expulsion decisions and compensation between "
                               "member states")

ACTORS = ("partner", "finance_officer")


def _order_response(order, status=200):
    view = service.order_views(db.session(), [order], auth.current())[0]
    return view, status, {"Location": f"/api/v1/return-orders/{order.id}"}


def _recognition_response(rec, status=200):
    view = service.recognition_shown(rec, service.claim_of(db.session(), rec))
    return view, status, {"ETag": service.recognition_etag(rec), "Location": f"/api/v1/recognitions/{rec.id}"}


def _claim_response(claim, status=200, as_of=None):
    view = service.claim_shown(db.session(), claim, as_of)
    return view, status, {"ETag": service.claim_etag(claim), "Location": f"/api/v1/cost-claims/{claim.id}"}


@blp.route("/return-orders")
class ReturnOrders(MethodView):
    @blp.reads(READ_ROLES, ReturnOrderPageSchema, query=ReturnOrderArgs)
    def get(self, args):
        """List return orders (a partner: those where its state is issuing or enforcing)"""
        return service.list_orders(db.session(), auth.current(), args)

    @blp.writes(ACTORS, ReturnOrderSchema, body=ReturnOrderCreateSchema, status=201)
    def post(self, data):
        """Record a return order of the issuing state (case_ref is kept only as a keyed pseudonym)"""
        personal = PersonalData.from_config(current_app.config)
        return _order_response(service.create_order(db.session(), auth.current(), data, personal), 201)


@blp.route("/return-orders/<int:order_id>")
class ReturnOrderItem(MethodView):
    @blp.reads(READ_ROLES, ReturnOrderSchema)
    def get(self, order_id):
        """Read a return order with its recognitions"""
        return _order_response(service.get_order(db.session(), auth.current(), order_id))


@blp.route("/return-orders/<int:order_id>/recognitions")
class Recognitions(MethodView):
    @blp.writes(ACTORS, RecognitionSchema, body=RecognitionRequestSchema, status=201, etag=True)
    def post(self, data, order_id):
        """Ask an enforcing state to recognise and enforce the order (by the issuing state)"""
        return _recognition_response(service.request_recognition(db.session(), auth.current(), order_id, data), 201)


@blp.route("/recognitions/<int:rec_id>")
class RecognitionItem(MethodView):
    @blp.reads(READ_ROLES, RecognitionSchema, etag=True)
    def get(self, rec_id):
        """Read a recognition"""
        return _recognition_response(service.get_recognition(db.session(), auth.current(), rec_id))


@blp.route("/recognitions/<int:rec_id>/decision")
class RecognitionDecision(MethodView):
    @blp.writes(ACTORS, RecognitionSchema, body=RecognitionDecisionSchema, if_match=True, etag=True)
    def post(self, data, rec_id, if_match):
        """Recognise or refuse (with reasons) the order (by the enforcing state; honours If-Match)"""
        rec = service.decide_recognition(db.session(), auth.current(), rec_id, data, if_match)
        return _recognition_response(rec)


@blp.route("/recognitions/<int:rec_id>/enforcement")
class Enforcement(MethodView):
    @blp.writes(ACTORS, RecognitionSchema, body=EnforcementSchema, if_match=True, etag=True)
    def post(self, data, rec_id, if_match):
        """Record the enforcement and the notice to the issuing state (by the enforcing state)"""
        rec = service.record_enforcement(db.session(), auth.current(), rec_id, data, if_match)
        return _recognition_response(rec)


@blp.route("/cost-claims")
class CostClaims(MethodView):
    @blp.reads(READ_ROLES, CostClaimPageSchema, query=CostClaimArgs)
    def get(self, args):
        """List cost claims; `overdue=true` lists overdue decisions and payments, for both sides"""
        return service.list_claims(db.session(), auth.current(), args)

    @blp.writes(ACTORS, CostClaimSchema, body=CostClaimCreateSchema, status=201, etag=True)
    def post(self, data):
        """Claim the costs of an enforcement (by the enforcing state); each line is assessed"""
        return _claim_response(service.create_claim(db.session(), auth.current(), data), 201)


@blp.route("/cost-claims/<int:claim_id>")
class CostClaimItem(MethodView):
    @blp.reads(READ_ROLES, CostClaimSchema, query=AsOfArgs, etag=True)
    def get(self, args, claim_id):
        """Read a cost claim: lines claimed/allowed, totals, late, deadlines and status"""
        return _claim_response(service.get_claim(db.session(), auth.current(), claim_id), as_of=args.get("as_of"))


@blp.route("/cost-claims/<int:claim_id>/decision")
class CostClaimDecision(MethodView):
    @blp.writes(ACTORS, CostClaimSchema, body=ClaimDecisionSchema, if_match=True, etag=True)
    def post(self, data, claim_id, if_match):
        """Accept or refuse (with reasons) a claim (by the issuing state); acceptance posts to the journal"""
        claim = service.decide_claim(db.session(), auth.current(), claim_id, data, if_match)
        return _claim_response(claim)


def _dispute_response(dispute, status=200):
    claim = service.get_claim(db.session(), auth.current(), dispute.claim_id)
    return (service.dispute_shown(dispute, claim.currency), status,
            {"ETag": service.dispute_etag(dispute), "Location": f"/api/v1/cost-claims/disputes/{dispute.id}"})


@blp.route("/cost-claims/<int:claim_id>/disputes")
class CostClaimDisputes(MethodView):
    @blp.writes(ACTORS, ClaimDisputeSchema, body=ClaimDisputeCreateSchema, status=201, etag=True)
    def post(self, data, claim_id):
        """Dispute the refused lines of a decided, unpaid claim (by the enforcing state); the claim is `disputed`
        and is not paid until the dispute is resolved"""
        return _dispute_response(service.open_dispute(db.session(), auth.current(), claim_id, data), 201)


@blp.route("/cost-claims/disputes/<int:dispute_id>")
class CostClaimDisputeItem(MethodView):
    @blp.reads(READ_ROLES, ClaimDisputeSchema, etag=True)
    def get(self, dispute_id):
        """Read a dispute"""
        return _dispute_response(service.get_dispute(db.session(), auth.current(), dispute_id))


@blp.route("/cost-claims/disputes/<int:dispute_id>/resolve")
class CostClaimDisputeResolve(MethodView):
    @blp.writes(ACTORS, ClaimDisputeSchema, body=ClaimDisputeResolveSchema, etag=True)
    def post(self, data, dispute_id):
        """Resolve a dispute (by the issuing state): upheld, partially_upheld (with the lines accepted) or
        rejected (with reasons); what is newly accepted is journaled as an adjustment on `decided_on`"""
        return _dispute_response(service.resolve_dispute(db.session(), auth.current(), dispute_id, data))


@blp.route("/cost-claims/<int:claim_id>/payment")
class CostClaimPayment(MethodView):
    @blp.writes(ACTORS, CostClaimSchema, body=ClaimPaymentSchema, if_match=True, etag=True)
    def post(self, data, claim_id, if_match):
        """Record that the issuing state paid an accepted claim; posts the cash movement

        409 `payment_in_transit` when a released payment batch ordered it: the bank's debit pays it."""
        claim = service.record_payment(db.session(), auth.current(), claim_id, data["paid_on"], if_match)
        return _claim_response(claim)


@blp.route("/parties/<string:code>/allowance-rates")
class AllowanceRates(MethodView):
    @blp.reads(READ_ROLES, AllowanceRateListSchema)
    def get(self, code):
        """A member state's daily allowance rates for escorts"""
        return {"items": service.allowance_rates(db.session(), code)}

    @blp.writes(("admin", "finance_officer", "partner"), AllowanceRateSchema, body=AllowanceRateInSchema, status=201)
    def post(self, data, code):
        """Publish a daily allowance rate (by that state's partner token, an admin or a finance officer)"""
        return service.add_allowance_rate(db.session(), auth.current(), code, data), 201


@blp.route("/settlements/<string:period>/netting")
class Netting(MethodView):
    @blp.reads(READ_ROLES, NettingSchema, query=NettingArgs)
    def get(self, args, period):
        """Net positions of member states over accepted, unpaid claims, and the fewest settling transfers

        Claims in transit at the period's end (ordered by a released payment batch) are listed apart, not netted."""
        return service.netting(db.session(), auth.current(), period, args.get("currency"))
