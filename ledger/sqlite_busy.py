"""SQLite: whether a long writer is at work, told through a lock on a file beside the database.

A long writer (a CLI command, an API long writer, an officers' page: any transaction that would wait
`ledger.db.LONG_LOCK_WAIT_MS` for SQLite's one write lock) holds the marker while it holds or awaits that lock; an
API write that finds it held waits BUSY_BOOKS_LOCK_WAIT_MS for the lock instead of `ledger.db.SHORT_LOCK_WAIT_MS`,
and none at all (HELD_LOCK_WAIT_MS) once a long writer proper (not an officer's ordinary page write, which holds
the lock for moments: `ledger.db.LockRole`) has the lock, which a second file beside the database says
(`ledger.db` chooses the wait; this module only tells whether a long writer is at work and whether it holds the
lock). Each connection's sidecar files and the locks it holds on them are kept in its pool record's `info`.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time

from sqlalchemy import URL

#: An API write's wait while a long writer holds or awaits the write lock (see `long_writer_at_work`): enough to slip
#: in between two of its transactions, too short to keep a worker (and the reads queued for it) waiting for a lock
#: held for tens of seconds.
BUSY_BOOKS_LOCK_WAIT_MS = 50
#: An API write's wait while a long writer holds the write lock itself (see `long_writer_holds_lock`): none, since
#: the lock is the long writer's until it commits, seconds or minutes later; every millisecond waited is a worker,
#: and the requests queued for it, held for nothing.
HELD_LOCK_WAIT_MS = 0
#: The SQLite database's sidecar that says a long writer holds or awaits the write lock (see `long_writer_at_work`).
LONG_WRITER_MARKER_SUFFIX = "-long-writer.lock"
#: The sidecar that says a long writer holds the write lock (see `long_writer_holds_lock`).
LONG_WRITER_HOLDS_SUFFIX = "-long-writer-holds.lock"


def long_writer_marker(url: URL) -> str | None:
    """The path of the SQLite database's long-writer marker; None for an in-memory database or a URI filename (no
    plain path to put it beside), where API writes wait SHORT_LOCK_WAIT_MS as they always did."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:") or url.query.get("uri"):
        return None
    return database + LONG_WRITER_MARKER_SUFFIX


def long_writer_at_work(info: dict, marker: str | None) -> bool:
    """Whether a long writer holds or awaits SQLite's write lock now, in any process.

    Each holds the marker file shared (`flock`) from just before its BEGIN IMMEDIATE until its connection returns
    to the pool, so several queued ones hold it at once; a crashed one holds nothing (the lock dies with its
    process). An API write tries it exclusive without blocking and lets go at once (two system calls, ~1 µs of
    CPU): refused means a long writer is at work, and a wait of SHORT_LOCK_WAIT_MS for its lock would most likely
    end in 503 `books_busy` anyway, after holding a worker for that second. Two API writes probing at the same
    instant may take each other for one; the loser then waits BUSY_BOOKS_LOCK_WAIT_MS, long enough for an
    ordinary write to finish."""
    # a file system without locks (ENOLCK) says no: the write waits SHORT_LOCK_WAIT_MS, as without a marker
    return _refused(_marker_file(info, marker), fcntl.LOCK_EX)


def long_writer_holds_lock(info: dict, marker: str | None) -> bool:
    """Whether a long writer holds SQLite's write lock now, not just awaits it (see `hold_write_lock`): an API write
    then cannot get in until it commits, so need not wait at all. Probed shared, so API writes never take each other
    for one."""
    return _refused(_holder_file(info, marker), fcntl.LOCK_SH)


def _refused(handle, kind: int) -> bool:
    """Whether a lock of `kind` on `handle` is refused now (taken and let go at once if not)."""
    if handle is None:
        return False
    try:
        fcntl.flock(handle, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def hold_marker(info: dict, marker: str | None) -> None:
    """A long writer's connection says it is at work, just before its BEGIN IMMEDIATE (until `release_marker`)."""
    handle = _marker_file(info, marker)
    if handle is None or info.get("ledger_marker_held"):
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_SH)  # waits only for an API write's probe, microseconds
    except OSError:
        return  # a file system without locks: API writes then wait SHORT_LOCK_WAIT_MS, as without a marker
    info["ledger_marker_held"] = True


