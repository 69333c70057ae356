"""Checks on engine input: the integration layer's mistakes surface as coded errors, not odd matches."""

from __future__ import annotations

from decimal import Decimal

from ledger.reconciliation.types import (
    SETTLES,
    OpenInvoice,
    OpenTransfer,
    ReconciliationError,
)


def validate_inputs(invoices: list[OpenInvoice], transfers: list[OpenTransfer]) -> None:
    """Raise `ReconciliationError` on the first inconsistent invoice or transfer."""
    _unique([inv.id for inv in invoices], "duplicate_invoice_id", "invoice")
    _unique([t.id for t in transfers], "duplicate_transfer_id", "transfer")
    for invoice in invoices:
        _check_invoice(invoice)
    for transfer in transfers:
        _check_transfer(transfer)


def _unique(ids: list, code: str, what: str) -> None:
    seen = set()
    for identifier in ids:
        if identifier in seen:
            raise ReconciliationError(code, f"{what} {identifier} is given twice", field="id")
        seen.add(identifier)


def _check_invoice(invoice: OpenInvoice) -> None:
    where = f"invoice {invoice.id}"
    if invoice.direction not in SETTLES.values():
        raise ReconciliationError("invalid_direction", f"{where}: direction must be payable or receivable",
                                  field="direction")
    for name in ("open_amount", "tolerance_abs"):
        money = getattr(invoice, name)
        if money.currency != invoice.currency:
            raise ReconciliationError("currency_mismatch", f"{where}: {name} is not in {invoice.currency}",
                                      field=name)
        if money.amount < 0:
            raise ReconciliationError("negative_amount", f"{where}: {name} is negative", field=name)
    if not isinstance(invoice.tolerance_pct, Decimal) or not invoice.tolerance_pct.is_finite() \
            or invoice.tolerance_pct < 0:
        raise ReconciliationError("invalid_tolerance", f"{where}: tolerance_pct must be a Decimal ≥ 0",
                                  field="tolerance_pct")


def _check_transfer(transfer: OpenTransfer) -> None:
    where = f"transfer {transfer.id}"
    if transfer.direction not in SETTLES:
        raise ReconciliationError("invalid_direction", f"{where}: direction must be debit or credit",
                                  field="direction")
    if transfer.amount.amount < 0:
        raise ReconciliationError("negative_amount", f"{where}: amount is negative (use direction)",
                                  field="amount")
    rate = transfer.fx_rate
    if rate is not None and (not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0):
        raise ReconciliationError("invalid_fx_rate", f"{where}: fx_rate must be a positive Decimal",
                                  field="fx_rate")
    if rate is not None and transfer.instructed_amount is None:
        raise ReconciliationError("invalid_fx_rate", f"{where}: fx_rate given without instructed_amount",
                                  field="fx_rate")
    if transfer.instructed_amount is not None and transfer.instructed_amount.amount < 0:
        raise ReconciliationError("negative_amount", f"{where}: instructed_amount is negative",
                                  field="instructed_amount")
