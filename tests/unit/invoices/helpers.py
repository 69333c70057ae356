"""Shared helpers for the invoice tests: fixture and sample locations, and in-place XML edits."""

from __future__ import annotations

import os
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "invoices"
# The shared samples sit beside the repository (<repo>/../shared/samples); a git worktree elsewhere can
# point at them with LEDGER_SAMPLES_DIR.
SAMPLES = Path(os.environ.get("LEDGER_SAMPLES_DIR") or REPO / ".." / "shared" / "samples")
UBL_SAMPLES = SAMPLES / "ubl"

NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def edited(data: bytes, xpath: str, text: str | None = None, *, remove: bool = False, **attrs: str) -> bytes:
    """`data` with the element at `xpath` (relative to the root) changed, or removed."""
    root = etree.fromstring(data)
    matches = root.xpath(xpath, namespaces=NS)
    assert matches, f"{xpath} matches nothing"
    element = matches[0]
    if remove:
        element.getparent().remove(element)
    if text is not None:
        element.text = text
    for name, value in attrs.items():
        element.set(name, value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
