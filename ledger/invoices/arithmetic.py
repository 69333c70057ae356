"""The sums an accountant redoes before trusting an invoice, after EN 16931's BR-CO rules.

Pure: each check takes a `ParsedInvoice` and returns `Finding`s; an empty list means the document adds
up. Amounts are compared exactly (they are stated in minor units), except a VAT amount recomputed from a
rate: the official EN 16931 validation artefacts accept a difference of less than one currency unit there
(producers that round VAT per line differ from base x rate by a few cents), and so do we, rather than
dispute invoices every EN 16931 validator accepts.

Codes:
- `currency_mismatch`       an amount not in the document currency (other sums are then not attempted)
- `line_sum_mismatch`       BR-CO-10 sum of line net amounts ≠ line extension total (UBL)
- `total_mismatch`          the same rule for a JSON invoice: its lines do not add up to `total`
- `allowance_total_mismatch` BR-CO-11, `charge_total_mismatch` BR-CO-12
- `tax_exclusive_mismatch`  BR-CO-13 lines - allowances + charges ≠ total without VAT
- `tax_total_mismatch`      BR-CO-14 sum of VAT breakdown amounts ≠ VAT total
- `tax_inclusive_mismatch`  BR-CO-15 total without VAT + VAT ≠ total with VAT
- `payable_mismatch`        BR-CO-16 total with VAT - prepaid + rounding ≠ amount due
- `tax_breakdown_missing`   BR-CO-18 a UBL document without any VAT breakdown
- `taxable_amount_mismatch` BR-S-08 & co: a VAT category's base ≠ its lines - allowances + charges
- `tax_amount_mismatch`     BR-CO-17: a VAT category's tax differs from base x rate by 1 unit or more

**Kinds.** These are `arithmetic` findings: the document contradicts itself, so no amount in it can be
trusted and no officer's reason can make it payable (approval answers 422 `arithmetic_not_overridable`; the
partner sends a corrected document). Every other finding — what the ledger's obligations say
(`unknown_obligation`, `amount_mismatch`, `already_invoiced`, `outside_term`) and an officer's `disputed` —
is an `obligation` finding: a judgement about what is owed, which an officer may override with a reason.
`currency_mismatch` is arithmetic also when the document is in another currency than its agreement: such
an amount cannot be posted either.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ledger.invoices.parsed import AllowanceCharge, ParsedInvoice, ParsedLine, TaxSubtotal
from ledger.money import Money, total

#: The codes of `arithmetic` findings (see "Kinds" above); any other code is an `obligation` finding.
ARITHMETIC_CODES = frozenset({
    "currency_mismatch", "line_sum_mismatch", "total_mismatch", "allowance_total_mismatch", "charge_total_mismatch",
    "tax_exclusive_mismatch", "tax_total_mismatch", "tax_inclusive_mismatch", "payable_mismatch",
    "tax_breakdown_missing", "taxable_amount_mismatch", "tax_amount_mismatch",
})
FINDING_KINDS = ("arithmetic", "obligation")


def kind_of(code: str) -> str:
    """`arithmetic` (never overridable) or `obligation` (overridable with a reason) for a finding's code."""
    return "arithmetic" if code in ARITHMETIC_CODES else "obligation"


#: BR-CO-17 as the EN 16931 validation artefacts test it: |stated - base x rate| < 1 passes.
VAT_AMOUNT_SLACK = Decimal(1)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing that does not add up. `field` is a ParsedInvoice attribute name (the JSON wire name
    for JSON invoices); `line` is the line's `line_id` when the finding concerns one line."""

    code: str
    message: str
    field: str | None = None
    line: str | None = None
    remaining: Money | None = None  # cap_exceeded: the headroom left before the line

    @property
    def kind(self) -> str:
        return kind_of(self.code)

    @property
    def source(self) -> str:
        """Found by the intake's checks (an officer's dispute is stored as a finding of source `officer`)."""
        return "check"


