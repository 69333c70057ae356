"""Plain values the matching engine takes and gives: open invoices, open transfers, match proposals.

The integration layer builds these from its models and turns `MatchProposal`s into reconciliation
matches; nothing here knows about a database. Ids are opaque (str or int) and only compared and sorted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, NamedTuple

from ledger.money import Money

InvoiceId = str | int
TransferId = str | int

InvoiceDirection = Literal["payable", "receivable"]
TransferDirection = Literal["debit", "credit"]
MatchStatus = Literal["auto", "proposed"]
ResidualAccount = Literal["bank_charges", "fx_difference"]

#: Which transfer direction settles which invoice direction. Statements are of our own accounts: paying
#: a host is a debit and settles what we owe (payable); money received is a credit and settles what is
#: owed to us (receivable). A refund is a credit, so it can never settle a payable invoice.
SETTLES: dict[str, str] = {"debit": "payable", "credit": "receivable"}

# Rule names, strongest first (the `method` of a reconciliation match).
RULE_REFERENCE = "reference"
RULE_AMOUNT = "amount"
RULE_MULTI_INVOICE = "multi_invoice"
RULE_INSTALMENTS = "instalments"
RULE_PARTIAL = "partial_payment"
RULE_NEAR_MISS = "near_miss_reference"
RULES = (RULE_REFERENCE, RULE_AMOUNT, RULE_MULTI_INVOICE, RULE_INSTALMENTS, RULE_PARTIAL, RULE_NEAR_MISS)


class ReconciliationError(ValueError):
    """Input the engine cannot work with; `code` is stable snake_case, the message is safe to show."""

    def __init__(self, code: str, message: str, field: str | None = None,
                 problems: list[tuple[str, str, str | None]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        #: Every problem found, (code, message, field), this one first.
        self.problems = problems or [(code, message, field)]

    def __reduce__(self):  # pickled whole (the engine may run in another process, see `parallel`)
        return type(self), (self.code, self.message, self.field, self.problems)


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice (or claim) with money still open, as the caller sees it now.

    `tolerance_abs` and `tolerance_pct` come from the agreement. Both limits apply and the lower one
    wins (as in SAP tolerance groups): a difference is tolerated when it is at most `tolerance_abs` AND
    at most `tolerance_pct` percent (0.5 means 0.5 %) of the amount being settled.
    """

    id: InvoiceId
    party: str
    agreement_id: str
    number: str
    payment_reference: str | None
    end_to_end_id: str | None
    direction: InvoiceDirection
    currency: str
    open_amount: Money
    issued_on: date
    due_on: date
    tolerance_abs: Money
    tolerance_pct: Decimal


@dataclass(frozen=True, slots=True)
class OpenTransfer:
    """A bank statement entry with an unallocated remainder, as the caller sees it now.

    `amount` is the remaining unallocated amount in the account's currency, always positive; the sign
    lives in `direction`. `counterparty_party` is the party the caller resolved from the counterparty
    IBAN (None when the IBAN is not known to belong to a party); the engine trusts it and never guesses
    a party from names.

    Foreign-currency payments: `instructed_amount` is the amount in the currency the payment was made in
    (the invoice's currency) and `fx_rate` the stated rate, quoted as units of `amount.currency` per one
    unit of `instructed_amount.currency` (amount ≈ instructed × rate). A rate quoted the other way round
    is recognised when the instructed amount is present (the reading closer to it is used and the
    evidence says so).
    """

    id: TransferId
    direction: TransferDirection
    amount: Money
    booked_on: date
    counterparty_party: str | None = None
    counterparty_iban: str | None = None
    remittance_structured: str | None = None
    remittance_text: str | None = None
    end_to_end_id: str | None = None
    instructed_amount: Money | None = None
    fx_rate: Decimal | None = None


class Allocation(NamedTuple):
    """Part of a transfer applied to one invoice, in the invoice's currency."""

    invoice_id: InvoiceId
    amount: Money


@dataclass(frozen=True, slots=True)
class MatchProposal:
    """One transfer's match, produced by one rule.

    Amounts are in the invoices' currency (a converted foreign-currency transfer is expressed in it).
    `residual` = open amount of the matched invoices − value of the transfer:
    positive means paid short, negative means paid over. With `residual_account` set the residual is
    within tolerance and is written off to that account, so the matched invoices are fully settled and
    the transfer fully used. With `residual_account` None and a positive residual the invoices stay
    open for that amount (partial payment / instalment); with a negative residual the surplus stays
    unallocated on the transfer.
    """

    transfer_id: TransferId
    allocations: tuple[Allocation, ...]
    rule: str
    status: MatchStatus
    confidence: Decimal
    residual: Money
    residual_account: ResidualAccount | None
    evidence: dict[str, str] = field(default_factory=dict)

    @property
    def allocated(self) -> Money:
        result = Money.zero(self.residual.currency)
        for allocation in self.allocations:
            result = result + allocation.amount
        return result


@dataclass(frozen=True, slots=True)
class MatchSettings:
    """Engine knobs with defaults chosen for monthly treasury invoices; the caller may override.

    The date window is around the due date and reaches far before it because states often pay before
    an invoice is even issued (advances, pre-agreed instalments).
    """

    days_before_due: int = 120
    days_after_due: int = 120
    #: Most candidates handed to a subset search (one transfer → many invoices and the reverse).
    subset_max_candidates: int = 12
    #: Most search nodes a subset search may visit before giving up (keeps runs bounded).
    subset_node_budget: int = 20_000
    #: Most index entries looked at for one transfer in an amount or window scan.
    scan_budget: int = 64
    #: Shortest normalised reference considered for near-miss matching (short ones match by chance).
    near_miss_min_length: int = 6
