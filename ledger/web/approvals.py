"""Approvals: what one officer asked for and a second must approve (four eyes), for every kind of request.

Approving sends the digest of the request as the page showed it; the service refuses it if the request changed
since (`digest_mismatch`) or if the approver is the requester (`same_officer`)."""

from __future__ import annotations

from flask import render_template, request, url_for

from ledger import auth, db
from ledger.approvals import service
from ledger.auth import requires
from ledger.web import pages
from ledger.web.actions import attempt, done

bp = pages("web_approvals", __name__)
DECIDERS = ("finance_officer", "admin")


@bp.route("/approvals", endpoint="index")
@requires("finance_officer", "admin", "auditor")
def index():
    session = db.session()
    pending = [service.view(a) for a in service.pending(session)]
    decided = [service.view(a) for a in service.recently_decided(session, 20)]
    principal = auth.current()
    return render_template("approvals/index.html", pending=pending, decided=decided,
                           can_decide=principal.role in DECIDERS, me=principal.name)


@bp.route("/approvals/<int:approval_id>/approve", methods=["POST"])
@requires(*DECIDERS)
def approve(approval_id: int):
    ok, result = attempt(lambda s: service.decide(s, approval_id, approve=True, principal=auth.current(),
                                                  seen_digest=request.form.get("digest", "")), url_for(".index"))
    return result if not ok else done(f"Request {approval_id} approved: {result.summary}", url_for(".index"))


@bp.route("/approvals/<int:approval_id>/reject", methods=["POST"])
@requires(*DECIDERS)
def reject(approval_id: int):
    reason = request.form.get("reason", "").strip()
    ok, result = attempt(lambda s: service.decide(s, approval_id, approve=False, principal=auth.current(),
                                                  reason=reason), url_for(".index"))
    return result if not ok else done(f"Request {approval_id} {result.status}.", url_for(".index"))
