"""Agreements, amendments, termination, returnees and their events, and accrual of obligations.

The pricing rules are the pure functions of `terms` and `obligations`; this module stores what they need,
calls them, and posts what they return. Decisions:

* **Accrual is explicit.** An event only records facts; what it makes payable is posted by an accrual run
  for a period (`ledger accrue PERIOD` for every agreement, or `POST /agreements/{id}/accrue`). A run posts
  what `obligations.accrue` returns: originals falling due, late ones, and `adjustment:<key>:<n>` rows for
  re-priced history (back-dated amendments, late departures). Running it twice posts nothing new, and the
  unique (agreement, key) constraint makes a double post impossible even under a race.
* **Journal entries are batched.** One run posts one entry per (due date, booking period, kind) of its
  obligations, each line the sum of those obligations; every obligation row names its entry. So the
  balance of obligations(H,P,A) is exactly minus the sum of the agreement's obligation amounts.
* **Future periods are refused**: accruing a month that has not begun would make unearned support payable.
* **Retention**: a returnee is kept identifiable until `retain_until` = transferred_on + LEDGER_RETENTION_YEARS
  (default 10); `ledger returnees erase --before DATE` then drops the pseudonym and keeps the money.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Date, DateTime, Integer, String, bindparam, cast, false, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from contracts.common import MAX_ID
from ledger.agreements.models import (
    AccrualState,
    Agreement,
    AgreementVersionRow,
    Obligation,
    Returnee,
    ReturneeEvent,
)
from ledger.agreements.rules import obligations as rules
from ledger.agreements.rules import terms as term_rules
from ledger.audit.service import describe, record_change
from ledger.db import bulk_insert, fetch, is_postgres
from ledger.errors import Conflict, Problem, Unprocessable, check_if_match, field_error, not_found
from ledger.facts import check_not_future
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.journal.service import post_entries
from ledger.merge_patch import merge_patch
from ledger.money import Money
from ledger.parties import queries as parties
from ledger.pseudonyms import PersonalData, retain_until
from ledger.recognition.rules import states as bound_states
from ledger.timeutil import period_of, today, utcnow
from ledger.wire import Extended


def _problem(error: term_rules.AgreementError) -> Unprocessable:
    if error.field:
        return Unprocessable(f"{error.field}: {error.message}", code=error.code, errors={error.field: [error.message]})
    return Unprocessable(error.message, code=error.code)


# ---- agreements --------------------------------------------------------------------------------------

def get(session: Session, ident: str | int) -> Agreement:
    """An agreement by numeric id or by reference (404 if neither)."""
    agreement = None
    # isascii: "¹".isdigit() is true and int("¹") fails (a 500 the contract fuzzing found).
    if (isinstance(ident, int) or (str(ident).isascii() and str(ident).isdigit())) and 0 < int(ident) <= MAX_ID:
        agreement = session.get(Agreement, int(ident))
    if agreement is None:
        agreement = session.execute(select(Agreement).where(Agreement.reference == str(ident))).scalar_one_or_none()
    if agreement is None:
        raise not_found("agreement")
    return agreement


def facts(agreement: Agreement) -> term_rules.AgreementFacts:
    return term_rules.AgreementFacts(agreement.id, agreement.currency, agreement.effective_from,
                                     agreement.effective_to, agreement.terminated_on)


def versions(session: Session, agreement_id: int, currency: str | None = None) -> list[term_rules.AgreementVersion]:
    """The agreement's versions, in order; `currency`: the agreement's (never changed), when the caller has it."""
    if currency is None:
        currency = session.execute(select(Agreement.currency).where(Agreement.id == agreement_id)).scalar_one()
    rows = session.execute(select(AgreementVersionRow).where(AgreementVersionRow.agreement_id == agreement_id)
                           .order_by(AgreementVersionRow.number)).scalars()
    return [term_rules.AgreementVersion(r.effective_from, term_rules.Terms.from_wire(json.loads(r.terms), currency),
                                        r.number) for r in rows]


def etag(agreement: Agreement) -> str:
    return f'"agreement-{agreement.id}-{agreement.version}"'


def _check_if_match(agreement: Agreement, if_match: str | None) -> None:
    check_if_match(etag(agreement), if_match, "agreement")


def status_of(agreement: Agreement, on: date | None = None) -> str:
    on = on or today()
    ends = facts(agreement).ends_on
    if agreement.terminated_on is not None and on > agreement.terminated_on:
        return "terminated"
    if ends is not None and on > ends:
        return "ended"
    if on < agreement.effective_from:
        return "pending"
    return "terminating" if agreement.terminated_on is not None else "active"


def view(session: Session, agreement: Agreement) -> dict:
    all_versions = versions(session, agreement.id)
    in_force = term_rules.version_in_force(all_versions, today()) or all_versions[0]
    return {
        "id": agreement.id, "reference": agreement.reference, "kind": agreement.kind,
        "payer": agreement.payer_code, "payee": agreement.payee_code, "currency": agreement.currency,
        "signed_on": agreement.signed_on, "effective_from": agreement.effective_from,
        "effective_to": agreement.effective_to, "terminated_on": agreement.terminated_on,
        "termination_reason": agreement.termination_reason, "status": status_of(agreement),
        "terms": in_force.terms.to_wire(), "terms_version": in_force.number, "versions": len(all_versions),
        "version": agreement.version,
    }


def _parse_terms(wire: dict, agreement: term_rules.AgreementFacts) -> term_rules.Terms:
    try:
        parsed = term_rules.Terms.from_wire(wire, agreement.currency)
        term_rules.check_instalment_dates(parsed, agreement)
    except term_rules.AgreementError as error:
        raise _problem(error) from None
    return parsed


def _check_parties(session: Session, payer: str, payee: str) -> None:
    for field, code in (("payer", payer), ("payee", payee)):
        if not parties.exists(session, code):
            raise field_error(field, f"no party {code} is registered", "unknown_party")
    if payer == payee:
        raise field_error("payee", "payer and payee must differ", "same_party")


def _check_dates(signed_on: date | None, effective_from: date, effective_to: date | None) -> None:
    try:
        term_rules.check_term_dates(effective_from, effective_to, signed_on)
    except term_rules.AgreementError as error:
        raise _problem(error) from None
    check_not_future(signed_on, "signed_on")  # the term may lie ahead; the signature has happened


def _check_bound(kind: str, payer: str, payee: str, effective_from: date, effective_to: date | None) -> None:
    """A `mutual_recognition` agreement is between states bound by Directive 2001/40/EC for its whole term."""
    if kind != "mutual_recognition":
        return
    for field, code in (("payer", payer), ("payee", payee)):
        reason = bound_states.not_bound_reason(code, effective_from)
        if reason is not None:
            raise field_error(field, f"{reason} (on {effective_from.isoformat()})", "not_bound")
        until = bound_states.bound_until(code)
        if until is not None and (effective_to is None or effective_to > until):
            raise field_error("effective_to", f"{code} was bound by Directive 2001/40/EC only until "
                                              f"{until.isoformat()}: the term must end by then", "not_bound")


def create(session: Session, data: dict) -> Agreement:
    _check_parties(session, data["payer"], data["payee"])
    _check_dates(data.get("signed_on"), data["effective_from"], data.get("effective_to"))
    _check_bound(data["kind"], data["payer"], data["payee"], data["effective_from"], data.get("effective_to"))
    if session.execute(select(Agreement.id).where(Agreement.reference == data["reference"])).first():
        raise Conflict(f"agreement {data['reference']} exists already", code="agreement_exists")
    agreement = Agreement(reference=data["reference"], kind=data["kind"], payer_code=data["payer"],
                          payee_code=data["payee"], currency=data["currency"], signed_on=data.get("signed_on"),
                          effective_from=data["effective_from"], effective_to=data.get("effective_to"))
    try:
        term_facts = term_rules.AgreementFacts(0, agreement.currency, agreement.effective_from, agreement.effective_to)
    except term_rules.AgreementError as error:
        raise _problem(error) from None
    parsed = _parse_terms(data["terms"], term_facts)
    session.add(agreement)
    session.flush()
    session.add(AgreementVersionRow(agreement_id=agreement.id, number=1, effective_from=agreement.effective_from,
                                    terms=json.dumps(parsed.to_wire(), sort_keys=True)))
    session.flush()
    describe(session, "agreement.create", "agreement", agreement.id, f"{agreement.reference} {agreement.kind}")
    return agreement


def update_details(session: Session, agreement: Agreement, data: dict, if_match: str | None) -> Agreement:
    """Change the reference, signature date or end of term (the terms change only by amendment)."""
    _check_if_match(agreement, if_match)
    _check_dates(data.get("signed_on"), agreement.effective_from, data.get("effective_to"))
    _check_bound(agreement.kind, agreement.payer_code, agreement.payee_code, agreement.effective_from,
                 data.get("effective_to"))
    if data["reference"] != agreement.reference and session.execute(
            select(Agreement.id).where(Agreement.reference == data["reference"])).first():
        raise Conflict(f"agreement {data['reference']} exists already", code="agreement_exists")
    agreement.reference, agreement.signed_on = data["reference"], data.get("signed_on")
    agreement.effective_to = data.get("effective_to")
    for version in versions(session, agreement.id):
        _parse_terms(version.terms.to_wire(), facts(agreement))  # instalments must stay within the term
    record_change(session, agreement, "agreement.update", "agreement", agreement.id,
                  lambda: f"version {agreement.version}")  # the version bumped
    return agreement


def amend(session: Session, agreement: Agreement, effective_from: date, patch: dict,
          if_match: str | None) -> term_rules.AgreementVersion:
    """Add a version in force from `effective_from` (possibly back-dated: the next accrual re-prices).

    `patch` is a JSON merge patch (RFC 7396) of the terms in force on `effective_from`: a restatement of
    some terms must not silently drop the others (an amendment restating only the fee once reversed an
    instalment). The merged terms are checked as a whole and become the new version's complete terms."""
    _check_if_match(agreement, if_match)
    existing, amended = _amended(session, agreement, effective_from, patch)
    parsed, number = amended.terms, amended.number
    _check_capacity(session, agreement, existing, amended)
    session.add(AgreementVersionRow(agreement_id=agreement.id, number=number, effective_from=effective_from,
                                    terms=json.dumps(parsed.to_wire(), sort_keys=True)))
    record_change(session, agreement, "agreement.amend", "agreement", agreement.id,
                  f"version {number} from {effective_from.isoformat()}")
    return term_rules.AgreementVersion(effective_from, parsed, number)


