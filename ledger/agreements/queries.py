"""What the pages and other features may read of the agreements' tables (the agreements' door for reads): the
agreements, their obligations and their returnees as the pages sort and filter them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal

from sqlalchemy import Row, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from ledger.agreements.models import Agreement, Obligation, Returnee
from ledger.listing import Listing, either_party

AGREEMENTS = Listing(
    query=lambda: select(Agreement),
    orders={"reference": Agreement.reference, "kind": Agreement.kind, "payer": Agreement.payer_code,
            "currency": Agreement.currency, "effective_from": Agreement.effective_from,
            "effective_to": Agreement.effective_to},
    tiebreak=Agreement.id,
    filters={"party": either_party(Agreement.payer_code, Agreement.payee_code),
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


def payers_and_payees(session: Session, agreement_ids: list[int]) -> list[tuple[str, str]]:
    """(payer, payee) of each of the agreements."""
    return session.execute(select(Agreement.payer_code, Agreement.payee_code)
                           .where(Agreement.id.in_(agreement_ids))).all()


def obligation_id(session: Session, agreement_id: int, key: str) -> int:
    """The id of the agreement's obligation posted under `key`."""
    return session.execute(select(Obligation.id).where(Obligation.agreement_id == agreement_id,
                                                       Obligation.key == key)).scalar_one()


def get(session: Session, agreement_id: int) -> Agreement | None:
    return session.get(Agreement, agreement_id)


def by_ids(session: Session, ids: list[int]) -> dict[int, Agreement]:
    """The agreements of `ids`, by id."""
    return {a.id: a for a in session.execute(select(Agreement).where(Agreement.id.in_(ids))).scalars()}


#: The agreements' references by id, built once: a list of invoices shows each one's.
_REFERENCES = select(Agreement.id, Agreement.reference).where(Agreement.id.in_(bindparam("ids", expanding=True)))


def references_of(session: Session, ids: Collection[int]) -> dict[int, Row]:
    """The agreements of `ids`, by id, as rows of their `id` and `reference` (no model objects to build for what a
    list reads once)."""
    return {row.id: row for row in session.connection().execute(_REFERENCES, {"ids": list(ids)})}


def paid_by(payer: str) -> Select:
    """The ids of the agreements `payer` pays (a subquery's select)."""
    return select(Agreement.id).where(Agreement.payer_code == payer)


def kinds_of(session: Session, agreement_id: int, keys: set[str]) -> dict[str, str]:
    """Obligation key → kind, of the agreement's obligations posted under `keys`."""
    if not keys:
        return {}
    return dict(session.execute(select(Obligation.key, Obligation.kind).where(
        Obligation.agreement_id == agreement_id, Obligation.key.in_(keys))).all())


def spending(session: Session, agreement_id: int, category: str | None, first: str, last: str,
             not_spending: tuple[str, ...]) -> tuple[Decimal, Decimal, Decimal]:
    """What an agreement's obligations of the periods `first` to `last` come to: (committed, invoiced or paid, paid).
    Obligations of kinds `not_spending` are left out; with a `category`, only those of that kind count, with the
    adjustments of those."""
    table = Obligation.__table__
    where = [table.c.agreement_id == agreement_id, table.c.kind.not_in(not_spending)]
    if category:
        of_kind = select(table.c.key).where(table.c.agreement_id == agreement_id, table.c.kind == category)
        where.append(or_(table.c.kind == category, table.c.adjusts.in_(of_kind)))
    amount = table.c.amount
    row = session.execute(select(
        func.coalesce(func.sum(amount), 0),
        func.coalesce(func.sum(case((table.c.status.in_(("invoiced", "paid")), amount), else_=0)), 0),
        func.coalesce(func.sum(case((table.c.status == "paid", amount), else_=0)), 0),
    ).where(and_(*where), table.c.period.between(first, last))).one()
    return Decimal(row[0]), Decimal(row[1]), Decimal(row[2])


def advances_due(session: Session, payer: str, currency: str, kinds: Collection[str],
                 due_by: date) -> list[tuple[Obligation, Agreement]]:
    """(obligation, agreement) for each obligation of `kinds` still accrued with an amount that `payer` owes in
    `currency` by `due_by`, the earliest due first."""
    return list(session.execute(
        select(Obligation, Agreement).join(Agreement, Agreement.id == Obligation.agreement_id)
        .where(Agreement.payer_code == payer, Obligation.currency == currency, Obligation.kind.in_(kinds),
               Obligation.status == "accrued", Obligation.amount > 0, Obligation.due_on <= due_by)
        .order_by(Obligation.due_on, Obligation.id)).all())


def returnees_named(session: Session, agreement_id: int, ids: Collection[int],
                    pseudonyms: Collection[str]) -> list[tuple[int, str | None]]:
    """(id, pseudonym) of the agreement's returnees whose id is one of `ids` or pseudonym one of `pseudonyms`
    (at least one of the two given)."""
    conditions = []
    if ids:
        conditions.append(Returnee.id.in_(ids))
    if pseudonyms:
        conditions.append(Returnee.pseudonym.in_(pseudonyms))
    return session.execute(select(Returnee.id, Returnee.pseudonym).where(
        Returnee.agreement_id == agreement_id, or_(*conditions))).all()


def returnees_by_ids(session: Session, ids: Collection[int]) -> dict[int, Returnee]:
    """The returnees of `ids` (not empty), by id."""
    return {row.id: row for row in session.execute(select(Returnee).where(Returnee.id.in_(ids))).scalars()}


def returnee_pseudonyms(session: Session, ids: list[int]) -> list[tuple[int, str | None]]:
    """(id, pseudonym) of the returnees of `ids`."""
    return session.execute(select(Returnee.id, Returnee.pseudonym).where(Returnee.id.in_(ids))).all()


def obligations_in(session: Session, agreement_id: int, periods: Collection[str], kinds: Collection[str]) -> list:
    """The agreement's obligations of `periods` and `kinds`, in id order: rows of what an invoice line is matched and
    compared on (id, kind, returnee_id, period, status, amount, currency), not whole objects."""
    if not kinds:
        return []
    return list(session.execute(
        select(Obligation.id, Obligation.kind, Obligation.returnee_id, Obligation.period, Obligation.status,
               Obligation.amount, Obligation.currency)
        .where(Obligation.agreement_id == agreement_id, Obligation.period.in_(periods), Obligation.kind.in_(kinds))
        .order_by(Obligation.id)).all())
