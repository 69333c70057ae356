"""EU mutual recognition as stored and posted: return orders, recognition by an enforcing state, cost
claims assessed by `ledger.recognition.rules`, the issuing state's decision, payment and netting.

Who may act: each step belongs to one side (the issuing state records orders, requests recognition,
decides and pays claims; the enforcing state decides on recognition, enforces and claims). The caller
says who acts (a `Principal`: no request is read here, so a script calls these with a session and a
principal). A partner acts only for its own state; staff (finance officers) may act for either.
Visibility is checked first (a partner that is neither side gets 404), then the side (403).

Journal (one entry per money event, in the claim's currency; I = issuing, E = enforcing state):
- acceptance, effective on `decided_on`: Dr claims_receivable(E,I) / Cr compensation_income(E,I) and
  Dr compensation_expense(I,E) / Cr claims_payable(I,E), for the payable amount;
- payment, effective on `paid_on`: Dr claims_payable(I,E) / Cr cash(I) and Dr cash(E) /
  Cr claims_receivable(E,I): both states' books settle in one entry, the money leaving I's bank account
  and arriving in E's. Reconciliation, when it matches a credit on E's account to a claim, calls
  `settle_claim` (source "reconciliation") instead of posting its own cash entry, so cash moves once;
  reversing that match reverses the payment entry and `reopen_claim`s the claim.
- payment through a payment batch (`ledger.payments`), in two steps as the money moves: the release orders the
  transfer (`order_claims`: the claim is `in_transit`, `ordered_on` the release day) and the batch's release
  entry takes I's side, Dr claims_payable(I,E) (`payable_key`) / Cr payments in transit; the bank's debit, matched
  by its EndToEndId, pays it (`claims_debited`: `paid`, `paid_on` the debit's booking day) and the clearing entry
  takes E's side, Dr cash(E) / Cr claims_receivable(E,I) (`received_lines`), with the debit's Dr payments in
  transit / Cr suspense. E's receivable is settled by the debit, not the order: until the bank executes it the
  money is I's, with I's bank, and a rejected order never reached E. Reversing that match puts the claim back in
  transit (`claims_undebited`); the bank's rejection `reopen_claim`s it (accepted, unpaid).
A claim accepted with nothing payable (recovered costs at least the allowed total) posts nothing and is
settled on acceptance (`paid_on` = `decided_on`). Late items (closed periods) land in the first open one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import String, and_, cast, exists, literal, or_, select, update
from sqlalchemy.orm import Session

from ledger import listing
from ledger.audit.service import describe, record_change
from ledger.auth import Principal
from ledger.errors import Conflict, Unprocessable, check_if_match, not_found
from ledger.facts import check_not_future
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.journal.service import first_open_period, post_entry
from ledger.money import Money
from ledger.parties import queries as parties
from ledger.pseudonyms import PersonalData
from ledger.recognition import rules
from ledger.recognition.models import (
    AllowanceRate,
    CostClaim,
    CostClaimDispute,
    CostClaimLine,
    CostClaimLineDecision,
    Recognition,
    ReturnOrder,
)
from ledger.recognition.rules import decisions as decision_rules
from ledger.recognition.rules import netting as netting_rules
from ledger.timeutil import today, utcnow
from ledger.wire import Extended

# ---- helpers -----------------------------------------------------------------------------------------

def rule_problem(error: rules.RecognitionRuleError) -> Unprocessable:
    """A rule's refusal as one 422 naming every field (and line) concerned, with the first problem's stable code,
    message and line."""
    errors: dict[str, list[str]] = {}
    for finding in error.findings:
        errors.setdefault(_field_of(finding), []).append(finding.message)
    return Unprocessable(error.message, code=error.code, errors=errors,
                         extra={"line": error.line_index} if error.line_index is not None else None)


def _field_of(error: rules.RecognitionRuleError) -> str:
    if error.line_index is not None:
        return f"lines.{error.line_index}.{error.field or 'category'}"
    return error.field or "_schema"


def _apply(check, *args, **kwargs):
    try:
        return check(*args, **kwargs)
    except rules.RecognitionRuleError as error:
        raise rule_problem(error) from None


def _require_party(session: Session, code: str, field_name: str) -> None:
    if not parties.exists(session, code):
        raise Unprocessable(f"{field_name}: {code} is not a registered party", code="unknown_party",
                            errors={field_name: [f"{code} is not a registered party"]})


def _money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(Decimal(amount), currency)


# ---- return orders -----------------------------------------------------------------------------------

def create_order(session: Session, principal: Principal, data: dict, personal: PersonalData) -> ReturnOrder:
    principal.ensure_acting_for(data["issuing_state"], "record its return orders")
    basis = data.get("legal_basis") or rules.DIRECTIVE_2001_40
    _apply(rules.validate_return_order, data["issuing_state"], data["ground"], data["decision_date"], today(),
           basis)
    _require_party(session, data["issuing_state"], "issuing_state")
    duplicate = session.execute(select(ReturnOrder.id).where(
        ReturnOrder.issuing_state == data["issuing_state"], ReturnOrder.decision_ref == data["decision_ref"])
    ).scalar()
    if duplicate:
        raise Conflict(f"{data['issuing_state']} recorded this decision already as return order {duplicate}",
                       code="duplicate_return_order", extra={"return_order": duplicate})
    order = ReturnOrder(
        issuing_state=data["issuing_state"], decision_ref=data["decision_ref"], decision_date=data["decision_date"],
        ground=data["ground"], pseudonym=personal.pseudonym(data["case_ref"]), sis_alert_ref=data.get("sis_alert_ref"),
        european_return_order_ref=data.get("european_return_order_ref"), legal_basis=basis,
        retain_until=personal.retain_until(data["decision_date"]),
    )
    session.add(order)
    session.flush()
    describe(session, "return_order.create", "return_order", order.id, f"{order.issuing_state}, basis {basis}")
    return order


def erase_return_orders(session: Session, before: date, erased: set[str]) -> int:
    """Return orders past retention lose everything that links them to the person: the pseudonym, the SIS
    alert and European return order references, and the decision's own reference (a file number at the
    issuing state), which becomes `erased:<id>`. Recognitions, claims and their money stay."""
    rows = session.execute(select(ReturnOrder.id, ReturnOrder.pseudonym).where(
        ReturnOrder.retain_until < before, ReturnOrder.erased_at.is_(None))).all()
    ids = [oid for oid, _ in rows]
    for start in range(0, len(ids), 5000):
        session.execute(update(ReturnOrder).where(ReturnOrder.id.in_(ids[start:start + 5000])).values(
            pseudonym=None, sis_alert_ref=None, european_return_order_ref=None, erased_at=utcnow(),
            decision_ref=literal("erased:") + cast(ReturnOrder.id, String)))
    erased.update(name for _, name in rows if name)
    describe(session, "return_order.erase", "return_order", "",
             f"{len(ids)} return orders erased (retention before {before})")
    return len(ids)


def _recognitions_of(session: Session, order_ids: Sequence[int]) -> dict[int, list[Recognition]]:
    found: dict[int, list[Recognition]] = {i: [] for i in order_ids}
    if order_ids:
        rows = session.execute(select(Recognition).where(Recognition.return_order_id.in_(order_ids))
                               .order_by(Recognition.id)).scalars()
        for rec in rows:
            found[rec.return_order_id].append(rec)
    return found


def get_order(session: Session, principal: Principal, order_id: int) -> ReturnOrder:
    order = session.get(ReturnOrder, order_id)
    if order is None:
        raise not_found("return order")
    enforcing = [r.enforcing_state for r in _recognitions_of(session, [order_id])[order_id]]
    principal.ensure_visible(order.issuing_state, *enforcing, kind="return order")
    return order


def order_views(session: Session, orders: Sequence[ReturnOrder], principal: Principal) -> list[dict]:
    recognitions = _recognitions_of(session, [o.id for o in orders])
    claims = _claim_ids(session, [r.id for recs in recognitions.values() for r in recs])
    views = []
    for order in orders:
        recs = recognitions[order.id]
        if principal.is_partner and principal.party != order.issuing_state:
            recs = [r for r in recs if r.enforcing_state == principal.party]  # not other enforcing states'
        views.append({
            "id": order.id, "issuing_state": order.issuing_state, "decision_ref": order.decision_ref,
            "decision_date": order.decision_date, "ground": order.ground, "pseudonym": order.pseudonym,
            "sis_alert_ref": order.sis_alert_ref, "european_return_order_ref": order.european_return_order_ref,
            "legal_basis": order.legal_basis, "retain_until": order.retain_until, "erased": order.erased_at is not None,
            "recognitions": [recognition_shown(r, claims.get(r.id)) for r in recs],
        })
    return views


def list_orders(session: Session, principal: Principal, args: dict) -> dict:
    query = select(ReturnOrder)
    side = principal.party if principal.is_partner else args.get("state")
    if side:
        enforcing = exists().where(Recognition.return_order_id == ReturnOrder.id,
                                   Recognition.enforcing_state == side)
        query = query.where(or_(ReturnOrder.issuing_state == side, enforcing))
    if args.get("issuing_state"):
        query = query.where(ReturnOrder.issuing_state == args["issuing_state"])
    result = listing.page(query, ReturnOrder.id, args)
    result["items"] = order_views(session, result["items"], principal)
    return result


# ---- recognitions ------------------------------------------------------------------------------------

def recognition_etag(rec: Recognition) -> str:
    return f'"recognition-{rec.id}-{rec.version}"'


def recognition_shown(rec: Recognition, claim_id: int | None) -> Extended:
    """The recognition with whether it is `recognised` (null while undecided) and its `cost_claim`."""
    recognised = {"recognised": True, "enforced": True, "refused": False}.get(rec.status)
    return Extended(rec, recognised=recognised, cost_claim=claim_id)


def _claim_ids(session: Session, recognition_ids: Sequence[int]) -> dict[int, int]:
    if not recognition_ids:
        return {}
    rows = session.execute(select(CostClaim.recognition_id, CostClaim.id)
                           .where(CostClaim.recognition_id.in_(recognition_ids))).all()
    return dict(rows)


def claim_of(session: Session, rec: Recognition) -> int | None:
    return _claim_ids(session, [rec.id]).get(rec.id)


def get_recognition(session: Session, principal: Principal, rec_id: int, lock: bool = False) -> Recognition:
    """The recognition, visible to the caller; `lock` holds its row until commit (PostgreSQL), so two
    concurrent steps on it run one after the other and the second sees the first's outcome."""
    rec = session.get(Recognition, rec_id, with_for_update=lock)
    if rec is None:
        raise not_found("recognition")
    principal.ensure_visible(rec.issuing_state, rec.enforcing_state, kind="recognition")
    return rec


