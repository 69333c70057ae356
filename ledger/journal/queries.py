"""Read models of the journal for the API: pages of accounts with balances, entries with postings."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from ledger import listing
from ledger.auth import Principal
from ledger.journal import service
from ledger.journal.models import Account, JournalEntry, Posting
from ledger.journal.rules import canonical_rate
from ledger.money import Money
from ledger.parties.queries import account_numbers_of
from ledger.wire import Extended


def visible_accounts(principal: Principal):
    """A partner sees the accounts it is a side of, and those of its registered bank accounts (named by IBAN, or by
    the BBAN a domestic statement uses); staff see all."""
    if not principal.is_partner:
        return None
    ibans, bbans = account_numbers_of(principal.party)
    return or_(Account.party_code == principal.party, Account.counterparty_code == principal.party,
               Account.bank_account.in_(ibans), Account.bank_account.in_(bbans))


def account_page(session: Session, principal: Principal, args: dict) -> dict:
    query = select(Account)
    scope = visible_accounts(principal)
    if scope is not None:
        query = query.where(scope)
    for name, column in (("purpose", Account.purpose), ("agreement_id", Account.agreement_id)):
        if args.get(name) is not None:
            query = query.where(column == args[name])
    if args.get("bank_account"):  # as statements name it: compact, upper case
        query = query.where(Account.bank_account == "".join(args["bank_account"].split()).upper())
    if args.get("party"):
        query = query.where(or_(Account.party_code == args["party"], Account.counterparty_code == args["party"]))
    result = listing.page(query, Account.id, args)
    sums = service.balances_of(session, [a.id for a in result["items"]], as_of=args.get("as_of"),
                               period=args.get("period"))
    result["items"] = [Extended(a, balance=Money(sums.get(a.id, Decimal(0)), a.currency)) for a in result["items"]]
    return result




def entry_page(session: Session, principal: Principal, args: dict) -> dict:
    query = select(JournalEntry)
    for name in ("period", "source_type", "source_id"):
        if args.get(name):
            query = query.where(getattr(JournalEntry, name) == args[name])
    if args.get("account"):
        query = query.where(exists().where(
            Posting.entry_id == JournalEntry.id, Posting.account_id == Account.id, Account.code == args["account"]))
    scope = visible_accounts(principal)
    if scope is not None:
        visible = exists().where(Posting.entry_id == JournalEntry.id, Posting.account_id == Account.id, scope)
        after = listing.cursor_value(JournalEntry.id, args)
        if after is not None:  # PostgreSQL merges the postings in entry order: from the cursor, not the start
            visible = visible.where(Posting.entry_id > after)
        query = query.where(visible)
    result = listing.page(query, JournalEntry.id, args)
    postings = _postings_of(session, [e.id for e in result["items"]])
    result["items"] = [Extended(e, postings=postings[e.id]) for e in result["items"]]
    return result


def _postings_of(session: Session, entry_ids: list[int]) -> dict[int, list[dict]]:
    """The postings of a page of entries: plain rows (a Core select of the columns), not ORM objects, which cost
    most of the list's time to build and then were read once."""
    p, a = Posting.__table__.c, Account.__table__.c
    rows = session.connection().execute(
        select(p.entry_id, p.line, a.code, p.currency, p.amount, p.fx_rate, p.fx_source, p.original_amount,
               p.original_currency)
        .join_from(Posting.__table__, Account.__table__, a.id == p.account_id)
        .where(p.entry_id.in_(entry_ids)).order_by(p.entry_id, p.line)
    )
    out: dict[int, list[dict]] = defaultdict(list)
    for entry_id, line, code, currency, amount, fx_rate, fx_source, original_amount, original_currency in rows:
        out[entry_id].append({
            "line": line, "account": code, "currency": currency,
            "amount": Money(Decimal(amount), currency),
            "fx_rate": canonical_rate(Decimal(fx_rate)) if fx_rate is not None else None,
            "fx_source": fx_source,
            "original_amount": (Money(Decimal(original_amount), original_currency)
                                if original_amount is not None else None),
            "original_currency": original_currency,
        })
    return out
