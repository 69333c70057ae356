"""Reconciliation's pure rules as other features and the pages may use them (the door to its rules): how a match
reads to an officer (`explain.py`) and what a role may write off alone, to which accounts (`writeoffs.py`). Both
work over plain values: no Flask, no ORM."""

from __future__ import annotations

from ledger.reconciliation.explain import direction, reason
from ledger.reconciliation.writeoffs import ACCOUNTS as WRITE_OFF_ACCOUNTS
from ledger.reconciliation.writeoffs import limit_for as write_off_limit

__all__ = ["WRITE_OFF_ACCOUNTS", "direction", "reason", "write_off_limit"]