def _step_of_enforcing_state(session: Session, principal: Principal, rec_id: int, if_match: str | None,
                             doing: str) -> Recognition:
    """The recognition, locked, for a step only its enforcing state takes (`doing`), on the version it saw."""
    rec = get_recognition(session, principal, rec_id, lock=True)
    principal.ensure_acting_for(rec.enforcing_state, doing)
    check_if_match(recognition_etag(rec), if_match, "recognition")
    return rec


def request_recognition(session: Session, principal: Principal, order_id: int, data: dict) -> Recognition:
    order = get_order(session, principal, order_id)
    principal.ensure_acting_for(order.issuing_state, "ask for recognition of its return orders")
    enforcing = data["enforcing_state"]
    _apply(rules.validate_recognition, order.issuing_state, enforcing)
    check_not_future(data["requested_on"], "requested_on")
    _apply(rules.check_bound, order.legal_basis, data["requested_on"], issuing_state=order.issuing_state,
           enforcing_state=enforcing)
    _require_party(session, enforcing, "enforcing_state")
    if data["requested_on"] < order.decision_date:
        raise Unprocessable("requested_on: recognition cannot be requested before the decision",
                            code="requested_before_decision", errors={"requested_on": ["before the decision"]})
    if session.execute(select(Recognition.id).where(Recognition.return_order_id == order.id,
                                                    Recognition.enforcing_state == enforcing)).scalar():
        raise Conflict(f"{enforcing} was already asked to recognise this order", code="recognition_exists")
    rec = Recognition(return_order_id=order.id, issuing_state=order.issuing_state, enforcing_state=enforcing,
                      requested_on=data["requested_on"])
    session.add(rec)
    session.flush()
    describe(session, "recognition.request", "recognition", rec.id,
             f"order {order.id}: {order.issuing_state} → {enforcing}")
    return rec


