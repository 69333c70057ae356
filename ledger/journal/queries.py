"""Read models of the journal for the API (pages of accounts with balances, entries with postings) and for the
pages (the accounts, entries and periods as their tables sort and filter them, the dashboard's figures)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import BindParameter, ColumnElement, Integer, Select, bindparam, case, exists, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from ledger import db, listing
from ledger.auth import Principal
from ledger.journal import service
from ledger.journal.models import Account, JournalEntry, Period, Posting
from ledger.journal.rules import canonical_rate
from ledger.listing import Listing, either_party
from ledger.money import Money
from ledger.parties.queries import account_numbers_of


def visible_accounts(party) -> ColumnElement[bool]:
    """The accounts a partner (`party`: its code, or a bound parameter for it) sees: those it is a side of, and
    those of its registered bank accounts (named by IBAN, or by the BBAN a domestic statement uses). Staff see
    all."""
    ibans, bbans = account_numbers_of(party)
    return or_(Account.party_code == party, Account.counterparty_code == party,
               Account.bank_account.in_(ibans), Account.bank_account.in_(bbans))


#: The account page's filters, each (argument, whether a request uses it): those used name its select's shape.
_ACCOUNT_FILTERS = (("purpose", lambda v: v is not None), ("agreement_id", lambda v: v is not None),
                    ("bank_account", bool), ("party", bool))


def account_page(session: Session, principal: Principal, args: dict) -> dict:
    values = {name: args[name] for name, used in _ACCOUNT_FILTERS if used(args.get(name))}
    if "bank_account" in values:  # as statements name it: compact, upper case
        values["bank_account"] = "".join(values["bank_account"].split()).upper()
    if principal.is_partner:
        values["scope"] = principal.party
    result = listing.prepared_rows_page(("accounts", *sorted(values)), lambda _after: _account_query(values),
                                        Account.id, args, values)
    sums = service.balances_of(session, [a["id"] for a in result["items"]], as_of=args.get("as_of"),
                               period=args.get("period"))
    for account in result["items"]:
        account["balance"] = Money(sums.get(account["id"], Decimal(0)), account["currency"])
    return result


def _account_query(used: dict) -> Select:
    """The account page's select for the filters `used` (their values as bound parameters of the same names)."""
    query = listing.columns_of(Account)
    if "scope" in used:
        query = query.where(visible_accounts(bindparam("scope")))
    for name, column in (("purpose", Account.purpose), ("agreement_id", Account.agreement_id),
                         ("bank_account", Account.bank_account)):
        if name in used:
            query = query.where(column == bindparam(name))
    if "party" in used:
        query = query.where(or_(Account.party_code == bindparam("party"),
                                Account.counterparty_code == bindparam("party")))
    return query


def entry_page(session: Session, principal: Principal, args: dict) -> dict:
    values = {name: args[name] for name in ("period", "source_type", "source_id", "account") if args.get(name)}
    if principal.is_partner:
        values["scope"] = principal.party
    if _by_postings(values):
        dialect = session.get_bind().dialect.name
        shape, build = (("entries", dialect, *sorted(values)),
                        lambda after: _entry_query_by_postings(values, after, dialect))
        if dialect == "sqlite":  # the horizon's offset: the entry after a page's last
            values["page_horizon"] = args.get("limit", 100)
    else:
        shape, build = ("entries", *sorted(values)), lambda after: _entry_query(values, after)
    result = listing.prepared_rows_page(shape, build, JournalEntry.id, args, values)
    postings = _postings_of(session, [e["id"] for e in result["items"]])
    for entry in result["items"]:
        entry["postings"] = postings[entry["id"]]
    return result


def _by_postings(used: dict) -> bool:
    """Whether the page is read from the postings of the accounts it is narrowed to (a partner's, or one account)
    rather than by walking the journal: a walk stops early where those accounts have many entries, but crosses
    the whole journal for an account with few. A source filter keeps the walk: the postings do not carry it, and
    its index narrows the walk itself."""
    return ("scope" in used or "account" in used) and not ("source_type" in used or "source_id" in used)


def _entry_query(used: dict, after: BindParameter | None) -> Select:
    """The entry page's select for the filters `used` (their values as bound parameters of the same names);
    `after`: the cursor's parameter, on pages after the first."""
    query = listing.columns_of(JournalEntry)
    for name in ("period", "source_type", "source_id"):
        if name in used:
            query = query.where(getattr(JournalEntry, name) == bindparam(name))
    if "account" in used:
        query = query.where(exists().where(Posting.entry_id == JournalEntry.id, Posting.account_id == Account.id,
                                           Account.code == bindparam("account")))
    if "scope" in used:
        visible = exists().where(Posting.entry_id == JournalEntry.id, Posting.account_id == Account.id,
                                 visible_accounts(bindparam("scope")))
        if after is not None:  # PostgreSQL merges the postings in entry order: from the cursor, not the start
            visible = visible.where(Posting.entry_id > after)
        query = query.where(visible)
    return query