def _amended(session: Session, agreement: Agreement, effective_from: date,
             patch: dict) -> tuple[list[term_rules.AgreementVersion], term_rules.AgreementVersion]:
    """(the versions so far, the version `patch` would add from `effective_from`), checked as `amend` checks."""
    existing = versions(session, agreement.id)
    try:
        term_rules.check_amendment(facts(agreement), existing, effective_from)
    except term_rules.AgreementError as error:
        raise _problem(error) from None
    in_force = term_rules.terms_in_force(existing, effective_from)
    parsed = _parse_terms(merge_patch(in_force.to_wire() if in_force else {}, patch), facts(agreement))
    number = max(v.number for v in existing) + 1
    return existing, term_rules.AgreementVersion(effective_from, parsed, number)


def terms_in_force(session: Session, agreement: Agreement, on: date) -> dict:
    """The wire terms in force on `on` (before the agreement: those it starts with)."""
    existing = versions(session, agreement.id)
    in_force = term_rules.terms_in_force(existing, on) or min(existing, key=lambda v: v.effective_from).terms
    return in_force.to_wire()


def preview_amendment(session: Session, agreement: Agreement, effective_from: date, patch: dict) -> dict:
    """What the amendment would re-price, written nowhere: the obligations already accrued (through the last
    accrued month) whose amount the new version changes, and those it adds or removes, each with the
    difference the next accrual of that month would post. `through` is None when nothing was accrued yet."""
    existing, amended = _amended(session, agreement, effective_from, patch)
    state = session.get(AccrualState, agreement.id)
    if state is None:
        return {"through": None, "lines": [], "total": Money(Decimal(0), agreement.currency)}
    through = period_of(state.priced_through)
    returnees, _ = _returnee_facts(session, agreement.id)
    posted = _posted(session, agreement)
    due = {p.key: p.due_on for p in posted}
    before = {d.key: d.amount.amount for d in rules.accrue(posted, facts(agreement), existing, returnees, through)}
    after = rules.accrue(posted, facts(agreement), [*existing, amended], returnees, through)
    changes: dict[tuple[str, str], list] = defaultdict(lambda: [0, Decimal(0)])
    for draft in after:
        difference = draft.amount.amount - before.pop(draft.key, Decimal(0))
        if difference:
            original = rules.adjusted_key(draft.key)
            line = changes[period_of(due.get(original, draft.due_on)), original.split(":", 1)[0]]
            line[0] += 1
            line[1] += difference
    for key, amount in before.items():  # what the current terms would still post and the amendment would not
        original = rules.adjusted_key(key)
        line = changes[period_of(due.get(original, first_of(through))), original.split(":", 1)[0]]
        line[0] += 1
        line[1] -= amount
    lines = [{"period": period, "kind": _KIND_NAMES.get(kind, kind.replace("_", " ")), "count": count,
              "amount": Money(amount, agreement.currency)}
             for (period, kind), (count, amount) in sorted(changes.items())]
    return {"through": through, "lines": lines,
            "total": Money(sum((line["amount"].amount for line in lines), Decimal(0)), agreement.currency)}


