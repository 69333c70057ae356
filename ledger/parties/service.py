"""Parties: the states on either side of agreements and claims, with their registered bank accounts."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from ledger.audit.service import describe
from ledger.db import fetch
from ledger.errors import Conflict, check_if_match
from ledger.parties.models import BankAccount, Party
from ledger.wire import Extended


def get(session: Session, code: str) -> Party:
    return fetch(session, Party, code, "party")


_B = BankAccount.__table__.c
#: What a party's answer shows of its bank accounts, in the order they were registered (by id, as inserted); built
#: once: a party's read is a partner's most frequent request, and building the select cost more than running it.
_SHOWN_ACCOUNTS = select(_B.party_code, _B.iban, _B.bic, _B.currency).order_by(_B.id)
_ACCOUNTS_OF_PARTY = _SHOWN_ACCOUNTS.where(_B.party_code == bindparam("code"))
_ACCOUNTS_OF_PARTIES = _SHOWN_ACCOUNTS.where(_B.party_code.in_(bindparam("codes", expanding=True)))


def bank_accounts(session: Session, code: str) -> list[dict]:
    """The party's bank accounts as its answer shows them: rows, not model objects the answer reads once."""
    return [_shown(account) for account in session.connection().execute(_ACCOUNTS_OF_PARTY, {"code": code})]


def _shown(account) -> dict:
    return {"iban": account.iban, "bic": account.bic, "currency": account.currency}


def registered(session: Session, party: Party, accounts: list[BankAccount] | None = None) -> Extended:
    """The party with its bank accounts (`bank_accounts`); `accounts`: those, when the caller holds them already."""
    return Extended(party, bank_accounts=bank_accounts(session, party.code) if accounts is None else accounts)


def registered_page(session: Session, parties: list[dict]) -> None:
    """A page of parties read as rows (`listing.rows_page`), each given its `bank_accounts` as `registered` gives
    them, every party's read by one query (a query per party made a page of 100 cost 101 round trips)."""
    accounts: dict[str, list[dict]] = {party["code"]: [] for party in parties}
    if accounts:
        for account in session.connection().execute(_ACCOUNTS_OF_PARTIES, {"codes": list(accounts)}):
            accounts[account.party_code].append(_shown(account))
    for party in parties:
        party["bank_accounts"] = accounts[party["code"]]


def etag(party: Party) -> str:
    return f'"party-{party.code}-{party.version}"'


def _replace_accounts(session: Session, code: str, accounts: list[dict], fresh: bool = False) -> list[BankAccount]:
    """Register `accounts` as the party's only ones (`fresh`: a party added in this step, with none to remove);
    the accounts as written, in the order `bank_accounts` reads them back (by id, as inserted)."""
    ibans = [a["iban"] for a in accounts]
    if len(set(ibans)) != len(ibans):
        raise Conflict("the same IBAN is listed twice", code="iban_registered")
    taken = ibans and session.execute(  # no IBANs: none can be another party's, and no query needs asking
        select(BankAccount.iban).where(BankAccount.iban.in_(ibans), BankAccount.party_code != code)
    ).scalars().first()
    if taken:
        raise Conflict("an IBAN in this request is registered to another party", code="iban_registered")
    if not fresh:
        session.execute(delete(BankAccount).where(BankAccount.party_code == code))
    written = [BankAccount(party_code=code, **a) for a in accounts]
    session.add_all(written)
    session.flush()
    # Imported here: statements build on parties, not the other way round.
    from ledger.statements.service import attach_unknown_transfers

    for iban in ibans:  # transfers that waited for one of these accounts are now the party's
        attach_unknown_transfers(session, iban)
    return written


def create(session: Session, data: dict) -> tuple[Party, dict]:
    """Register a party; with its bank accounts as written (`registered`'s arguments), so that the answer shows
    them without reading them back."""
    if session.get(Party, data["code"]) is not None:
        raise Conflict(f"party {data['code']} exists already", code="party_exists")
    party = Party(code=data["code"], name=data["name"], contact_point=data["contact_point"],
                  fiscal_year_start_month=data.get("fiscal_year_start_month", 1),
                  reporting_currency=data.get("reporting_currency"))
    session.add(party)
    session.flush()
    accounts = _replace_accounts(session, party.code, data["bank_accounts"], fresh=True)
    describe(session, "party.create", "party", party.code, f"{len(data['bank_accounts'])} bank accounts")
    return party, {"accounts": accounts}


def update(session: Session, code: str, data: dict, if_match: str | None) -> tuple[Party, dict]:
    """Replace the party's details; with its bank accounts as written, as `create`."""
    party = get(session, code)
    check_if_match(etag(party), if_match, "party")
    # Not `record_change`: its flush after the accounts adds an UPDATE; before them, it precedes their audit notes.
    party.version += 1  # with the details: the replacement's flush writes both by one UPDATE, not two
    party.name, party.contact_point = data["name"], data["contact_point"]
    for name in ("fiscal_year_start_month", "reporting_currency"):  # additive: a PUT without them keeps them
        if name in data:
            setattr(party, name, data[name])
    accounts = _replace_accounts(session, code, data["bank_accounts"])
    describe(session, "party.update", "party", code, f"version {party.version}")
    return party, {"accounts": accounts}
