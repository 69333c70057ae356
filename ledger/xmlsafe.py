"""The one place XML is parsed: untrusted documents from partners and banks (UBL invoices, pain.002 status
reports, camt.052/053/054 statements) and the pain.001 files the ledger writes, all with the same hardened
parser settings (`HARDENED`), so no document can attack the parser.

The defences, and why each is needed:
- size: the byte length is checked before the parser sees anything (`payload_too_large`), and
  `read_limited` stops reading a stream one byte past the limit, so a 50 MB body is never held whole;
- DTDs: no invoice or bank format we take needs one, so any DOCTYPE is refused (`invalid_xml`). That
  closes entity expansion ("billion laughs"), external entities (XXE file or network reads) and
  external DTD fetches in one rule. The parser is also configured not to resolve entities, load DTDs or
  touch the network, so nothing is expanded even before the DOCTYPE is seen;
- the DOCTYPE and the root element are checked at the root's start tag, before the rest is parsed;
- lxml's default limits (no `huge_tree`) bound text node size and nesting depth.

`parse_untrusted` reads a whole document (UBL, pain.002); `iterparse` streams a large one (camt, whose
entries are dropped as they are read); `parser` is the tree parser for the files the ledger checks against a
schema (pain.001).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import BinaryIO

from lxml import etree

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: lxml's settings for every document: no entity expansion, no DTD loading or validation, no network, lxml's
#: default size limits (no `huge_tree`), processing instructions dropped.
HARDENED = {"resolve_entities": False, "load_dtd": False, "dtd_validation": False, "no_network": True,
            "huge_tree": False, "remove_pis": True}
_CHUNK = 64 * 1024


class XmlInputError(ValueError):
    """Untrusted XML refused. `code` is `payload_too_large`, `invalid_xml` or `unexpected_root`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def read_limited(stream: BinaryIO, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a request body, refusing it as soon as it passes `max_bytes` (never reads it all)."""
    data = stream.read(max_bytes + 1)
    _check_size(len(data), max_bytes)
    return data


def parse_untrusted(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allowed_roots: Collection[str] | None = None,
) -> etree._Element:
    """The root element of `data`, parsed safely.

    `allowed_roots` holds Clark names (`{namespace}LocalName`); another root is refused with
    `unexpected_root` as soon as its start tag is read.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("parse_untrusted takes the raw bytes of the document")
    _check_size(len(data), max_bytes)
    if not data.strip():
        raise XmlInputError("invalid_xml", "the document is empty")
    parser = _parser()
    try:
        _feed_checked(parser, memoryview(data), allowed_roots)
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        raise XmlInputError("invalid_xml", f"the document is not acceptable XML: {_reason(exc)}") from None
    _refuse_doctype(root)
    return root


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise XmlInputError("payload_too_large", f"the document is larger than {max_bytes} bytes")


def _parser() -> etree.XMLPullParser:
    return etree.XMLPullParser(events=("start",), collect_ids=False, **HARDENED)


def parser() -> etree.XMLParser:
    """A tree parser with the hardened settings (`etree.fromstring(document, parser())`)."""
    return etree.XMLParser(**HARDENED)


def iterparse(source: BinaryIO, **options) -> etree.iterparse:
    """`etree.iterparse` over `source` with the hardened settings; `options` add events, tags and the like."""
    return etree.iterparse(source, **HARDENED, **options)


def _feed_checked(parser: etree.XMLPullParser, data: memoryview, allowed_roots: Collection[str] | None) -> None:
    """Feed in chunks and inspect the root's start tag the moment it arrives."""
    root_seen = False
    for offset in range(0, len(data), _CHUNK):
        parser.feed(bytes(data[offset : offset + _CHUNK]))
        for _event, element in parser.read_events():
            if not root_seen:
                root_seen = True
                _refuse_doctype(element)
                _check_root(element, allowed_roots)
            # Only the root's start matters; drop the rest so events do not pile up.


def _refuse_doctype(element: etree._Element) -> None:
    docinfo = element.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        raise XmlInputError(
            "invalid_xml", "DOCTYPE declarations are not allowed (no DTDs or entities in submitted XML)"
        )


def _check_root(element: etree._Element, allowed_roots: Collection[str] | None) -> None:
    if allowed_roots is not None and element.tag not in allowed_roots:
        qname = etree.QName(element)
        where = f" in namespace {qname.namespace}" if qname.namespace else " without a namespace"
        raise XmlInputError("unexpected_root", f"unexpected root element {qname.localname}{where}")


def _reason(exc: etree.XMLSyntaxError) -> str:
    """libxml2's message, which names the line and column but never echoes file contents."""
    msg = str(exc.msg or exc).strip()
    return msg[:200]
