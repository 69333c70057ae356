"""Format detection from content."""

from __future__ import annotations

import pytest

from ledger.statements.parsing import StatementFormatError, detect_format

from .helpers import FIXTURES


@pytest.mark.parametrize("name, expected", [
    ("camt.052.001.02.xml", "camt.052"),
    ("camt.053.001.08.xml", "camt.053"),
    ("camt.054.001.06.xml", "camt.054"),
    ("mt940_ing_envelope.sta", "mt940"),
    ("mt940_german_structured.sta", "mt940"),
    ("mt940_sparkassen_short.sta", "mt940"),
    ("csv_direction.csv", "csv"),
    ("csv_signed.csv", "csv"),
])
def test_fixtures_are_recognised_by_content(name, expected):
    assert detect_format((FIXTURES / name).read_bytes()) == expected


def test_bom_and_leading_blanks_are_ignored():
    assert detect_format(b"\xef\xbb\xbf\n  " + (FIXTURES / "camt.053.001.04.xml").read_bytes()) == "camt.053"


@pytest.mark.parametrize("head", [
    b"",
    b"   ",
    b"%PDF-1.7",
    b"<html><body>statement</body></html>",
    b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>',
    b"date,amount\n2024-01-01,1.00\n",
    b"\x00\x01\x02\xff",
])
def test_unknown_content_is_refused(head):
    with pytest.raises(StatementFormatError) as caught:
        detect_format(head)
    assert caught.value.code == "unknown_format"
