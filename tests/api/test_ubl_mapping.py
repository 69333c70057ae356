"""A UBL line that names no obligation kind is told where the kind goes (docs/ubl.md holds the whole mapping)."""

from __future__ import annotations

from pathlib import Path

from tests.api.invoices_helpers import march_lines, post_xml, setup_agreement, ubl

README = Path(__file__).resolve().parents[2] / "README.md"
MAPPING = Path(__file__).resolve().parents[2] / "docs" / "ubl.md"
KIND = "<cac:AdditionalItemProperty><cbc:Name>kind</cbc:Name><cbc:Value>per_returnee_fee</cbc:Value>" \
       "</cac:AdditionalItemProperty>"


def _finding(invoice, line):
    return next(f for f in invoice["findings"] if f["line"] == line)


def test_a_ubl_line_without_a_kind_is_told_the_element_path(api, admin, officer, parties):
    ag = setup_agreement(api, admin, officer, parties["RW"])
    document = ubl("RW-UBL-K", ag["reference"], march_lines(ag, 1)).replace(KIND.encode(), b"", 1)
    response = post_xml(api, document, parties["RW"])
    assert response.status_code == 201, response.get_json()
    finding = _finding(response.get_json(), "1")
    assert finding["code"] == "unknown_obligation" and finding["field"] == "kind"
    assert "line 1 names no obligation kind" in finding["message"]
    assert ("cac:InvoiceLine/cac:Item/cac:AdditionalItemProperty with cbc:Name kind and the kind as its cbc:Value"
            in finding["message"])
    assert "per_returnee_fee" in finding["message"]


def test_the_ubl_mapping_is_documented_and_linked_from_the_readme(client):
    mapping = MAPPING.read_text()
    for element in ("cac:AdditionalItemProperty", "cac:InvoicePeriod/cbc:StartDate", "returnee",
                    "cac:ContractDocumentReference/cbc:ID"):
        assert element in mapping
    assert "docs/ubl.md" in README.read_text()
    intake = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/invoices"]["post"]
    assert "docs/ubl.md" in intake["description"] and "AdditionalItemProperty" in intake["description"]