def decide_recognition(session: Session, principal: Principal, rec_id: int, data: dict,
                       if_match: str | None) -> Recognition:
    rec = _step_of_enforcing_state(session, principal, rec_id, if_match, "decide on recognising this order")
    if rec.status != "requested":
        raise Conflict(f"recognition {rec.id} was already decided ({rec.status})", code="already_decided")
    check_not_future(data["decided_on"], "decided_on")
    if data["decided_on"] < rec.requested_on:
        raise Unprocessable("decided_on: the decision cannot precede the request", code="decided_before_request",
                            errors={"decided_on": ["before the request"]})
    reason = (data.get("reason") or "").strip() or None
    if not data["recognised"] and reason is None:
        raise Unprocessable("reason: a refusal must give reasons", code="refusal_reason_required",
                            errors={"reason": ["a refusal must give reasons"]})
    rec.status = "recognised" if data["recognised"] else "refused"
    rec.decided_on, rec.reason = data["decided_on"], reason
    record_change(session, rec, "recognition.decide", "recognition", rec.id, rec.status)
    return rec


def record_enforcement(session: Session, principal: Principal, rec_id: int, data: dict,
                       if_match: str | None) -> Recognition:
    rec = _step_of_enforcing_state(session, principal, rec_id, if_match, "record the enforcement")
    if rec.status == "enforced":
        raise Conflict(f"recognition {rec.id} was already enforced", code="already_enforced")
    if rec.status != "recognised":
        code = "recognition_refused" if rec.status == "refused" else "not_recognised"
        raise Conflict(f"only a recognised order is enforced; recognition {rec.id} is {rec.status}", code=code)
    order = session.get(ReturnOrder, rec.return_order_id, with_for_update=True)
    _refuse_second_enforcement(session, rec)
    check_not_future(data["enforced_on"], "enforced_on")
    check_not_future(data.get("notified_on"), "notified_on")
    _apply(rules.check_bound, order.legal_basis, data["enforced_on"], enforcing_state=rec.enforcing_state,
           issuing_state=rec.issuing_state)
    _apply(rules.validate_enforcement, order.decision_date, data["enforced_on"], data.get("notified_on"))
    if data["enforced_on"] < rec.decided_on:
        raise Unprocessable("enforced_on: enforcement cannot precede the recognition",
                            code="enforced_before_recognition", errors={"enforced_on": ["before the recognition"]})
    rec.status, rec.enforced_on, rec.notified_on = "enforced", data["enforced_on"], data.get("notified_on")
    record_change(session, rec, "recognition.enforce", "recognition", rec.id,
                  f"enforced on {rec.enforced_on.isoformat()}")
    return rec


def _refuse_second_enforcement(session: Session, rec: Recognition) -> None:
    """One removal is compensated once (Directive 2001/40/EC, Art. 7; Decision 2004/191/EC): an order that
    another enforcing state has enforced already cannot be enforced again, or both would claim its costs.
    The caller holds the order's row lock, so two enforcing states racing on one order go one after the other."""
    other = session.execute(select(Recognition.id, Recognition.enforcing_state).where(
        Recognition.return_order_id == rec.return_order_id, Recognition.id != rec.id,
        Recognition.status == "enforced")).first()
    if other is not None:
        raise Conflict(f"this return order was enforced already by {other.enforcing_state} (recognition {other.id}); "
                       "one removal is compensated once", code="already_enforced",
                       extra={"recognition": other.id})


# ---- allowance rates ---------------------------------------------------------------------------------

def allowance_rates(session: Session, code: str) -> list[AllowanceRate]:
    if not parties.exists(session, code):
        raise not_found("party")
    return list(session.execute(select(AllowanceRate).where(AllowanceRate.party_code == code)
                                .order_by(AllowanceRate.effective_from, AllowanceRate.currency)).scalars())


def add_allowance_rate(session: Session, principal: Principal, code: str, data: dict) -> AllowanceRate:
    principal.ensure_acting_for(code, "publish its escort allowance rates")
    allowance_rates(session, code)  # 404 for an unknown party
    taken = session.execute(select(AllowanceRate.id).where(
        AllowanceRate.party_code == code, AllowanceRate.effective_from == data["effective_from"],
        AllowanceRate.currency == data["currency"])).scalar()
    if taken:
        raise Conflict("a rate in this currency already takes effect on that day; rates are never rewritten "
                       "(claims were assessed against them): publish one from a later day",
                       code="rate_exists")
    rate = AllowanceRate(party_code=code, effective_from=data["effective_from"], daily_rate=data["daily_rate"],
                         currency=data["currency"])
    session.add(rate)
    session.flush()
    describe(session, "allowance_rate.create", "party", code, f"{data['currency']} from {data['effective_from']}")
    return rate


# ---- cost claims -------------------------------------------------------------------------------------

def claim_etag(claim: CostClaim) -> str:
    return f'"cost-claim-{claim.id}-{claim.version}"'


def _claim_lines(data: dict) -> list[rules.ClaimLine]:
    currency = data["currency"]
    return [
        rules.ClaimLine(category=line["category"], amount=Money(line["amount"], currency),
                        evidence_ref=line["evidence_ref"], reference_fare=_money(line.get("reference_fare"), currency),
                        location=line.get("location"), days=line.get("days"), escorts=line.get("escorts"))
        for line in data["lines"]
    ]


def _rates_of(session: Session, code: str) -> list[rules.AllowanceRate]:
    return [rules.AllowanceRate(r.effective_from, Money(Decimal(r.daily_rate), r.currency))
            for r in allowance_rates(session, code)]


