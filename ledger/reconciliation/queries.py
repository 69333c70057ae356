"""What the pages and other features may read of reconciliation (its door for reads): the unmatched transfers by
the one definition every page counts by, the matches as the queue sorts and filters them, and what posted matches
paid each payee."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ledger.invoices import queries as invoices
from ledger.listing import Listing, either_party
from ledger.reconciliation.duplicates import PaidInvoice, possible_duplicates
from ledger.reconciliation.matches import list_query
from ledger.reconciliation.models import STATUSES, ReconciliationAllocation, ReconciliationMatch
from ledger.reconciliation.search import Candidate, Criteria, by_keys, candidates
from ledger.statements import queries as statements

__all__ = ["UNMATCHED_DEFINITION", "STATUSES", "MATCHES", "PaidInvoice", "possible_duplicates", "Candidate",
           "Criteria", "by_keys", "candidates", "unmatched_count", "unmatched_transfers", "confident_proposals",
           "matches_of", "latest_match_of_transfer", "paid_by_payee", "live_matches_of", "held_claims",
           "proposed_for_invoices", "transfers_with_method"]

# One definition of an unmatched transfer, for every page and count that shows one. The run's message, the
# reconciliation list, the dashboard and the settlement page used to count differently (the run only the transfers
# it had weighed — payments out between known parties without a proposal waiting, and credits — the list every
# booked transfer that is not a bank's reversal, the settlement's open items reversals too), so after one run they
# gave three numbers. They all read these two functions now.
UNMATCHED_DEFINITION = (
    "An unmatched transfer is a booked bank transfer, not a bank's reversal entry, with money that no posted match "
    "explains yet (nothing or only part allocated), whether or not a proposal waits for review.")


def unmatched_count(session: Session, as_of: date | None = None) -> int:
    """How many transfers are unmatched (`UNMATCHED_DEFINITION`), of those booked by `as_of` when given."""
    return statements.count_unexplained(session, as_of)


def unmatched_transfers(as_of: date | None = None) -> Select:
    """The unmatched transfers (a query for `ledger.statements.queries.TRANSFERS`)."""
    return statements.TRANSFERS.query().where(*statements.unexplained(as_of))


MATCHES = Listing(
    query=lambda: select(ReconciliationMatch),
    orders={"id": ReconciliationMatch.id, "transfer": ReconciliationMatch.transfer_id,
            "confidence": ReconciliationMatch.confidence, "value": ReconciliationMatch.value},
    tiebreak=ReconciliationMatch.id,
    filters={"status": lambda q, v: q.where(ReconciliationMatch.status == v),
             "party": either_party(ReconciliationMatch.payer_code, ReconciliationMatch.payee_code),
             "method": lambda q, v: q.where(ReconciliationMatch.method == v)},
)


def confident_proposals(session: Session, floor: Decimal) -> list[int]:
    """The ids of the proposals with a confidence of `floor` or more, in order."""
    return list(session.execute(select(ReconciliationMatch.id).where(
        ReconciliationMatch.status == "proposed", ReconciliationMatch.confidence >= floor)
        .order_by(ReconciliationMatch.id)).scalars())


def matches_of(session: Session, *, invoice: int | None = None, transfer: int | None = None) -> list[dict]:
    """The views (`service.view`) of the matches that settle `invoice`, or that explain `transfer`, in order."""
    from ledger.reconciliation.service import views  # the service reads this feature's queries: imported late

    query = list_query(invoice=invoice, transfer=transfer).order_by(ReconciliationMatch.id)
    return views(session, list(session.execute(query).scalars()))


def latest_match_of_transfer(session: Session, transfer_id: int) -> ReconciliationMatch | None:
    return session.execute(select(ReconciliationMatch).where(ReconciliationMatch.transfer_id == transfer_id)
                           .order_by(ReconciliationMatch.id.desc()).limit(1)).scalar()


def paid_by_payee(session: Session, since: date) -> list[tuple[str, str, object]]:
    """(payee, currency, amount) that posted matches applied to each payee's invoices from transfers booked from
    `since` on."""
    payees = invoices.payees_of_invoices().subquery()
    a, m = ReconciliationAllocation, ReconciliationMatch
    return session.execute(
        select(payees.c.payee_code, m.currency, func.sum(a.amount))
        .select_from(a).join(m, m.id == a.match_id).join(payees, payees.c.id == a.invoice_id)
        .where(m.status.in_(("auto", "confirmed")), m.transfer_id.in_(statements.booked_since(since)))
        .group_by(payees.c.payee_code, m.currency)).all()


def live_matches_of(session: Session, transfer_ids: Select) -> list[tuple[int, int, str]]:
    """(match, transfer, status) of the matches on the transfers of `transfer_ids` (a select of ids) that hold money
    or wait for review (neither rejected nor reversed), by transfer."""
    m = ReconciliationMatch
    return session.execute(select(m.id, m.transfer_id, m.status)
                           .where(m.transfer_id.in_(transfer_ids), m.status.not_in(("rejected", "reversed")))
                           .order_by(m.transfer_id, m.id)).all()


def held_claims(session: Session) -> set[int]:
    """The claims that proposals waiting for review would pay."""
    return set(session.execute(
        select(ReconciliationAllocation.claim_id)
        .join(ReconciliationMatch, ReconciliationMatch.id == ReconciliationAllocation.match_id)
        .where(ReconciliationMatch.status == "proposed", ReconciliationAllocation.claim_id.is_not(None))).scalars())


def proposed_for_invoices(session: Session, invoice_ids: list[int]) -> list[tuple[int, object, object]]:
    """(invoice, amount, written off) that proposals waiting for review would allocate to each of `invoice_ids`."""
    a = ReconciliationAllocation
    return session.execute(
        select(a.invoice_id, func.sum(a.amount), func.sum(a.written_off))
        .join(ReconciliationMatch, ReconciliationMatch.id == a.match_id)
        .where(ReconciliationMatch.status == "proposed", a.invoice_id.in_(invoice_ids))
        .group_by(a.invoice_id)).all()


def transfers_with_method(session: Session, transfer_ids: list[int], method: str) -> set[int]:
    """Of `transfer_ids`, those a match made by `method` (in any status) names."""
    return set(session.execute(select(ReconciliationMatch.transfer_id).where(
        ReconciliationMatch.transfer_id.in_(transfer_ids), ReconciliationMatch.method == method)).scalars())
