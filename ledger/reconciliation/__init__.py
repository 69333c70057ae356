"""Reconciliation: which bank transfers settle which invoices and claims (pure domain code).

The integration layer loads what is still open, calls `match()`, and stores the proposals:

    proposals = match(open_invoices, open_transfers, rejected_pairs={(transfer_id, invoice_id), ...})
    summary = summarise(open_invoices, open_transfers, proposals)   # run answer counts

Debits settle `payable` invoices and credits settle `receivable` ones (`SETTLES`); a transfer's
party is the one the caller resolved from its counterparty IBAN. Each `MatchProposal` carries its
rule, status (`auto` / `proposed`), confidence, residual (and the account it posts to when within
tolerance) and the evidence as strings. See `engine.match` for the order of the rules.
"""

from ledger.reconciliation.engine import match
from ledger.reconciliation.references import (
    extract_references,
    is_valid_rf,
    near_miss,
    normalise_reference,
)
from ledger.reconciliation.summary import RunSummary, summarise
from ledger.reconciliation.types import (
    RULES,
    SETTLES,
    Allocation,
    MatchProposal,
    MatchSettings,
    OpenInvoice,
    OpenTransfer,
    ReconciliationError,
)

__all__ = [
    "RULES",
    "SETTLES",
    "Allocation",
    "MatchProposal",
    "MatchSettings",
    "OpenInvoice",
    "OpenTransfer",
    "ReconciliationError",
    "RunSummary",
    "extract_references",
    "is_valid_rf",
    "match",
    "near_miss",
    "normalise_reference",
    "summarise",
]
