"""Parties: the states on either side of agreements and claims, with their registered bank accounts."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ledger.audit.service import describe, record_change
from ledger.db import fetch
from ledger.errors import Conflict, check_if_match
from ledger.parties.models import BankAccount, Party
from ledger.wire import Extended


def get(session: Session, code: str) -> Party:
    return fetch(session, Party, code, "party")


def bank_accounts(session: Session, code: str) -> list[BankAccount]:
    return list(session.execute(select(BankAccount).where(BankAccount.party_code == code)
                                .order_by(BankAccount.id)).scalars())


def registered(session: Session, party: Party) -> Extended:
    """The party with its bank accounts (`bank_accounts`)."""
    return Extended(party, bank_accounts=bank_accounts(session, party.code))


def registered_page(session: Session, parties: list[dict]) -> None:
    """A page of parties read as rows (`listing.rows_page`), each given its `bank_accounts` as `registered` gives
    them, every party's read by one query (a query per party made a page of 100 cost 101 round trips)."""
    accounts: dict[str, list[dict]] = {party["code"]: [] for party in parties}
    if accounts:
        b = BankAccount.__table__.c
        for account in session.connection().execute(select(b.party_code, b.iban, b.bic, b.currency)
                                                     .where(b.party_code.in_(list(accounts))).order_by(b.id)):
            accounts[account.party_code].append({"iban": account.iban, "bic": account.bic,
                                                 "currency": account.currency})
    for party in parties:
        party["bank_accounts"] = accounts[party["code"]]


def etag(party: Party) -> str:
    return f'"party-{party.code}-{party.version}"'


def _replace_accounts(session: Session, code: str, accounts: list[dict]) -> None:
    ibans = [a["iban"] for a in accounts]
    if len(set(ibans)) != len(ibans):
        raise Conflict("the same IBAN is listed twice", code="iban_registered")
    taken = ibans and session.execute(  # no IBANs: none can be another party's, and no query needs asking
        select(BankAccount.iban).where(BankAccount.iban.in_(ibans), BankAccount.party_code != code)
    ).scalars().first()
    if taken:
        raise Conflict("an IBAN in this request is registered to another party", code="iban_registered")
    session.execute(delete(BankAccount).where(BankAccount.party_code == code))
    session.add_all(BankAccount(party_code=code, **a) for a in accounts)
    session.flush()
    # Imported here: statements build on parties, not the other way round.
    from ledger.statements.service import attach_unknown_transfers

    for iban in ibans:  # transfers that waited for one of these accounts are now the party's
        attach_unknown_transfers(session, iban)


def create(session: Session, data: dict) -> Party:
    if session.get(Party, data["code"]) is not None:
        raise Conflict(f"party {data['code']} exists already", code="party_exists")
    party = Party(code=data["code"], name=data["name"], contact_point=data["contact_point"],
                  fiscal_year_start_month=data.get("fiscal_year_start_month", 1),
                  reporting_currency=data.get("reporting_currency"))
    session.add(party)
    session.flush()
    _replace_accounts(session, party.code, data["bank_accounts"])
    session.flush()
    describe(session, "party.create", "party", party.code, f"{len(data['bank_accounts'])} bank accounts")
    return party


def update(session: Session, code: str, data: dict, if_match: str | None) -> Party:
    party = get(session, code)
    check_if_match(etag(party), if_match, "party")
    party.name, party.contact_point = data["name"], data["contact_point"]
    for name in ("fiscal_year_start_month", "reporting_currency"):  # additive: a PUT without them keeps them
        if name in data:
            setattr(party, name, data[name])
    _replace_accounts(session, code, data["bank_accounts"])
    record_change(session, party, "party.update", "party", code,
                  lambda: f"version {party.version}")  # the version bumped
    return party