#: What an obligation key's prefix names, in the officers' words.
_KIND_NAMES = {"support": "monthly support", "fee": "fee per returnee", "instalment": "instalment",
               "milestone": "milestone", "advance": "advance"}


def first_of(period: str) -> date:
    return rules.period_bounds(period)[0]


def _check_capacity(session: Session, agreement: Agreement, existing: Sequence[term_rules.AgreementVersion],
                    new: term_rules.AgreementVersion) -> None:
    """An amendment's capacity holds for the people already present on the days it is in force."""
    if new.terms.capacity is None:
        return
    lock(session, agreement)  # admissions wait, so none slips in between this count and the amendment
    try:
        term_rules.check_capacity_of_version(facts(agreement), existing, new,
                                             term_rules.Occupancy(stays(session, agreement.id)))
    except term_rules.AgreementError as error:
        raise _problem(error) from None


def terminate(session: Session, agreement: Agreement, effective_on: date, reason: str,
              notified_on: date | None, if_match: str | None) -> Agreement:
    _check_if_match(agreement, if_match)
    check_not_future(notified_on, "notified_on")
    try:
        term_rules.check_termination(facts(agreement), versions(session, agreement.id), effective_on,
                                     notified_on or today())
    except term_rules.TermsError as error:
        if error.code == "already_terminated":
            raise Conflict(error.message, code=error.code) from None
        raise _problem(error) from None
    agreement.terminated_on, agreement.termination_reason = effective_on, reason
    agreement.termination_notified_on = notified_on or today()
    record_change(session, agreement, "agreement.terminate", "agreement", agreement.id,
                  f"effective {effective_on.isoformat()}")
    return agreement


