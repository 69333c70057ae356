"""Why a match was made, in a sentence an officer reads at a glance (the raw evidence stays for "details").

"Reference RW-2026-07 found in the remittance; 35.00 GBP short, within the 50.00 GBP tolerance → bank charges"

Pure: reads a match's view (`service.view`) and the numbers of the invoices it settles; imports neither Flask nor
the ORM.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ledger.reconciliation.writeoffs import ACCOUNTS

_SOURCES = {"remittance_structured": "the structured remittance reference", "remittance_text": "the remittance",
            "end_to_end_id": "the end-to-end id", "structured": "the structured remittance reference",
            "unstructured": "the remittance", "text": "the remittance"}
_RULES = {"reference": "the payment quotes the invoice's reference",
          "amount": "the amount is the only fit among the party's open invoices",
          "multi_invoice": "the amount is what several open invoices of the party add up to",
          "instalments": "several transfers add up to the invoice",
          "partial_payment": "part of an open invoice is paid",
          "near_miss_reference": "the reference is one typing slip away from the invoice's",
          "manual": "matched by hand by an officer"}


def figure(value: Decimal) -> str:
    """1,234.50 — thousands separated, the decimals as they are (the currency's)."""
    return f"{value:,}"


def _amount(text: str | None) -> tuple[Decimal, str] | None:
    """'35.00 GBP' → (35.00, 'GBP')."""
    if not text:
        return None
    number, _, currency = text.partition(" ")
    try:
        return Decimal(number), currency
    except InvalidOperation:
        return None


def _money(value: Decimal, currency: str) -> str:
    return f"{figure(value)} {currency}"


def _reference(evidence: dict) -> str | None:
    reference = evidence.get("reference")
    if not reference:
        return None
    source = (evidence.get("reference_source") or "").split("; ")[0]
    return f"Reference {reference} found in {_SOURCES.get(source, source.replace('_', ' ') or 'the payment')}"


def _difference(match: dict, evidence: dict) -> str | None:
    residual, currency = match["residual"].amount, match["residual"].currency
    if residual == 0:
        return None
    gap = _money(abs(residual), currency) + (" short" if residual > 0 else " over")
    account = match.get("residual_account")
    written = ACCOUNTS.get(account or "", (account or "").replace("_", " "))
    tolerance = _amount(evidence.get("tolerance"))
    if evidence.get("write_off_reason"):
        return f"{gap}, written off → {written}: {evidence['write_off_reason']}"
    if tolerance and account:
        return f"{gap}, within the {_money(*tolerance)} tolerance → {written}"
    if account:
        return f"{gap}, written off → {written}"
    return f"{gap}: the rest stays open" if residual > 0 else f"{gap}: the rest stays on the transfer"


def reason(match: dict) -> str:
    """The match's reason in plain language."""
    evidence = match.get("evidence") or {}
    method = match.get("method") or ""
    first = _reference(evidence) or _RULES.get(method.split(":")[-1], method.replace("_", " "))
    parts = [first[0].upper() + first[1:]]
    difference = _difference(match, evidence)
    if difference:
        parts.append(difference)
    note = evidence.get("reason")
    if note and note != "matched by hand":
        parts.append(note)
    return "; ".join(parts)


def direction(payer: str | None, payee: str | None) -> str:
    """Payer → payee, the one way every page writes who paid whom."""
    return f"{payer or 'unknown'} → {payee or 'unknown'}"
