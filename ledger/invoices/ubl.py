"""Read a UBL 2.1 Invoice or CreditNote (EN 16931 core) into a `ParsedInvoice`.

Only the standard's structure is relied on (UBL 2.1 namespaces, cac/cbc elements, direct children where
the standard puts them), never a producer's layout or namespace prefixes. Document-level elements are
read as direct children of the root, so a line's own InvoicePeriod or AllowanceCharge is never taken for
the document's.

Mapping choices worth knowing:
- agreement reference, first found wins (all are kept in `agreement_ref_candidates`):
  cac:ContractDocumentReference/cbc:ID (BT-12), cac:ProjectReference/cbc:ID (BT-11),
  cac:OrderReference/cbc:ID (BT-13), then cac:AdditionalDocumentReference/cbc:ID of references that carry
  no attachment (an attached document's ID names the attachment, not an agreement);
- line kind/returnee: cac:Item/cac:AdditionalItemProperty named `kind` / `returnee` (BT-160/161) first;
  else the kind from cac:Item/cac:SellersItemIdentification/cbc:ID when it is an obligation kind (that
  element usually holds an article number, so other values are ignored); else `kind: …; returnee: …`
  (or `key=value`) pairs in the line's cbc:Note (BT-127). Stated kinds are kept as written, so the
  obligation check can report an unknown one; lines naming neither get None;
- due date: cbc:DueDate, else cac:PaymentMeans/cbc:PaymentDueDate, else cac:PaymentTerms/cbc:PaymentDueDate
  (UBL 2.1 CreditNote has no cbc:DueDate);
- payee account: the first cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID, put on the seller;
- document tax total (BT-110): the cac:TaxTotal with the VAT breakdown, else the one in the document
  currency; the other cac:TaxTotal, if any, is BT-111 (VAT in the tax currency BT-6);
- document type: a CreditNote root, or an Invoice whose type code is a credit note code (UNCL1001 381 etc.).

A document meets the JSON intake's limits (contracts/invoices.py) and the columns': a value longer than its
limit is refused naming its XPath (`MAX_LENGTHS`), never truncated, stored whole or left to the database.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import BinaryIO

from lxml import etree
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import iso11649

from ledger.invoices.parsed import (
    LINE_KINDS,
    AllowanceCharge,
    DocumentType,
    InvoiceParseError,
    ParsedInvoice,
    ParsedLine,
    ParsedParty,
    TaxSubtotal,
)
from ledger.money import Money, MoneyError, minor_units, to_decimal
from ledger.xmlsafe import DEFAULT_MAX_BYTES, XmlInputError, parse_untrusted, read_limited

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
ROOTS = {f"{{{INVOICE_NS}}}Invoice": "invoice", f"{{{CREDIT_NOTE_NS}}}CreditNote": "credit_note"}

#: UNCL1001 codes EN 16931 lists as credit notes (an Invoice document may carry one).
CREDIT_NOTE_TYPE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})

#: The longest value each element may hold: the JSON field's limit where JSON has the field, else the column's.
MAX_LENGTHS = {
    "cbc:ID": 100,  # the invoice number (JSON `number`)
    "cac:PaymentMeans/cbc:PaymentID": 140,  # JSON `payment_reference`
    "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID": 34,  # the longest IBAN (and ISO 20022 account id)
    "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID": 100,  # the credited invoice's number
    "agreement": 40,  # any agreement reference (JSON `agreement`)
    "line": 100,  # a line's cbc:ID (what findings and overrides name)
    "returnee": 64,  # a line's returnee (JSON `lines[].returnee`)
}
MAX_LINES = 10_000  # JSON `lines`

_AGREEMENT_REF_PATHS = (
    ("ContractDocumentReference", "cac:ContractDocumentReference/cbc:ID"),
    ("ProjectReference", "cac:ProjectReference/cbc:ID"),
    ("OrderReference", "cac:OrderReference/cbc:ID"),
)


def parse_ubl(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedInvoice:
    """Parse a UBL 2.1 Invoice or CreditNote; raises `InvoiceParseError` for anything unreadable."""
    try:
        root = parse_untrusted(data, max_bytes=max_bytes, allowed_roots=ROOTS)
    except XmlInputError as exc:
        code = "not_an_invoice" if exc.code == "unexpected_root" else exc.code
        raise InvoiceParseError(code, exc.message) from None
    return _Reader(root).invoice()


def parse_ubl_stream(stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedInvoice:
    """Like `parse_ubl`, reading a request body no further than one byte past `max_bytes`."""
    try:
        data = read_limited(stream, max_bytes)
    except XmlInputError as exc:
        raise InvoiceParseError(exc.code, exc.message) from None
    return parse_ubl(data, max_bytes)


def _clean(text: str | None) -> str | None:
    """Collapse whitespace (UBL text often carries the producer's indentation); empty is absent."""
    if text is None:
        return None
    cleaned = " ".join(text.split())
    return cleaned or None


def _period_of(day: date | None) -> str | None:
    return f"{day.year:04d}-{day.month:02d}" if day else None


class _Reader:
    """Reads one document; keeps the document currency and root so helpers stay short."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.document_type: DocumentType = ROOTS[root.tag]  # type: ignore[assignment]
        self.line_tag = "cac:InvoiceLine" if self.document_type == "invoice" else "cac:CreditNoteLine"
        self.quantity_tag = "cbc:InvoicedQuantity" if self.document_type == "invoice" else "cbc:CreditedQuantity"
        self.type_code_tag = "cbc:InvoiceTypeCode" if self.document_type == "invoice" else "cbc:CreditNoteTypeCode"
        self.currency = ""

    # -- primitive readers -------------------------------------------------------------------------

    def text(self, path: str, el: etree._Element | None = None) -> str | None:
        found = (self.root if el is None else el).find(path, NS)
        return None if found is None else _clean("".join(found.itertext()))

    def limited(self, field: str, value: str | None, limit: int) -> str | None:
        if value is not None and len(value) > limit:
            raise InvoiceParseError("invalid_invoice", f"{field} is longer than {limit} characters", field=field)
        return value

    def limited_text(self, path: str) -> str | None:
        return self.limited(path, self.text(path), MAX_LENGTHS[path])

    def required_text(self, path: str, el: etree._Element | None = None, where: str = "") -> str:
        value = self.text(path, el)
        if value is None:
            raise InvoiceParseError("invalid_invoice", f"{where}{path} is missing", field=where + path)
        return value

    def date_at(self, path: str, el: etree._Element | None = None, where: str = "") -> date | None:
        value = self.text(path, el)
        if value is None:
            return None
        # xsd:date may carry a time zone ("2026-04-02Z", "2026-04-02+01:00"); the calendar day is what counts.
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            field = where + path
            raise InvoiceParseError("invalid_invoice", f"{field} is not a date: {value[:40]!r}", field=field) from None

    def decimal_at(self, path: str, el: etree._Element, where: str) -> Decimal | None:
        value = self.text(path, el)
        if value is None:
            return None
        try:
            return to_decimal(value)
        except MoneyError:
            raise InvoiceParseError(
                "invalid_invoice", f"{where}{path} is not a decimal number", field=where + path
            ) from None

    def money(self, path: str, el: etree._Element | None = None, where: str = "") -> Money | None:
        """An amount in the currency its currencyID states (compared with the document's later)."""
        found = (self.root if el is None else el).find(path, NS)
        text = None if found is None else _clean("".join(found.itertext()))
        if found is None or text is None:
            return None
        field = where + path
        currency = (found.get("currencyID") or "").strip()
        if not currency:
            raise InvoiceParseError("invalid_invoice", f"{field} has no currencyID", field=field)
        try:
            return Money.exact(text, currency)
        except MoneyError as exc:
            raise InvoiceParseError("invalid_invoice", f"{field}: {exc}", field=field) from None

    def required_money(self, path: str, el: etree._Element | None = None, where: str = "") -> Money:
        value = self.money(path, el, where)
        if value is None:
            raise InvoiceParseError("invalid_invoice", f"{where}{path} is missing", field=where + path)
        return value

    def zero_if_absent(self, path: str) -> Money:
        return self.money(path) or Money.zero(self.currency)

    # -- the document ------------------------------------------------------------------------------

    def invoice(self) -> ParsedInvoice:
        self.currency = self.document_currency()
        type_code = self.text(self.type_code_tag)
        refs = self.agreement_refs()
        payment_reference = self.limited_text("cac:PaymentMeans/cbc:PaymentID")
        is_rf = payment_reference is not None and iso11649.is_valid(payment_reference)
        tax_total, tax_in_tax_currency, tax_currency = self.tax_totals()
        totals = "cac:LegalMonetaryTotal/"
        return ParsedInvoice(
            document_type=self.kind_of_document(type_code),
            number=self.limited("cbc:ID", self.required_text("cbc:ID"), MAX_LENGTHS["cbc:ID"]),
            issued_on=self.required_date("cbc:IssueDate"),
            currency=self.currency,
            source="ubl",
            type_code=type_code,
            due_on=self.due_date(),
            period=_period_of(self.date_at("cac:InvoicePeriod/cbc:StartDate")),
            agreement_ref=refs[0][1] if refs else None,
            agreement_ref_source=refs[0][0] if refs else None,
            agreement_ref_candidates=refs,
            seller=self.party("cac:AccountingSupplierParty/cac:Party", with_account=True),
            buyer=self.party("cac:AccountingCustomerParty/cac:Party"),
            payment_reference=iso11649.compact(payment_reference) if is_rf else payment_reference,
            payment_reference_is_rf=is_rf,
            payment_terms=self.payment_terms(),
            preceding_invoice=self.limited_text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
            lines=self.lines(),
            allowances_charges=self.allowances_charges(),
            tax_subtotals=self.tax_subtotals(),
            tax_total=tax_total,
            tax_currency=tax_currency,
            tax_total_in_tax_currency=tax_in_tax_currency,
            line_extension_total=self.required_money(totals + "cbc:LineExtensionAmount"),
            tax_exclusive=self.required_money(totals + "cbc:TaxExclusiveAmount"),
            tax_inclusive=self.required_money(totals + "cbc:TaxInclusiveAmount"),
            allowance_total=self.zero_if_absent(totals + "cbc:AllowanceTotalAmount"),
            charge_total=self.zero_if_absent(totals + "cbc:ChargeTotalAmount"),
            prepaid=self.zero_if_absent(totals + "cbc:PrepaidAmount"),
            rounding=self.zero_if_absent(totals + "cbc:PayableRoundingAmount"),
            payable=self.required_money(totals + "cbc:PayableAmount"),
        )

    def required_date(self, path: str) -> date:
        value = self.date_at(path)
        if value is None:
            raise InvoiceParseError("invalid_invoice", f"{path} is missing", field=path)
        return value

    def document_currency(self) -> str:
        currency = self.required_text("cbc:DocumentCurrencyCode")
        try:
            minor_units(currency)
        except MoneyError as exc:
            raise InvoiceParseError("invalid_invoice", str(exc), field="cbc:DocumentCurrencyCode") from None
        return currency

    def kind_of_document(self, type_code: str | None) -> DocumentType:
        if self.document_type == "invoice" and type_code in CREDIT_NOTE_TYPE_CODES:
            return "credit_note"
        return self.document_type

    def due_date(self) -> date | None:
        for path in ("cbc:DueDate", "cac:PaymentMeans/cbc:PaymentDueDate", "cac:PaymentTerms/cbc:PaymentDueDate"):
            value = self.date_at(path)
            if value is not None:
                return value
        return None

    def agreement_refs(self) -> tuple[tuple[str, str], ...]:
        limit = MAX_LENGTHS["agreement"]
        refs = [(source, self.limited(path, self.text(path), limit)) for source, path in _AGREEMENT_REF_PATHS]
        for n, ref in enumerate(self.root.findall("cac:AdditionalDocumentReference", NS), start=1):
            if ref.find("cac:Attachment", NS) is None:
                path = f"cac:AdditionalDocumentReference[{n}]/cbc:ID"
                refs.append(("AdditionalDocumentReference", self.limited(path, self.text("cbc:ID", ref), limit)))
        return tuple((source, value) for source, value in refs if value)

    def payment_terms(self) -> str | None:
        notes = [_clean("".join(n.itertext())) for n in self.root.findall("cac:PaymentTerms/cbc:Note", NS)]
        return "\n".join(n for n in notes if n) or None

    # -- parties -----------------------------------------------------------------------------------

    def party(self, path: str, with_account: bool = False) -> ParsedParty:
        party = self.root.find(path, NS)
        if party is None:
            return ParsedParty()
        id_el = party.find("cac:PartyIdentification/cbc:ID", NS)
        if id_el is None:
            id_el = party.find("cbc:EndpointID", NS)
        account_id, iban = self.payee_account() if with_account else (None, None)
        return ParsedParty(
            name=self.text("cac:PartyName/cbc:Name", party)
            or self.text("cac:PartyLegalEntity/cbc:RegistrationName", party),
            party_id=None if id_el is None else _clean(id_el.text),
            party_id_scheme=None if id_el is None else _clean(id_el.get("schemeID")),
            legal_id=self.text("cac:PartyLegalEntity/cbc:CompanyID", party),
            vat_id=self.text("cac:PartyTaxScheme/cbc:CompanyID", party),
            country=self.text("cac:PostalAddress/cac:Country/cbc:IdentificationCode", party),
            account_id=account_id,
            iban=iban,
        )

    def payee_account(self) -> tuple[str | None, str | None]:
        raw = self.limited_text("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID")
        if raw is None:
            return None, None
        account_id = raw.replace(" ", "")
        try:
            return account_id, IBAN(account_id).compact
        except SchwiftyException:
            return account_id, None

    # -- lines ------------------------------------------------------------------------------------

    def lines(self) -> tuple[ParsedLine, ...]:
        elements = self.root.findall(self.line_tag, NS)
        if not elements:
            raise InvoiceParseError("invalid_invoice", f"the document has no {self.line_tag}", field=self.line_tag)
        if len(elements) > MAX_LINES:
            raise InvoiceParseError("invalid_invoice", f"more than {MAX_LINES} {self.line_tag}", field=self.line_tag)
        return tuple(self.line(el, f"{self.line_tag}[{n}]/") for n, el in enumerate(elements, start=1))

    def line(self, el: etree._Element, where: str) -> ParsedLine:
        kind, returnee, returnee_path = _line_kind_and_returnee(el)
        self.limited(where + returnee_path, returnee, MAX_LENGTHS["returnee"])
        category, evidence_ref = _line_cost_fields(el)
        self.limited(where + "cac:Item/cac:AdditionalItemProperty[cbc:Name='evidence_ref']/cbc:Value", evidence_ref,
                     200)
        quantity = self.decimal_at(self.quantity_tag, el, where)
        if quantity is None:
            raise InvoiceParseError(
                "invalid_invoice", f"{where}{self.quantity_tag} is missing", field=where + self.quantity_tag
            )
        return ParsedLine(
            line_id=self.limited(where + "cbc:ID", self.required_text("cbc:ID", el, where), MAX_LENGTHS["line"]),
            net_amount=self.required_money("cbc:LineExtensionAmount", el, where),
            quantity=quantity,
            description=self.text("cac:Item/cbc:Name", el) or self.text("cac:Item/cbc:Description", el),
            kind=kind,
            returnee=returnee,
            period=_period_of(self.date_at("cac:InvoicePeriod/cbc:StartDate", el, where)),
            tax_category=self.text("cac:Item/cac:ClassifiedTaxCategory/cbc:ID", el),
            tax_percent=self.decimal_at("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", el, where),
            category=category,
            evidence_ref=evidence_ref,
        )

    # -- allowances, charges, tax ----------------------------------------------------------------

    def allowances_charges(self) -> tuple[AllowanceCharge, ...]:
        return tuple(
            self.allowance_charge(el, f"cac:AllowanceCharge[{n}]/")
            for n, el in enumerate(self.root.findall("cac:AllowanceCharge", NS), start=1)
        )

    def allowance_charge(self, el: etree._Element, where: str) -> AllowanceCharge:
        indicator = self.required_text("cbc:ChargeIndicator", el, where).lower()
        if indicator not in {"true", "false", "1", "0"}:
            raise InvoiceParseError(
                "invalid_invoice",
                f"{where}cbc:ChargeIndicator must be true or false",
                field=where + "cbc:ChargeIndicator",
            )
        return AllowanceCharge(
            is_charge=indicator in {"true", "1"},
            amount=self.required_money("cbc:Amount", el, where),
            reason=self.text("cbc:AllowanceChargeReason", el),
            reason_code=self.text("cbc:AllowanceChargeReasonCode", el),
            tax_category=self.text("cac:TaxCategory/cbc:ID", el),
            tax_percent=self.decimal_at("cac:TaxCategory/cbc:Percent", el, where),
        )

    def tax_total_elements(self) -> tuple[etree._Element | None, etree._Element | None]:
        """(the document-currency TaxTotal BT-110, the other one BT-111); EN 16931 allows two at most."""
        elements = self.root.findall("cac:TaxTotal", NS)
        if len(elements) > 2:
            raise InvoiceParseError("invalid_invoice", "more than two cac:TaxTotal", field="cac:TaxTotal")

        def rank(el: etree._Element) -> int:
            # The total carrying the VAT breakdown is BT-110; failing that, the one in the document currency.
            if el.find("cac:TaxSubtotal", NS) is not None:
                return 0
            amount = el.find("cbc:TaxAmount", NS)
            return 1 if amount is not None and amount.get("currencyID") == self.currency else 2

        ordered = sorted(elements, key=rank)
        return (ordered[0] if ordered else None), (ordered[1] if len(ordered) > 1 else None)

    def tax_totals(self) -> tuple[Money, Money | None, str | None]:
        document, accounting = self.tax_total_elements()
        total = Money.zero(self.currency)
        if document is not None:
            total = self.required_money("cbc:TaxAmount", document, "cac:TaxTotal/")
        in_tax_currency = None if accounting is None else self.money("cbc:TaxAmount", accounting, "cac:TaxTotal/")
        return total, in_tax_currency, self.text("cbc:TaxCurrencyCode")

    def tax_subtotals(self) -> tuple[TaxSubtotal, ...]:
        document, _ = self.tax_total_elements()
        if document is None:
            return ()
        return tuple(
            self.tax_subtotal(el, f"cac:TaxTotal/cac:TaxSubtotal[{n}]/")
            for n, el in enumerate(document.findall("cac:TaxSubtotal", NS), start=1)
        )

    def tax_subtotal(self, el: etree._Element, where: str) -> TaxSubtotal:
        return TaxSubtotal(
            taxable_amount=self.required_money("cbc:TaxableAmount", el, where),
            tax_amount=self.required_money("cbc:TaxAmount", el, where),
            category=self.text("cac:TaxCategory/cbc:ID", el),
            percent=self.decimal_at("cac:TaxCategory/cbc:Percent", el, where),
        )


def _item_properties(line: etree._Element) -> dict[str, str]:
    """A line's AdditionalItemProperty name (lower case) → value; the first of a name counts."""
    props: dict[str, str] = {}
    for prop in line.findall("cac:Item/cac:AdditionalItemProperty", NS):
        name = _clean(prop.findtext("cbc:Name", namespaces=NS))
        value = _clean(prop.findtext("cbc:Value", namespaces=NS))
        if name and value:
            props.setdefault(name.lower(), value)
    return props


def _line_kind_and_returnee(line: etree._Element) -> tuple[str | None, str | None, str]:
    """Where a partner's UBL says which obligation a line claims (see the module docstring), and the XPath
    the returnee came from."""
    props = _item_properties(line)
    note_pairs = _note_pairs(line.findall("cbc:Note", NS))
    sellers_id = _clean(line.findtext("cac:Item/cac:SellersItemIdentification/cbc:ID", namespaces=NS))
    kind = props.get("kind") or (sellers_id if sellers_id in LINE_KINDS else None) or note_pairs.get("kind")
    if props.get("returnee"):
        return kind, props["returnee"], "cac:Item/cac:AdditionalItemProperty[cbc:Name='returnee']/cbc:Value"
    return kind, note_pairs.get("returnee"), "cbc:Note"


def _line_cost_fields(line: etree._Element) -> tuple[str | None, str | None]:
    """An actual_cost line's cost category and evidence reference: AdditionalItemProperty `category` /
    `evidence_ref` first, else `category: …; evidence_ref: …` pairs in the line's cbc:Note."""
    props = _item_properties(line)
    notes = _note_pairs(line.findall("cbc:Note", NS))
    return (props.get("category") or notes.get("category"), props.get("evidence_ref") or notes.get("evidence_ref"))


def _note_pairs(notes: list[etree._Element]) -> dict[str, str]:
    """`kind: per_returnee_fee; returnee: R-123` (or `key=value`) pairs from line notes."""
    pairs: dict[str, str] = {}
    for note in notes:
        for part in (note.text or "").split(";"):
            raw_key, sep, raw_value = part.replace("=", ":", 1).partition(":")
            key, value = _clean(raw_key), _clean(raw_value)
            if sep and key and value:
                pairs.setdefault(key.lower(), value)
    return pairs
