"""What other features and the pages may read of the parties' tables (the parties' door for reads)."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from ledger.listing import Listing
from ledger.parties.models import BankAccount, Party


def exists(session: Session, code: str) -> bool:
    return session.get(Party, code) is not None


def account_labels(session: Session, codes: list[str]) -> dict[str, list[str]]:
    """Per party code, its bank accounts as "IBAN (currency)", in the order they were registered."""
    rows = session.execute(select(BankAccount.party_code, BankAccount.iban, BankAccount.currency)
                           .where(BankAccount.party_code.in_(codes)).order_by(BankAccount.id)).all()
    out: dict[str, list[str]] = {}
    for code, iban, currency in rows:
        out.setdefault(code, []).append(f"{iban} ({currency})")
    return out


def all_bank_accounts(session: Session) -> list[BankAccount]:
    """Every registered bank account, by party and IBAN."""
    return list(session.execute(select(BankAccount).order_by(BankAccount.party_code, BankAccount.iban)).scalars())


def account_numbers_of(party) -> tuple[Select, Select]:
    """Subqueries of `party`'s registered accounts (`party`: its code, or a bound parameter for it): their IBANs,
    and the BBANs a domestic statement names them by."""
    own = BankAccount.party_code == party
    return select(BankAccount.iban).where(own), select(func.substr(BankAccount.iban, 5)).where(own)


LISTING = Listing(
    query=lambda: select(Party),
    orders={"code": Party.code, "name": Party.name, "contact_point": Party.contact_point},
    tiebreak=Party.code,
    filters={"q": lambda q, v: q.where(or_(Party.code.icontains(v, autoescape=True),
                                           Party.name.icontains(v, autoescape=True)))},
)


def count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Party)).scalar_one()


def names(session: Session, codes: Select | None = None) -> dict[str, str]:
    """Code → name of the parties (of `codes`, a select of codes, when given), by name."""
    query = select(Party.code, Party.name)
    if codes is not None:
        query = query.where(Party.code.in_(codes))
    return dict(session.execute(query.order_by(Party.name)).all())


def iban_owners(session: Session) -> list[tuple[str, str]]:
    """(IBAN, owning party) of every registered bank account."""
    return session.execute(select(BankAccount.iban, BankAccount.party_code)).all()


def iban_currencies(session: Session) -> list[tuple[str, str]]:
    """(IBAN, currency) of every registered bank account."""
    return session.execute(select(BankAccount.iban, BankAccount.currency)).all()


def owner_of(session: Session, iban: str) -> str | None:
    """The party that registered `iban` (as stored: compact, upper case), if one did."""
    return session.execute(select(BankAccount.party_code).where(BankAccount.iban == iban)).scalar()


def get(session: Session, code: str) -> Party | None:
    return session.get(Party, code)


def with_reporting_currency(session: Session) -> list[Party]:
    """The parties that report in a currency of their own (revalued into it), by code."""
    return list(session.execute(select(Party).where(Party.reporting_currency.is_not(None))
                                .order_by(Party.code)).scalars())


def codes_matching(session: Session, text: str) -> list[str]:
    """The codes of the parties whose code is `text` or whose name contains it (either case)."""
    like = f"%{text.strip().lower()}%"
    return list(session.execute(select(Party.code).where(or_(func.lower(Party.code) == text.strip().lower(),
                                                              func.lower(Party.name).like(like)))).scalars())


def bank_account(session: Session, iban: str) -> BankAccount | None:
    """The registered bank account `iban` (as stored: compact, upper case), if one is."""
    return session.execute(select(BankAccount).where(BankAccount.iban == iban)).scalar()


def bank_accounts_of(session: Session, party: str) -> list[BankAccount]:
    """The bank accounts `party` registered, in the order it registered them."""
    return list(session.execute(select(BankAccount).where(BankAccount.party_code == party)
                                .order_by(BankAccount.id)).scalars())


def first_iban_in(session: Session, party: str, currency: str) -> str | None:
    """The IBAN of the first account `party` registered in `currency`, if it registered one."""
    return session.execute(select(BankAccount.iban).where(BankAccount.party_code == party,
                                                          BankAccount.currency == currency)
                           .order_by(BankAccount.id)).scalars().first()
