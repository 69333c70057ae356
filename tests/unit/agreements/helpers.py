"""Small builders shared by the agreement tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.agreements.rules.obligations import ObligationDraft
from ledger.agreements.rules.terms import AgreementVersion, Terms
from ledger.money import Money, total


def version(effective_from: date, currency: str = "GBP", number: int = 1, **wire: Any) -> AgreementVersion:
    return AgreementVersion(effective_from, Terms.from_wire(wire, currency), number)


def amounts(drafts: list[ObligationDraft]) -> dict[str, str]:
    return {d.key: str(d.amount) for d in drafts}


def sum_of(drafts: list[ObligationDraft], currency: str = "GBP") -> Money:
    return total([d.amount for d in drafts], currency)
