"""Reconciliation's credits pass: credits that settle EU cost claims (Decision 2004/191/EC compensation),
then credits that refund what a credit note left (`refunds`).

A credit on member state E's account from member state I's IBAN is I paying what it owes E: an accepted,
unpaid cost claim with E enforcing (claims and receives) and I issuing (pays). The pure engine matches
such credits against accepted claims in a pass of its own (claim and transfer ids never meet invoice
ids), with the party key enforcing + issuing on the claim and account owner + counterparty on the
credit, so a refund from a host (a credit whose counterparty has no open claim) never pays a claim; what
the claims leave is matched against credit notes (payer + host), and what neither explains waits.

A claim is paid once and whole (`recognition.service.settle_claims`), so only a proposal that pays each claim it
names in full is kept (a credit quoting several claims pays them all, with one entry); anything else is not stored
and the credit waits (counted unmatched) for an officer, who can pay claims with it by hand (`manual`, the same
rules named field by field).
Posting is the recognition feature's payment entry (the issuing state's cash and claims payable, the enforcing
state's claims receivable), with the enforcing state's side taken from the credit's suspense account, where the
import put the money it received; the match records it and takes the amount off the transfer.

Matches and allocations live in the same tables as invoice matches: the allocation names `claim_id`
instead of `invoice_id`; refused (credit, claim) pairs live in `reconciliation_claim_rejections`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.audit.service import describe
from ledger.db import for_update
from ledger.errors import Conflict, field_error
from ledger.invoices.models import Invoice
from ledger.money import Money
from ledger.recognition import service as recognition
from ledger.recognition.models import CostClaim
from ledger.reconciliation import refunds, rows
from ledger.reconciliation.engine import match
from ledger.reconciliation.models import (
    ReconciliationAllocation,
    ReconciliationMatch,
    ReconciliationRun,
    RejectedClaimPair,
)
from ledger.reconciliation.queries import held_claims
from ledger.reconciliation.types import MatchProposal, MatchSettings, OpenInvoice, OpenTransfer
from ledger.statements.cash import suspense
from ledger.statements.models import Transfer

#: A claim is assessed to the cent and paid whole: no difference is tolerated, none written off.
_NO_TOLERANCE = Decimal(0)
#: Per-rule counts of this pass in the run record, apart from the invoice pass's.
RULE_PREFIX = "claim:"


# ---- the rules (plain functions) ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ClaimTerms:
    """What decides whether a credit can pay a claim: the amount payable and the day it was accepted."""

    payable: Decimal
    currency: str
    decided_on: date


def settles_whole(proposal: MatchProposal, claims: dict[int, ClaimTerms], booked_on: date) -> bool:
    """Does the proposal pay each claim it names exactly, whole, on or after its acceptance?

    The engine may propose instalments or part of a claim; a claim is paid once and whole, so those wait for an
    officer's manual work instead. A surplus on the credit stays unallocated.
    """
    return proposal.residual_account is None and all(
        _pays_whole(claims[allocation.invoice_id], allocation.amount, booked_on) for allocation in proposal.allocations)


def _pays_whole(terms: ClaimTerms, amount: Money, booked_on: date) -> bool:
    return (amount.currency == terms.currency and amount.amount == terms.payable
            and booked_on >= terms.decided_on)  # payment cannot precede acceptance


def party_key(receiver: str, payer: str) -> str:
    """The engine's opaque party: who receives + who pays ("DEFR": FR pays DE)."""
    return receiver + payer


# ---- loading what is open ----------------------------------------------------------------------------

@dataclass(slots=True)
class _Credit:
    id: int
    owner: str  # the account's owner, receiving (an enforcing state, or a payer refunded)
    counterparty: str  # who pays it in (the issuing state, or the host refunding)
    currency: str
    booked_on: date


@dataclass
class OpenClaims:
    claims: list[OpenInvoice] = field(default_factory=list)
    credits: list[OpenTransfer] = field(default_factory=list)
    terms: dict[int, ClaimTerms] = field(default_factory=dict)
    credit_info: dict[int, _Credit] = field(default_factory=dict)
    rejected: set[tuple[int, int]] = field(default_factory=set)


def _open_credit() -> tuple:
    """What makes a credit open to the pass (read by `load_open`, counted by `count_open_credits`): booked, between
    two known and different parties, with money unallocated and a date, and no proposal waiting for review."""
    t = Transfer
    waiting = select(ReconciliationMatch.transfer_id).where(ReconciliationMatch.status == "proposed")
    return (t.booking_status == "booked", t.direction == "credit", t.reversal.is_(False), t.party_code.is_not(None),
            t.counterparty_party.is_not(None), t.party_code != t.counterparty_party, t.allocated < t.amount,
            func.coalesce(t.booking_date, t.value_date).is_not(None), t.id.not_in(waiting))


