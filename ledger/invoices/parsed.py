"""What an invoice says, as plain values, whichever way it reached us (JSON or UBL 2.1).

Amounts are kept exactly as the document states them, signs included: a credit note's amounts are
positive, as in the document, and `document_type == "credit_note"` says they reduce what is owed
(`ledger_effect()` applies the sign). Keeping the document's own figures lets the arithmetic checks
compare like with like and lets an auditor find every figure in the original.

Totals that a UBL document may omit (allowance/charge totals, tax, prepaid, rounding) are zero when
absent, which is what EN 16931 means by their absence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from ledger.money import Money

DocumentType = Literal["invoice", "credit_note"]
Source = Literal["json", "ubl"]

#: Where a received invoice stands, and what a document is (credit notes reduce what is owed).
STATUSES = ("accepted", "disputed", "approved", "in_transit", "rejected", "paid")
DOCUMENT_TYPES = ("invoice", "credit_note")

#: Obligation kinds (API.md "Obligations") that an invoice line may claim.
LINE_KINDS = frozenset(
    {"per_returnee_fee", "monthly_support", "instalment", "milestone", "advance", "advance_offset", "adjustment",
     "departure_grant", "late_interest", "actual_cost"}
)


class InvoiceParseError(ValueError):
    """An invoice that cannot be read. `code` is stable snake_case, `message` is safe to show.

    Codes: `payload_too_large` (HTTP 413), `invalid_xml`, `not_an_invoice`, `invalid_invoice` (422).
    `field` names the element or JSON field concerned, when there is one.
    """

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"InvoiceParseError({self.code!r}, {self.message!r}, field={self.field!r})"


@dataclass(frozen=True, slots=True)
class ParsedParty:
    """A seller or buyer as the document names it; enough to find the party, nothing personal."""

    name: str | None = None
    party_id: str | None = None  # PartyIdentification/ID, else EndpointID
    party_id_scheme: str | None = None  # its schemeID (e.g. "0088" GLN), when given
    legal_id: str | None = None  # PartyLegalEntity/CompanyID
    vat_id: str | None = None  # PartyTaxScheme/CompanyID
    country: str | None = None  # ISO 3166-1 alpha-2 from PostalAddress, as written
    account_id: str | None = None  # payee account as written (seller only), spaces removed
    iban: str | None = None  # account_id when it is a valid IBAN (schwifty), compact form


@dataclass(frozen=True, slots=True)
class ParsedLine:
    line_id: str
    net_amount: Money  # BT-131 line net amount, as in the document
    quantity: Decimal = Decimal(1)
    description: str | None = None
    kind: str | None = None  # an obligation kind from LINE_KINDS, when the line names one
    returnee: str | None = None  # pseudonym or id of the returnee the line is for
    period: str | None = None  # YYYY-MM from the line's own InvoicePeriod start
    tax_category: str | None = None  # ClassifiedTaxCategory/ID (S, Z, E, AE, K, G, O, L, M)
    tax_percent: Decimal | None = None
    category: str | None = None  # an actual_cost line's cost category (terms.COST_CATEGORIES)
    evidence_ref: str | None = None  # an actual_cost line's supporting document (receipt, contract, file)


@dataclass(frozen=True, slots=True)
class AllowanceCharge:
    """A document-level allowance (reduces the taxable sum) or charge (adds to it)."""

    is_charge: bool
    amount: Money
    reason: str | None = None
    reason_code: str | None = None
    tax_category: str | None = None
    tax_percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TaxSubtotal:
    """One VAT breakdown (BG-23): a category, its taxable base and its tax."""

    taxable_amount: Money
    tax_amount: Money
    category: str | None = None
    percent: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedInvoice:
    """One invoice or credit note. All Money fields are in `currency` unless a currency_mismatch says
    otherwise (the parser keeps the currency each amount was stated in, so the check can see it)."""

    document_type: DocumentType
    number: str
    issued_on: date
    currency: str
    source: Source
    # Document totals (EN 16931 BG-22); zero when the document omits an optional one.
    line_extension_total: Money  # BT-106 sum of line net amounts
    allowance_total: Money  # BT-107
    charge_total: Money  # BT-108
    tax_exclusive: Money  # BT-109
    tax_total: Money  # BT-110 in the document currency
    tax_inclusive: Money  # BT-112
    prepaid: Money  # BT-113
    rounding: Money  # BT-114
    payable: Money  # BT-115
    due_on: date | None = None
    period: str | None = None  # YYYY-MM
    type_code: str | None = None  # UNCL1001 (380 invoice, 381 credit note, ...) for UBL
    agreement_ref: str | None = None
    agreement_ref_source: str | None = None  # element it came from, e.g. "ContractDocumentReference"
    agreement_ref_candidates: tuple[tuple[str, str], ...] = ()  # every (source, value), priority order
    seller: ParsedParty = field(default_factory=ParsedParty)
    buyer: ParsedParty = field(default_factory=ParsedParty)
    payment_reference: str | None = None
    payment_reference_is_rf: bool = False  # a valid ISO 11649 creditor reference
    payment_terms: str | None = None
    preceding_invoice: str | None = None  # BT-25, the invoice a credit note corrects
    lines: tuple[ParsedLine, ...] = ()
    allowances_charges: tuple[AllowanceCharge, ...] = ()
    tax_subtotals: tuple[TaxSubtotal, ...] = ()
    tax_currency: str | None = None  # BT-6, when VAT is also accounted in another currency
    tax_total_in_tax_currency: Money | None = None  # BT-111

    @property
    def allowances(self) -> tuple[AllowanceCharge, ...]:
        return tuple(ac for ac in self.allowances_charges if not ac.is_charge)

    @property
    def charges(self) -> tuple[AllowanceCharge, ...]:
        return tuple(ac for ac in self.allowances_charges if ac.is_charge)

    def ledger_effect(self) -> Money:
        """What this document does to the amount owed: the payable, negated for a credit note."""
        return -self.payable if self.document_type == "credit_note" else self.payable