def create_claim(session: Session, principal: Principal, data: dict) -> CostClaim:
    rec = get_recognition(session, principal, data["recognition"], lock=True)
    principal.ensure_acting_for(rec.enforcing_state, "claim the costs of this enforcement")
    if rec.status != "enforced":
        raise Conflict(f"costs are claimed after enforcement; recognition {rec.id} is {rec.status}",
                       code="not_enforced")
    existing = claim_of(session, rec)
    if existing:
        raise Conflict(f"this enforcement was claimed already as cost claim {existing}", code="claim_exists",
                       extra={"cost_claim": existing})
    order = session.get(ReturnOrder, rec.return_order_id)
    check_not_future(data["submitted_on"], "submitted_on")
    lines = _claim_lines(data)
    assessment = _apply(rules.assess_claim, order.legal_basis, order.decision_date, rec.enforced_on,
                        data["submitted_on"], lines, Money(data["recovered_from_person"], data["currency"]),
                        _rates_of(session, rec.enforcing_state))
    claim = _store_claim(session, rec, data["submitted_on"], lines, assessment)
    describe(session, "cost_claim.create", "cost_claim", claim.id,
             f"{rec.enforcing_state} → {rec.issuing_state}: claimed {assessment.claimed} allowed {assessment.allowed} "
             f"payable {assessment.payable} {assessment.currency}{', late' if assessment.late else ''}")
    return claim


def _store_claim(session: Session, rec: Recognition, submitted_on: date, lines: list[rules.ClaimLine],
                 assessment: rules.ClaimAssessment) -> CostClaim:
    claim = CostClaim(
        recognition_id=rec.id, return_order_id=rec.return_order_id, issuing_state=rec.issuing_state,
        enforcing_state=rec.enforcing_state, legal_basis=assessment.basis, submitted_on=submitted_on,
        currency=assessment.currency, claimed=assessment.claimed.amount, allowed=assessment.allowed.amount,
        recovered_from_person=assessment.recovered.amount, payable=assessment.payable.amount, late=assessment.late,
        late_after=assessment.late_after, flags=",".join(assessment.flags), decision_due_on=assessment.decision_due_on,
    )
    session.add(claim)
    session.flush()
    session.add_all(_line_row(claim.id, line, assessed) for line, assessed in zip(lines, assessment.lines, strict=True))
    session.flush()
    return claim


def _line_row(claim_id: int, line: rules.ClaimLine, assessed: rules.LineAssessment) -> CostClaimLine:
    rate = assessed.rate_applied
    return CostClaimLine(
        claim_id=claim_id, line=assessed.index, category=assessed.category.value, evidence_ref=assessed.evidence_ref,
        claimed=assessed.claimed.amount, allowed=assessed.allowed.amount, flags=",".join(assessed.flags),
        reference_fare=line.reference_fare.amount if line.reference_fare else None, location=line.location,
        days=line.days, escorts=line.escorts,
        rate_effective_from=rate.effective_from if rate else None, daily_rate=rate.daily_rate.amount if rate else None,
    )


def get_claim(session: Session, principal: Principal, claim_id: int, lock: bool = False) -> CostClaim:
    claim = session.get(CostClaim, claim_id, with_for_update=lock)
    if claim is None:
        raise not_found("cost claim")
    principal.ensure_visible(claim.issuing_state, claim.enforcing_state, kind="cost claim")
    return claim


def timeline(claim: CostClaim) -> rules.ClaimTimeline:
    """The claim's deadlines. Accepted means some of it was accepted (in whole or in part, at the decision or on a
    dispute's resolution): the payment deadline then runs from the latest acceptance (`payment_due_on`)."""
    accepted = None if claim.decided_on is None else claim.payment_due_on is not None
    line_ = rules.claim_timeline(claim.submitted_on, claim.decided_on, accepted, claim.paid_on, claim.legal_basis,
                                 claim.ordered_on)
    if accepted and claim.payment_due_on != line_.payment_due_on:
        line_ = replace(line_, payment_due_on=claim.payment_due_on)
    return line_


def _standing(session: Session, claim_id: int) -> dict[int, CostClaimLineDecision]:
    """Each line's latest decision (the decision, then resolutions of disputes)."""
    rows = session.execute(select(CostClaimLineDecision).where(CostClaimLineDecision.claim_id == claim_id)
                           .order_by(CostClaimLineDecision.id)).scalars()
    return {row.line: row for row in rows}


def _allowed(session: Session, claim: CostClaim) -> dict[int, Money]:
    return {row.line: Money(Decimal(row.allowed), claim.currency) for row in _lines_of(session, [claim.id])[claim.id]}


def decide_claim(session: Session, principal: Principal, claim_id: int, data: dict,
                 if_match: str | None) -> CostClaim:
    """Accept (in whole or line by line, `lines`) or refuse the claim. Each line's answer is stored as it was
    given; the payable becomes the allowed amount of the accepted lines less what was recovered from the person."""
    claim = get_claim(session, principal, claim_id, lock=True)
    principal.ensure_acting_for(claim.issuing_state, "decide on this cost claim")
    check_if_match(claim_etag(claim), if_match, "cost claim")
    if claim.status != "submitted":
        raise Conflict(f"cost claim {claim.id} was already decided ({claim.status})", code="already_decided")
    reason = (data.get("reason") or "").strip() or None
    check_not_future(data["decided_on"], "decided_on")
    _apply(rules.validate_decision, claim.submitted_on, data["accepted"], data["decided_on"], reason)
    allowed = _allowed(session, claim)
    by_line = _apply(decision_rules.decide_lines, sorted(allowed), data["accepted"], data.get("lines"), reason)
    session.add_all(CostClaimLineDecision(claim_id=claim.id, line=d.line, accepted=d.accepted, reason=d.reason,
                                          decided_on=data["decided_on"], step="decision")
                    for d in by_line.values())
    claim.decided_on, claim.reason = data["decided_on"], reason
    if data["accepted"]:
        claim.payable = decision_rules.payable(allowed, [d.line for d in by_line.values() if d.accepted],
                                               Money(Decimal(claim.recovered_from_person), claim.currency)).amount
        _accept(session, claim)
    else:
        claim.status = "refused"
    record_change(session, claim, "cost_claim.decide", "cost_claim", claim.id,
                  lambda: f"{claim.status} on {claim.decided_on.isoformat()}"
                          + (" (late decision)" if timeline(claim).decided_late else ""))
    return claim


