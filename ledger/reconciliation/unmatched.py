"""One definition of an unmatched transfer, for every page and count that shows one.

The run's message, the reconciliation list, the dashboard and the settlement page used to count differently
(the run only the transfers it had weighed — payments out between known parties without a proposal waiting, and
credits — the list every booked transfer that is not a bank's reversal, the settlement's open items reversals
too), so after one run they gave three numbers. They all read this module now.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.statements.models import Transfer

DEFINITION = ("An unmatched transfer is a booked bank transfer, not a bank's reversal entry, with money that no "
              "posted match explains yet (nothing or only part allocated), whether or not a proposal waits for "
              "review.")


def clause(as_of: date | None = None):
    conditions = [Transfer.booking_status == "booked", Transfer.reversal.is_(False),
                  Transfer.allocated < Transfer.amount]
    if as_of is not None:
        conditions.append(Transfer.booking_date <= as_of)
    return conditions


def query(as_of: date | None = None):
    return select(Transfer).where(*clause(as_of))


def count(session: Session, as_of: date | None = None) -> int:
    return session.execute(select(func.count()).select_from(Transfer).where(*clause(as_of))).scalar_one()
