from __future__ import annotations

import io
import os
from pathlib import Path

from ledger.statements.parsing import ParsedStatement, ParsedTransfer, StatementEnd, parse

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "statements"
SAMPLES = Path(os.environ.get("LEDGER_SAMPLES_DIR") or REPO / ".." / "shared" / "samples")


def parse_bytes(data: bytes, **kwargs) -> list:
    return list(parse(io.BytesIO(data), **kwargs))


def parse_file(path: Path, **kwargs) -> list:
    with open(path, "rb") as stream:
        return list(parse(stream, **kwargs))


def transfers(items: list) -> list[ParsedTransfer]:
    return [i for i in items if isinstance(i, ParsedTransfer)]


def ends(items: list) -> list[StatementEnd]:
    return [i for i in items if isinstance(i, StatementEnd)]


def headers(items: list) -> list[ParsedStatement]:
    return [i for i in items if isinstance(i, ParsedStatement)]