# ---- returnees ---------------------------------------------------------------------------------------

class _Admission:
    """Quota and capacity counts for one agreement, kept current as a batch admits returnees."""

    def __init__(self, session: Session, agreement: Agreement):
        self.facts = facts(agreement)
        self.versions = versions(session, agreement.id, agreement.currency)
        self.limited = any(v.terms.annual_quota or v.terms.capacity for v in self.versions)
        self.by_year: dict[int, int] = defaultdict(int)
        self.occupancy = term_rules.Occupancy(stays(session, agreement.id) if self.limited else ())
        for transferred_on in self.occupancy.transfers:
            self.by_year[transferred_on.year] += 1

    def admit(self, transferred_on: date) -> None:
        """Admit one more from `transferred_on`: the quota of its year, and room on every day of its stay."""
        term_rules.check_admission(self.facts, self.versions, transferred_on,
                                   self.by_year[transferred_on.year], self.occupancy.present_on(transferred_on))
        if self.limited:
            term_rules.check_capacity_over_stay(self.facts, self.versions, self.occupancy, transferred_on)
            self.by_year[transferred_on.year] += 1
            self.occupancy.add(transferred_on)


def stays(session: Session, agreement_id: int) -> list[tuple[date, date | None]]:
    """Every returnee's (transferred_on, departed_on) on the agreement, for capacity."""
    return [tuple(row) for row in session.execute(select(Returnee.transferred_on, Returnee.departed_on)
                                                  .where(Returnee.agreement_id == agreement_id)).all()]


def lock(session: Session, agreement: Agreement) -> None:
    """Serialise work on one agreement (admission counts, accrual): a row lock on PostgreSQL; SQLite's
    write transactions are serial already."""
    session.execute(_LOCK, {"agreement_id": agreement.id})


# A returnee batch's statements, built once (building a statement and its cache key cost more than running it).
_LOCK = select(Agreement.id).where(Agreement.id == bindparam("agreement_id")).with_for_update()
_TAKEN = select(Returnee.pseudonym).where(Returnee.agreement_id == bindparam("agreement_id"),
                                          Returnee.pseudonym.in_(bindparam("names", expanding=True)))
_INSERT_RETURNEES = insert(Returnee).returning(Returnee.pseudonym, Returnee.id)
# PostgreSQL: the same rows as one array per column. A multi-row VALUES has 8 parameters a row, and psycopg parses
# a statement of more than 50 afresh on every send (~0.5 ms for 25 rows); this one has 8 whatever the batch size.
# The arrays' elements are cast without a length: a value too long for its column is refused by the insert, as a
# VALUES row's is, where a cast to VARCHAR(n) would cut it short.
_RETURNEE_COLUMNS = {"agreement_id": Integer(), "pseudonym": String(), "nationality": String(),
                     "transferred_on": Date(), "accepted_on": Date(), "status": String(), "retain_until": Date(),
                     "created_at": DateTime(timezone=True)}
_RETURNEE_ARRAYS = func.unnest(*(cast(bindparam(name), ARRAY(kind)) for name, kind in _RETURNEE_COLUMNS.items())
                               ).table_valued(*_RETURNEE_COLUMNS).render_derived()
_INSERT_RETURNEE_ARRAYS = (insert(Returnee.__table__).from_select(list(_RETURNEE_COLUMNS), select(*_RETURNEE_ARRAYS.c))
                           .returning(Returnee.__table__.c.pseudonym, Returnee.__table__.c.id))


def _insert_returnees(session: Session, rows: list[dict]) -> dict[str, int]:
    """Insert the batch's rows: their ids by pseudonym (unique within the batch)."""
    if is_postgres(session):
        arrays = {name: [row[name] for row in rows] for name in _RETURNEE_COLUMNS}
        return dict(session.execute(_INSERT_RETURNEE_ARRAYS, arrays).all())
    return dict(session.execute(_INSERT_RETURNEES, rows).all())


