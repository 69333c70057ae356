"""Background writes: a transaction's bulk writes sent by a worker thread while the caller goes on computing.

A reconciliation run of 100k transfers spends as long in the database (inserting entries, postings and
matches, updating transfers and invoices) as in its own Python; run one after the other, the two add up.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from ledger.db import connection_of

Write = Callable[[Connection], object]
T = TypeVar("T")


class BackgroundWrites:
    """A transaction's bulk writes, run in the order given on its one connection by a worker thread.

    The database inserts and updates while the caller goes on preparing the next rows: a reconciliation run's
    database time would otherwise add up with its own. The worker spends its time with the GIL released,
    waiting on PostgreSQL's socket or inside SQLite's C code (so a SQLite write must be one statement for a
    whole batch, see `ledger.db.sqlite_values`). Until `wait()` returns the caller must not use the session (one
    connection, one user at a time); `wait()` raises the first write's error, and the transaction is then the
    caller's to roll back, as after any failed statement.

    `max_pending`: at most that many writes (and questions) handed over and not yet done. A caller that would
    hand over one more waits for the oldest to be done, so it stays a few writes ahead of the database and its
    memory stays bounded when the database is the slower of the two; and finding then that a write failed, it
    raises that error at once instead of going on preparing rows nobody will store. None: no bound.
    """

    def __init__(self, session: Session, *, max_pending: int | None = None) -> None:
        self._connection = session.connection()
        self._error: BaseException | None = None
        self._cancelled = False
        self._room = threading.Semaphore(max_pending) if max_pending is not None else None
        self._jobs: queue.SimpleQueue[Write | None] | None = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._work, name="ledger-background-writes", daemon=True)
        _quick_handoffs(True)
        self._worker.start()

    def __call__(self, write: Write) -> None:
        self._send(write)

    def ask(self, read: Callable[[Connection], T]) -> Future[T]:
        """Run `read` in turn like a write; its answer (or error) comes in the future, for when it is needed."""
        answer: Future[T] = Future()
        self._send(_Question(read, answer))
        return answer

    def _send(self, job: Write) -> None:
        if self._room is not None:
            self._room.acquire()  # released by the worker as each job is done (or skipped)
            if self._error is not None:  # an earlier write failed: raise it now (`wait` frees the connection)
                self._room.release()
                self.wait()
        self._jobs.put(job)

    def _work(self) -> None:
        while (write := self._jobs.get()) is not None:
            try:
                self._do(write)
            finally:
                if self._room is not None:
                    self._room.release()

    def _do(self, write: Write) -> None:
        if self._error is not None or self._cancelled:
            if isinstance(write, _Question):  # skipped: nobody may wait for it for ever
                write.answer.set_exception(RuntimeError("an earlier write failed"))
            return
        try:
            write(self._connection)
        except BaseException as error:  # handed to the caller by wait()
            self._error = error

    def wait(self) -> None:
        if self._jobs is not None:
            self._jobs.put(None)
            self._worker.join()
            self._jobs = None
            _quick_handoffs(False)
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def __enter__(self) -> BackgroundWrites:
        return self

    def __exit__(self, kind, _value, _traceback) -> None:
        if kind is not None:  # the caller failed: skip what is queued, free the connection, keep its error
            self._cancelled = True
            self._error = None
        self.wait()


_handoffs_lock = threading.Lock()
_handoffs_users = 0
_handoffs_default = sys.getswitchinterval()


def _quick_handoffs(start: bool) -> None:
    """While a `BackgroundWrites` worker runs, the GIL changes hands every 0.2 ms instead of 5 ms.

    The worker takes the GIL back after each database call (every row a SQLite cursor steps through, every
    buffer psycopg sends); with the caller busy in Python, each such handoff waited the whole switch interval,
    and a batch of a few thousand made the writer sit idle for seconds."""
    global _handoffs_users, _handoffs_default
    with _handoffs_lock:
        if start:
            if _handoffs_users == 0:
                _handoffs_default = sys.getswitchinterval()
                sys.setswitchinterval(min(_handoffs_default, 0.0002))
            _handoffs_users += 1
        else:
            _handoffs_users -= 1
            if _handoffs_users == 0:
                sys.setswitchinterval(_handoffs_default)


class _Question:
    """A read run by `BackgroundWrites` in turn, its answer handed over in a future."""

    def __init__(self, read: Callable[[Connection], object], answer: Future) -> None:
        self.read, self.answer = read, answer

    def __call__(self, connection: Connection) -> None:
        try:
            self.answer.set_result(self.read(connection))
        except BaseException as error:
            self.answer.set_exception(error)
            raise


def write_now(target: Session | Connection) -> Callable[[Write], None]:
    """The synchronous counterpart of `BackgroundWrites`, for callers that write one item at a time."""
    connection = connection_of(target)
    return lambda write: write(connection)
