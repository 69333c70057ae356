"""The camt parser's own element lookups read what lxml's `find`/`findall`/`findtext` read, and the shortcuts
taken per entry (one pass over its children, the status without children, accepted currencies) change no result."""

from __future__ import annotations

import pytest
from lxml import etree

from ledger.statements.parsing import StatementParseError
from ledger.statements.parsing._common import currency_code, money
from ledger.statements.parsing.camt import _children, _find, _findall, _findtext, _Names

from .helpers import parse_bytes, transfers
from .test_statement_camt import camt053, entry

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
# Repeated elements, a first A without the path below it, text-less and deeper elements: the cases where "the
# first match" could be read two ways.
TREE = f"""<R xmlns="{NS}">
  <A><B><X>no C here</X></B></A>
  <A><B><C>first C</C><C>second C</C></B><B><C>third C</C><D><E>deep</E></D></B></A>
  <A><B><C/></B></A>
  <F>one</F><F>two</F><G/>
</R>"""
PATHS = ["A", "F", "G", "Z", "A/B", "A/B/C", "A/B/X", "A/B/D/E", "A/B/D/Z", "A/Z/C", "B/C", "F/Z"]


@pytest.fixture
def tree():
    return etree.fromstring(TREE.encode())


@pytest.mark.parametrize("path", PATHS)
def test_the_lookups_find_what_lxml_finds(tree, path):
    q = _Names(NS)
    assert _find(tree, q, path) is tree.find(q(path))
    assert _findall(tree, q, path) == tree.findall(q(path))
    assert _findtext(tree, q, path) == tree.findtext(q(path))


def test_one_pass_over_the_children_gives_the_first_of_each_tag(tree):
    q = _Names(NS)
    children = _children(tree)
    assert set(children) == {q("A"), q("F"), q("G")}
    for tag, child in children.items():
        assert child is tree.find(tag)


def test_an_entry_repeating_an_element_is_read_from_the_first():
    doubled = entry(ref="FIRST").replace("<AcctSvcrRef>FIRST</AcctSvcrRef>",
                                         "<AcctSvcrRef>FIRST</AcctSvcrRef><AcctSvcrRef>SECOND</AcctSvcrRef>")
    (transfer,) = transfers(parse_bytes(camt053(doubled)))
    assert transfer.bank_reference == "FIRST"


@pytest.mark.parametrize(("status", "expected"), [
    ("<Sts>BOOK</Sts>", "booked"),
    ("<Sts> pdng </Sts>", "pending"),
    ("<Sts><Cd>BOOK</Cd></Sts>", "booked"),
    ("<Sts><Prtry>INFO</Prtry></Sts>", "information"),
    ("<Sts><Cd>XXXX</Cd></Sts>", "pending"),
    ("", "booked"),
])
def test_the_status_is_read_from_its_text_or_its_code(status, expected):
    xml = camt053(entry().replace("<Sts>BOOK</Sts>", status))
    (transfer,) = transfers(parse_bytes(xml))
    assert transfer.status == expected


def test_an_accepted_currency_text_does_not_let_a_wrong_one_through():
    assert currency_code(" eur ", "here") == "EUR"
    assert currency_code(" eur ", "here") == "EUR"
    assert money("10.00", " eur ", "here").currency == "EUR"
    for wrong in ("EURO", "XXX", "", " "):
        with pytest.raises(StatementParseError) as caught:
            money("10.00", wrong, "entry 9")
        assert caught.value.code in ("invalid_currency", "missing_currency")
        assert caught.value.location == "entry 9"