def _accept(session: Session, claim: CostClaim) -> None:
    claim.payment_due_on = _apply(rules.payment_due_on, claim.decided_on, claim.legal_basis)
    payable = Money(Decimal(claim.payable), claim.currency)
    if payable.is_zero():  # recovered costs cover everything: nothing to post, nothing to pay
        claim.status, claim.paid_on = "paid", claim.decided_on
        return
    claim.status = "accepted"
    claim.acceptance_entry_id = _post_acceptance(session, claim, payable, claim.decided_on, "cost_claim",
                                                 f"cost claim {claim.id} accepted")


def _post_acceptance(session: Session, claim: CostClaim, amount: Money, on: date, source_type: str,
                     memo: str) -> int:
    """Both states' books for `amount` accepted on `on`: the enforcing state's receivable and income, the issuing
    state's expense and payable."""
    issuing, enforcing, cur = claim.issuing_state, claim.enforcing_state, claim.currency
    lines = (
        debit(AccountKey("claims_receivable", cur, enforcing, issuing), amount),
        credit(AccountKey("compensation_income", cur, enforcing, issuing), amount),
        debit(AccountKey("compensation_expense", cur, issuing, enforcing), amount),
        credit(AccountKey("claims_payable", cur, issuing, enforcing), amount),
    )
    return post_entry(session, EntryDraft(
        effective_date=on, lines=lines, source_type=source_type, source_id=str(claim.id),
        memo=f"{memo}: {enforcing} enforced a decision of {issuing}", period=first_open_period(session, on)))


# ---- disputes ------------------------------------------------------------------------------------------

def dispute_etag(dispute: CostClaimDispute) -> str:
    return f'"cost-claim-dispute-{dispute.id}-{dispute.version}"'


def open_dispute(session: Session, principal: Principal, claim_id: int, data: dict) -> CostClaimDispute:
    """The enforcing state disputes refused lines of a decided, unpaid claim (all refused lines when it names
    none). The claim's stage is `disputed` until the issuing state resolves it: it is not paid meanwhile (an
    accepted part's payment deadline keeps running from its acceptance)."""
    claim = get_claim(session, principal, claim_id, lock=True)
    principal.ensure_acting_for(claim.enforcing_state, "dispute the decision on this cost claim")
    if claim.status not in ("accepted", "refused"):
        code = {"submitted": "not_decided", "disputed": "dispute_open", "paid": "already_paid",
                "in_transit": "payment_in_transit"}[claim.status]
        raise Conflict(f"only a decided, unpaid claim is disputed; cost claim {claim.id} is {claim.status}",
                       code=code)
    opened_on = data.get("opened_on") or today()
    check_not_future(opened_on, "opened_on")
    if opened_on < claim.decided_on:
        raise Unprocessable("opened_on: a dispute cannot precede the decision", code="disputed_before_decision",
                            errors={"opened_on": ["before the decision"]})
    standing = {line: row.accepted for line, row in _standing(session, claim.id).items()}
    lines = _apply(decision_rules.disputed_lines, standing, data.get("lines"))
    dispute = CostClaimDispute(claim_id=claim.id, reason=data["reason"].strip(), lines=",".join(map(str, lines)),
                               opened_on=opened_on, stage_before=claim.status, payable_before=claim.payable)
    session.add(dispute)
    claim.status = "disputed"
    record_change(session, claim, "cost_claim.dispute", "cost_claim", claim.id,
                  lambda: f"dispute {dispute.id}: lines {dispute.lines}")  # the dispute's id: known after the flush
    return dispute


def get_dispute(session: Session, principal: Principal, dispute_id: int, lock: bool = False) -> CostClaimDispute:
    dispute = session.get(CostClaimDispute, dispute_id, with_for_update=lock)
    if dispute is None:
        raise not_found("dispute")
    claim = session.get(CostClaim, dispute.claim_id)
    principal.ensure_visible(claim.issuing_state, claim.enforcing_state, kind="dispute")
    return dispute


def resolve_dispute(session: Session, principal: Principal, dispute_id: int, data: dict) -> CostClaimDispute:
    """The issuing state resolves: lines it now accepts are recorded (step `resolution`) and the payable grows by
    their allowed amount; the difference is journaled as an adjustment (source `cost_claim_adjustment`, on
    `decided_on`), never by editing the acceptance. The payment deadline of what is newly accepted runs from
    `decided_on`."""
    dispute = get_dispute(session, principal, dispute_id, lock=True)
    claim = get_claim(session, principal, dispute.claim_id, lock=True)
    principal.ensure_acting_for(claim.issuing_state, "resolve a dispute on this cost claim")
    if dispute.status != "open":
        raise Conflict(f"dispute {dispute.id} was already resolved ({dispute.outcome})", code="already_resolved")
    decided_on = data["decided_on"]
    check_not_future(decided_on, "decided_on")
    if decided_on < dispute.opened_on:
        raise Unprocessable("decided_on: a resolution cannot precede the dispute", code="decided_before_dispute",
                            errors={"decided_on": ["before the dispute"]})
    reason = (data.get("reason") or "").strip() or None
    disputed = [int(n) for n in dispute.lines.split(",") if n]
    changed = _apply(decision_rules.resolve, disputed, data["outcome"], data.get("lines"), reason)
    session.add_all(CostClaimLineDecision(claim_id=claim.id, line=d.line, accepted=True, reason=d.reason,
                                          decided_on=decided_on, step="resolution", dispute_id=dispute.id)
                    for d in changed.values())
    session.flush()
    accepted = [line for line, row in _standing(session, claim.id).items() if row.accepted]
    before = Money(Decimal(claim.payable), claim.currency) if dispute.stage_before == "accepted" \
        else Money.zero(claim.currency)
    after = decision_rules.payable(_allowed(session, claim), accepted,
                                   Money(Decimal(claim.recovered_from_person), claim.currency)) if accepted \
        else Money.zero(claim.currency)
    difference = after - before
    if changed:
        claim.payment_due_on = _apply(rules.payment_due_on, decided_on, claim.legal_basis)
    if difference.amount > 0:
        dispute.adjustment_entry_id = _post_acceptance(
            session, claim, difference, decided_on, "cost_claim_adjustment",
            f"cost claim {claim.id}: dispute {dispute.id} {data['outcome']}")
        if claim.acceptance_entry_id is None:
            claim.acceptance_entry_id = dispute.adjustment_entry_id
    claim.payable = after.amount
    if not accepted:
        claim.status = "refused"
    elif after.is_zero():  # recovered costs cover what is accepted: nothing to pay
        claim.status, claim.paid_on = "paid", decided_on
    else:
        claim.status = "accepted"
    dispute.status, dispute.outcome, dispute.decided_on = "resolved", data["outcome"], decided_on
    dispute.resolution_reason, dispute.payable_after = reason, after.amount
    record_change(session, claim, "cost_claim.resolve", "cost_claim", claim.id,
                  f"dispute {dispute.id} {dispute.outcome} on {decided_on.isoformat()}: payable {before} → {after}",
                  also=(dispute,))
    return dispute


