"""What the pages and other features may read of the agreements' tables (the agreements' door for reads): the
agreements, their obligations and their returnees as the pages sort and filter them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from ledger.agreements.models import Agreement, Obligation, Returnee
from ledger.listing import Listing


def _either_party(query: Select, code: str) -> Select:
    return query.where(or_(Agreement.payer_code == code.upper(), Agreement.payee_code == code.upper()))


AGREEMENTS = Listing(
    query=lambda: select(Agreement),
    orders={"reference": Agreement.reference, "kind": Agreement.kind, "payer": Agreement.payer_code,
            "currency": Agreement.currency, "effective_from": Agreement.effective_from,
            "effective_to": Agreement.effective_to},
    tiebreak=Agreement.id,
    filters={"party": _either_party,
             "q": lambda q, v: q.where(Agreement.reference.icontains(v, autoescape=True))},
)

#: The obligations of one agreement: page `agreements.service.obligations_query(agreement_id)` with it.
OBLIGATIONS = Listing(
    query=lambda: select(Obligation),
    orders={"id": Obligation.id, "period": Obligation.period, "due_on": Obligation.due_on, "kind": Obligation.kind,
            "returnee": Obligation.returnee_id, "amount": Obligation.amount, "status": Obligation.status,
            "journal_entry": Obligation.journal_entry_id},
    tiebreak=Obligation.id,
    filters={"period": lambda q, v: q.where(Obligation.period == v),
             "status": lambda q, v: q.where(Obligation.status == v)},
)


def _of_agreement(query: Select, value: str) -> Select:
    """By the agreement's number, or else its exact reference."""
    if value.isdigit():
        return query.where(Returnee.agreement_id == int(value))
    return query.where(Returnee.agreement_id.in_(select(Agreement.id).where(Agreement.reference == value.strip())))


RETURNEES = Listing(
    query=lambda: select(Returnee),
    orders={"id": Returnee.id, "pseudonym": Returnee.pseudonym, "agreement": Returnee.agreement_id,
            "nationality": Returnee.nationality, "status": Returnee.status,
            "transferred_on": Returnee.transferred_on, "accepted_on": Returnee.accepted_on,
            "departed_on": Returnee.departed_on},
    tiebreak=Returnee.id,
    filters={"agreement": _of_agreement, "status": lambda q, v: q.where(Returnee.status == v),
             "nationality": lambda q, v: q.where(Returnee.nationality == v.upper())},
)


def references(session: Session, ids: set[int] | list[int]) -> dict[int, str]:
    """Agreement id → its reference, for `ids`."""
    return dict(session.execute(select(Agreement.id, Agreement.reference).where(Agreement.id.in_(ids))).all())


def payee_codes() -> Select:
    """The payee of every agreement (a subquery's select)."""
    return select(Agreement.payee_code)


def by_reference(session: Session, reference: str) -> Agreement | None:
    return session.execute(select(Agreement).where(Agreement.reference == reference)).scalar_one_or_none()


def sides() -> Select:
    """Each agreement's id, reference, payer and payee (a subquery's select)."""
    return select(Agreement.id, Agreement.reference, Agreement.payer_code, Agreement.payee_code)


def pseudonyms(session: Session, agreement_id: int) -> dict[int, str | None]:
    """Returnee id → pseudonym, of one agreement's returnees (erased ones have none)."""
    return dict(session.execute(select(Returnee.id, Returnee.pseudonym)
                                .where(Returnee.agreement_id == agreement_id)).all())


def accrued_obligations(session: Session, agreement_id: int, period: str, kinds: Collection[str]) -> list[Obligation]:
    """One agreement's obligations of `period` still accrued (not invoiced), of `kinds`, in order."""
    return list(session.execute(select(Obligation).where(
        Obligation.agreement_id == agreement_id, Obligation.period == period, Obligation.status == "accrued",
        Obligation.kind.in_(kinds)).order_by(Obligation.id)).scalars())


def staying(session: Session, agreement_id: int, transferred_before: date, limit: int) -> list[tuple[int, str | None]]:
    """(id, pseudonym) of the first `limit` returnees of an agreement transferred before `transferred_before` who
    have not departed."""
    return session.execute(select(Returnee.id, Returnee.pseudonym).where(
        Returnee.agreement_id == agreement_id, Returnee.departed_on.is_(None),
        Returnee.transferred_on < transferred_before).order_by(Returnee.id).limit(limit)).all()
