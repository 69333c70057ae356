"""Reconciliation: matching bank transfers to the invoices and claims they settle (pure domain code)."""

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
    "RULES", "SETTLES", "Allocation", "MatchProposal", "MatchSettings", "OpenInvoice", "OpenTransfer",
    "ReconciliationError", "RunSummary", "extract_references", "is_valid_rf", "match", "near_miss",
    "normalise_reference", "summarise",
]