def _open_claim() -> tuple:
    return CostClaim.status == "accepted", CostClaim.payable > 0


def count_open_credits(session: Session) -> int:
    """How many credits `load_open` would give, counted by the database."""
    return session.execute(select(func.count()).select_from(Transfer).where(*_open_credit())).scalar_one()


def load_open(session: Session, *, lock: bool = False) -> OpenClaims:
    """Accepted claims with something payable, and booked credits between two known parties with money
    unallocated (locked FOR UPDATE on PostgreSQL with `lock`: transfers first, then claims, the order
    every posting path locks them in, so a run and a confirmation cannot deadlock)."""
    out = OpenClaims()
    held = held_claims(session)
    t = Transfer
    query = (select(t.id, t.party_code, t.counterparty_party, t.amount, t.allocated, t.currency, t.booking_date,
                    t.value_date, t.structured_reference, t.remittance_information, t.end_to_end_id,
                    t.counterparty_iban)
             .where(*_open_credit()))
    for row in session.execute(for_update(session, query, lock=lock, of=t)):
        booked = row.booking_date or row.value_date
        out.credit_info[row.id] = _Credit(row.id, row.party_code, row.counterparty_party, row.currency, booked)
        # No stated conversion: a claim is paid in its own currency, and cash moves in it.
        out.credits.append(OpenTransfer(
            id=row.id, direction="credit", amount=Money(row.amount - row.allocated, row.currency), booked_on=booked,
            counterparty_party=party_key(row.party_code, row.counterparty_party),
            counterparty_iban=row.counterparty_iban, remittance_structured=row.structured_reference,
            remittance_text=row.remittance_information, end_to_end_id=row.end_to_end_id))
    c = CostClaim
    query = (select(c.id, c.enforcing_state, c.issuing_state, c.currency, c.payable, c.decided_on, c.payment_due_on)
             .where(*_open_claim()).order_by(c.id))  # locked in id order, as `_pay` locks a match's claims
    for row in session.execute(for_update(session, query, lock=lock, of=c)):
        if row.id in held:
            continue
        reference = recognition.claim_reference(row.id)
        payable = Money(row.payable, row.currency)
        out.terms[row.id] = ClaimTerms(row.payable, row.currency, row.decided_on)
        # The reference is also the payment reference: a short number alone is weak evidence to the
        # engine, while a claim reference quoted by the paying state is meant to identify the claim.
        out.claims.append(OpenInvoice(
            id=row.id, party=party_key(row.enforcing_state, row.issuing_state), agreement_id="",
            number=reference, payment_reference=reference, end_to_end_id=None, direction="receivable",
            currency=row.currency, open_amount=payable, issued_on=row.decided_on,
            due_on=row.payment_due_on or row.decided_on, tolerance_abs=Money(_NO_TOLERANCE, row.currency),
            tolerance_pct=_NO_TOLERANCE))
    rejected = session.execute(select(RejectedClaimPair.transfer_id, RejectedClaimPair.claim_id))
    # Reversed claim payments stay reversed.
    out.rejected = {(t, c) for t, c in rejected} | rows.reversed_pairs(session, "claim_id")
    return out


def _anything_payable(session: Session) -> bool:
    """Is there an accepted claim or an approved credit note with something left, which a credit could settle?"""
    claim = select(CostClaim.id).where(*_open_claim()).limit(1)
    note = select(Invoice.id).where(*refunds.open_note()).limit(1)
    return session.execute(claim).first() is not None or session.execute(note).first() is not None


def lock_ahead(session: Session) -> OpenClaims | None:
    """Load and lock what the credits pass may pay (credits, then claims) before a run posts anything, for
    `run_pass` to use. Posting takes the journal's chain head; a state recording its claim's payment locks the
    claim first and the chain head second, so a run taking the chain head first and the claim second would
    deadlock with it. None when nothing is payable."""
    return load_open(session, lock=True) if _anything_payable(session) else None


# ---- the run's pass ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PassCounts:
    credits: int
    claims: int
    auto_matched: int
    proposed: int
    unmatched: int
    per_rule: dict[str, int]


