"""Bounded memory on a large generated statement (no timing assertions)."""

from __future__ import annotations

import sys
import tracemalloc
from decimal import Decimal

from bench.statements_gen import write_statement
from ledger.money import Money
from ledger.statements.parsing import ParsedTransfer, StatementEnd, parse


def test_twenty_thousand_entries_parse_in_bounded_memory(tmp_path):
    path = tmp_path / "big.xml"
    closing = write_statement(path, 20_000, seed=3)
    count, end, sample = 0, None, None
    tracemalloc.start()
    try:
        with open(path, "rb") as stream:
            for item in parse(stream):
                if isinstance(item, ParsedTransfer):
                    count += 1
                    sample = item
                elif isinstance(item, StatementEnd):
                    end = item
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 24_000  # every tenth entry is a batch of three details
    assert end is not None and end.balance_check == "ok"
    assert end.statement.closing_balance == Money(closing, "EUR")
    # Holding the transfers would take at least their count times one transfer's own size; the parse
    # stays far below that (and below 8 MB, whatever the entry count).
    held = count * sys.getsizeof(sample)
    assert peak < 8 * 1024 * 1024
    assert peak < held
    assert path.stat().st_size > 10 * peak / 8


def test_generator_balances_add_up(tmp_path):
    closing = write_statement(tmp_path / "s.xml", 50, seed=1)
    with open(tmp_path / "s.xml", "rb") as stream:
        items = list(parse(stream))
    (end,) = [i for i in items if isinstance(i, StatementEnd)]
    assert end.statement.opening_balance + end.credits - end.debits == Money(closing, "EUR")
    assert end.balance_check == "ok" and isinstance(closing, Decimal)
    refs = [t for t in items if isinstance(t, ParsedTransfer) and t.structured_reference_scheme == "RF"]
    assert refs
