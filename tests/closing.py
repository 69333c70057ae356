"""A write that arrives while a month is being closed: the close holds the journal's chain head, the write waits for
it in its own thread and connection, then the close commits (PostgreSQL: two writers at once)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.journal import service as journal


def lock_waiters(app) -> int:
    with app.extensions["ledger.db"].engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                 "AND datname = current_database()")).scalar()


def while_closing(app, period: str, job: Callable[[Session], object]) -> dict:
    """Run `job` (then commit) while `period` is being closed, the close committing once `job` waits for a lock.

    Returns {"result": what `job` returned} or {"error": what it raised}."""
    outcome: dict = {}

    def work():
        with app.app_context():
            s = app.extensions["ledger.db"].new_session()
            try:
                outcome["result"] = job(s)
                s.commit()
            except Exception as error:  # noqa: BLE001 - the test reports it
                outcome["error"] = error
                s.rollback()
            s.close()

    with app.app_context():
        closer = app.extensions["ledger.db"].new_session()
        journal.close_period(closer, period)  # holds the journal's chain head until it commits
        worker = threading.Thread(target=work)
        worker.start()
        deadline = time.monotonic() + 60
        while lock_waiters(app) == 0 and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        waited = worker.is_alive()
        closer.commit()  # lets go of the head with the month closed
        closer.close()
        worker.join(60)
    assert waited, outcome  # the write waited for the head the close held
    return outcome
