"""Shared helpers for the invoice API tests: an agreement with accrued obligations, JSON and UBL bodies."""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from tests.api.agreements_helpers import (
    RWANDA_TERMS,
    A,
    accrue,
    batch,
    create_agreement,
    people,
)

I = "/api/v1/invoices"  # noqa: E741  (short: every invoice test builds paths from it)

#: No advance (it would absorb the first invoices) and no milestone: each test adds what it needs.
TERMS = {k: v for k, v in RWANDA_TERMS.items() if k not in ("advance", "milestones")}


def setup_agreement(api, admin, officer, rw_token, terms=None, count=3) -> dict:
    """GB pays RW (GBP, from 2026-02-01): `count` people accepted on 3 March; February and March accrued.

    March then holds a 20,000.00 fee and a 2,500.00 support month per person."""
    agreement = create_agreement(api, admin, terms=terms or TERMS)
    aid = agreement["id"]
    accrue(api, officer, aid, "2026-02")
    batch(api, rw_token, aid, people("INV", count, "2026-03-02", "2026-03-03"))
    accrue(api, officer, aid, "2026-03")
    listed = api.get(f"{A}/{aid}/returnees", token=admin).get_json()["items"]
    agreement["returnees"] = [{"id": r["id"], "pseudonym": r["pseudonym"]} for r in listed]
    return agreement


def march_lines(agreement, people_count=None) -> list[dict]:
    lines = []
    for returnee in agreement["returnees"][:people_count]:
        lines.append({"kind": "per_returnee_fee", "returnee": returnee["pseudonym"], "amount": "20000.00"})
        lines.append({"kind": "monthly_support", "returnee": str(returnee["id"]), "amount": "2500.00"})
    return lines


def json_invoice(agreement, number="RW-2026-03", lines=None, period="2026-03", total=None, **extra) -> dict:
    lines = march_lines(agreement) if lines is None else lines
    if total is None:
        total = format(sum((Decimal(line["amount"]) for line in lines), Decimal("0.00")), "f")
    body = {"agreement": agreement["reference"], "number": number, "issued_on": "2026-04-02",
            "due_on": "2026-05-02", "currency": "GBP", "period": period,
            "payment_reference": "RF18539007547034", "total": total, "lines": lines}
    body.update(extra)
    return body


def ubl(number, agreement_ref, lines, *, period="2026-03", credit_note=False, preceding=None,
        iban="GB29 NWBK 6016 1331 9268 19", payment_id="RF18 5390 0754 7034", currency="GBP", payable=None) -> bytes:
    """A small EN 16931 document (VAT category O: outside the scope of VAT), lines naming their obligation in
    AdditionalItemProperty; `payable` overrides the stated amount due (to make it wrong)."""
    name = "CreditNote" if credit_note else "Invoice"
    total = format(sum((Decimal(line["amount"]) for line in lines), Decimal("0.00")), "f")
    stated = payable or total
    year, month = period.split("-")
    billing = (f"<cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>{escape(preceding)}</cbc:ID>"
               "</cac:InvoiceDocumentReference></cac:BillingReference>") if preceding else ""
    due = "" if credit_note else "<cbc:DueDate>2026-05-02</cbc:DueDate>"
    quantity = "CreditedQuantity" if credit_note else "InvoicedQuantity"
    body = []
    for n, line in enumerate(lines, start=1):
        props = f"<cac:AdditionalItemProperty><cbc:Name>kind</cbc:Name><cbc:Value>{line['kind']}</cbc:Value>" \
                "</cac:AdditionalItemProperty>"
        for key in ("returnee", "category", "evidence_ref"):
            if line.get(key):
                props += (f"<cac:AdditionalItemProperty><cbc:Name>{key}</cbc:Name>"
                          f"<cbc:Value>{escape(line[key])}</cbc:Value></cac:AdditionalItemProperty>")
        body.append(
            f"<cac:{name}Line><cbc:ID>{n}</cbc:ID><cbc:{quantity} unitCode=\"C62\">1</cbc:{quantity}>"
            f"<cbc:LineExtensionAmount currencyID=\"{currency}\">{line['amount']}</cbc:LineExtensionAmount>"
            f"<cac:Item><cbc:Name>{line['kind']}</cbc:Name>{props}<cac:ClassifiedTaxCategory><cbc:ID>O</cbc:ID>"
            "<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>"
            f"<cac:Price><cbc:PriceAmount currencyID=\"{currency}\">{line['amount']}</cbc:PriceAmount></cac:Price>"
            f"</cac:{name}Line>")
    document = f"""<?xml version="1.0" encoding="UTF-8"?>
<{name} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{name}-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
<cbc:ID>{escape(number)}</cbc:ID><cbc:IssueDate>2026-04-02</cbc:IssueDate>{due}
<cbc:{name}TypeCode>{381 if credit_note else 380}</cbc:{name}TypeCode>
<cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
<cac:InvoicePeriod><cbc:StartDate>{year}-{month}-01</cbc:StartDate></cac:InvoicePeriod>
{billing}
<cac:ContractDocumentReference><cbc:ID>{escape(agreement_ref)}</cbc:ID></cac:ContractDocumentReference>
<cac:AccountingSupplierParty><cac:Party><cac:PartyName><cbc:Name>Rwanda</cbc:Name></cac:PartyName>
</cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>Home Office</cbc:Name></cac:PartyName>
</cac:Party></cac:AccountingCustomerParty>
<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode><cbc:PaymentID>{payment_id}</cbc:PaymentID>
<cac:PayeeFinancialAccount><cbc:ID>{iban}</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>
<cac:PaymentTerms><cbc:Note>30 days net</cbc:Note></cac:PaymentTerms>
<cac:TaxTotal><cbc:TaxAmount currencyID="{currency}">0.00</cbc:TaxAmount>
<cac:TaxSubtotal><cbc:TaxableAmount currencyID="{currency}">{total}</cbc:TaxableAmount>
<cbc:TaxAmount currencyID="{currency}">0.00</cbc:TaxAmount><cac:TaxCategory><cbc:ID>O</cbc:ID>
<cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>
<cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="{currency}">{total}</cbc:LineExtensionAmount>
<cbc:TaxExclusiveAmount currencyID="{currency}">{total}</cbc:TaxExclusiveAmount>
<cbc:TaxInclusiveAmount currencyID="{currency}">{total}</cbc:TaxInclusiveAmount>
<cbc:PayableAmount currencyID="{currency}">{stated}</cbc:PayableAmount></cac:LegalMonetaryTotal>
{''.join(body)}
</{name}>"""
    return document.encode()


def post_xml(api, data, token, query=""):
    return api.client.post(f"{I}{query}", data=data, content_type="application/xml",
                           headers={"Authorization": f"Bearer {token}"})


def post_json(api, body, token, query=""):
    return api.post(f"{I}{query}", json=body, token=token)


def codes(invoice) -> list[tuple]:
    return sorted((f["code"], f["line"]) for f in invoice["findings"])