def dispute_shown(dispute: CostClaimDispute, currency: str) -> Extended:
    """The dispute with its disputed `lines` as numbers and its claim's `currency` (that of its amounts)."""
    return Extended(dispute, lines=[int(n) for n in dispute.lines.split(",") if n], currency=currency)


def claim_reference(claim_id: int) -> str:
    """What a paying state quotes in its transfer so reconciliation finds the claim ("CC-42")."""
    return f"CC-{claim_id}"


def record_payment(session: Session, principal: Principal, claim_id: int, paid_on: date,
                   if_match: str | None = None, source: str = "api") -> CostClaim:
    """The issuing state paid the claim, as recorded by it or a finance officer through the API."""
    claim = get_claim(session, principal, claim_id, lock=True)
    principal.ensure_acting_for(claim.issuing_state, "record the payment of this cost claim")
    check_if_match(claim_etag(claim), if_match, "cost claim")
    check_not_future(paid_on, "paid_on")
    return settle_claim(session, claim, paid_on, source)


def settle_claim(session: Session, claim: CostClaim, paid_on: date, source: str) -> CostClaim:
    """Pay an accepted claim whole: one entry moving cash and clearing both claims accounts.

    No check of who acts: the API's `record_payment` checks that, and reconciliation (source
    "reconciliation") acts on a bank statement, not for a state. The caller holds the claim's row lock."""
    settle_claims(session, [claim], paid_on, source)
    return claim


def settle_claims(session: Session, claims: Sequence[CostClaim], paid_on: date, source: str,
                  received: AccountKey | None = None) -> int:
    """Pay accepted claims between the same two states, in one currency, each whole, with one transfer: one entry
    (the cash moved once) that every claim names as its payment. Returns the entry's id. As `settle_claim`: the
    caller checked who acts and holds the claims' row locks.

    `received` is where the enforcing state's money is when it came from its bank statement (the credit's suspense
    account: the import already booked its cash); without it the payment is recorded as cash of that state."""
    first = claims[0]
    issuing, enforcing, cur = first.issuing_state, first.enforcing_state, first.currency
    if any((c.issuing_state, c.enforcing_state, c.currency) != (issuing, enforcing, cur) for c in claims):
        raise ValueError("one payment settles claims between the same two states, in one currency")
    for claim in claims:
        _check_payable(claim, paid_on, "paid_on")
    payable = Money(sum((Decimal(c.payable) for c in claims), Decimal(0)), cur)
    lines = (
        debit(payable_key(first), payable),
        credit(AccountKey("cash", cur, issuing), payable),
        *received_lines(first, payable, received),
    )
    ids = [str(c.id) for c in claims]
    entry_id = post_entry(session, EntryDraft(
        effective_date=paid_on, lines=lines, source_type="cost_claim_payment", source_id=_claims_source(ids),
        memo=f"cost claim{'s' if len(ids) > 1 else ''} {', '.join(ids)} paid by {issuing} to {enforcing}"[:500],
        period=first_open_period(session, paid_on),
    ))
    for claim in claims:
        claim.payment_entry_id = entry_id
        claim.status, claim.paid_on = "paid", paid_on
        claim.version += 1
    session.flush()
    for claim in claims:
        describe(session, "cost_claim.pay", "cost_claim", claim.id, f"paid on {paid_on.isoformat()} ({source})")
    return entry_id


_NOT_PAYABLE = {"submitted": "not_accepted", "refused": "claim_refused", "paid": "already_paid",
                "disputed": "dispute_open", "in_transit": "payment_in_transit"}


def _check_payable(claim: CostClaim, day: date, field_name: str) -> None:
    """Refuse to pay (or order, `field_name` "ordered_on") a claim that is not accepted and unpaid, or on a day
    before its acceptance."""
    if claim.status != "accepted":
        raise Conflict(f"only an accepted, unpaid claim is paid; cost claim {claim.id} is {claim.status}",
                       code=_NOT_PAYABLE[claim.status])
    _apply(rules.claim_timeline, claim.submitted_on, claim.decided_on, True, basis=claim.legal_basis,
           **{field_name: day})


def payable_key(claim: CostClaim) -> AccountKey:
    """The issuing state's account of what it owes the enforcing state on its claims (credited on acceptance)."""
    return AccountKey("claims_payable", claim.currency, claim.issuing_state, claim.enforcing_state)


def received_lines(claim: CostClaim, amount: Money, received: AccountKey | None = None) -> tuple:
    """The enforcing state's side of a payment of `amount`: its money in (`received`, else its cash), its
    receivable from the issuing state settled."""
    cur = claim.currency
    return (debit(received or AccountKey("cash", cur, claim.enforcing_state), amount),
            credit(AccountKey("claims_receivable", cur, claim.enforcing_state, claim.issuing_state), amount))