def check_arithmetic(inv: ParsedInvoice) -> list[Finding]:
    """Every arithmetic finding on `inv`; [] when it is consistent."""
    # A JSON invoice's one `total` stands for every document total: report a wrong currency once.
    currency_findings = list(dict.fromkeys(_currency_findings(inv)))
    if currency_findings:
        return currency_findings
    return [*_total_findings(inv), *_tax_breakdown_findings(inv)]


def computed_payable(inv: ParsedInvoice) -> Money:
    """The amount due worked out from the parts: lines - allowances + charges + VAT - prepaid + rounding.

    VAT is the sum of the VAT breakdown when there is one (else the stated VAT total); prepaid and
    rounding are taken as stated, since nothing else in the document determines them. Raises
    `CurrencyMismatch` when amounts are in mixed currencies (`check_arithmetic` reports that first).
    """
    tax = _breakdown_tax(inv) if inv.tax_subtotals else inv.tax_total
    return _tax_exclusive(inv) + tax - inv.prepaid + inv.rounding


# -- building blocks -------------------------------------------------------------------------------


def _sum(items: Iterable[Money], currency: str) -> Money:
    return total(list(items), currency)


def _line_sum(inv: ParsedInvoice) -> Money:
    return _sum((line.net_amount for line in inv.lines), inv.currency)


def _tax_exclusive(inv: ParsedInvoice) -> Money:
    allowances = _sum((ac.amount for ac in inv.allowances), inv.currency)
    charges = _sum((ac.amount for ac in inv.charges), inv.currency)
    return _line_sum(inv) - allowances + charges


def _breakdown_tax(inv: ParsedInvoice) -> Money:
    return _sum((sub.tax_amount for sub in inv.tax_subtotals), inv.currency)


def _field(inv: ParsedInvoice, name: str) -> str:
    """JSON invoices state one figure, `total`, and lines with an `amount`."""
    if inv.source == "json":
        return {"net_amount": "amount"}.get(name, "total")
    return name


def _mismatch(code: str, inv: ParsedInvoice, name: str, what: str, stated: Money, computed: Money) -> Finding:
    return Finding(
        code, f"{what}: stated {stated} {stated.currency}, computed {computed} {computed.currency}", _field(inv, name)
    )


# -- currency -------------------------------------------------------------------------------------


def _stated_amounts(inv: ParsedInvoice) -> Iterator[tuple[str, str | None, Money]]:
    """(field, line id, amount) for every amount that must be in the document currency."""
    for line in inv.lines:
        yield "net_amount", line.line_id, line.net_amount
    for ac in inv.allowances_charges:
        yield ("charges" if ac.is_charge else "allowances"), None, ac.amount
    for sub in inv.tax_subtotals:
        yield "tax_subtotals", None, sub.taxable_amount
        yield "tax_subtotals", None, sub.tax_amount
    for name in (
        "line_extension_total",
        "allowance_total",
        "charge_total",
        "tax_exclusive",
        "tax_total",
        "tax_inclusive",
        "prepaid",
        "rounding",
        "payable",
    ):
        yield name, None, getattr(inv, name)


def _currency_findings(inv: ParsedInvoice) -> Iterator[Finding]:
    for name, line_id, amount in _stated_amounts(inv):
        if amount.currency != inv.currency:
            field = _field(inv, name)
            message = f"{field} is in {amount.currency}, the document is in {inv.currency}"
            yield Finding("currency_mismatch", message, field, line_id)
    stated_tax = inv.tax_total_in_tax_currency
    if stated_tax is not None and stated_tax.currency != inv.tax_currency:
        yield Finding(
            "currency_mismatch",
            f"a second VAT total is in {stated_tax.currency}, "
            f"the declared tax currency is {inv.tax_currency or 'none'}",
            "tax_total_in_tax_currency",
        )


# -- totals (BR-CO-10 .. BR-CO-16) ------------------------------------------------------------------


