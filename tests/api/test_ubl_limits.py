"""A UBL document meets the same limits as a JSON invoice: an over-long value is a 422 naming its XPath, never a
value stored whole (SQLite) or a database error (PostgreSQL: a 500), and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ledger.invoices.models import Invoice
from tests.api.invoices_helpers import march_lines, post_xml, setup_agreement, ubl
from tests.api.test_errors import assert_problem


@pytest.fixture
def agreement(api, admin, officer, parties):
    return setup_agreement(api, admin, officer, parties["RW"])


def _too_long(agreement, where: str, length: int) -> bytes:
    value = "9" * length
    if where == "cbc:ID":
        return ubl(value, agreement["reference"], march_lines(agreement))
    if where == "cac:PaymentMeans/cbc:PaymentID":
        return ubl("RW-LONG", agreement["reference"], march_lines(agreement), payment_id=value)
    if where == "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID":
        return ubl("RW-LONG", agreement["reference"], march_lines(agreement), iban=value)
    if where == "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID":
        return ubl("RW-LONG", agreement["reference"], march_lines(agreement), preceding=value)
    if where == "cac:ContractDocumentReference/cbc:ID":
        return ubl("RW-LONG", value, march_lines(agreement))
    lines = march_lines(agreement)
    lines[0] = {**lines[0], "returnee": value}
    return ubl("RW-LONG", agreement["reference"], lines)


@pytest.mark.parametrize("where,limit", [
    ("cbc:ID", 100),
    ("cac:PaymentMeans/cbc:PaymentID", 140),
    ("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID", 34),
    ("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", 100),
    ("cac:ContractDocumentReference/cbc:ID", 40),
    ("cac:InvoiceLine[1]/cac:Item/cac:AdditionalItemProperty[cbc:Name='returnee']/cbc:Value", 64),
])
@pytest.mark.parametrize("length", [None, 1_000_000])
def test_an_over_long_ubl_value_is_422_naming_its_xpath(api, session, parties, agreement, where, limit, length):
    response = post_xml(api, _too_long(agreement, where, length or limit + 1), parties["RW"])
    problem = assert_problem(response, 422, "invalid_invoice")
    assert list(problem["errors"]) == [where] and str(limit) in problem["detail"]
    assert session.execute(select(func.count()).select_from(Invoice)).scalar() == 0


def test_values_at_the_limits_are_taken(api, parties, agreement):
    document = ubl("N" * 100, agreement["reference"], march_lines(agreement), payment_id="P" * 140)
    response = post_xml(api, document, parties["RW"])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["number"] == "N" * 100


def test_the_limits_are_the_json_intakes():
    from marshmallow import validate

    from contracts.invoices import MAX_LINES, InvoiceCreateSchema, InvoiceLineInSchema
    from ledger.invoices import ubl as ubl_module

    def longest(field) -> int:
        return next(v.max for v in field.validators if isinstance(v, validate.Length))

    json_fields = InvoiceCreateSchema().fields
    assert ubl_module.MAX_LENGTHS["cbc:ID"] == longest(json_fields["number"])
    assert ubl_module.MAX_LENGTHS["cac:PaymentMeans/cbc:PaymentID"] == longest(json_fields["payment_reference"])
    assert ubl_module.MAX_LENGTHS["agreement"] == longest(json_fields["agreement"])
    assert ubl_module.MAX_LENGTHS["returnee"] == longest(InvoiceLineInSchema().fields["returnee"])
    assert ubl_module.MAX_LINES == MAX_LINES


def test_more_lines_than_json_allows_is_422(monkeypatch, api, parties, agreement):
    from ledger.invoices import ubl as ubl_module

    monkeypatch.setattr(ubl_module, "MAX_LINES", 5)  # the document has six
    problem = assert_problem(post_xml(api, ubl("RW-MANY", agreement["reference"], march_lines(agreement)),
                                      parties["RW"]), 422, "invalid_invoice")
    assert list(problem["errors"]) == ["cac:InvoiceLine"]