def order_claims(session: Session, claims: Sequence[CostClaim], ordered_on: date, source: str) -> None:
    """A released payment batch ordered a transfer paying each claim, whole: the claims are `in_transit` from
    `ordered_on` (nothing proposes, matches, nets or pays them meanwhile) until the bank's debit pays them. Posts
    nothing: the caller's release entry debits each claim's `payable_key`. The caller holds the row locks."""
    for claim in claims:
        _check_payable(claim, ordered_on, "ordered_on")
    for claim in claims:
        claim.status, claim.ordered_on = "in_transit", ordered_on
        claim.version += 1
    session.flush()
    for claim in claims:
        describe(session, "cost_claim.order", "cost_claim", claim.id,
                 f"in transit from {ordered_on.isoformat()} ({source})")


def claims_debited(session: Session, claims: Sequence[CostClaim], paid_on: date, entry_id: int,
                   source: str) -> None:
    """The bank debited the transfers paying these claims in transit, by the entry `entry_id` (which took the
    enforcing state's `received_lines`): they are paid on `paid_on`. The caller holds the row locks."""
    for claim in claims:
        if claim.status != "in_transit":
            raise Conflict(f"only a claim in transit is debited; cost claim {claim.id} is {claim.status}",
                           code="not_in_transit")
        claim.status, claim.paid_on, claim.payment_entry_id = "paid", paid_on, entry_id
        claim.version += 1
    session.flush()
    for claim in claims:
        describe(session, "cost_claim.pay", "cost_claim", claim.id, f"paid on {paid_on.isoformat()} ({source})")


def claims_undebited(session: Session, claim: CostClaim, reason: str) -> CostClaim:
    """The debit that paid a claim in transit was taken back (its entry reversed by the caller): the claim is in
    transit again, as ordered."""
    if claim.status != "paid" or claim.ordered_on is None:
        raise Conflict(f"only a claim a debit paid goes back in transit; cost claim {claim.id} is {claim.status}",
                       code="not_paid")
    claim.status, claim.paid_on, claim.payment_entry_id = "in_transit", None, None
    record_change(session, claim, "cost_claim.unpay", "cost_claim", claim.id, reason[:200])
    return claim


def _claims_source(ids: list[str]) -> str:
    """The entry's source id: the claims' ids, as many as its 64 characters hold (the memo names them all, and
    each claim names the entry)."""
    joined = ",".join(ids)
    while len(joined) > 64:
        ids = ids[:-1]
        joined = ",".join(ids) + ",…"
    return joined


def reopen_claim(session: Session, claim: CostClaim, reason: str) -> CostClaim:
    """A payment taken back (its entry reversed by the caller, e.g. a reversed reconciliation match), or an order
    the bank rejected (the caller took it out of payments in transit): the claim is accepted and unpaid again.
    The payment entry id stays on the journal's reversal link only."""
    if not (claim.status == "in_transit" or (claim.status == "paid" and claim.payment_entry_id is not None)):
        raise Conflict(f"only a paid claim is reopened; cost claim {claim.id} is {claim.status}", code="not_paid")
    claim.status, claim.paid_on, claim.payment_entry_id, claim.ordered_on = "accepted", None, None, None
    record_change(session, claim, "cost_claim.reopen", "cost_claim", claim.id, reason[:200])
    return claim


# ---- reading claims ----------------------------------------------------------------------------------

def _lines_of(session: Session, claim_ids: Sequence[int]) -> dict[int, list[CostClaimLine]]:
    found: dict[int, list[CostClaimLine]] = {i: [] for i in claim_ids}
    if claim_ids:
        for row in session.execute(select(CostClaimLine).where(CostClaimLine.claim_id.in_(claim_ids))
                                   .order_by(CostClaimLine.claim_id, CostClaimLine.line)).scalars():
            found[row.claim_id].append(row)
    return found


def _flags(stored: str) -> list[str]:
    return [f for f in stored.split(",") if f]


def _line_shown(row: CostClaimLine, currency: str, decision: CostClaimLineDecision | None = None) -> Extended:
    """The line with its `flags` as a list, the claim's `currency` (that of its amounts) and its standing: whether
    `accepted` and the `decision_reason` (null while undecided)."""
    return Extended(row, currency=currency, flags=_flags(row.flags), accepted=decision.accepted if decision else None,
                    decision_reason=decision.reason if decision else None)


def claims_shown(session: Session, claims: Sequence[CostClaim], as_of: date | None = None) -> list[Extended]:
    as_of = as_of or today()
    ids = [c.id for c in claims]
    lines = _lines_of(session, ids)
    standing: dict[int, dict[int, CostClaimLineDecision]] = {i: {} for i in ids}
    disputes: dict[int, list[CostClaimDispute]] = {i: [] for i in ids}
    if ids:
        for row in session.execute(select(CostClaimLineDecision).where(CostClaimLineDecision.claim_id.in_(ids))
                                   .order_by(CostClaimLineDecision.id)).scalars():
            standing[row.claim_id][row.line] = row
        for row in session.execute(select(CostClaimDispute).where(CostClaimDispute.claim_id.in_(ids))
                                   .order_by(CostClaimDispute.id)).scalars():
            disputes[row.claim_id].append(row)
    return [_claim_shown(claim, lines[claim.id], as_of, standing[claim.id], disputes[claim.id]) for claim in claims]


def claim_shown(session: Session, claim: CostClaim, as_of: date | None = None) -> Extended:
    return claims_shown(session, [claim], as_of)[0]


def _claim_shown(claim: CostClaim, lines: list[CostClaimLine], as_of: date,
                 standing: dict[int, CostClaimLineDecision], disputes: list[CostClaimDispute]) -> Extended:
    """The claim with its `reference`, `lines`, `disputes` and `flags` as a list; its lifecycle (the stored status)
    as `stage`, and as of `as_of` its deadlines' `status`, whether `accepted`, what is `overdue` and by how many
    days."""
    line_ = timeline(claim)
    overdue = line_.overdue(as_of)
    return Extended(
        claim, reference=claim_reference(claim.id), flags=_flags(claim.flags),
        lines=[_line_shown(row, claim.currency, standing.get(row.line)) for row in lines],
        disputes=[dispute_shown(d, claim.currency) for d in disputes], accepted=line_.accepted, stage=claim.status,
        status=line_.status(as_of).value, overdue=overdue.value if overdue else None,
        days_overdue=line_.days_overdue(as_of), as_of=as_of,
    )


