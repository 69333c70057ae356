"""The states bound by Directive 2001/40/EC (and so by Council Decision 2004/191/EC), with their dates.

Pure data and one question, `bound_on(state, day)`: only a state bound on the day concerned may issue,
recognise or enforce under the Directive, or be a side of a `mutual_recognition` agreement. A state that
was never bound (Albania, Rwanda) or no longer is (the United Kingdom) is refused with `not_bound`.

Sources and decisions (an auditor may ask):

* Directive 2001/40/EC, Art. 8: transposition "before 2 December 2002", so the then member states are bound
  from **2002-12-02** (OJ L 149, 2.6.2001, p. 34; EUR-Lex summary l33154).
* Later members are bound from their accession (the Directive builds on the Schengen acquis, which binds a
  new member from accession under the Acts of Accession, Art. 3 and Annex I, even before internal border
  checks are lifted): 2004-05-01 (CY CZ EE HU LT LV MT PL SI SK), 2007-01-01 (BG RO), 2013-07-01 (HR).
* **Ireland** and the **United Kingdom** stand outside Schengen but take part in the Directive (EUR-Lex
  summary l33154: "the United Kingdom and Ireland … apply this legislation"). The United Kingdom was bound
  until the end of the transition period, **2020-12-31** (Withdrawal Agreement, Arts. 126-127); decisions
  of or enforcements by the UK after that day are refused.
* **Denmark** is not bound by the Directive as EU law (Protocol on the position of Denmark, Arts. 1-2). As a
  Schengen-building measure Denmark could have chosen to implement it as international law (that Protocol,
  then Art. 5); the EUR-Lex summary of the Directive states that Denmark does not take part, and we found no
  notification that it implements it, so Denmark is **not** in the list. Should such a notification be
  shown, add `"DK": (date, None)` here: nothing else changes.
* **Iceland** and **Norway** apply it as a development of the Schengen acquis (recitals of the Directive;
  Agreement of 18 May 1999, OJ L 176, 10.7.1999), from the same 2002-12-02.
* **Switzerland** from 2008-12-12 and **Liechtenstein** from 2011-12-19, when the Schengen acquis was put into
  effect for them (Council Decisions 2008/903/EC and 2011/842/EU).
"""

from __future__ import annotations

from datetime import date

_DIRECTIVE = date(2002, 12, 2)
_ENLARGEMENT_2004 = date(2004, 5, 1)
_ENLARGEMENT_2007 = date(2007, 1, 1)

#: State (ISO 3166-1 alpha-2) → (first day bound, last day bound or None while it still is).
BOUND_STATES: dict[str, tuple[date, date | None]] = {
    **{code: (_DIRECTIVE, None) for code in ("AT", "BE", "DE", "ES", "FI", "FR", "GR", "IE", "IT", "LU", "NL",
                                              "PT", "SE")},
    "GB": (_DIRECTIVE, date(2020, 12, 31)),
    **{code: (_ENLARGEMENT_2004, None) for code in ("CY", "CZ", "EE", "HU", "LT", "LV", "MT", "PL", "SI", "SK")},
    **{code: (_ENLARGEMENT_2007, None) for code in ("BG", "RO")},
    "HR": (date(2013, 7, 1), None),
    "IS": (_DIRECTIVE, None),
    "NO": (_DIRECTIVE, None),
    "CH": (date(2008, 12, 12), None),
    "LI": (date(2011, 12, 19), None),
}

#: Greece's ISO code is GR; EU documents write EL. Accept both.
_ALIASES = {"EL": "GR", "UK": "GB"}


def bound_on(state: str, day: date) -> bool:
    """True when `state` applied Directive 2001/40/EC on `day`."""
    return not_bound_reason(state, day) is None


def bound_until(state: str) -> date | None:
    """The last day `state` is bound (None: still bound, or never was)."""
    dates = BOUND_STATES.get(_ALIASES.get(state, state))
    return dates[1] if dates else None


def not_bound_reason(state: str, day: date) -> str | None:
    """Why `state` cannot act under the Directive on `day`, or None when it can."""
    dates = BOUND_STATES.get(_ALIASES.get(state, state))
    if dates is None:
        return f"{state} is not bound by Directive 2001/40/EC"
    first, last = dates
    if day < first:
        return f"{state} is bound by Directive 2001/40/EC only from {first.isoformat()}"
    if last is not None and day > last:
        return f"{state} was bound by Directive 2001/40/EC only until {last.isoformat()}"
    return None
