"""The one clock: LEDGER_CLOCK_OFFSET_DAYS moves it, tests freeze it, and nothing else reads the system's date."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledger import timeutil
from tests.conftest import TEST_NOW

ROOT = Path(__file__).resolve().parents[2]
_SYSTEM_CLOCK = re.compile(r"date\.today\(\)|datetime\.(now|utcnow|today)\(")


def test_the_tests_clock_starts_at_the_frozen_instant_plus_the_asked_offset():
    now = timeutil.utcnow()
    expected = TEST_NOW + timedelta(days=timeutil.offset_days())
    assert expected <= now < expected + timedelta(hours=6)  # it ticks on from there at the system's pace
    assert timeutil.today() == expected.date()


def test_the_offset_moves_today_by_whole_days(monkeypatch):
    before = timeutil.today()
    monkeypatch.setenv(timeutil.OFFSET_VARIABLE, str(timeutil.offset_days() + 400))
    assert timeutil.today() == before + timedelta(days=400)


def test_a_malformed_offset_is_an_error_not_zero(monkeypatch):
    monkeypatch.setenv(timeutil.OFFSET_VARIABLE, "a year")
    with pytest.raises(ValueError, match="LEDGER_CLOCK_OFFSET_DAYS"):
        timeutil.today()


def test_a_stopped_clock_stands_still_and_unfreeze_returns_to_the_system(monkeypatch):
    monkeypatch.setattr(timeutil, "_source", timeutil._source)  # restored after the test
    monkeypatch.setenv(timeutil.OFFSET_VARIABLE, "0")
    monkeypatch.delenv(timeutil.SHIFT_VARIABLE)
    instant = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    timeutil.freeze(instant, tick=False)
    assert timeutil.utcnow() == instant.replace(microsecond=123000) == timeutil.utcnow()
    timeutil.unfreeze()
    assert abs(timeutil.utcnow() - timeutil._system_now()) < timedelta(seconds=5)
    with pytest.raises(ValueError):
        timeutil.freeze(datetime(2031, 5, 6))


def test_a_child_process_ticks_with_the_tests_clock():
    """gunicorn and the CLI run in other processes: they inherit the shift and the offset."""
    before = timeutil.utcnow()
    result = subprocess.run([sys.executable, "-c", "from ledger.timeutil import utcnow; print(utcnow().isoformat())"],
                            cwd=ROOT, capture_output=True, text=True, check=True, env=os.environ.copy())
    assert before <= datetime.fromisoformat(result.stdout.strip()) <= timeutil.utcnow()


def test_a_malformed_shift_is_an_error(monkeypatch):
    monkeypatch.setenv(timeutil.SHIFT_VARIABLE, "noon")
    with pytest.raises(ValueError, match="LEDGER_CLOCK_SHIFT_SECONDS"):
        timeutil.utcnow()


def test_nothing_but_the_clock_reads_the_systems_date():
    offenders = [f"{path.relative_to(ROOT)}:{number}"
                 for folder in ("ledger", "tests", "bench")
                 for path in sorted((ROOT / folder).rglob("*.py"))
                 if path.name != "timeutil.py" and path != Path(__file__).resolve()
                 for number, line in enumerate(path.read_text().splitlines(), start=1)
                 if _SYSTEM_CLOCK.search(line)]
    assert offenders == []