def overdue_on(as_of: date):
    """SQL for `ClaimTimeline.overdue(as_of) is not None`, ignoring what happened after `as_of`."""
    undecided = or_(CostClaim.decided_on.is_(None), CostClaim.decided_on > as_of)
    unpaid = and_(or_(CostClaim.paid_on.is_(None), CostClaim.paid_on > as_of),
                  or_(CostClaim.ordered_on.is_(None), CostClaim.ordered_on > as_of))  # in transit: not late
    return or_(
        and_(undecided, CostClaim.decision_due_on < as_of),
        and_(CostClaim.payment_due_on.is_not(None), CostClaim.decided_on <= as_of, unpaid,
             CostClaim.payment_due_on < as_of),
    )


def overdue_items(session: Session, as_of: date, state: str | None = None) -> list[rules.OverdueItem]:
    """Overdue decisions and payments on `as_of` (most overdue first), for both sides of each claim."""
    query = select(CostClaim).where(overdue_on(as_of))
    if state:
        query = query.where(or_(CostClaim.issuing_state == state, CostClaim.enforcing_state == state))
    tracked = [rules.TrackedClaim(str(c.id), c.issuing_state, c.enforcing_state, timeline(c))
               for c in session.execute(query).scalars()]
    return rules.list_overdue(tracked, as_of, state)


def list_claims(session: Session, principal: Principal, args: dict) -> dict:
    as_of = args.get("as_of") or today()
    query = select(CostClaim)
    for side in principal.parties_listed(args.get("state")):
        query = query.where(or_(CostClaim.issuing_state == side, CostClaim.enforcing_state == side))
    for name, column in (("issuing_state", CostClaim.issuing_state), ("enforcing_state", CostClaim.enforcing_state),
                         ("stage", CostClaim.status)):
        if args.get(name):
            query = query.where(column == args[name])
    if args.get("overdue") is not None:
        condition = overdue_on(as_of)
        query = query.where(condition if args["overdue"] else ~condition)
    result = listing.page(query, CostClaim.id, args)
    result["items"] = claims_shown(session, result["items"], as_of)
    return result


# ---- netting -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Position:
    """A state's net position in one currency: positive, it receives; negative, it pays."""

    state: str
    position: Money


@dataclass(frozen=True, slots=True)
class Netting:
    """A period's netting as one viewer may see it: per currency, the plan with the claims it nets."""

    period: str
    as_of: date
    currencies: list[Extended]


def netting(session: Session, principal: Principal, period: str, currency: str | None) -> Netting:
    """Each state's net position over the claims accepted by the period's end and unpaid at it, and the
    fewest transfers settling them, per currency; the claims in transit at it (ordered by a released payment
    batch, not yet debited) are listed apart, never netted. A partner sees its own position and its own transfers
    (the other states' positions are theirs)."""
    end = _apply(netting_rules.period_end, period)
    # Plain columns, not ORM objects: a period can hold tens of thousands of open claims.
    query = select(CostClaim.id, CostClaim.issuing_state, CostClaim.enforcing_state, CostClaim.payable,
                   CostClaim.currency, CostClaim.decided_on, CostClaim.paid_on, CostClaim.ordered_on).where(
        CostClaim.payment_due_on.is_not(None), CostClaim.decided_on <= end, CostClaim.payable > 0,
        or_(CostClaim.paid_on.is_(None), CostClaim.paid_on > end))
    if currency:
        query = query.where(CostClaim.currency == currency)
    by_currency: dict[str, list[netting_rules.NettableClaim]] = {}
    for row in session.execute(query.order_by(CostClaim.id)):
        by_currency.setdefault(row.currency, []).append(netting_rules.NettableClaim(
            str(row.id), row.issuing_state, row.enforcing_state, Money(Decimal(row.payable), row.currency),
            row.decided_on, row.paid_on, row.ordered_on))
    plans = [_plan_shown(claims, end, _apply(netting_rules.netting, claims, period, cur), principal)
             for cur, claims in sorted(by_currency.items())]
    return Netting(period, end, plans)


def _plan_shown(claims: list[netting_rules.NettableClaim], end: date, plan: netting_rules.SettlementPlan,
                principal: Principal) -> Extended:
    """The plan with the `claims` it nets (ids) and those `in_transit` at `end` (listed apart, never netted), its
    `positions` as a list, and for a partner only the claims, position and transfers of its own state."""
    mine = (lambda *states: principal.party in states) if principal.is_partner else (lambda *states: True)
    seen = [c for c in claims if mine(c.issuing_state, c.enforcing_state)]
    return Extended(
        plan, claims=[int(c.claim_id) for c in seen if not c.in_transit_at(end)],
        in_transit=[int(c.claim_id) for c in seen if c.in_transit_at(end)],
        positions=[Position(s, m) for s, m in plan.positions.items() if mine(s)],
        transfers=[t for t in plan.transfers if mine(t.payer, t.payee)],
    )


# ---- locks for the payments that pay claims ----------------------------------------------------------

def lock_claims(session: Session, claim_ids: Sequence[int]) -> dict[int, CostClaim]:
    """The claims of `claim_ids`, locked in id order (as reconciliation locks them), by id."""
    return {c.id: c for c in session.execute(
        select(CostClaim).where(CostClaim.id.in_(claim_ids)).order_by(CostClaim.id)
        .with_for_update()).scalars()}


def lock_claim(session: Session, claim_id: int) -> CostClaim:
    """The claim `claim_id`, locked and read afresh."""
    return session.execute(select(CostClaim).where(CostClaim.id == claim_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()


def lock_claims_in_transit(session: Session, claim_ids: Sequence[int]) -> dict[int, CostClaim]:
    """Of `claim_ids` (sorted), the claims in transit, locked in id order and read afresh, by id."""
    return {c.id: c for c in session.execute(
        select(CostClaim).where(CostClaim.id.in_(claim_ids), CostClaim.status == "in_transit").order_by(CostClaim.id)
        .with_for_update().execution_options(populate_existing=True)).scalars()}
