"""Invariants of `match()` over random open items: allocation limits, direction, party, determinism."""

import random
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.money import Money
from ledger.reconciliation import SETTLES, match
from tests.unit.reconciliation.factories import invoice, transfer

PARTIES = ["AL", "RW", None]
#: Few distinct amounts so that collisions, sums and near misses happen often.
AMOUNTS = ["100.00", "250.00", "350.00", "600.00", "598.50", "1000.00", "999.99", "20.00"]
NUMBERS = ["AL-2026-01", "AL-2026-10", "RW-7", "RW-8", "INV-0042", "INV-0024"]


@st.composite
def open_items(draw):
    invoices = []
    for i in range(draw(st.integers(0, 8))):
        invoices.append(invoice(
            f"I{i}",
            draw(st.sampled_from(AMOUNTS)),
            party=draw(st.sampled_from(["AL", "RW"])),
            number=draw(st.sampled_from(NUMBERS)) + f"/{i}" * draw(st.booleans()),
            direction=draw(st.sampled_from(["payable", "receivable"])),
            due_on=date(2026, 5, 1) + timedelta(days=draw(st.integers(-60, 60))),
            tolerance_abs=draw(st.sampled_from(["0.00", "2.00", "25.00"])),
            tolerance_pct=draw(st.sampled_from(["0", "0.5", "5"])),
        ))
    transfers = []
    for j in range(draw(st.integers(0, 8))):
        fx = draw(st.booleans()) and draw(st.booleans())
        amount = draw(st.sampled_from(AMOUNTS))
        transfers.append(transfer(
            f"T{j}",
            str((Decimal(amount) * Decimal("1.17")).quantize(Decimal("0.01"))) if fx else amount,
            currency="EUR" if fx else "GBP",
            instructed=(amount, "GBP") if fx else None,
            fx_rate="1.17" if fx else None,
            party=draw(st.sampled_from(PARTIES)),
            direction=draw(st.sampled_from(["debit", "credit"])),
            booked_on=date(2026, 5, 1) + timedelta(days=draw(st.integers(-90, 90))),
            text=" ".join(draw(st.lists(st.sampled_from(NUMBERS + ["AL-2026-O1", "thanks"]), max_size=3))),
        ))
    rejected = frozenset(
        (t.id, inv.id) for t in transfers for inv in invoices if draw(st.integers(0, 9)) == 0
    )
    return invoices, transfers, rejected


def _value(t, currency):
    if t.amount.currency == currency:
        return t.amount.amount
    return t.instructed_amount.amount + Decimal("0.01")  # converting may round up by a cent at most


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(open_items())
def test_nothing_is_over_allocated_and_every_allocation_is_allowed(items):
    invoices, transfers, rejected = items
    proposals = match(invoices, transfers, rejected)
    by_invoice = {inv.id: inv for inv in invoices}
    by_transfer = {t.id: t for t in transfers}
    per_invoice = defaultdict(Decimal)
    assert len({p.transfer_id for p in proposals}) == len(proposals)  # one proposal per transfer
    for p in proposals:
        t = by_transfer[p.transfer_id]
        assert p.allocations and 0 <= p.confidence <= 1
        currency = p.residual.currency
        assert sum(a.amount.amount for a in p.allocations) <= _value(t, currency)
        for a in p.allocations:
            inv = by_invoice[a.invoice_id]
            assert a.amount.amount > 0 and a.amount.currency == inv.currency
            assert (t.id, inv.id) not in rejected
            assert SETTLES[t.direction] == inv.direction  # a refund never settles a payable
            assert t.counterparty_party in (None, inv.party)  # never across parties
            per_invoice[inv.id] += a.amount.amount
        if p.status == "auto":
            assert t.counterparty_party is not None
        assert p.residual_account in (None, "bank_charges", "fx_difference")
    for invoice_id, allocated in per_invoice.items():
        assert allocated <= by_invoice[invoice_id].open_amount.amount


@settings(max_examples=100, deadline=None)
@given(open_items(), st.randoms(use_true_random=False))
def test_shuffled_input_gives_the_same_matches(items, rnd: random.Random):
    invoices, transfers, rejected = items
    expected = match(invoices, transfers, rejected)
    shuffled_invoices, shuffled_transfers = list(invoices), list(transfers)
    rnd.shuffle(shuffled_invoices)
    rnd.shuffle(shuffled_transfers)
    assert match(shuffled_invoices, shuffled_transfers, rejected) == expected


@settings(max_examples=60, deadline=None)
@given(open_items())
def test_a_second_run_over_what_is_left_open_auto_matches_nothing_already_settled(items):
    """Incremental: feeding back only the unmatched transfers and the still-open remainders never
    re-uses an allocated transfer (its id is gone) and never exceeds the remainders."""
    invoices, transfers, rejected = items
    first = match(invoices, transfers, rejected)
    matched = {p.transfer_id for p in first}
    remaining = {inv.id: inv.open_amount.amount for inv in invoices}
    for p in first:
        for a in p.allocations:
            remaining[a.invoice_id] = Decimal(0) if p.residual_account else remaining[a.invoice_id] - a.amount.amount
    left = [inv for inv in invoices if remaining[inv.id] > 0]
    left = [replace(inv, open_amount=Money(remaining[inv.id], inv.currency)) for inv in left]
    second = match(left, [t for t in transfers if t.id not in matched], rejected)
    for p in second:
        assert p.transfer_id not in matched
        for a in p.allocations:
            assert a.amount.amount <= remaining[a.invoice_id]
