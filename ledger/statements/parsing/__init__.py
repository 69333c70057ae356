"""Bank statement parsing: camt.052/.053/.054 (all versions from .001.02), MT940 and CSV.

Pure code over bytes: no database, no HTTP. Typical use by an importer::

    for item in parse(stream):
        if isinstance(item, ParsedStatement):   # header: account, balances, ids
            ...
        elif isinstance(item, ParsedTransfer):  # one movement; dedup on item.fingerprint
            ...
        else:                                   # StatementEnd: totals and balance_check
            ...

Items arrive in that order per statement and nothing is accumulated, so a file of a million entries
can be imported in chunks with bounded memory. `BalanceTracker` is the same check, for callers that
assemble statements themselves.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

from .camt import parse_camt
from .csv_format import KNOWN_COLUMNS, REQUIRED_COLUMNS, parse_csv
from .detect import FORMATS, HEAD_SIZE, detect_format
from .errors import StatementFormatError, StatementParseError
from .model import (
    BalanceCheck,
    BalanceTracker,
    Direction,
    ParsedStatement,
    ParsedTransfer,
    StatementEnd,
    fingerprint,
)
from .mt940_format import parse_mt940

ParsedItem = ParsedStatement | ParsedTransfer | StatementEnd

__all__ = [
    "FORMATS",
    "HEAD_SIZE",
    "KNOWN_COLUMNS",
    "REQUIRED_COLUMNS",
    "BalanceCheck",
    "BalanceTracker",
    "Direction",
    "ParsedItem",
    "ParsedStatement",
    "ParsedTransfer",
    "StatementEnd",
    "StatementFormatError",
    "StatementParseError",
    "detect_format",
    "fingerprint",
    "parse",
]


def parse(stream: BinaryIO, *, default_currency: str | None = None) -> Iterator[ParsedItem]:
    """Detect the format of `stream` (a binary file object) and yield its statements' items.

    `default_currency` is used only for MT940 files that carry no currency at all (no balance lines).
    Raises `StatementParseError` (or its subclass `StatementFormatError`) with a code and location; since
    this is a generator, errors in later entries surface while iterating, after earlier items.
    """
    head = stream.read(HEAD_SIZE)
    buffered = io.BufferedReader(_Prefixed(head, stream))
    kind = detect_format(head)
    if kind.startswith("camt"):
        yield from parse_camt(buffered)
    elif kind == "mt940":
        yield from parse_mt940(buffered, default_currency=default_currency)
    else:
        yield from parse_csv(buffered)


class _Prefixed(io.RawIOBase):
    """The bytes already read for detection, then the rest of the stream: so that a stream need not be
    seekable (an upload) and the head is not read twice."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
