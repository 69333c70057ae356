"""The Payments pages: propose a batch, hold or release its transfers, approve it as a second officer (the digest
you saw), release it, download its pain.001, and follow each transfer's status. The same services as the API."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask import current_app, render_template, request, url_for

from ledger import auth, db
from ledger.api import download, long_writer
from ledger.auth import STAFF, requires
from ledger.errors import field_error
from ledger.parties import queries as parties
from ledger.payments import queries, service
from ledger.timeutil import today
from ledger.web import may, pages
from ledger.web.actions import attempt, done

bp = pages("web_payments", __name__)
OFFICERS = ("finance_officer",)


def _second_above() -> Decimal:
    return Decimal(str(current_app.config.get("LEDGER_PAYMENTS_SECOND_APPROVAL_ABOVE", "100000.00")))


def _day(name: str) -> date:
    try:
        return date.fromisoformat(request.form.get(name, "").strip())
    except ValueError:
        raise field_error(name, "give a date as YYYY-MM-DD") from None


@bp.route("/payments", endpoint="index")
@requires(*STAFF)
def index():
    session = db.session()
    batches = queries.latest_batches(session, 200)
    accounts = parties.all_bank_accounts(session)
    day = today()
    return render_template("payments/index.html", batches=[service.view(session, b, with_items=False)
                                                           for b in batches],
                           accounts=[(a.iban, f"{a.party_code} {a.iban} ({a.currency})") for a in accounts],
                           due_by=(day + timedelta(days=30)).isoformat(),
                           execution=(day + timedelta(days=1)).isoformat(),
                           can_act=may(OFFICERS))


@bp.route("/payments", methods=["POST"], endpoint="propose")
@long_writer
@requires(*OFFICERS)
def propose():
    back = url_for(".index")
    ok, batch = attempt(lambda s: service.propose(
        s, debtor_account=request.form.get("debtor_account", ""), due_by=_day("due_by"),
        execution_date=_day("execution_date"), principal=auth.current(), second_above=_second_above()), back)
    if not ok:
        return batch
    return done(f"Batch {batch.id} proposed: {batch.total} {batch.currency}. Another officer approves it.",
                url_for(".detail", batch_id=batch.id))


@bp.route("/payments/<int:batch_id>", endpoint="detail")
@requires(*STAFF)
def detail(batch_id: int):
    session = db.session()
    batch = service.get(session, batch_id)
    principal = auth.current()
    view = service.view(session, batch)
    return render_template("payments/detail.html", batch=view, can_act=principal.role in OFFICERS,
                           is_preparer=batch.prepared_by == principal.key)


def _act(batch_id: int, action, message):
    here = url_for(".detail", batch_id=batch_id)
    ok, result = attempt(action, here)
    if not ok:
        return result
    return done(message(result), here)


@bp.route("/payments/<int:batch_id>/items/<int:item_id>/hold", methods=["POST"], endpoint="hold")
@requires(*OFFICERS)
def hold(batch_id: int, item_id: int):
    held = request.form.get("held") == "yes"
    changes = {"held": held, "hold_reason": request.form.get("hold_reason", "").strip()[:500]}
    return _act(batch_id, lambda s: service.update_item(s, batch_id, item_id, changes, auth.current(),
                                                        _second_above()),
                lambda b: f"Transfer {'held' if held else 'back in the batch'}; the batch's digest is now "
                          f"{b.digest[:12]}…, earlier approvals no longer count.")


@bp.route("/payments/<int:batch_id>/approve", methods=["POST"], endpoint="approve")
@requires(*OFFICERS)
def approve(batch_id: int):
    digest = request.form.get("digest", "")
    return _act(batch_id, lambda s: service.approve(s, batch_id, digest, auth.current()),
                lambda b: f"Approved. Batch {b.id} is {b.status}.")


@bp.route("/payments/<int:batch_id>/release", methods=["POST"], endpoint="release")
@long_writer
@requires(*OFFICERS)
def release(batch_id: int):
    return _act(batch_id, lambda s: service.release(s, batch_id, auth.current()),
                lambda b: f"Released: {b.message_id}, {b.total} {b.currency} in transit. "
                          "Download the file for the bank.")


@bp.route("/payments/<int:batch_id>/cancel", methods=["POST"], endpoint="cancel")
@requires(*OFFICERS)
def cancel(batch_id: int):
    return _act(batch_id, lambda s: service.cancel(s, batch_id, auth.current()), lambda b: f"Batch {b.id} cancelled.")


@bp.route("/payments/<int:batch_id>/pain001", endpoint="file")
@requires(*STAFF)
def file(batch_id: int):
    batch, document = service.document(db.session(), batch_id)
    return download(document, "application/xml", f"{batch.message_id}.xml")
