"""The engine in a process of its own (`parallel.Matching`): the same proposals, and every failure reported."""

import os
import threading

import pytest

from bench.reconcile_gen import generate
from ledger.reconciliation import engine, match, parallel, summarise
from ledger.reconciliation.types import ReconciliationError


def _run(generated, prepare=list, fork_from=0):
    batches = []
    with parallel.Matching(generated.invoices, generated.transfers, set(), None, prepare=prepare,
                           fork_from=fork_from) as matching:
        summary = matching.results(on_batch=batches.append)
        return matching.forked, batches, summary


def test_forked_matching_hands_over_the_same_proposals_in_order_and_the_same_summary(monkeypatch):
    monkeypatch.setattr(engine, "EMIT_EVERY", 50)  # read when the child matches: it is forked with this value
    generated = generate(600, 4)
    whole = match(generated.invoices, generated.transfers)
    forked, batches, summary = _run(generated)
    assert forked
    assert len(batches) > 1 and [p for batch in batches for p in batch] == whole
    assert summary == summarise(generated.invoices, generated.transfers, whole)
    assert summary.per_rule["reference/auto"] > 0


def test_small_runs_match_here():
    generated = generate(100, 5)
    forked, batches, _ = _run(generated, fork_from=10**6)
    assert not forked and [p for batch in batches for p in batch] == match(generated.invoices, generated.transfers)


def test_a_lock_another_thread_holds_at_the_fork_does_not_stop_the_child():
    """A fork copies the lock as held, for ever; the child never asks for one (a rate limiter's timer thread, say)."""
    generated = generate(200, 5)
    held, acquired, release = threading.Lock(), threading.Event(), threading.Event()

    def hold() -> None:
        with held:
            acquired.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    acquired.wait()
    try:
        forked, batches, _ = _run(generated)
    finally:
        release.set()
        holder.join()
    assert forked and [p for batch in batches for p in batch] == match(generated.invoices, generated.transfers)


def test_the_engines_refusal_reaches_the_caller_with_its_code():
    generated = generate(50, 6)
    twice = generated.transfers + generated.transfers[:1]
    with pytest.raises(ReconciliationError) as raised:
        with parallel.Matching(generated.invoices, twice, set(), None, prepare=list, fork_from=0) as matching:
            assert matching.forked
            matching.results(on_batch=lambda batch: None)
    assert raised.value.code == "duplicate_transfer_id"


def _failing_prepare(batch):
    raise ValueError("cannot plan this")


def test_a_failure_while_preparing_in_the_child_is_raised_here_with_the_childs_traceback():
    with pytest.raises(ValueError, match="cannot plan this") as raised:
        _run(generate(50, 7), prepare=_failing_prepare)
    assert any("in the matching process" in note and "_failing_prepare" in note for note in raised.value.__notes__)


def _dying_prepare(batch):
    os._exit(3)


def test_a_child_that_dies_is_an_error_not_a_hang():
    with pytest.raises(RuntimeError, match="exit code 3"):
        _run(generate(50, 8), prepare=_dying_prepare)


def test_when_this_side_fails_the_child_is_stopped(monkeypatch):
    monkeypatch.setattr(engine, "EMIT_EVERY", 5)
    generated = generate(300, 9)
    with pytest.raises(KeyError):
        with parallel.Matching(generated.invoices, generated.transfers, set(), None, prepare=list,
                               fork_from=0) as matching:
            child = matching._child
            matching.results(on_batch=lambda batch: {}["posting failed"])
    assert not child.is_alive()


def test_the_child_gives_way_to_the_posting_when_both_want_a_core():
    forked, batches, _ = _run(generate(50, 10), prepare=lambda batch: [os.nice(0)])
    assert forked and batches[0] == [min(19, os.nice(0) + parallel.CHILD_NICENESS)]
