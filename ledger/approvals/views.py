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
    @blp.writes(("finance_officer", "admin"), ApprovalSchema, body=ApprovalApproveSchema)
    def post(self, data, approval_id):
        """Approve a request as a second officer (403 same_officer for its requester; 409 digest_mismatch)"""
        approval = service.decide(db.session(), approval_id, approve=True, principal=current(),
                                  seen_digest=data["digest"])
        return service.view(approval)


@blp.route("/approvals/<int:approval_id>/reject")
class Reject(MethodView):
    @blp.writes(("finance_officer", "admin"), ApprovalSchema, body=ApprovalRejectSchema)
    def post(self, data, approval_id):
        """Reject a request (its requester rejecting it withdraws it)"""
        approval = service.decide(db.session(), approval_id, approve=False, principal=current(),
                                  reason=data["reason"])
        return service.view(approval)
