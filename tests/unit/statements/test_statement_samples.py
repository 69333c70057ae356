"""Every shared real-world sample parses; the balance check is `ok` wherever the sample's balances agree.

Some samples are library test data whose balances do not add up; for those the check must say `mismatch`
(the arithmetic is in the comment), which is the check doing its job rather than a parsing fault.
"""

from __future__ import annotations

import pytest

from ledger.statements.parsing import StatementParseError, detect_format

from .helpers import SAMPLES, ends, parse_file, transfers

pytestmark = pytest.mark.samples

CAMT_EXPECTED = {
    # OPBD 1.01 + 8.85 credit != CLBD 4.04
    "genkgo-camt053.v2.all-balance-types.xml": ["mismatch"],
    # OPBD 18.150 + 8.850 = 27.00 != CLBD 27.050
    "genkgo-camt053.v2.five.decimals.xml": ["mismatch"],
    # CLBD is given in SEK (and as a debit) on a EUR account
    "genkgo-camt053.v2.minimal.xml": ["mismatch"],
    "genkgo-camt053.v2.with-party-ids.xml": ["mismatch"],
    "genkgo-camt053.v4.xml": ["mismatch"],
    "genkgo-camt053.v2.multi.statement.xml": ["ok", "ok"],
    "genkgo-camt054.v2.xml": ["unavailable"],
    # 15568.27 - 754.25 - 664.05 + 1405.31 = 15555.28 != CLBD 15121.12
    "oca-test-camt053.xml": ["mismatch"],
}

MT940_MISMATCHES = {
    "jejik_abnamro.sta": 2,  # 3236.28 - 321.44 != 876.84; 2876.84 - 24.49 != 1849.75
    "jejik_ing.sta": 1,  # 0.00 + 4.68 - 50.27 != 3.47
    "jejik_knab.sta": 1,  # 3058.98 + 500.00 - 7260.00 != 798.98
    "jejik_postfinance.sta": 1,  # 229.20 + 10.10 - 79.90 = 159.40 != 159.60
    "jejik_rabobank.sta": 2,  # 473.17 - 1213.28 != 395.82; 1295.82 - 281.51 != 1250.87
    "jejik_triodos.sta": 1,  # 4975.09 - 715.70 != 4370.79
    "self-provided_raiffeisen-cmi.sta": 1,  # 25170637.10 + 2066637.00 - 3078850.50 != 25281687.60
}


def sample_files(folder: str, *patterns: str) -> list:
    directory = SAMPLES / folder
    if not directory.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"shared samples absent at {directory}"))]
    return sorted(p for pattern in patterns for p in directory.glob(pattern))


@pytest.mark.parametrize("path", sample_files("camt", "*.xml"), ids=lambda p: getattr(p, "name", "absent"))
def test_camt_sample(path):
    assert detect_format(path.read_bytes()).startswith("camt.05")
    items = parse_file(path)
    assert [e.balance_check for e in ends(items)] == CAMT_EXPECTED[path.name]
    assert transfers(items) and all(t.amount.amount >= 0 for t in transfers(items))
    assert len({t.fingerprint for t in transfers(items)}) == len(transfers(items))


def test_camt_sample_batch_entry_is_split(samples):
    items = parse_file(samples / "camt" / "oca-test-camt053.xml")
    batch = [t for t in transfers(items) if t.entry_index == 2]
    assert [str(t.amount) for t in batch] == ["564.05", "100.00"]
    assert all(t.reversal for t in batch)


@pytest.mark.parametrize("path", sample_files("mt940", "*.sta", "*.txt"), ids=lambda p: getattr(p, "name", "absent"))
def test_mt940_sample(path):
    assert detect_format(path.read_bytes()) == "mt940"
    if path.name == "cmxl_mt940.sta":
        # Deutsche Mark balances: not a currency money can be booked in any more, refused with its place.
        with pytest.raises(StatementParseError) as caught:
            parse_file(path)
        assert caught.value.code == "invalid_currency" and caught.value.location.startswith("statement 1")
        return
    items = parse_file(path, default_currency="EUR" if path.name.startswith("self-provided_sparkassen") else None)
    checks = [e.balance_check for e in ends(items)]
    assert checks.count("mismatch") == MT940_MISMATCHES.get(path.name, 0)
    if path.name.startswith("self-provided_sparkassen"):
        assert checks == ["unavailable"]
    else:
        assert set(checks) <= {"ok", "mismatch"}  # every other sample carries balances
    assert transfers(items)