def run_pass(session: Session, run: ReconciliationRun, actor: str, *, dry_run: bool = False,
             settings: MatchSettings | None = None, locked: OpenClaims | None = None) -> PassCounts:
    """The credits pass: match credits to EU cost claims (stored when they settle one claim whole), then
    what is left to credit notes' refunds (`refunds`); pay the auto ones; add the counts to the run. `locked`: what
    `lock_ahead` loaded at the run's start (nothing the run did since touches credits or claims)."""
    if locked is None and not _anything_payable(session):
        # Nothing a credit could settle: count the credits rather than read (and lock) every one of them.
        credits = count_open_credits(session)
        counts = PassCounts(credits=credits, claims=0, auto_matched=0, proposed=0, unmatched=credits, per_rule={})
        _add_to_run(run, counts)
        return counts
    open_claims = locked if locked is not None else load_open(session, lock=not dry_run)
    # Nothing open, nothing to match: the engine would still read every credit's remittance text.
    proposals = match(open_claims.claims, open_claims.credits, open_claims.rejected, settings) \
        if open_claims.claims else []
    kept = [p for p in proposals
            if settles_whole(p, open_claims.terms, open_claims.credit_info[p.transfer_id].booked_on)]
    paid = {p.transfer_id for p in kept}
    notes = refunds.open_notes(session, lock=not dry_run)
    rest = [c for c in open_claims.credits if c.id not in paid]
    refunded = [p for p in match(notes, rest, refunds.rejected_pairs(session), settings) if refunds.keeps(p)] \
        if notes else []
    counts = PassCounts(
        credits=len(open_claims.credits), claims=len(open_claims.claims),
        auto_matched=sum(1 for p in kept + refunded if p.status == "auto"),
        proposed=sum(1 for p in kept + refunded if p.status == "proposed"),
        unmatched=len(open_claims.credits) - len(kept) - len(refunded),
        per_rule=dict(Counter([*(f"{RULE_PREFIX}{p.rule}/{p.status}" for p in kept),
                               *(f"{refunds.RULE_PREFIX}{p.rule}/{p.status}" for p in refunded)])))
    _add_to_run(run, counts)
    if not dry_run:
        for proposal in kept:
            row = _store(session, proposal, open_claims, run.id, actor)
            if row.status == "auto":
                _pay(session, row, rows.allocations_of(session, row.id))
        for proposal in refunded:
            credit = open_claims.credit_info[proposal.transfer_id]
            row = refunds.store(session, proposal, credit.owner, credit.counterparty, credit.currency, run.id, actor)
            if row.status == "auto":
                refunds.pay(session, row)
    return counts


def _add_to_run(run: ReconciliationRun, counts: PassCounts) -> None:
    run.transfers_considered += counts.credits
    run.auto_matched += counts.auto_matched
    run.proposed += counts.proposed
    run.unmatched_transfers += counts.unmatched
    per_rule = json.loads(run.per_rule or "{}")
    per_rule.update(counts.per_rule)
    run.per_rule = json.dumps(dict(sorted(per_rule.items())))


def _store(session: Session, proposal: MatchProposal, open_claims: OpenClaims, run_id: int | None,
           actor: str) -> ReconciliationMatch:
    credit = open_claims.credit_info[proposal.transfer_id]
    return rows.store_match(session, proposal, credit.owner, credit.counterparty, credit.currency, run_id, actor,
                       {"claim": _references(a.invoice_id for a in proposal.allocations)}, item="claim_id")


def _references(claim_ids) -> str:
    return ", ".join(recognition.claim_reference(claim_id) for claim_id in claim_ids)


# ---- posting and the review workflow -----------------------------------------------------------------

def is_claim_match(session: Session, match_id: int) -> bool:
    """Does the match settle a cost claim (rather than invoices)?"""
    return session.execute(select(ReconciliationAllocation.id).where(
        ReconciliationAllocation.match_id == match_id, ReconciliationAllocation.claim_id.is_not(None))
    ).first() is not None


def _pay(session: Session, row: ReconciliationMatch, allocations: list[ReconciliationAllocation]) -> None:
    """Pay the claims through the recognition feature on the credit's booking day, with one entry, and take the
    amount off the credit; refused when the credit has less unallocated than that, or a claim is no longer payable
    as allocated (rows locked transfer first, then the claims in id order)."""
    transfer = rows.locked(session, Transfer, row.transfer_id)
    total = sum((allocation.amount for allocation in allocations), Decimal(0))
    if transfer.allocated + total > transfer.amount:
        raise Conflict(f"transfer {transfer.id} has {transfer.amount - transfer.allocated} unallocated, less than "
                       f"the {total} this would allocate", code="over_allocation")
    claims = []
    for allocation in sorted(allocations, key=lambda a: a.claim_id):
        claim = rows.locked(session, CostClaim, allocation.claim_id)
        if claim.status != "accepted" or claim.payable != allocation.amount:
            raise Conflict(f"cost claim {claim.id} is {claim.status} with {claim.payable} payable; this match would "
                           f"pay {allocation.amount}", code="over_allocation")
        claims.append(claim)
    row.journal_entry_id = recognition.settle_claims(
        session, claims, transfer.booking_date or transfer.value_date, rows.SOURCE_TYPE,
        received=suspense(transfer.currency, transfer.account))
    rows.add_allocated(session, transfer.id, total)
    session.flush()


