"""Late-payment interest as stored: reference rates, runs that propose interest on overdue invoices, and the
officer's decision on each proposal. Nothing is posted by a run: only an accepted proposal becomes an obligation
(kind ``late_interest``, key ``interest:<proposal id>``), posted like any accrual (Dr returns_costs / Cr
obligations) on the proposal's ``as_of``, in the first open period; the payee then invoices it like any other
obligation. Rules: `ledger.interest.rules`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.agreements import queries as agreement_queries
from ledger.agreements import service as agreements
from ledger.agreements.rules import obligations as obligation_rules
from ledger.agreements.rules import terms as term_rules
from ledger.agreements.rules.obligations import period_bounds
from ledger.audit.service import describe
from ledger.db import fetch
from ledger.errors import Conflict, Unprocessable, field_error
from ledger.facts import check_not_future
from ledger.interest import rules
from ledger.interest.models import InterestProposal, ReferenceRate
from ledger.invoices import queries as invoice_queries
from ledger.journal.service import first_open_period
from ledger.money import Money
from ledger.timeutil import utcnow

INTEREST_KIND = "late_interest"


def _percent(value, where: str, low: str, high: str) -> Decimal:
    try:
        return term_rules.percent(value, where, low=Decimal(low), high=Decimal(high))
    except term_rules.TermsError as error:
        raise field_error(error.field, error.message) from None


# ---- reference rates -----------------------------------------------------------------------------------

def add_rate(session: Session, data: dict) -> ReferenceRate:
    reference = data["reference"]
    if reference not in term_rules.REFERENCE_RATES:
        raise field_error("reference", f"one of {', '.join(term_rules.REFERENCE_RATES)}")
    rate = _percent(data["rate_percent"], "rate_percent", "-100", "100")
    if session.execute(select(ReferenceRate.id).where(ReferenceRate.reference == reference,
                                                      ReferenceRate.effective_from == data["effective_from"])).first():
        raise Conflict(f"a {reference} rate already takes effect on that day; rates are never rewritten (interest "
                       "was proposed at them): record one from a later day", code="rate_exists")
    row = ReferenceRate(reference=reference, effective_from=data["effective_from"], rate_percent=rate,
                        source=data.get("source"))
    session.add(row)
    session.flush()
    describe(session, "reference_rate.create", "reference_rate", row.id,
             f"{reference} {rate} from {row.effective_from}")
    return row


def rates(session: Session, reference: str | None = None) -> list[ReferenceRate]:
    query = select(ReferenceRate).order_by(ReferenceRate.reference, ReferenceRate.effective_from)
    if reference:
        query = query.where(ReferenceRate.reference == reference)
    return list(session.execute(query).scalars())


# ---- runs ----------------------------------------------------------------------------------------------

def run(session: Session, as_of: date) -> dict:
    """Propose interest on every approved invoice still open and overdue on `as_of` whose agreement's terms (in
    force on `as_of`) charge late interest. An invoice with a proposal waiting is skipped (decide it first), as is
    one whose reference rate is not recorded (listed under `skipped`)."""
    check_not_future(as_of, "as_of")
    invoices = invoice_queries.overdue_on(session, as_of)
    proposals, skipped = [], []
    terms_cache: dict[int, term_rules.Terms | None] = {}
    rate_cache: dict[str, list[rules.Rate]] = {}
    for invoice in invoices:
        if invoice.agreement_id not in terms_cache:
            terms_cache[invoice.agreement_id] = term_rules.terms_in_force(
                agreements.versions(session, invoice.agreement_id), as_of)
        terms = terms_cache[invoice.agreement_id]
        if terms is None or terms.late_interest is None or invoice.currency != terms.currency:
            continue
        earlier = session.execute(select(InterestProposal.status, InterestProposal.as_of).where(
            InterestProposal.invoice_id == invoice.id).order_by(InterestProposal.as_of)).all()
        if any(status == "proposed" for status, _ in earlier):
            skipped.append({"invoice": invoice.id, "reason": "a proposal for this invoice waits for a decision"})
            continue
        last = max((day for _, day in earlier), default=None)
        reference = terms.late_interest.reference
        if reference and reference not in rate_cache:
            rate_cache[reference] = [rules.Rate(r.effective_from, Decimal(rules.rate_text(r.rate_percent)))
                                     for r in rates(session, reference)]
        try:
            accrual = rules.accrue(terms.late_interest, rate_cache.get(reference or "", []),
                                   Money(Decimal(invoice.amount_open), invoice.currency), invoice.due_on, last, as_of)
        except rules.InterestError as error:
            skipped.append({"invoice": invoice.id, "reason": error.message})
            continue
        if accrual is None:
            continue
        proposal = InterestProposal(
            invoice_id=invoice.id, agreement_id=invoice.agreement_id, as_of=as_of, from_date=accrual.from_date,
            days=accrual.days, principal=Decimal(invoice.amount_open), rate_percent=accrual.rate_percent,
            basis=accrual.basis, amount=accrual.amount.amount, currency=invoice.currency)
        session.add(proposal)
        proposals.append(proposal)
    session.flush()
    describe(session, "interest.run", "interest", "", f"as of {as_of.isoformat()}: {len(proposals)} proposals, "
                                             f"{len(skipped)} skipped")
    return {"as_of": as_of, "proposals": proposals, "skipped": skipped}


def propose_at_close(session: Session, period: str) -> dict:
    """Interest is computed at each month's close, as of its last day: the run proposes (an officer accepts or
    waives each proposal under /interest/proposals); nothing is posted by the close."""
    return run(session, period_bounds(period)[1])


# ---- proposals -----------------------------------------------------------------------------------------

def get(session: Session, proposal_id: int, lock: bool = False) -> InterestProposal:
    return fetch(session, InterestProposal, proposal_id, "interest proposal", lock=lock)


def proposals(session: Session, status: str | None = None) -> list[InterestProposal]:
    query = select(InterestProposal).order_by(InterestProposal.id)
    if status:
        query = query.where(InterestProposal.status == status)
    return list(session.execute(query).scalars())


def _pending(session: Session, proposal_id: int) -> InterestProposal:
    proposal = get(session, proposal_id, lock=True)
    if proposal.status != "proposed":
        raise Conflict(f"interest proposal {proposal.id} was already {proposal.status}", code="already_decided")
    return proposal


def accept(session: Session, proposal_id: int, actor: str) -> InterestProposal:
    """The officer accepts: the interest becomes an obligation of the invoice's agreement, posted at once."""
    proposal = _pending(session, proposal_id)
    agreement = agreements.get(session, proposal.agreement_id)
    key = f"interest:{proposal.id}"
    draft = obligation_rules.ObligationDraft(
        key, INTEREST_KIND, None, proposal.as_of, Money(Decimal(proposal.amount), proposal.currency),
        first_open_period(session, proposal.as_of))
    agreements.post_obligations(session, agreement, [draft])
    obligation_id = agreement_queries.obligation_id(session, agreement.id, key)
    proposal.status, proposal.obligation_id = "accepted", obligation_id
    proposal.decided_by, proposal.decided_at = actor, utcnow()
    session.flush()
    describe(session, "interest.accept", "interest_proposal", proposal.id,
             f"{proposal.amount} {proposal.currency} on invoice {proposal.invoice_id}: obligation {obligation_id}")
    return proposal


def reject(session: Session, proposal_id: int, actor: str, reason: str | None) -> InterestProposal:
    """The officer waives the window's interest; nothing is posted."""
    proposal = _pending(session, proposal_id)
    reason = (reason or "").strip()
    if not reason:
        raise Unprocessable("reason: a rejection gives its reason", code="reason_required",
                            errors={"reason": ["a rejection gives its reason"]})
    proposal.status, proposal.reason = "rejected", reason
    proposal.decided_by, proposal.decided_at = actor, utcnow()
    session.flush()
    describe(session, "interest.reject", "interest_proposal", proposal.id, f"invoice {proposal.invoice_id}")
    return proposal