def _total_findings(inv: ParsedInvoice) -> Iterator[Finding]:
    allowances = _sum((ac.amount for ac in inv.allowances), inv.currency)
    charges = _sum((ac.amount for ac in inv.charges), inv.currency)
    line_sum = _line_sum(inv)
    if line_sum != inv.line_extension_total:
        code = "total_mismatch" if inv.source == "json" else "line_sum_mismatch"
        yield _mismatch(code, inv, "line_extension_total", "sum of line amounts", inv.line_extension_total, line_sum)
    if allowances != inv.allowance_total:
        yield _mismatch(
            "allowance_total_mismatch", inv, "allowance_total", "sum of allowances", inv.allowance_total, allowances
        )
    if charges != inv.charge_total:
        yield _mismatch("charge_total_mismatch", inv, "charge_total", "sum of charges", inv.charge_total, charges)
    expected = inv.line_extension_total - inv.allowance_total + inv.charge_total
    if expected != inv.tax_exclusive:
        yield _mismatch(
            "tax_exclusive_mismatch", inv, "tax_exclusive", "total without VAT", inv.tax_exclusive, expected
        )
    expected = inv.tax_exclusive + inv.tax_total
    if expected != inv.tax_inclusive:
        yield _mismatch("tax_inclusive_mismatch", inv, "tax_inclusive", "total with VAT", inv.tax_inclusive, expected)
    expected = inv.tax_inclusive - inv.prepaid + inv.rounding
    if expected != inv.payable:
        yield _mismatch("payable_mismatch", inv, "payable", "amount due", inv.payable, expected)


# -- VAT breakdown (BR-CO-14, BR-CO-18, BR-x-08, BR-x-09) -------------------------------------------


def _tax_breakdown_findings(inv: ParsedInvoice) -> Iterator[Finding]:
    if inv.source != "ubl":
        return
    if not inv.tax_subtotals:
        yield Finding("tax_breakdown_missing", "the document has no VAT breakdown (TaxSubtotal)", "tax_subtotals")
        return
    breakdown = _breakdown_tax(inv)
    if breakdown != inv.tax_total:
        yield _mismatch("tax_total_mismatch", inv, "tax_total", "VAT total", inv.tax_total, breakdown)
    for sub in inv.tax_subtotals:
        yield from _category_findings(inv, sub)


def _category_key(category: str | None, percent: Decimal | None) -> tuple[str | None, Decimal]:
    # "25", "25.00" and an absent rate on an exempt category must meet: compare rates numerically.
    return category, (percent or Decimal(0)).normalize()


def _category_findings(inv: ParsedInvoice, sub: TaxSubtotal) -> Iterator[Finding]:
    label = f"VAT category {sub.category or '?'} at {sub.percent if sub.percent is not None else 0}%"
    if all(line.tax_category for line in inv.lines):
        base = _category_base(inv, _category_key(sub.category, sub.percent))
        if base != sub.taxable_amount:
            yield _mismatch(
                "taxable_amount_mismatch", inv, "tax_subtotals", f"{label} taxable amount", sub.taxable_amount, base
            )
    # No rate (category O, outside the scope of VAT) means no VAT.
    # The product is rounded to two decimals, as the rule says, not to the currency's minor units, so that
    # in JPY a producer's 14 for 5 % of 290 (14.50) is not taken for an error.
    product = sub.taxable_amount.amount * (sub.percent or Decimal(0)) / 100
    exact = product.quantize(Decimal("0.01"), ROUND_HALF_UP)
    if abs(exact - sub.tax_amount.amount) >= VAT_AMOUNT_SLACK:
        expected = Money.rounded(exact, inv.currency, ROUND_HALF_UP)
        yield _mismatch("tax_amount_mismatch", inv, "tax_subtotals", f"{label} VAT amount", sub.tax_amount, expected)


def _category_base(inv: ParsedInvoice, key: tuple[str | None, Decimal]) -> Money:
    def in_category(items: Iterable[ParsedLine | AllowanceCharge], amount: str) -> Money:
        chosen = (getattr(i, amount) for i in items if _category_key(i.tax_category, i.tax_percent) == key)
        return _sum(chosen, inv.currency)

    return (
        in_category(inv.lines, "net_amount")
        - in_category(inv.allowances, "amount")
        + in_category(inv.charges, "amount")
    )
