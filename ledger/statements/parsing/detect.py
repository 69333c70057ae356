"""Telling the statement formats apart from the first bytes of the content (never from the file name)."""

from __future__ import annotations

import re

from .csv_format import looks_like_csv
from .errors import StatementFormatError

#: How much of a file `detect_format` needs: enough for an XML prolog, comments and the root element.
HEAD_SIZE = 64 * 1024

_CAMT = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:(camt\.05[234])\.001\.\d{2}")
_MT940_TAG = re.compile(rb"(?m)^(:20:|:25:|:60[FM]:|:61:)")
_MT940_ENTRY = re.compile(rb"(?m)^:61:\d{6}")
_SWIFT_BLOCK = re.compile(rb"^\{1:F\d\d[A-Z0-9]+\}")

FORMATS = ("camt.052", "camt.053", "camt.054", "mt940", "csv")


def detect_format(head: bytes) -> str:
    """One of `FORMATS` for the start of a file (pass at least `HEAD_SIZE` bytes, or the whole file).

    Raises `StatementFormatError` (code `unknown_format`) for anything else, including other XML.
    """
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not text:
        raise StatementFormatError("the file is empty", location="line 1")
    if text.startswith(b"<"):
        match = _CAMT.search(text)
        if match:
            return match.group(1).decode("ascii")
        raise StatementFormatError("the XML document is not an ISO 20022 camt.052, camt.053 or camt.054 message")
    # Two statement tags, or one entry line (a short export of bare :61:/:86: pairs) make it MT940.
    if _SWIFT_BLOCK.match(text) or len(_MT940_TAG.findall(text)) >= 2 or _MT940_ENTRY.search(text):
        return "mt940"
    first_line = text.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        if looks_like_csv(first_line.decode("utf-8")):
            return "csv"
    except UnicodeDecodeError:
        pass
    raise StatementFormatError("the file is not a camt.052/053/054, MT940 or CSV statement")