def submit(session: Session, agreement: Agreement, items: Sequence[dict], personal: PersonalData) -> list[dict]:
    """Admit returnees in bulk: per item {index, status, id | error}; accepted items are inserted together
    (pseudonymised and kept as `personal` says).

    Duplicates (on the agreement already, or twice in the batch) are found with one query per 5,000 items.
    An item may carry `accepted_on` to record its acceptance at once.
    """
    lock(session, agreement)
    names = [personal.pseudonym(item["case_ref"]) for item in items]
    taken: set[str] = set()
    for start in range(0, len(names), 5000):
        chunk = names[start:start + 5000]
        taken.update(session.execute(_TAKEN, {"agreement_id": agreement.id, "names": chunk}).scalars())
    admission = _Admission(session, agreement)
    years, results, rows, seen, now = personal.retention_years, [], [], set(), today()
    created = utcnow()  # one stamp for the batch's rows, as one transaction inserts them (not a clock read each)
    for index, (item, name) in enumerate(zip(items, names)):
        try:
            if name in taken or name in seen:
                raise Conflict("this case is already registered on the agreement", code="duplicate_returnee")
            accepted_on = item.get("accepted_on")
            check_not_future(item["transferred_on"], "transferred_on", now)
            check_not_future(accepted_on, "accepted_on", now)
            try:
                rules.ReturneeFacts(0, item["transferred_on"], accepted_on)
                admission.admit(item["transferred_on"])
            except term_rules.AgreementError as error:
                raise _problem(error) from None
        except Problem as problem:
            results.append({"index": index, "status": problem.status,
                            "error": {"code": problem.code, "detail": problem.detail, "errors": problem.errors}})
            continue
        seen.add(name)
        rows.append({"agreement_id": agreement.id, "pseudonym": name, "nationality": item["nationality"],
                     "transferred_on": item["transferred_on"], "accepted_on": accepted_on,
                     "status": "accepted" if accepted_on else "transferred",
                     "retain_until": retain_until(item["transferred_on"], years), "created_at": created})
        results.append({"index": index, "status": 201, "row": len(rows) - 1})
    ids: list[int] = []
    if rows:
        # Mapped back by pseudonym (unique within the batch): asking the rows back in parameter order made SQLite
        # insert them one statement each.
        named = _insert_returnees(session, rows)
        ids = [named[row["pseudonym"]] for row in rows]
        events = [{"returnee_id": ids[i], "type": "accepted", "occurred_on": row["accepted_on"],
                   "recorded_at": row["created_at"]} for i, row in enumerate(rows) if row["accepted_on"]]
        if events:  # one COPY on PostgreSQL, not a statement per event
            bulk_insert(session, ReturneeEvent.__table__, events)
        describe(session, "returnee.submit", "agreement", agreement.id, f"{len(rows)} returnees admitted")
    for result in results:
        if "row" in result:
            result["id"] = ids[result.pop("row")]
    return results


def submit_one(session: Session, agreement: Agreement, item: dict, personal: PersonalData) -> Returnee:
    result = submit(session, agreement, [item], personal)[0]
    if "error" in result:
        error = result["error"]
        raise Problem(error["detail"], status=result["status"], code=error["code"], errors=error.get("errors"))
    return session.get(Returnee, result["id"])


def get_returnee(session: Session, returnee_id: int) -> tuple[Returnee, Agreement]:
    returnee = fetch(session, Returnee, returnee_id, "returnee")
    return returnee, session.get(Agreement, returnee.agreement_id)


def is_erased(erased_at: datetime | None) -> bool:
    """Whether the returnee was erased (its link to the person dropped, `erase_returnees`): what it is shown with as
    `erased`, read from the model (`returnee_shown`) or a row (`shown_rows`) alike."""
    return erased_at is not None


def returnee_shown(session: Session, returnee: Returnee, with_obligations: bool = True) -> Extended:
    """The returnee with whether it was `erased` and (`with_obligations`) the `obligations` it made payable."""
    answer = Extended(returnee, erased=is_erased(returnee.erased_at))
    if with_obligations:
        answer.obligations = list(session.execute(select(Obligation).where(Obligation.returnee_id == returnee.id)
                                                  .order_by(Obligation.id)).scalars())
    return answer


def shown_rows(returnees: list[dict]) -> None:
    """A page of returnees read as rows (`listing.rows_page`), each given its `erased` as `returnee_shown` does."""
    for returnee in returnees:
        returnee["erased"] = is_erased(returnee["erased_at"])


