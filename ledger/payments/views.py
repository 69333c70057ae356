from decimal import Decimal

from flask import current_app
from flask.views import MethodView

from contracts.approvals import ApprovalSchema
from contracts.payments import (
    PaymentApproveSchema,
    PaymentBatchArgs,
    PaymentBatchCreateSchema,
    PaymentBatchPageSchema,
    PaymentBatchSchema,
    PaymentItemPatchSchema,
    PaymentOverrideSchema,
    PaymentStatusSchema,
    PaymentStatusUploadSchema,
)
from ledger import db, listing
from ledger.api import answerer, blueprint, download, long_writer
from ledger.approvals import service as approvals
from ledger.auth import STAFF, current, requires
from ledger.payments import service
from ledger.payments.models import PaymentBatch

blp = blueprint("payments", "Paying partners: payment batches, four eyes, ISO 20022 pain.001 and pain.002")

OFFICERS = ("finance_officer",)
STATUS_MAX_BYTES = 16 * 1024 * 1024


def second_above() -> Decimal:
    return Decimal(str(current_app.config.get("LEDGER_PAYMENTS_SECOND_APPROVAL_ABOVE", "100000.00")))


_answer = answerer(service.view, service.etag, "/api/v1/payment-batches/{0.id}")


@blp.route("/payment-batches")
class Batches(MethodView):
    @blp.reads(STAFF, PaymentBatchPageSchema, query=PaymentBatchArgs)
    def get(self, args):
        """List payment batches (without their transfers)"""
        result = listing.page(service.list_query(args.get("status")), PaymentBatch.id, args)
        result["items"] = [service.view(db.session(), b, with_items=False) for b in result["items"]]
        return result

    @long_writer
    @blp.writes(OFFICERS, PaymentBatchSchema, body=PaymentBatchCreateSchema, status=201, etag=True)
    def post(self, data):
        """Propose a batch: what the account's owner owes on approved invoices due by `due_by`

        Without `invoices`, the accepted EU cost claims it owes (as issuing state) by `due_by` are proposed too,
        each whole, with the claim's reference as remittance, and the agreement advances it owes by `due_by` that
        no invoice asks for (each whole, remittance `<agreement reference>/advance`).
        422 `unknown_debtor_account`, `currency_not_payable` (a named invoice in another currency),
        `creditor_account_invalid` (a named invoice's payee cannot be paid; found ones are proposed on hold with
        the reason), `invoice_disputed`, `already_in_batch`, `nothing_to_pay`, `execution_date_past`."""
        batch = service.propose(db.session(), debtor_account=data["debtor_account"], due_by=data["due_by"],
                                execution_date=data["execution_date"], principal=current(),
                                second_above=second_above(), invoice_ids=data["invoices"])
        return _answer(batch, 201)


@blp.route("/payment-batches/<int:batch_id>")
class Batch(MethodView):
    @blp.reads(STAFF, PaymentBatchSchema, etag=True)
    def get(self, batch_id):
        """Read a batch with its transfers, approvals and digest"""
        return _answer(service.get(db.session(), batch_id))


@blp.route("/payment-batches/<int:batch_id>/items/<int:item_id>")
class BatchItem(MethodView):
    @blp.writes(OFFICERS, PaymentBatchSchema, body=PaymentItemPatchSchema, if_match=True, etag=True)
    def patch(self, data, batch_id, item_id, if_match):
        """Hold a transfer (with a reason), lift the hold, or pay part of the invoice (before release)

        The batch gets a new digest: approvals given before no longer count (409 `batch_released` after
        release). A cost claim or an advance is paid whole: its amount is not changed (422 `claim_paid_whole`,
        `advance_paid_whole`)."""
        batch = service.update_item(db.session(), batch_id, item_id, data, current(), second_above(),
                                    if_match)
        return _answer(batch)


@blp.route("/payment-batches/<int:batch_id>/approve")
class Approve(MethodView):
    @blp.writes(OFFICERS, PaymentBatchSchema, body=PaymentApproveSchema, etag=True)
    def post(self, data, batch_id):
        """Approve the batch as you saw it (its digest): never its preparer (403 `same_officer`)

        409 `digest_mismatch` when the batch changed since; above the configured amount a second approval by
        another officer is needed (409 `already_approved_by_you` for a second one by the same officer)."""
        return _answer(service.approve(db.session(), batch_id, data["digest"], current()))


@blp.route("/payment-batches/<int:batch_id>/release")
class Release(MethodView):
    @long_writer
    @blp.writes(OFFICERS, PaymentBatchSchema, if_match=True, etag=True)
    def post(self, batch_id, if_match):
        """Release a fully approved batch: the pain.001 is built, validated against the ISO schema and frozen;
        its transfers post to payments in transit and their invoices and cost claims are `in_transit` until the
        bank's debit clears them (409 `already_released` the second time; `invoice_changed`, `claim_changed`,
        `advance_invoiced`, `advance_changed` when what a transfer pays changed since the proposal)"""
        return _answer(service.release(db.session(), batch_id, current(), if_match))


@blp.route("/payment-batches/<int:batch_id>/cancel")
class Cancel(MethodView):
    @blp.writes(OFFICERS, PaymentBatchSchema, if_match=True, etag=True)
    def post(self, batch_id, if_match):
        """Cancel a batch before its release"""
        return _answer(service.cancel(db.session(), batch_id, current(), if_match))


@blp.route("/payment-batches/<int:batch_id>/pain001")
class File(MethodView):
    @blp.reads(STAFF, content_type="application/xml", description="the pain.001.001.09 file, as released")
    def get(self, batch_id):
        """The released batch's pain.001 file (409 `not_released` before release)"""
        batch, document = service.document(db.session(), batch_id)
        return download(document, "application/xml", f"{batch.message_id}.xml")


@blp.route("/payment-status")
class Status(MethodView):
    @requires(*OFFICERS)
    @blp.arguments(PaymentStatusUploadSchema, location="files")
    @blp.response(201, PaymentStatusSchema)
    def post(self, files):
        """Import the bank's pain.002: rejected transfers go back to their invoices with the reason

        A rejected transfer of a cost claim takes it out of transit: the claim is accepted and unpaid again.

        422 `unknown_batch`, `unknown_transfer`, `not_a_status_report`; 409 `transfer_rejected` (a rejected
        transfer reported again as sent), `transfer_executed`, `already_imported`."""
        data = files["file"].stream.read(STATUS_MAX_BYTES + 1)
        outcome = service.import_status(db.session(), data, current())
        return {"id": outcome.report.id, "batch": outcome.batch.id, "group_status": outcome.report.group_status,
                "accepted": outcome.accepted, "rejected": outcome.rejected}, 201


@blp.route("/payment-overrides")
class Overrides(MethodView):
    @blp.writes(OFFICERS, ApprovalSchema, body=PaymentOverrideSchema, status=201)
    def post(self, data):
        """Ask a second officer to approve paying a disputed invoice over its findings (`/approvals`, kind
        `invoice_override`): once approved, the invoice is approved and can be paid"""
        approval = service.request_override(db.session(), data["invoice"], data["overrides"], current())
        return approvals.view(approval), 201
