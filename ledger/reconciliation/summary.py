"""The counts a reconciliation run answers with (`auto_matched, proposed, unmatched_transfers, open_invoices`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from ledger.reconciliation.types import MatchProposal, OpenInvoice, OpenTransfer


@dataclass(frozen=True, slots=True)
class RunSummary:
    auto_matched: int
    proposed: int
    #: Transfers with no match of any status.
    unmatched_transfers: int
    #: Invoices still open once the run's auto matches are applied (proposals await a reviewer).
    open_invoices: int
    #: Matches by "rule/status", sorted.
    per_rule: dict[str, int] = field(default_factory=dict)


def summarise(
    invoices: list[OpenInvoice], transfers: list[OpenTransfer], proposals: list[MatchProposal]
) -> RunSummary:
    matched = {p.transfer_id for p in proposals}
    remaining = {inv.id: inv.open_amount.amount for inv in invoices}
    for proposal in (p for p in proposals if p.status == "auto"):
        for allocation in proposal.allocations:
            remaining[allocation.invoice_id] -= allocation.amount.amount
        if proposal.residual_account is not None:
            for allocation in proposal.allocations:
                remaining[allocation.invoice_id] = Decimal(0)
    return RunSummary(
        auto_matched=sum(1 for p in proposals if p.status == "auto"),
        proposed=sum(1 for p in proposals if p.status == "proposed"),
        unmatched_transfers=sum(1 for t in transfers if t.id not in matched),
        open_invoices=sum(1 for amount in remaining.values() if amount > 0),
        per_rule=dict(sorted(Counter(f"{p.rule}/{p.status}" for p in proposals).items())),
    )