def add_event(session: Session, returnee: Returnee, event_type: str, occurred_on: date) -> ReturneeEvent:
    """Record `accepted`, or the end of the stay (`departed`, `voluntary_departure`, `returned_onward`: each
    stops support on its date; a voluntary departure makes the terms' grant payable); what it changes becomes
    payable at the next accrual.

    Takes the agreement's lock first, as accrual does: an accrual then either sees this event or runs
    wholly before it, so its record of which returnees it priced cannot miss one. The returnee is read
    again under the lock, so two events racing for the same transition cannot both pass."""
    check_not_future(occurred_on, "occurred_on")
    lock(session, session.get(Agreement, returnee.agreement_id))
    session.refresh(returnee)
    departure = returnee.departure
    if event_type == "accepted":
        if returnee.accepted_on is not None:
            raise Conflict("the returnee is already accepted", code="invalid_transition")
        accepted_on, departed_on = occurred_on, returnee.departed_on
    else:
        if returnee.departed_on is not None:
            raise Conflict("the returnee has already departed", code="invalid_transition")
        accepted_on, departed_on, departure = returnee.accepted_on, occurred_on, event_type
    try:
        rules.ReturneeFacts(returnee.id, returnee.transferred_on, accepted_on, departed_on, departure)
    except term_rules.AgreementError as error:
        raise _problem(error) from None
    returnee.accepted_on, returnee.departed_on, returnee.departure = accepted_on, departed_on, departure
    returnee.status = "departed" if departed_on else "accepted"
    returnee.reprice_pending = True
    event = ReturneeEvent(returnee_id=returnee.id, type=event_type, occurred_on=occurred_on)
    session.add(event)
    session.flush()
    describe(session, f"returnee.{event_type}", "returnee", returnee.id, occurred_on.isoformat())
    return event


def events(session: Session, returnee_id: int) -> list[ReturneeEvent]:
    return list(session.execute(select(ReturneeEvent).where(ReturneeEvent.returnee_id == returnee_id)
                                .order_by(ReturneeEvent.id)).scalars())


def erase(session: Session, before: date) -> dict[str, int]:
    """Drop the link to every person whose retention ended before `before` (not later than today): each
    feature's erasure step in turn (`features.erasure_steps`), the later ones also removing the pseudonyms the
    earlier ones dropped from what they store. Ids, dates, obligations and journal entries stay: the money
    remains accounted for. Returns the count of each step."""
    if before > today():
        raise Unprocessable("cannot erase records whose retention has not ended", code="retention_not_ended")
    from ledger.features import erasure_steps

    erased: set[str] = set()
    return {name: step(session, before, erased) for name, step in erasure_steps()}


def erase_returnees(session: Session, before: date, erased: set[str]) -> int:
    """Returnees past retention lose their pseudonym (the link to the partner's case)."""
    rows = session.execute(select(Returnee.id, Returnee.pseudonym).where(
        Returnee.retain_until < before, Returnee.pseudonym.is_not(None))).all()
    ids = [rid for rid, _ in rows]
    for start in range(0, len(ids), 5000):
        session.execute(update(Returnee).where(Returnee.id.in_(ids[start:start + 5000]))
                        .values(pseudonym=None, erased_at=utcnow()))
    erased.update(name for _, name in rows)
    describe(session, "returnee.erase", "returnee", "",
             f"{len(ids)} pseudonym links removed (retention before {before})")
    return len(ids)


# ---- obligations and accrual -------------------------------------------------------------------------

class _Posted(NamedTuple):
    """An obligation already posted, as the pricing rules read it (a tuple: cheap to build by the 100,000)."""

    key: str
    amount: Money
    due_on: date
    returnee_id: int | None


def _posted(session: Session, agreement: Agreement, scope: rules.Scope | None = None) -> list[_Posted]:
    """What is posted for the agreement, as `obligations.accrue` needs it: everything, or (with a scope) what
    the scope may re-price: the agreement's own keys, the pending returnees', and whatever is booked after
    `scope.since` (an obligation due after it is booked in its due period or later). Core columns and one
    Money per distinct amount: this can read a hundred thousand rows."""
    table = Obligation.__table__
    query = select(table.c.key, table.c.amount, table.c.due_on, table.c.returnee_id).where(
        table.c.agreement_id == agreement.id)
    if scope is not None:
        pending = select(Returnee.id).where(Returnee.agreement_id == agreement.id, Returnee.reprice_pending)
        query = query.where(or_(table.c.returnee_id.is_(None), table.c.returnee_id.in_(pending),
                                table.c.period >= period_of(scope.since + timedelta(days=1))))
    amounts: dict[Decimal, Money] = {}
    result = []
    for key, amount, due_on, returnee_id in session.connection().execute(query):
        money = amounts.get(amount)
        if money is None:
            money = amounts[amount] = Money(Decimal(amount), agreement.currency)
        result.append(_Posted(key, money, due_on, returnee_id))
    return result


def _returnee_facts(session: Session, agreement_id: int) -> tuple[list[rules.ReturneeFacts], frozenset[int]]:
    """Every returnee's dates (milestones count them all) and the ids of those changed since the last accrual."""
    table = Returnee.__table__
    rows = session.connection().execute(
        select(table.c.id, table.c.transferred_on, table.c.accepted_on, table.c.departed_on, table.c.departure,
               table.c.reprice_pending).where(table.c.agreement_id == agreement_id)).all()
    return [rules.ReturneeFacts(*row[:5]) for row in rows], frozenset(row[0] for row in rows if row[5])


