"""The engine in a process of its own (`parallel.Matching`): the same proposals, and every failure reported."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.reconcile_gen import generate
from ledger.reconciliation import engine, match, parallel, summarise
from ledger.reconciliation.types import ReconciliationError

_ROOT = Path(__file__).resolve().parents[3]


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
    with pytest.raises(ReconciliationError) as raised, \
            parallel.Matching(generated.invoices, twice, set(), None, prepare=list, fork_from=0) as matching:
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
    with pytest.raises(KeyError), parallel.Matching(generated.invoices, generated.transfers, set(), None,
                                                    prepare=list, fork_from=0) as matching:
        child = matching._child
        matching.results(on_batch=lambda batch: {}["posting failed"])
    assert not child.is_alive()


def test_the_child_gives_way_to_the_posting_when_both_want_a_core():
    forked, batches, _ = _run(generate(50, 10), prepare=lambda batch: [os.nice(0)])
    assert forked and batches[0] == [min(19, os.nice(0) + parallel.CHILD_NICENESS)]


def test_the_child_holds_none_of_the_parents_sockets():
    """A database connection the child kept open would keep a killed worker's transaction open with it."""
    import socket
    import stat

    ours, theirs = socket.socketpair()
    try:
        forked, batches, _ = _run(generate(50, 12), prepare=lambda batch: [stat.S_ISSOCK(os.fstat(ours.fileno())
                                                                                        .st_mode)])
        assert forked and batches[0] == [False]
        ours.sendall(b"still ours")  # the parent's own socket is untouched
        assert theirs.recv(16) == b"still ours"
    finally:
        ours.close()
        theirs.close()


_KILLED_MIDRUN = """
import os, sys, time
from bench.reconcile_gen import generate
from ledger.reconciliation import parallel

def report_and_wait(batch):
    with open(sys.argv[1], "w") as out:
        out.write(str(os.getpid()))
    time.sleep(120)

generated = generate(50, 11)
with parallel.Matching(generated.invoices, generated.transfers, set(), None, prepare=report_and_wait,
                       fork_from=0) as matching:
    matching.results(on_batch=list)
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended, whoever reaps it
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_child_whose_parent_is_killed_ends_too(tmp_path):
    reported = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", _KILLED_MIDRUN, str(reported)], cwd=_ROOT)
    child = None
    try:
        deadline = time.monotonic() + 60
        while not (reported.exists() and reported.read_text()) and time.monotonic() < deadline:
            assert parent.poll() is None, "the run ended before its child reported"
            time.sleep(0.05)
        child = int(reported.read_text())
        assert _running(child)
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(child)
    finally:
        parent.kill()
        if child is not None and _running(child):  # the failing case: leave no orphan behind
            os.kill(child, signal.SIGKILL)
