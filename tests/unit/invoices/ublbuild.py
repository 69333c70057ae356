"""Build consistent EN 16931 documents from parts, for property tests (independent of the parser)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from ledger.money import Money, total

from .helpers import NS

CAC = ElementMaker(namespace=NS["cac"], nsmap={"cac": NS["cac"], "cbc": NS["cbc"]})
CBC = ElementMaker(namespace=NS["cbc"], nsmap={"cac": NS["cac"], "cbc": NS["cbc"]})


@dataclass
class Doc:
    currency: str
    credit_note: bool
    lines: list[tuple[Money, str, Decimal]]  # amount, VAT category, rate
    allowances: list[tuple[Money, str, Decimal]]
    charges: list[tuple[Money, str, Decimal]]
    prepaid: Money
    rounding: Money

    def categories(self) -> list[tuple[str, Decimal]]:
        seen = {(c, r): None for _, c, r in self.lines + self.allowances + self.charges}
        return list(seen)

    def base(self, key: tuple[str, Decimal]) -> Money:
        pick = lambda items: total([a for a, c, r in items if (c, r) == key], self.currency)  # noqa: E731
        return pick(self.lines) - pick(self.allowances) + pick(self.charges)

    def tax(self, key: tuple[str, Decimal]) -> Money:
        return Money.rounded(self.base(key).amount * key[1] / 100, self.currency)

    def totals(self) -> dict[str, Money]:
        cur = self.currency
        t = {
            "LineExtensionAmount": total([a for a, _, _ in self.lines], cur),
            "AllowanceTotalAmount": total([a for a, _, _ in self.allowances], cur),
            "ChargeTotalAmount": total([a for a, _, _ in self.charges], cur),
        }
        t["TaxExclusiveAmount"] = t["LineExtensionAmount"] - t["AllowanceTotalAmount"] + t["ChargeTotalAmount"]
        tax = total([self.tax(k) for k in self.categories()], cur)
        t["TaxInclusiveAmount"] = t["TaxExclusiveAmount"] + tax
        t["PrepaidAmount"] = self.prepaid
        t["PayableRoundingAmount"] = self.rounding
        t["PayableAmount"] = t["TaxInclusiveAmount"] - self.prepaid + self.rounding
        return t

    def tax_total(self) -> Money:
        return total([self.tax(k) for k in self.categories()], self.currency)


def _amount(tag: str, money: Money) -> etree._Element:
    return getattr(CBC, tag)(str(money), currencyID=money.currency)


def _category(tag: str, category: str, rate: Decimal) -> etree._Element:
    return getattr(CAC, tag)(CBC.ID(category), CBC.Percent(str(rate)), CAC.TaxScheme(CBC.ID("VAT")))


def _allowance_charge(is_charge: bool, amount: Money, category: str, rate: Decimal) -> etree._Element:
    return CAC.AllowanceCharge(
        CBC.ChargeIndicator("true" if is_charge else "false"),
        CBC.AllowanceChargeReason("Charge" if is_charge else "Discount"),
        _amount("Amount", amount),
        _category("TaxCategory", category, rate),
    )


def render(doc: Doc) -> bytes:
    name = "CreditNote" if doc.credit_note else "Invoice"
    ns = f"urn:oasis:names:specification:ubl:schema:xsd:{name}-2"
    root = etree.Element(f"{{{ns}}}{name}", nsmap={None: ns, "cac": NS["cac"], "cbc": NS["cbc"]})
    root.extend(
        [
            CBC.CustomizationID("urn:cen.eu:en16931:2017"),
            CBC.ID("P-1"),
            CBC.IssueDate("2026-04-02"),
            getattr(CBC, f"{name}TypeCode")("381" if doc.credit_note else "380"),
            CBC.DocumentCurrencyCode(doc.currency),
            CAC.AccountingSupplierParty(CAC.Party(CAC.PartyName(CBC.Name("Seller")))),
            CAC.AccountingCustomerParty(CAC.Party(CAC.PartyName(CBC.Name("Buyer")))),
        ]
    )
    root.extend(_allowance_charge(False, *a) for a in doc.allowances)
    root.extend(_allowance_charge(True, *c) for c in doc.charges)
    tax_total = CAC.TaxTotal(_amount("TaxAmount", doc.tax_total()))
    for key in doc.categories():
        tax_total.append(
            CAC.TaxSubtotal(
                _amount("TaxableAmount", doc.base(key)),
                _amount("TaxAmount", doc.tax(key)),
                _category("TaxCategory", *key),
            )
        )
    root.append(tax_total)
    root.append(CAC.LegalMonetaryTotal(*(_amount(tag, m) for tag, m in doc.totals().items())))
    for n, (amount, category, rate) in enumerate(doc.lines, start=1):
        root.append(
            getattr(CAC, f"{name}Line")(
                CBC.ID(str(n)),
                getattr(CBC, "CreditedQuantity" if doc.credit_note else "InvoicedQuantity")("1", unitCode="C62"),
                _amount("LineExtensionAmount", amount),
                CAC.Item(CBC.Name(f"line {n}"), _category("ClassifiedTaxCategory", category, rate)),
                CAC.Price(_amount("PriceAmount", amount)),
            )
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