def accounts(agreement: Agreement, advance: bool = False) -> tuple[AccountKey, AccountKey]:
    """(debit, credit) accounts of an accrual: returns_costs or advances of the payer side / obligations."""
    payer, payee, cur, aid = agreement.payer_code, agreement.payee_code, agreement.currency, agreement.id
    debit_key = (AccountKey("advances", cur, payee, payer, aid) if advance
                 else AccountKey("returns_costs", cur, payer, payee, aid))
    return debit_key, AccountKey("obligations", cur, payee, payer, aid)


def post_obligations(session: Session, agreement: Agreement, drafts: Sequence[rules.ObligationDraft]) -> int:
    """Store drafts and post them: one entry per (due date, period, kind, account pair). Returns the count."""
    if not drafts:
        return 0
    groups: dict[tuple, list[rules.ObligationDraft]] = defaultdict(list)
    for draft in drafts:
        advance = rules.adjusted_key(draft.key) == "advance"
        offset = draft.kind == rules.ADVANCE_OFFSET
        adjustment = draft.kind == rules.ADJUSTMENT or draft.adjusts is not None
        groups[(draft.due_on, draft.period, draft.kind, advance, offset, adjustment)].append(draft)
    entry_drafts, order = [], []
    for (due_on, period, kind, advance, offset, adjustment), items in groups.items():
        amount = Money(sum((d.amount.amount for d in items), Decimal(0)), agreement.currency)
        debit_key, credit_key = accounts(agreement, advance)
        if offset:  # the advance offset settles obligations out of the advance: Dr obligations / Cr advances
            debit_key = credit_key
            credit_key = AccountKey("advances", agreement.currency, agreement.payee_code, agreement.payer_code,
                                    agreement.id)
            amount = -amount
        entry_drafts.append(EntryDraft(
            effective_date=due_on, period=period, lines=(debit(debit_key, amount), credit(credit_key, amount)),
            # The settlement statement classifies by source: accrued, adjustments, or (offsets) paid.
            source_type="advance_offset" if offset else ("adjustment" if adjustment else "accrual"),
            source_id=f"{agreement.id}:{period}:{kind}:{due_on.isoformat()}",
            memo=f"{agreement.reference}: {len(items)} {kind} obligation(s)"))
        order.append(items)
    entry_ids = post_entries(session, entry_drafts)
    now = utcnow()
    rows = [{"agreement_id": agreement.id, "key": d.key, "kind": d.kind, "returnee_id": d.returnee_id,
             "due_on": d.due_on, "amount": d.amount.amount, "currency": agreement.currency, "period": d.period,
             "version": d.version, "adjusts": d.adjusts, "status": "accrued", "journal_entry_id": entry_id,
             "created_at": now}
            for entry_id, items in zip(entry_ids, order) for d in items]
    for start in range(0, len(rows), 5000):  # Core, not the ORM's bulk path: nothing here needs the objects
        session.connection().execute(insert(Obligation.__table__), rows[start:start + 5000])
    return len(rows)


def check_accruable(period: str) -> None:
    try:
        rules.period_bounds(period)
    except term_rules.AgreementError as error:
        raise _problem(error) from None
    if period > period_of(today()):
        raise field_error("period", "cannot accrue a period that has not begun", "period_in_future")


def accrue_agreement(session: Session, agreement: Agreement, period: str, principal=None) -> int:
    """Post everything new that `agreement` makes payable in `period` (idempotent); returns how many rows.

    Re-prices only what may have changed since the last run (`obligations.Scope`), so a month's run costs
    what that month adds, not the agreement's whole history. Before posting, every check in
    `features.accrual_checks()` (budget commitments) may refuse the run or hold it (nothing posted, nothing
    marked priced: the next run prices the same again)."""
    check_accruable(period)
    first, through = rules.period_bounds(period)
    if first < agreement.effective_from.replace(day=1):
        return 0
    lock(session, agreement)
    agreement_facts, all_versions = facts(agreement), versions(session, agreement.id)
    returnees, pending = _returnee_facts(session, agreement.id)
    digest = rules.pricing_digest(agreement_facts, all_versions)
    state = session.get(AccrualState, agreement.id)
    scope = rules.Scope(state.priced_through, pending) if state and state.pricing_digest == digest else None
    drafts = rules.accrue(_posted(session, agreement, scope), agreement_facts, all_versions, returnees, period,
                          scope)
    if _held(session, agreement, drafts, period, principal):
        return 0
    count = post_obligations(session, agreement, drafts)
    _remember_priced(session, agreement, state, digest, through)
    if count:
        describe(session, "obligations.accrue", "agreement", agreement.id, f"{period}: {count} obligations")
    return count