def manual(session: Session, transfer: Transfer, items: list[tuple[int, Decimal]], actor: str) -> ReconciliationMatch:
    """An officer's match of a credit to the accepted cost claims it pays, each whole, in its currency; paid at
    once, with one entry. The same rules as the run's (`settles_whole`), named field by field."""
    seen: set[int] = set()
    booked_on = transfer.booking_date or transfer.value_date
    for index, (claim_id, amount) in enumerate(items):
        where = f"allocations.{index}.claim"
        claim = session.get(CostClaim, claim_id)
        if claim is None:
            raise field_error(where, f"no cost claim {claim_id}", "unknown_claim")
        if claim_id in seen:
            raise field_error(where, "the claim is named twice", "duplicate_claim")
        seen.add(claim_id)
        if (claim.enforcing_state, claim.issuing_state) != (transfer.party_code, transfer.counterparty_party):
            raise field_error(where, "the claim is not owed to the credit's account owner by its counterparty",
                              "party_mismatch")
        if claim.currency != transfer.currency:
            raise field_error(where, f"the claim is in {claim.currency}, the credit in {transfer.currency}",
                              "currency_mismatch")
        if claim.status != "accepted" or claim.payable <= 0:
            raise field_error(where, f"the claim is {claim.status}: only an accepted, unpaid claim can be paid",
                              "not_payable")
        if amount != claim.payable:
            raise field_error(f"allocations.{index}.amount", f"a cost claim is paid whole: {claim.payable} "
                              f"{claim.currency}", "not_whole")
        if booked_on < claim.decided_on:
            raise field_error("transfer", f"the credit was booked before cost claim {claim_id} was accepted",
                              "before_acceptance")
    references = _references(claim_id for claim_id, _ in items)
    row = rows.store_match(session, rows.by_hand(transfer, items), transfer.party_code, transfer.counterparty_party,
                      transfer.currency, None, actor, {"claim": references}, item="claim_id", status="confirmed")
    _pay(session, row, rows.allocations_of(session, row.id))
    describe(session, "reconciliation.manual", "reconciliation_match", row.id,
             f"transfer {transfer.id} pays {references} by hand, entry {row.journal_entry_id}")
    return row


def confirm(session: Session, row: ReconciliationMatch, actor: str) -> ReconciliationMatch:
    """Post a proposed claim match: the claims are paid (the caller checked status and If-Match)."""
    _pay(session, row, rows.allocations_of(session, row.id))
    rows.decide(session, row, "confirmed", actor)
    describe(session, "reconciliation.confirm", "reconciliation_match", row.id,
             f"transfer {row.transfer_id} pays cost claims, entry {row.journal_entry_id}")
    return row


def reject(session: Session, row: ReconciliationMatch, actor: str, reason: str | None) -> ReconciliationMatch:
    """Refuse a proposed claim match: each (credit, claim) pair is never proposed again."""
    claim_ids = [allocation.claim_id for allocation in rows.allocations_of(session, row.id)]
    refused = [RejectedClaimPair(transfer_id=row.transfer_id, claim_id=claim_id, match_id=row.id)
               for claim_id in claim_ids]
    return rows.refuse(session, row, actor, reason, refused,
                       f"transfer {row.transfer_id} is not the payment of {_references(claim_ids)}")


def reverse(session: Session, row: ReconciliationMatch, actor: str, reason: str) -> ReconciliationMatch:
    """Undo a posted claim match: the payment entry reversed, the claims accepted and unpaid again, the credit
    unallocated (the caller checked status and If-Match)."""
    transfer = rows.locked(session, Transfer, row.transfer_id)
    claims = [rows.locked(session, CostClaim, claim_id)
              for claim_id in sorted(a.claim_id for a in rows.allocations_of(session, row.id))]
    for claim in claims:
        if claim.payment_entry_id != row.journal_entry_id:
            raise Conflict(f"cost claim {claim.id} is no longer paid by this match's entry", code="invalid_transition")
    entry_id = rows.reversal_entry(session, row, transfer, row.transfer_amount, reason)
    for claim in claims:
        recognition.reopen_claim(session, claim, f"payment reversed with match {row.id}: {reason}")
    return rows.reversed_match(session, row, row.transfer_amount, entry_id, actor, reason,
                               _references(c.id for c in claims))
