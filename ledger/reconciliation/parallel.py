"""The matching engine in a process of its own, while this one stores and posts what it has found so far.

A run is two halves of CPU-bound Python: the engine finding matches, and turning them into checked, hashed rows for
the database. As threads of one process they take turns on one interpreter lock, and a 100k run spent as long
waiting for it as working. Forked, the engine has a core to itself: every `engine.EMIT_EVERY` proposals it turns
them into what this process stores (the caller's `prepare`, which must be pure), sends them through a pipe, and
goes on while this process posts them. At the end it sends the run's summary.

The engine is the same `engine.match`, so the proposals are the same, in the same order. Forking is only worth it
for a large run and needs `fork` (POSIX); otherwise the engine runs here, as before. The child never touches the
database (its copies of the parent's sockets point at /dev/null), logs nothing and imports nothing: it reads only
the inputs it was forked with, and its only locks are the ones it makes. That is what makes the fork safe beside
other threads of this process (a rate limiter's timer, a threaded server's workers): a fork copies the calling
thread alone, and a lock another thread held stays held in the child, but this child never asks for one. The fork
happens before the run starts its own writer thread.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import signal
import stat
import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from queue import SimpleQueue
from typing import Generic, TypeVar

from ledger.reconciliation.engine import match
from ledger.reconciliation.summary import RunSummary, summarise
from ledger.reconciliation.types import InvoiceId, MatchProposal, MatchSettings, OpenInvoice, OpenTransfer, TransferId

#: Below this many transfers a run matches in a second or less: the fork and the pipe would cost more than they save.
FORK_FROM = 5_000

#: The child runs ahead of the posting, which (with the database's own work) decides when a run ends: when both
#: want the last core, the child gives way (10 of 19 steps down; a run's child on a busy web host also yields to
#: the requests being served).
CHILD_NICENESS = 10

T = TypeVar("T")

#: Linux's prctl(2), looked up here, not in the child: a lookup takes the dynamic loader's lock, which another thread
#: may have held at the fork.
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


class Matching(Generic[T]):
    """One run's matching, started at once: in a forked process when that pays (see the module), else here.

    `prepare` turns each batch of proposals into what the caller needs (plans, say); it runs where the engine runs,
    with what it was given when the matching started, and its results must pickle. Start it before the run's own
    `BackgroundWrites` (whose thread uses the database connection the child inherits) and use it as a context
    manager, so that a child is stopped however the run ends; `results()` hands over the prepared batches."""

    def __init__(self, invoices: list[OpenInvoice], transfers: list[OpenTransfer],
                 rejected: set[tuple[TransferId, InvoiceId]] | frozenset, settings: MatchSettings | None,
                 prepare: Callable[[list[MatchProposal]], list[T]], fork_from: int | None = None, *,
                 held: list[OpenInvoice] | tuple = (), duplicates: dict[TransferId, InvoiceId] | None = None) -> None:
        self._inputs = (invoices, transfers, rejected, settings)
        self._history = {"held": held, "duplicates": duplicates}  # `match`'s keyword inputs
        self._prepare = prepare
        self._child: multiprocessing.process.BaseProcess | None = None
        self._done = False  # the child sent everything and is exiting
        if len(transfers) >= (FORK_FROM if fork_from is None else fork_from) and _can_fork():
            context = multiprocessing.get_context("fork")
            self._receiving, sending = context.Pipe(duplex=False)
            self._child = context.Process(target=_match_and_send, args=(os.getpid(), sending, *self._inputs, prepare,
                                                                         self._history),
                                          name="ledger-matching", daemon=True)
            with warnings.catch_warnings():  # Python ≥ 3.12 warns of any fork beside threads: see the module
                warnings.simplefilter("ignore", DeprecationWarning)
                self._child.start()  # the child has the inputs as they are now: forked, nothing is copied or pickled
            sending.close()  # the child's copy is the only one left: its end (or death) is the pipe's end

    @property
    def forked(self) -> bool:
        return self._child is not None

    def results(self, on_batch: Callable[[list[T]], None]) -> RunSummary:
        """Hand each prepared batch to `on_batch` as it comes; returns the summary of all the proposals."""
        if self._child is None:
            invoices, transfers, _, _ = self._inputs
            proposals = match(*self._inputs, on_proposals=lambda batch: on_batch(self._prepare(batch)),
                              **self._history)
            return summarise(invoices, transfers, proposals)
        while True:
            try:
                kind, payload = pickle.loads(self._receiving.recv_bytes())
            except EOFError:
                self._child.join()
                raise RuntimeError(f"the matching process ended without an answer (exit code "
                                   f"{self._child.exitcode})") from None
            if kind == "error":
                raise payload
            if kind == "done":
                self._done = True
                return payload
            on_batch(payload)

    def __enter__(self) -> Matching[T]:
        return self

    def __exit__(self, *_exc) -> None:
        if self._child is not None:
            if not self._done:  # this side failed first: nobody will read the rest
                self._child.kill()
            self._child.join()
            self._receiving.close()
            self._child = None


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


# ---- the child ---------------------------------------------------------------------------------------

def _match_and_send(parent: int, sending, invoices, transfers, rejected, settings, prepare, history) -> None:
    """Match, sending each prepared batch as it comes, then the summary. A thread does the sending, so the engine
    never waits for the parent to read (a pipe holds 64 KiB; a batch of 10,000 plans is 6–7 MB)."""
    _end_with(parent)
    _let_go_of_sockets()
    os.nice(CHILD_NICENESS)
    outbox: SimpleQueue[bytes | None] = SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(sending, outbox), daemon=True)
    sender.start()
    try:
        proposals = match(invoices, transfers, rejected, settings,
                          on_proposals=lambda batch: outbox.put(_pickled("batch", prepare(batch))), **history)
        outbox.put(_pickled("done", summarise(invoices, transfers, proposals)))
    except BaseException as error:  # handed to the parent, which raises it
        outbox.put(_pickled("error", _portable(error)))
    finally:
        outbox.put(None)
        sender.join()
        sending.close()


def _end_with(parent: int) -> None:
    """Die with the parent (Linux): a worker killed mid-run (a server's timeout, say) would otherwise leave its child
    matching for nobody (`bench.faults` kill-run). Elsewhere the closed pipe ends the child at its next batch. The
    signal comes when the thread that forked ends; that thread reads the results, so it outlives the matching."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # it died before the line above
            os._exit(1)


def _let_go_of_sockets() -> None:
    """Point the child's copies of the parent's sockets (database connections, the server's listener) at
    /dev/null. The child uses none of them, but while it held them, a server would keep a killed worker's
    connection, and its transaction, open as long as the child lived. The pipe to the parent is not a socket."""
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in _open_descriptors():
            try:
                if fd != null and stat.S_ISSOCK(os.fstat(fd).st_mode):
                    os.dup2(null, fd)
            except OSError:  # closed since it was listed (the listing's own descriptor, say)
                pass
    finally:
        os.close(null)


def _open_descriptors() -> list[int]:
    for listing in ("/proc/self/fd", "/dev/fd"):
        try:
            return [int(name) for name in os.listdir(listing)]
        except OSError:
            continue
    return list(range(3, min(os.sysconf("SC_OPEN_MAX"), 4096)))


def _send_all(sending, outbox: SimpleQueue) -> None:
    while (message := outbox.get()) is not None:
        sending.send_bytes(message)


def _pickled(kind: str, payload: object) -> bytes:
    return pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)


def _portable(error: BaseException) -> BaseException:
    """`error` if it survives pickling (with the child's traceback as a note), else a RuntimeError saying what it
    was."""
    error.add_note("in the matching process:\n" + "".join(traceback.format_exception(error)))
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:
        return RuntimeError(f"the matching process failed: {error!r}\n" + "".join(error.__notes__))
