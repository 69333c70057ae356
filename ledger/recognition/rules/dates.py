"""Calendar periods counted the way EU time limits are counted.

Regulation (EEC, Euratom) No 1182/71 (rules applicable to periods, dates and time limits), Art. 3(2)(c):
a period expressed in months or years ends on the day of the last month that has the same date as the
day from which it runs; "if ... the day on which it should expire does not occur in the last month, the
period shall end with the expiry of the last hour of the last day of that month". So:

- 30 Nov + 3 months = 28 Feb (29 Feb in a leap year); 31 Aug + 3 months = 30 Nov;
- 29 Feb + 1 year = 28 Feb of the next year (clamped to the last day of February), never 1 March.
  Clamping is also the reading that keeps a one-year period at most one year long, so a claim made on
  1 March after a 29 February enforcement is "more than one year" after it.

This is the same arithmetic as `dateutil.relativedelta(months=n)` (the tests check them against each
other), written out here because python-dateutil is not a runtime dependency of the project.

Art. 3(4) of 1182/71 (a period ending on a Saturday, Sunday or public holiday runs to the next working day)
is deliberately NOT applied: public holidays differ between member states and the calendars are not known
here. A deadline computed by this module is therefore the earliest legally possible one.
"""

from __future__ import annotations

import calendar
from datetime import date


def add_months(start: date, months: int) -> date:
    """`start` moved by `months` calendar months (negative goes back), clamped to the month's last day."""
    if isinstance(months, bool) or not isinstance(months, int):
        raise TypeError("months must be an int")
    years, month_index = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month_index + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


def add_years(start: date, years: int) -> date:
    """`start` moved by whole years; 29 February lands on 28 February in a common year."""
    if isinstance(years, bool) or not isinstance(years, int):
        raise TypeError("years must be an int")
    return add_months(start, 12 * years)