#: Above any entry id: the horizon of accounts that all have fewer entries than a page.
_NO_HORIZON = 2**62


def _entry_query_by_postings(used: dict, after: BindParameter | None, dialect: str) -> Select:
    """The entry page narrowed to a partner's accounts or to one account (perhaps to a period), read from those
    accounts' postings, each account's in entry order (`ix_postings_account_entry`; in a period
    `ix_postings_account_period`). Their postings from the cursor on could be a million; a page needs the first
    `page_limit` entries, which are among each account's first `page_limit`: so a page reads at most accounts ×
    2 × `page_limit` index entries, whether the accounts are busy or quiet.

    PostgreSQL takes each account's first entries by a LATERAL subquery with a LIMIT, which its planner cannot turn
    into a walk of the postings by entry (it did so for the form below, not knowing the horizon when it plans).
    SQLite has no LATERAL: the horizon bounds the read instead. For each account, its `page_limit`-th entry from
    the cursor, and the least of them: at least `page_limit` entries lie at or before it (that account's), so the
    page lies there too, and no account has more than `page_limit` entries up to it; where every account has fewer
    (no horizon), all their entries are fewer than accounts × a page."""
    accounts = select(Account.id)
    if "scope" in used:
        accounts = accounts.where(visible_accounts(bindparam("scope")))
    if "account" in used:
        accounts = accounts.where(Account.code == bindparam("account"))
    accounts = accounts.cte("narrowed_accounts")

    def entries_of_account() -> tuple[Select, ColumnElement]:  # an account's entries from the cursor (in a period)
        posting = Posting.__table__.alias()
        query = select(posting.c.entry_id).where(posting.c.account_id == accounts.c.id)
        if after is not None:
            query = query.where(posting.c.entry_id > after)
        if "period" in used:
            query = query.where(posting.c.period == bindparam("period"))
        return query, posting.c.entry_id

    query, entry = entries_of_account()
    firsts = query.distinct().order_by(entry)  # DISTINCT: an entry may post twice to an account; a page counts entries
    if dialect == "postgresql":
        firsts = firsts.limit(bindparam("page_limit", type_=Integer)).lateral("firsts")
        within = select(firsts.c.entry_id).select_from(accounts).join(firsts, true())
    else:
        nth = firsts.limit(1).offset(bindparam("page_horizon", type_=Integer)).scalar_subquery()
        horizon = func.coalesce(select(func.min(nth)).select_from(accounts).correlate(None).scalar_subquery(),
                                _NO_HORIZON)
        query, entry = entries_of_account()
        within = query.where(entry <= horizon)
    return listing.columns_of(JournalEntry).where(JournalEntry.id.in_(within))


_P, _A = Posting.__table__.c, Account.__table__.c
#: The postings of a page of entries (`_postings_of`), built once.
_POSTINGS = (select(_P.entry_id, _P.line, _A.code, _P.currency, _P.amount, _P.fx_rate, _P.fx_source,
                    _P.original_amount, _P.original_currency)
             .join_from(Posting.__table__, Account.__table__, _A.id == _P.account_id)
             .where(_P.entry_id.in_(bindparam("entry_ids", expanding=True))).order_by(_P.entry_id, _P.line))


def _postings_of(session: Session, entry_ids: list[int]) -> dict[int, list[dict]]:
    """The postings of a page of entries: plain rows (a Core select of the columns), not ORM objects, which cost
    most of the list's time to build and then were read once."""
    rows = session.connection().execute(_POSTINGS, {"entry_ids": entry_ids}).all()  # one fetchall
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


# ---- for the pages ------------------------------------------------------------------------------------

_BALANCES = select(Posting.account_id, func.sum(Posting.amount).label("total")).group_by(Posting.account_id) \
    .subquery("balances")
_BALANCE = func.coalesce(_BALANCES.c.total, 0)


#: Rows `(Account, balance)`: each account with the sum of its postings.
ACCOUNTS = Listing(
    query=lambda: select(Account, _BALANCE.label("balance")).outerjoin(_BALANCES, _BALANCES.c.account_id == Account.id),
    orders={"code": Account.code, "purpose": Account.purpose, "party": Account.party_code,
            "counterparty": Account.counterparty_code, "agreement": Account.agreement_id,
            "currency": Account.currency, "balance": _BALANCE},
    tiebreak=Account.id,
    filters={"purpose": lambda q, v: q.where(Account.purpose == v),
             "party": either_party(Account.party_code, Account.counterparty_code),
             "currency": lambda q, v: q.where(Account.currency == v.upper()),
             "nonzero": lambda q, v: q.where(_BALANCE != 0) if v == "nonzero" else q},
)


