"""Assembling a ParsedTransfer with its fingerprint, shared by all formats."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledger.money import Money

from ._common import rf_from_text, rf_scheme
from .model import Direction, EntryStatus, OccurrenceCounter, ParsedTransfer, fingerprint


def build_transfer(
    *,
    occurrences: OccurrenceCounter,
    account: str,
    amount: Money,
    direction: Direction,
    booking_date: date | None,
    value_date: date | None,
    entry_reference: str | None,
    detail_reference: str | None,
    end_to_end_id: str | None,
    uetr: str | None,
    structured_reference: str | None,
    structured_type_is_scor: bool,
    remittance_information: str | None,
    counterparty_name: str | None,
    counterparty_iban: str | None,
    reversal: bool,
    status: EntryStatus,
    statement_index: int,
    entry_index: int,
    detail_index: int | None,
    location: str | None,
    instructed_amount: Money | None = None,
    fx_rate: Decimal | None = None,
) -> ParsedTransfer:
    scheme: str | None = None
    if structured_reference:
        structured_reference = structured_reference.replace(" ", "") if rf_scheme(
            structured_reference.replace(" ", "")) else structured_reference.strip()
        scheme = "RF" if rf_scheme(structured_reference) else ("SCOR" if structured_type_is_scor else None)
    else:
        # Payers often type the RF reference into the free text; reconciliation needs it structured.
        structured_reference = rf_from_text(remittance_information)
        scheme = "RF" if structured_reference else None
    key = dict(
        account=account,
        currency=amount.currency,
        amount=amount,
        direction=direction,
        booking_date=booking_date,
        reversal=reversal,
        entry_reference=entry_reference,
        detail_reference=detail_reference,
        end_to_end_id=end_to_end_id,
        detail_index=detail_index,
    )
    occurrence = 0
    if not (entry_reference or detail_reference or end_to_end_id or uetr):
        occurrence = occurrences.next(fingerprint(**key))
    if uetr and not (entry_reference or detail_reference):
        # A UETR is unique per payment worldwide; it stands in for a missing bank reference.
        key["detail_reference"] = uetr.lower()
    return ParsedTransfer(
        account=account,
        amount=amount,
        direction=direction,
        booking_date=booking_date,
        value_date=value_date,
        bank_reference=detail_reference or entry_reference,
        end_to_end_id=end_to_end_id,
        uetr=uetr.lower() if uetr else None,
        structured_reference=structured_reference,
        structured_reference_scheme=scheme,  # type: ignore[arg-type]
        remittance_information=remittance_information,
        counterparty_name=counterparty_name,
        counterparty_iban=counterparty_iban,
        reversal=reversal,
        status=status,
        statement_index=statement_index,
        entry_index=entry_index,
        detail_index=detail_index,
        fingerprint=fingerprint(**key, occurrence=occurrence),
        location=location,
        instructed_amount=instructed_amount,
        fx_rate=fx_rate,
    )