def hold_write_lock(info: dict, marker: str | None) -> None:
    """A long writer's BEGIN IMMEDIATE succeeded: SQLite's write lock is its until it commits. Say so (until
    `release_marker`). Exclusive, as the lock itself is; refused (a file system without locks), API writes wait
    BUSY_BOOKS_LOCK_WAIT_MS as before."""
    handle = _holder_file(info, marker)
    if handle is None or info.get("ledger_holding"):
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return
    info["ledger_holding"] = True


def release_marker(info: dict, dbapi_connection) -> None:
    """The connection is back in the pool: its transaction has ended, so it holds no lock (API writes may try
    again at once) and is no longer at work, once it has copied what it left in the write-ahead log into the
    database (`checkpoint_leftovers`, which lets writers commit meanwhile)."""
    holder = info.get("ledger_holder_file")
    if info.pop("ledger_holding", False) and holder is not None:
        fcntl.flock(holder, fcntl.LOCK_UN)
    handle = info.get("ledger_marker_file")
    if info.pop("ledger_marker_held", False) and handle is not None:
        checkpoint_leftovers(dbapi_connection)
        fcntl.flock(handle, fcntl.LOCK_UN)


#: A write-ahead log longer than this (in frames: pages of 4 KiB) after a long writer's transaction is copied into
#: the database by that writer (about 40 MB).
CHECKPOINT_AFTER_FRAMES = 10_000
#: How long it waits for the readers whose snapshots keep the log from being copied (each reads for milliseconds).
CHECKPOINT_PATIENCE_S = 2.0


def checkpoint_leftovers(dbapi_connection) -> None:
    """Copy a long writer's write-ahead log into the database before it lets go of the marker.

    SQLite copies the log at a commit that finds it long (`wal_autocheckpoint`), without waiting, as far as the
    readers' snapshots allow. A million-entry import's commit finds readers on the old snapshot, so the copy of its
    gigabyte of log fell to the next writer that committed: a partner's write, which then took seconds (13 s seen
    in `bench.load --busy`). The long writer does it instead, on its own time and at its own CPU priority, trying
    again for a moment while readers finish. Never an error: at worst the next commit copies the rest, as before."""
    if dbapi_connection is None:  # invalidated: nothing to do it with
        return
    deadline = time.monotonic() + CHECKPOINT_PATIENCE_S
    try:
        while True:
            _, frames, copied = dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames < CHECKPOINT_AFTER_FRAMES or copied >= frames or time.monotonic() >= deadline:
                return
            time.sleep(0.02)
    except sqlite3.Error:
        return


def close_marker(info: dict) -> None:
    """The connection is closed: its sidecar files go with it (and their locks, if held)."""
    info.pop("ledger_marker_held", None)
    info.pop("ledger_holding", None)
    for key in ("ledger_marker_file", "ledger_holder_file"):
        handle = info.pop(key, None)
        if handle is not None:
            handle.close()  # releases its lock too


def _marker_file(info: dict, marker: str | None):
    """The connection's own open marker file (a lock belongs to the open file: each connection holds or probes
    with its own, also beside others of the same process); None without a marker or if it cannot be opened (a
    read-only directory: behave as without one)."""
    return _sidecar(info, "ledger_marker_file", marker)


def _holder_file(info: dict, marker: str | None):
    """The connection's own open file that says a long writer holds the write lock, beside the marker."""
    holder = None if marker is None else marker.removesuffix(LONG_WRITER_MARKER_SUFFIX) + LONG_WRITER_HOLDS_SUFFIX
    return _sidecar(info, "ledger_holder_file", holder)


def _sidecar(info: dict, key: str, path: str | None):
    if path is None:
        return None
    if key not in info:
        try:
            info[key] = _MarkerFile(path)
        except OSError:
            info[key] = None
    return info[key]


class _MarkerFile:
    """A connection's open marker file: closed (its lock let go) with the connection, or quietly when dropped with
    a connection nobody closed, as the SQLite connection itself is."""

    fd = -1  # until opened: nothing to close if opening fails

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    __del__ = close