def _held(session: Session, agreement: Agreement, drafts: Sequence[rules.ObligationDraft], period: str,
          principal) -> bool:
    from ledger.features import accrual_checks

    return any([check(session, agreement, drafts, period, principal) for check in accrual_checks()])


def _remember_priced(session: Session, agreement: Agreement, state: AccrualState | None, digest: str,
                     through: date) -> None:
    """Record that everything due up to `through` is now priced by `digest`, for every returnee. A run for an
    earlier month than the last settles less than the state says, so it leaves the state as it was."""
    if state is not None and through < state.priced_through:
        return
    if state is None:
        state = AccrualState(agreement_id=agreement.id, pricing_digest=digest, priced_through=through)
        session.add(state)
    state.pricing_digest, state.priced_through, state.updated_at = digest, through, utcnow()
    session.execute(update(Returnee).where(Returnee.agreement_id == agreement.id, Returnee.reprice_pending)
                    .values(reprice_pending=false()))
    session.flush()


def all_agreements(session: Session) -> list[Agreement]:
    return list(session.execute(select(Agreement).order_by(Agreement.id)).scalars())


def obligations_query(agreement_id: int, period: str | None = None, status: str | None = None):
    query = select(Obligation).where(Obligation.agreement_id == agreement_id)
    if period:
        query = query.where(Obligation.period == period)
    if status:
        query = query.where(Obligation.status == status)
    return query


def set_status(session: Session, obligation_ids: Iterable[int], status: str) -> None:
    """Mark obligations `accrued`, `invoiced` or `paid` (the invoice and reconciliation features' hook)."""
    if status not in ("accrued", "invoiced", "paid"):
        raise ValueError(status)
    ids = list(obligation_ids)
    for start in range(0, len(ids), 5000):
        session.execute(update(Obligation).where(Obligation.id.in_(ids[start:start + 5000])).values(status=status))


def advance_position(session: Session, agreement: Agreement, period: str | None = None) -> rules.AdvancePosition:
    """The advance due, paid and offset (booked up to `period`'s end when given): see `AdvancePosition`."""
    table = Obligation.__table__
    advance_like = or_(table.c.kind == rules.ADVANCE, table.c.key.like(f"adjustment:{rules.ADVANCE}:%"),
                       table.c.kind == rules.ADVANCE_OFFSET)
    query = select(table.c.key, table.c.amount, table.c.due_on, table.c.status).where(
        table.c.agreement_id == agreement.id, advance_like)
    if period is not None:
        query = query.where(table.c.period <= period)
    rows = session.connection().execute(query).all()
    items = [_Posted(key, Money(Decimal(amount), agreement.currency), due_on, None) for key, amount, due_on, _ in rows]
    paid = [key for key, _, _, status in rows if status == "paid"]
    return rules.advance_position(items, paid, agreement.currency)


def advance_remaining(session: Session, agreement: Agreement) -> Money:
    """The advance paid and not yet offset against invoices: what later invoices may still be reduced by."""
    return advance_position(session, agreement).outstanding


def offset_advance(session: Session, agreement: Agreement, invoice_id: int, invoice_total: Money,
                   approved_on: date, period: str) -> Obligation | None:
    """On approving an invoice: post the `advance_offset` obligation (negative; Dr obligations / Cr advances)
    covering as much of `invoice_total` as the paid advance still can. Keyed by the invoice: safe to call
    twice. The caller never calls it for the invoice that asks for the advance itself."""
    key = f"{rules.ADVANCE_OFFSET}:invoice:{invoice_id}"
    existing = session.execute(select(Obligation).where(Obligation.agreement_id == agreement.id,
                                                        Obligation.key == key)).scalar_one_or_none()
    if existing is not None:
        return existing
    draft = rules.advance_offset_obligation(invoice_id, invoice_total, advance_remaining(session, agreement),
                                            approved_on, period)
    if draft is None:
        return None
    post_obligations(session, agreement, [draft])
    return session.execute(select(Obligation).where(Obligation.agreement_id == agreement.id,
                                                    Obligation.key == key)).scalar_one()


def lock_obligations(session: Session, obligation_ids: list[int]) -> dict[int, Obligation]:
    """The obligations of `obligation_ids` (sorted), locked in id order and read afresh, by id."""
    return {o.id: o for o in session.execute(select(Obligation).where(Obligation.id.in_(obligation_ids))
                                             .order_by(Obligation.id)
                                             .with_for_update().execution_options(populate_existing=True)).scalars()}


def lock_obligation_chunk(session: Session, obligation_ids: list[int]) -> list[Obligation]:
    """The obligations of `obligation_ids`, locked and read afresh (another approval may have invoiced them)."""
    locked = (select(Obligation).where(Obligation.id.in_(obligation_ids)).with_for_update()
              .execution_options(populate_existing=True))
    return list(session.execute(locked).scalars())
