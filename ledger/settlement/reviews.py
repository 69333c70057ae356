"""A partner's review of its signed statements, line by line: acknowledge a line, or dispute it with a comment.

A line is one figure of an agreement's statement (`closing`) or one of its open items (`overdue_invoices:9`).
Reviews are kept, never rewritten: a later review of the same line supersedes the earlier one. A dispute is open
until a finance officer resolves it (with a note), and every open dispute of an earlier month is carried into
the next months' statements as an open item (`statement_disputes`), so it is frozen and signed with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.audit.service import describe
from ledger.db import fetch
from ledger.errors import Conflict, field_error, not_found
from ledger.settlement.models import FrozenStatement, StatementReview
from ledger.settlement.tables import AGREEMENT_FIGURES, OPEN_ITEMS
from ledger.timeutil import utcnow

DECISIONS = ("acknowledged", "disputed")
MAX_COMMENT = 2000
#: The field that names an open item, and the one that holds its amount, by kind.
_IDENT = ("invoice", "transfer", "match", "review", "claim_id", "id")
_AMOUNT = ("open", "unallocated", "value", "amount")


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    amount: str | None
    currency: str | None


def statement_lines(content: dict, agreement_id: int) -> list[Line]:
    """The lines of one agreement's statement a partner can review: its figures, then its open items."""
    agreement = next((a for a in content.get("agreements", []) if a["agreement_id"] == agreement_id), None)
    lines = []
    if agreement is not None:
        lines += [Line(f, f.capitalize(), agreement[f], agreement["currency"])
                  for f in AGREEMENT_FIGURES if f in agreement]
    for kind, items in sorted(content.get("open_items", {}).items()):
        title = OPEN_ITEMS.get(kind, (kind.replace("_", " ").capitalize(),))[0]
        for item in items:
            ident = next((item[k] for k in _IDENT if item.get(k) is not None), None)
            if ident is None:
                continue
            amount = next((item[k] for k in _AMOUNT if item.get(k) is not None), None)
            lines.append(Line(f"{kind}:{ident}", f"{title}: {ident}", amount, item.get("currency")))
    return lines


def signed_statement(session: Session, period: str, agreement_id: int) -> FrozenStatement:
    row = session.execute(select(FrozenStatement).where(
        FrozenStatement.period == period, FrozenStatement.scope == f"agreement:{agreement_id}")).scalar_one_or_none()
    if row is None:
        raise Conflict(f"{period} is not closed: there is no signed statement to review yet", code="period_open")
    return row


def review(session: Session, party: str, period: str, agreement_id: int, line: str, decision: str,
           comment: str, by: str) -> StatementReview:
    """Record `party`'s review of one line of its agreement's signed statement of `period`."""
    import json

    from ledger.settlement.service import agreements_of_party

    if agreement_id not in agreements_of_party(session, party):
        raise not_found("agreement")
    statement = signed_statement(session, period, agreement_id)
    comment = (comment or "").strip()
    if decision not in DECISIONS:
        raise field_error("decision", f"must be one of {', '.join(DECISIONS)}")
    if decision == "disputed" and not comment:
        raise field_error("comment", "a dispute says what is wrong")
    if len(comment) > MAX_COMMENT:
        raise field_error("comment", f"must be at most {MAX_COMMENT} characters")
    if line not in {each.key for each in statement_lines(json.loads(statement.canonical), agreement_id)}:
        raise field_error("line", "is not a line of this statement")
    row = StatementReview(period=period, agreement_id=agreement_id, party_code=party, line=line,
                          digest=statement.digest, decision=decision, comment=comment, reviewed_by=by,
                          reviewed_at=utcnow())
    session.add(row)
    session.flush()
    describe(session, "settlement.review", "agreement", agreement_id, f"{period} {line} {decision} by {party}")
    return row


def latest(rows: list[StatementReview]) -> dict[tuple[str, int, str], StatementReview]:
    """The review in force for each (period, agreement, line): the last one made."""
    out: dict[tuple[str, int, str], StatementReview] = {}
    for row in sorted(rows, key=lambda r: r.id):
        out[(row.period, row.agreement_id, row.line)] = row
    return out


def reviews(session: Session, period: str, agreement_ids: set[int] | None = None) -> list[StatementReview]:
    """The reviews in force of `period`'s statements (all, or of these agreements), in the order made."""
    query = select(StatementReview).where(StatementReview.period == period)
    if agreement_ids is not None:
        query = query.where(StatementReview.agreement_id.in_(agreement_ids))
    return sorted(latest(list(session.execute(query).scalars())).values(), key=lambda r: r.id)


def open_disputes(session: Session, before: str, agreement_ids: set[int] | None = None) -> list[StatementReview]:
    """Disputes of statements of months before `before` that are in force and not resolved."""
    query = select(StatementReview).where(StatementReview.period < before)
    if agreement_ids is not None:
        query = query.where(StatementReview.agreement_id.in_(agreement_ids))
    return [r for r in sorted(latest(list(session.execute(query).scalars())).values(), key=lambda r: r.id)
            if r.decision == "disputed" and r.resolved_at is None]


def resolve(session: Session, review_id: int, resolution: str, by: str) -> StatementReview:
    """A finance officer settles a dispute: it stops being carried into later statements."""
    row = fetch(session, StatementReview, review_id, "review")
    if row.decision != "disputed":
        raise Conflict("only a dispute can be resolved", code="not_a_dispute")
    if row.resolved_at is not None:
        raise Conflict("this dispute is resolved already", code="already_resolved")
    resolution = (resolution or "").strip()
    if not resolution:
        raise field_error("resolution", "say how the dispute was settled")
    if len(resolution) > MAX_COMMENT:
        raise field_error("resolution", f"must be at most {MAX_COMMENT} characters")
    row.resolved_at, row.resolved_by, row.resolution = utcnow(), by, resolution
    session.flush()
    describe(session, "settlement.resolve_dispute", "agreement", row.agreement_id, f"review {row.id} of {row.period}")
    return row


def carried_open_items(session: Session, period: str, party: str | None, agreement_ids: list[int] | None) -> dict:
    """Settlement provider: open disputes of earlier months, as open items of `period`'s statement."""
    from ledger.settlement.service import agreements_of_party

    ids = set(agreement_ids) if agreement_ids is not None else None
    if party is not None:
        own = agreements_of_party(session, party)
        ids = own if ids is None else ids & own
    return {"statement_disputes": [
        {"review": r.id, "period": r.period, "agreement_id": r.agreement_id, "party": r.party_code, "line": r.line,
         "comment": r.comment, "reviewed_on": r.reviewed_at.date().isoformat()}
        for r in open_disputes(session, period, ids)]}
