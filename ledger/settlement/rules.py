"""The settlement statement as plain values: built from journal sums, independent of HTTP and storage.

Per agreement, in the agreement's currency, everything owed to the payee (accrued obligations plus approved
invoices, i.e. the liability accounts):  closing = opening + accrued + adjustments − paid. Every posting on
those accounts falls into exactly one of the three movement rows, by its entry's source type (a reversal by
the type of the entry it reverses):

* accrued — ``accrual``: obligations as they fall due;
* adjustments — ``adjustment`` (re-pricing) and ``invoice_approval``'s net on the two accounts: what an
  approved invoice asks beyond or below the obligations it settles (VAT, allowances, overridden lines) and
  what a credit note takes off;
* paid — every other movement, decreases positive: payments (with amounts written off within tolerance),
  refunds of credit notes (negative), advance offsets, and any source type not named here.

So the opening is the journal's balance before the period and the closing its balance at the period's end,
by construction, whatever posted; `approved` (what invoice approvals moved into invoices payable) is shown
for information and is not a movement of the total.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from ledger.money import Money

ACCRUED_SOURCES = {"accrual"}
ADJUSTMENT_SOURCES = {"adjustment"}
APPROVAL_SOURCES = {"invoice_approval"}


@dataclass(frozen=True)
class Movement:
    """One row of the journal aggregate: credits are negative on liability accounts."""

    agreement_id: int
    currency: str
    source_type: str
    purpose: str
    before: Decimal  # sum of postings booked before the period
    during: Decimal  # sum of postings booked in the period


def classify(source_type: str) -> str:
    """The statement row a posting of `source_type` moves: accrued, adjustments or paid."""
    if source_type in ACCRUED_SOURCES:
        return "accrued"
    if source_type in ADJUSTMENT_SOURCES or source_type in APPROVAL_SOURCES:
        return "adjustments"
    return "paid"


def agreement_lines(movements: list[Movement]) -> dict[int, dict]:
    """Opening, accrued, adjustments, approved, paid and closing per agreement (liabilities shown positive)."""
    sums: dict[int, dict] = defaultdict(lambda: defaultdict(Decimal))
    currencies: dict[int, str] = {}
    for m in movements:
        line = sums[m.agreement_id]
        currencies[m.agreement_id] = m.currency
        line["opening"] -= m.before
        row = classify(m.source_type)
        if row == "paid":
            line["paid"] += m.during  # a debit (decrease) of a liability is money paid or set off
        else:
            line[row] -= m.during
        if m.source_type in APPROVAL_SOURCES and m.purpose == "invoices_payable":
            line["approved"] -= m.during
    out = {}
    for agreement_id, line in sums.items():
        currency = currencies[agreement_id]
        closing = line["opening"] + line["accrued"] + line["adjustments"] - line["paid"]
        out[agreement_id] = {
            "agreement_id": agreement_id,
            "currency": currency,
            **{name: str(Money(line[name], currency)) for name in
               ("opening", "accrued", "adjustments", "approved", "paid")},
            "closing": str(Money(closing, currency)),
        }
    return out


def party_totals(lines: list[dict]) -> list[dict]:
    """Per party and currency: what it owes (as payer) and is owed (as payee) at the period's end."""
    totals: dict[tuple[str, str], dict] = {}
    for line in lines:
        for party, side in ((line.get("payer"), "owes"), (line.get("payee"), "is_owed")):
            if not party:
                continue
            row = totals.setdefault((party, line["currency"]), {"party": party, "currency": line["currency"],
                                                                 "owes": Decimal(0), "is_owed": Decimal(0)})
            row[side] += Decimal(line["closing"])
    return [{**row, "owes": str(Money(row["owes"], row["currency"])),
             "is_owed": str(Money(row["is_owed"], row["currency"]))}
            for _, row in sorted(totals.items())]
