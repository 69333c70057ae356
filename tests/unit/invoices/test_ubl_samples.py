"""The public EN 16931 examples in ../shared/samples/ubl (not committed: skipped when absent)."""

from __future__ import annotations

import pytest

from ledger.invoices import check_arithmetic, computed_payable, parse_ubl

from .helpers import UBL_SAMPLES

pytestmark = pytest.mark.samples


def _samples():
    if not UBL_SAMPLES.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"shared UBL samples not found at {UBL_SAMPLES}"))]
    return [pytest.param(p, id=p.name) for p in sorted(UBL_SAMPLES.glob("*.xml"))]


@pytest.mark.parametrize("path", _samples())
def test_sample_parses_and_adds_up_to_its_payable_amount(path):
    inv = parse_ubl(path.read_bytes())
    assert inv.lines
    assert computed_payable(inv) == inv.payable
    assert check_arithmetic(inv) == []


def test_sample_credit_note_is_a_credit_note():
    path = UBL_SAMPLES / "ubl-tc434-creditnote1.xml"
    if not path.is_file():
        pytest.skip(f"shared UBL samples not found at {UBL_SAMPLES}")
    inv = parse_ubl(path.read_bytes())
    assert inv.document_type == "credit_note"
    assert inv.ledger_effect() == -inv.payable