def account_purposes(session: Session) -> list[str]:
    return list(session.execute(select(Account.purpose).distinct().order_by(Account.purpose)).scalars())


def account_currencies(session: Session) -> list[str]:
    return list(session.execute(select(Account.currency).distinct().order_by(Account.currency)).scalars())


def _by_account(query: Select, code: str) -> Select:
    """The entries with a posting on the account: its entries from its postings (`ix_postings_account_entry`),
    whose number the page's count reads, rather than a test of every entry of the journal (an EXISTS each). The
    account is looked up first: knowing only its code, PostgreSQL's planner took any account for a busy one and
    walked the journal, 0.7 s at a million entries for an account with ten."""
    account_id = db.session().execute(select(Account.id).where(Account.code == code)).scalar()
    return query.where(JournalEntry.id.in_(select(Posting.entry_id).where(Posting.account_id == account_id)))


ENTRIES = Listing(
    query=lambda: select(JournalEntry),
    orders={"id": JournalEntry.id, "effective_date": JournalEntry.effective_date, "period": JournalEntry.period,
            "source_type": JournalEntry.source_type},
    tiebreak=JournalEntry.id,
    filters={"period": lambda q, v: q.where(JournalEntry.period == v),
             "source_type": lambda q, v: q.where(JournalEntry.source_type == v), "account": _by_account},
)


def source_types(session: Session) -> list[str]:
    return list(session.execute(select(JournalEntry.source_type).distinct().order_by(JournalEntry.source_type))
                .scalars())


def debits_of(session: Session, entry_ids: list[int]) -> dict[int, list[Money]]:
    """Per entry, the total of its debits, one per currency (an entry may convert between currencies)."""
    rows = session.execute(
        select(Posting.entry_id, Posting.currency, func.sum(Posting.amount))
        .where(Posting.entry_id.in_(entry_ids), Posting.amount > 0)
        .group_by(Posting.entry_id, Posting.currency).order_by(Posting.entry_id, Posting.currency)).all()
    out: dict[int, list[Money]] = {}
    for entry_id, currency, total in rows:
        out.setdefault(entry_id, []).append(Money(Decimal(total), currency))
    return out


def entry(session: Session, entry_id: int) -> JournalEntry | None:
    return session.get(JournalEntry, entry_id)


def lines_of(session: Session, entry_id: int) -> list[tuple[Posting, str]]:
    """An entry's postings in line order, each with its account's code."""
    return list(session.execute(select(Posting, Account.code).join(Account, Account.id == Posting.account_id)
                                .where(Posting.entry_id == entry_id).order_by(Posting.line)).all())


def reversal_of(session: Session, entry_id: int) -> int | None:
    """The entry that reverses `entry_id`, if one does."""
    return session.execute(select(JournalEntry.id).where(JournalEntry.reverses_id == entry_id)).scalar()


def balances_by_purpose(session: Session) -> list[tuple[str, str, object, int]]:
    """(purpose, currency, balance, number of accounts) of the accounts with postings."""
    total = func.coalesce(func.sum(Posting.amount), 0)
    return session.execute(
        select(Account.purpose, Account.currency, total.label("balance"), func.count(func.distinct(Account.id)))
        .select_from(Account).join(Posting, Posting.account_id == Account.id)
        .group_by(Account.purpose, Account.currency).order_by(Account.purpose, Account.currency)
    ).all()


def entries_at_a_glance(session: Session) -> tuple[int, object]:
    """How many entries the journal holds, and the latest effective date among them."""
    return tuple(session.execute(select(func.count(JournalEntry.id), func.max(JournalEntry.effective_date))).one())


def latest_periods(session: Session, count: int) -> list[tuple[str, str]]:
    """(period, status) of the `count` latest periods, latest first."""
    return session.execute(select(Period.period, Period.status).order_by(Period.period.desc()).limit(count)).all()


PERIODS = Listing(
    query=lambda: select(Period),
    orders={"period": Period.period, "status": Period.status, "closed_at": Period.closed_at},
    tiebreak=Period.period,
    filters={"status": lambda q, v: q.where(Period.status == v)},
)


# ---- for the features ---------------------------------------------------------------------------------

