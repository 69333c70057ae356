from flask.views import MethodView

from contracts.approvals import (
    ApprovalApproveSchema,
    ApprovalArgs,
    ApprovalPageSchema,
    ApprovalRejectSchema,
    ApprovalSchema,
)
from ledger import db, listing
from ledger.api import blueprint
from ledger.approvals import service
from ledger.approvals.models import Approval
from ledger.auth import STAFF, current

blp = blueprint("approvals", "Changes one officer asked for that a second officer approves (four eyes)")

DECIDERS = ("finance_officer", "admin")


def _decided(approval_id: int, **decision):
    """The request as the caller's decision (`approve`, and the digest seen or the reason) leaves it."""
    return service.view(service.decide(db.session(), approval_id, principal=current(), **decision))


@blp.route("/approvals")
class Approvals(MethodView):
    @blp.reads(STAFF, ApprovalPageSchema, query=ApprovalArgs)
    def get(self, args):
        """List approval requests (filter by status and kind)"""
        result = listing.page(service.listing_query(args.get("status"), args.get("kind")), Approval.id, args)
        result["items"] = [service.view(a) for a in result["items"]]
        return result


@blp.route("/approvals/<int:approval_id>")
class ApprovalItem(MethodView):
    @blp.reads(STAFF, ApprovalSchema)
    def get(self, approval_id):
        """Read an approval request"""
        return service.view(service.get(db.session(), approval_id))


@blp.route("/approvals/<int:approval_id>/approve")
class Approve(MethodView):
    @blp.writes(DECIDERS, ApprovalSchema, body=ApprovalApproveSchema)
    def post(self, data, approval_id):
        """Approve a request as a second officer (403 same_officer for its requester; 409 digest_mismatch)"""
        return _decided(approval_id, approve=True, seen_digest=data["digest"])


@blp.route("/approvals/<int:approval_id>/reject")
class Reject(MethodView):
    @blp.writes(DECIDERS, ApprovalSchema, body=ApprovalRejectSchema)
    def post(self, data, approval_id):
        """Reject a request (its requester rejecting it withdraws it)"""
        return _decided(approval_id, approve=False, reason=data["reason"])
