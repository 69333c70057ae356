"""Small builders for engine inputs: only what a test is about needs saying."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger.money import Money
from ledger.reconciliation import OpenInvoice, OpenTransfer


def invoice(
    id: str = "I1",
    amount: str = "1000.00",
    *,
    party: str = "AL",
    currency: str = "GBP",
    number: str | None = None,
    payment_reference: str | None = None,
    end_to_end_id: str | None = None,
    direction: str = "payable",
    issued_on: date = date(2026, 4, 2),
    due_on: date = date(2026, 5, 2),
    tolerance_abs: str = "25.00",
    tolerance_pct: str = "1",
    agreement_id: str = "GB-AL-2026-01",
) -> OpenInvoice:
    return OpenInvoice(
        id=id,
        party=party,
        agreement_id=agreement_id,
        number=number if number is not None else f"INV-{id}",
        payment_reference=payment_reference,
        end_to_end_id=end_to_end_id,
        direction=direction,
        currency=currency,
        open_amount=Money.of(amount, currency),
        issued_on=issued_on,
        due_on=due_on,
        tolerance_abs=Money.of(tolerance_abs, currency),
        tolerance_pct=Decimal(tolerance_pct),
    )


def transfer(
    id: str = "T1",
    amount: str = "1000.00",
    *,
    party: str | None = "AL",
    currency: str = "GBP",
    direction: str = "debit",
    booked_on: date = date(2026, 5, 1),
    structured: str | None = None,
    text: str | None = None,
    end_to_end_id: str | None = None,
    instructed: tuple[str, str] | None = None,
    fx_rate: str | None = None,
) -> OpenTransfer:
    return OpenTransfer(
        id=id,
        direction=direction,
        amount=Money.of(amount, currency),
        booked_on=booked_on,
        counterparty_party=party,
        counterparty_iban=None,
        remittance_structured=structured,
        remittance_text=text,
        end_to_end_id=end_to_end_id,
        instructed_amount=Money.of(*instructed) if instructed else None,
        fx_rate=Decimal(fx_rate) if fx_rate else None,
    )


def pairs(proposals) -> set[tuple[str, str]]:
    return {(p.transfer_id, a.invoice_id) for p in proposals for a in p.allocations}


def by_transfer(proposals) -> dict:
    return {p.transfer_id: p for p in proposals}


def run_state(invoices=(), transfers=(), *, rejected=frozenset(), held=(), duplicates=None, settings=None):
    """A matching run's state, as `engine.match` builds it, for calling one rule of `matching` alone."""
    from ledger.reconciliation.matching.state import RunState
    from ledger.reconciliation.types import MatchSettings

    return RunState(list(invoices), list(transfers), frozenset(rejected), settings or MatchSettings(), held=held,
                    duplicates=duplicates)