def agreement_sums(session: Session, purposes: tuple[str, ...], period: str, last: str, party: str | None = None,
                   payer: str | None = None, agreement_id: int | None = None) -> list[tuple]:
    """One SQL aggregate over the accounts of `purposes` that belong to an agreement: per agreement, currency,
    source type and purpose, the sum of the postings before `period` and of those from `period` to `last`; of the
    agreements `party` is a side of, or `payer` pays (the account's counterparty), or of one agreement, when given.

    A reversal counts under the source type of the entry it reverses."""
    before = func.sum(case((Posting.period < period, Posting.amount), else_=0))
    during = func.sum(case((Posting.period >= period, Posting.amount), else_=0))
    reversed_entry = aliased(JournalEntry)
    source = func.coalesce(reversed_entry.source_type, JournalEntry.source_type)
    query = (
        select(Account.agreement_id, Posting.currency, source, Account.purpose, before, during)
        .join(Account, Account.id == Posting.account_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .outerjoin(reversed_entry, reversed_entry.id == JournalEntry.reverses_id)
        .where(Account.purpose.in_(purposes), Account.agreement_id.is_not(None), Posting.period <= last)
        .group_by(Account.agreement_id, Posting.currency, source, Account.purpose)
    )
    if party is not None:
        query = query.where(or_(Account.party_code == party, Account.counterparty_code == party))
    if payer is not None:
        query = query.where(Account.counterparty_code == payer)
    if agreement_id is not None:
        query = query.where(Account.agreement_id == agreement_id)
    return session.execute(query).all()


def agreements_of_party(session: Session, party: str) -> set[int]:
    """The agreements with an account `party` is a side of."""
    query = select(Account.agreement_id).where(
        Account.agreement_id.is_not(None), or_(Account.party_code == party, Account.counterparty_code == party)
    ).distinct()
    return set(session.execute(query).scalars())


def stored_period_status(session: Session, period: str) -> str | None:
    """The status of `period`'s row ("open" or "closed"); None when the journal has no row for it."""
    row = session.get(Period, period)
    return row.status if row is not None else None


def open_periods_before(session: Session, period: str) -> list[str]:
    """The periods before `period` that are still open, in order."""
    return list(session.execute(select(Period.period).where(Period.period < period, Period.status == "open")
                                .order_by(Period.period)).scalars())


def existing_codes(session: Session, codes: list[str]) -> list[str]:
    """Which of the account codes the journal holds an account for."""
    return list(session.execute(select(Account.code).where(Account.code.in_(codes))).scalars())


def balance_of(session: Session, code: str, as_of: date | None = None) -> object | None:
    """The sum of the postings on account `code` (to the end of `as_of`, when given); None when it has none."""
    query = (select(func.sum(Posting.amount)).join(Account, Account.id == Posting.account_id)
             .where(Account.code == code))
    if as_of is not None:
        query = query.where(Posting.effective_date <= as_of)
    return session.execute(query).scalar()


def entries_of_source(session: Session, source_type: str, source_id: str) -> list[tuple[int, date]]:
    """(id, effective date) of the entries a source posted, in order."""
    return session.execute(
        select(JournalEntry.id, JournalEntry.effective_date)
        .where(JournalEntry.source_type == source_type, JournalEntry.source_id == source_id)
        .order_by(JournalEntry.id)
    ).all()


def movements_in_other_currencies(session: Session, party: str, currency: str, period: str,
                                  as_counterparty: tuple[str, ...], as_party: tuple[str, ...]) -> list[tuple]:
    """(account, effective date, amount) of the postings up to `period` on `party`'s accounts not in `currency`:
    those of purposes `as_counterparty` where it is the counterparty, and of `as_party` where it is the party."""
    query = (select(Account, Posting.effective_date, Posting.amount)
             .join(Posting, Posting.account_id == Account.id)
             .where(Account.currency != currency, Posting.period <= period,
                    or_(Account.purpose.in_(as_counterparty) & (Account.counterparty_code == party),
                        Account.purpose.in_(as_party) & (Account.party_code == party))))
    return session.execute(query).all()


def closed_among(session: Session, periods: list[str]) -> list[str]:
    """Which of `periods` are closed."""
    return list(session.execute(select(Period.period).where(Period.period.in_(periods),
                                                            Period.status == "closed")).scalars())


def bank_account_sums(session: Session, purpose: str, period: str) -> list[tuple[str | None, str, str, object, object]]:
    """(bank account, currency, source type, sum of the postings up to `period`, sum of those in `period`) of the
    accounts of `purpose`."""
    return session.execute(
        select(Account.bank_account, Posting.currency, JournalEntry.source_type,
               func.sum(Posting.amount).filter(Posting.period <= period),
               func.sum(Posting.amount).filter(Posting.period == period))
        .join(Posting, Posting.account_id == Account.id).join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Account.purpose == purpose)
        .group_by(Account.bank_account, Posting.currency, JournalEntry.source_type)).all()
