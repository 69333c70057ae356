"""Importing bank statements: stream-parse the file, insert its booked transfers in chunks, once each.

One import is one transaction (the request's, or the CLI's `transaction()`): a parse error anywhere, even
after a million entries, raises a `Problem` naming the place in the file and the caller rolls it all back.
Nothing is held per entry but the current chunk, so memory does not grow with the file.

Dedup is the database's job: `transfers.fingerprint` is UNIQUE and every chunk is inserted with
ON CONFLICT DO NOTHING (SQLite and PostgreSQL alike), so the same entries imported again (the same file,
overlapping statements, a statement re-sent under a new message id) add nothing; the answer counts them as
duplicates. Only booked entries become transfers: pending and information-only entries (camt.052/.054)
have not moved money and come back booked in a later statement.

What the bank states about a payment made in another currency (the instructed amount and the rate) is
stored with each transfer the import creates, as a `TransferFx` row (source "statement"), in the same
transaction and chunk by chunk like the transfers.

Every transfer the import creates is posted to the journal in the same transaction (`cash`): cash at the bank
account against its suspense account, until reconciliation explains it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from typing import BinaryIO

from sqlalchemy import Connection, and_, column, func, insert, or_, select, table, update
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session

from ledger.audit.service import describe
from ledger.db import AMOUNT, fetch, hold_reconciliation_lock, sqlite_values, update_from_values
from ledger.errors import Conflict, Unprocessable, field_error
from ledger.journal.rules import RATE_QUANTUM
from ledger.money import Money
from ledger.parties import queries as parties
from ledger.statements import cash
from ledger.statements.cash import bank_key as bank_key  # the door to a bank account's journal keys (cash.py)
from ledger.statements.models import Statement, StatementPart, Transfer, TransferFx
from ledger.statements.parsing import (
    ParsedStatement,
    ParsedTransfer,
    StatementEnd,
    StatementParseError,
    parse,
)
from ledger.statements.voiding import void_import as void_import  # the door to voiding an import (voiding.py)
from ledger.wire import Extended
from ledger.writes import BackgroundWrites, Write

#: Rows per INSERT batch: large enough that round trips do not dominate, small enough to keep memory flat.
CHUNK = 5000
TRANSFER_STATUSES = ("unmatched", "partially_matched", "matched")
#: The source of a conversion read from the statement file itself.
FX_SOURCE = "statement"
_CHECK_ORDER = {"mismatch": 0, "ok": 1, "unavailable": 2}


class _HashingReader:
    """Passes reads through to the parser while hashing the bytes and counting them (for progress)."""

    def __init__(self, stream: BinaryIO, on_progress: Callable[[int], None] | None) -> None:
        self._stream = stream
        self._hash = hashlib.sha256()
        self._on_progress = on_progress
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._hash.update(data)
        self.bytes_read += len(data)
        if self._on_progress is not None and data:
            self._on_progress(len(data))
        return data

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def normalize_account(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def account_owners(session: Session) -> dict[str, str]:
    """Every identifier a bank may use for a registered account (the IBAN, or its BBAN) → the owning party."""
    owners: dict[str, str] = {}
    for iban, party in parties.iban_owners(session):
        compact = normalize_account(iban)
        owners[compact] = party
        owners.setdefault(compact[4:], party)  # the BBAN: what a domestic MT940 :25: often carries
    return owners


def _account_currencies(session: Session) -> dict[str, str]:
    return {normalize_account(i): c for i, c in parties.iban_currencies(session)}


#: The columns of one inserted transfer, in the order `_row` gives them.
COLUMNS = (
    "statement_id", "statement_index", "entry_index", "detail_index", "account", "party_code",
    "counterparty_party", "amount", "currency", "direction", "booking_date", "value_date", "bank_reference",
    "end_to_end_id", "uetr", "structured_reference", "structured_reference_scheme", "remittance_information",
    "counterparty_name", "counterparty_iban", "reversal", "booking_status", "fingerprint", "allocated",
)


def _inserter(session: Session) -> tuple[Callable[[Connection, list[tuple]], None], bool]:
    """(an insert of rows into transfers ON CONFLICT (fingerprint) DO NOTHING, whether values are for SQLite).

    Straight on the DBAPI cursor of the connection it is given (the session's, so inside its transaction): at a
    million rows the ORM's and even Core's per-row parameter processing cost more than the database does.
    SQLite and PostgreSQL share the ON CONFLICT syntax. PostgreSQL: an executemany (psycopg pipelines it).
    SQLite: multi-row VALUES lists (`sqlite_values`), so SQLite inserts and indexes a whole batch in C with the
    GIL released, beside the parser (rows go in, and duplicates lose, in the same order as row by row).
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    head = f"INSERT INTO transfers ({', '.join(COLUMNS)}) VALUES "
    tail = " ON CONFLICT (fingerprint) DO NOTHING"
    single = head + "(" + ", ".join("%s" for _ in COLUMNS) + ")" + tail

    def run(connection: Connection, rows: list[tuple]) -> None:
        if not rows:
            return
        cursor = connection.connection.driver_connection.cursor()
        try:
            if sqlite:
                for values, parameters in sqlite_values(connection, len(COLUMNS), rows):
                    cursor.execute(head + values + tail, parameters)
            else:
                cursor.executemany(single, rows)
        finally:
            cursor.close()

    return run, sqlite


#: Chunks handed to the background writer and not yet stored, at most: the parser stays a chunk or two ahead
#: of the database, and memory stays bounded when the database is the slower of the two.
CHUNKS_IN_FLIGHT = 2


#: SQLite's page cache during an import (KiB): the UNIQUE fingerprint index takes keys in random order, and
#: with the default 2 MB cache a million-row import spends its time re-reading index pages. Bounded, and
#: put back afterwards.
SQLITE_IMPORT_CACHE_KIB = 32768


def _bulk_mode(session: Session) -> Callable[[], None]:
    """Tune the connection for a large import; returns the function that restores it."""
    if session.get_bind().dialect.name != "sqlite":
        return lambda: None
    dbapi = session.connection().connection.driver_connection
    previous = dbapi.execute("PRAGMA cache_size").fetchone()[0]
    dbapi.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    return lambda: dbapi.execute(f"PRAGMA cache_size = {int(previous)}").close()


_SQLITE = sqlite_dialect.dialect()


def _row(transfer: ParsedTransfer, statement_id: int, party: str | None, owners: dict[str, str],
         sqlite: bool) -> tuple:
    """The values of COLUMNS as the column types would bind them (this path skips SQLAlchemy's processing)."""
    account = normalize_account(transfer.account)[:70]
    amount = transfer.amount.amount
    booking, value = transfer.booking_date, transfer.value_date
    if sqlite:
        amount = AMOUNT.process_bind_param(amount, _SQLITE)  # an exact integer of 10**-4 units
        booking = booking.isoformat() if booking else None
        value = value.isoformat() if value else None
    return (
        statement_id, transfer.statement_index, transfer.entry_index, transfer.detail_index, account,
        # A CSV statement has no account of its own: each row names its account.
        party or owners.get(account),
        owners.get(transfer.counterparty_iban) if transfer.counterparty_iban else None,
        amount, transfer.amount.currency, transfer.direction, booking, value,
        _cut(transfer.bank_reference, 140), _cut(transfer.end_to_end_id, 140), _cut(transfer.uetr, 36),
        _cut(transfer.structured_reference, 140), transfer.structured_reference_scheme,
        transfer.remittance_information, _cut(transfer.counterparty_name, 200), _cut(transfer.counterparty_iban, 34),
        transfer.reversal, transfer.status, transfer.fingerprint, 0,
    )


def _cut(value: str | None, size: int) -> str | None:
    return value[:size] if value is not None and len(value) > size else value


def _parse_error(error: StatementParseError) -> Unprocessable:
    where = f" at {error.location}" if error.location else ""
    extra = {"location": error.location} if error.location else {}
    if error.field:
        extra["field"] = error.field  # which field of the record at `location` is at fault
    return Unprocessable(f"{error.message}{where}", code=error.code, errors={"file": [f"{error.message}{where}"]},
                         extra=extra)


def _items(stream, default_currency: str | None) -> Iterator:
    try:
        yield from parse(stream, default_currency=default_currency)
    except StatementParseError as error:
        raise _parse_error(error) from None


def import_statement(
    session: Session,
    stream: BinaryIO,
    *,
    actor: str,
    default_currency: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Statement:
    """Import every statement in `stream` (a binary file object); returns the flushed `Statement`.

    `default_currency` serves only MT940 exports that state no currency anywhere (no balance lines).

    Raises `Unprocessable` (code from the parser: `unknown_format`, `malformed_xml`, `truncated`,
    `missing_currency`, …, with `location`) on a file that cannot be read; the caller rolls back.
    """
    reader = _HashingReader(stream, on_progress)
    owners = account_owners(session)
    currencies = _account_currencies(session)
    record = Statement(format="", balance_check="unavailable", file_sha256="", imported_by=actor[:100])
    session.add(record)
    session.flush()
    insert_rows, sqlite = _inserter(session)
    restore = _bulk_mode(session)
    try:
        _import_items(session, record, reader, default_currency, insert_rows, sqlite, owners, currencies)
    finally:
        restore()
    describe(session, "statement.import", "statement", record.id,
             f"{record.format}: {record.statements} statements, {record.imported} imported, "
             f"{record.duplicates} duplicates, balance {record.balance_check}")
    return record


def _import_items(session: Session, record: Statement, reader: _HashingReader, default_currency: str | None,
                  insert_rows: Callable[[Connection, list[tuple]], None], sqlite: bool, owners: dict[str, str],
                  currencies: dict[str, str]) -> None:
    parts: list[StatementPart] = []
    flags: set[str] = set()
    buffer: list[tuple] = []
    converted: dict[str, ParsedTransfer] = {}  # the chunk's payments in another currency, by fingerprint
    party: str | None = None
    entries = not_booked = 0
    # Each chunk's rows go to a background writer, stored while the parser reads the next chunk: the database's
    # work on `transfers` (its indexes, foreign keys and the fingerprint's ON CONFLICT check: on PostgreSQL in the
    # server, on SQLite in C without the GIL) no longer adds up with the parse. The session is the writer's until
    # the block ends: nothing in the loop reads it. A failed write is raised here, at the latest when the block
    # ends; an error in the parse skips what is queued; either way the caller rolls back.
    with BackgroundWrites(session, max_pending=CHUNKS_IN_FLIGHT) as write:
        for item in _items(reader, default_currency):
            if isinstance(item, ParsedTransfer):
                entries += 1
                if item.status != "booked":
                    not_booked += 1
                    continue
                row = _row(item, record.id, party, owners, sqlite)
                if row[5] is None and row[4]:  # no party_code for a named account
                    flags.add("unknown_account")
                buffer.append(row)
                if item.instructed_amount is not None:
                    converted.setdefault(item.fingerprint, item)  # the first wins, as in the transfer insert
                if len(buffer) >= CHUNK:
                    write(_chunk_write(insert_rows, record.id, buffer, converted))
                    buffer, converted = [], {}
            elif isinstance(item, ParsedStatement):
                part, party = _start_part(record, item, owners, currencies, flags)
                parts.append(part)
            elif isinstance(item, StatementEnd):
                _end_part(parts[-1], item, flags)
        write(_chunk_write(insert_rows, record.id, buffer, converted))
    record.file_sha256 = reader.hexdigest()
    _summarise(session, record, parts, flags, entries, not_booked)
    cash.post_import(session, record, parts)  # every transfer it created moves cash, against suspense


def _chunk_write(insert_rows: Callable[[Connection, list[tuple]], None], statement_id: int, rows: list[tuple],
                 converted: dict[str, ParsedTransfer]) -> Write:
    """A chunk's transfers and then their stated conversions, as one write on the import's connection."""
    def write(connection: Connection) -> None:
        insert_rows(connection, rows)
        _store_fx(connection, statement_id, converted)
    return write


def _store_fx(connection: Connection, statement_id: int, converted: dict[str, ParsedTransfer]) -> None:
    """One `TransferFx` row for each of `converted` (by fingerprint) that this import created, in one insert.

    The raw transfer insert returns no ids, so they are looked up by fingerprint. Only this statement's
    transfers without a row yet get one: a duplicate of an earlier import keeps what was stored with it, and
    a movement repeated in a later chunk of the same file is not stored twice.
    """
    if not converted:
        return
    created = connection.execute(
        select(Transfer.fingerprint, Transfer.id)
        .outerjoin(TransferFx, TransferFx.transfer_id == Transfer.id)
        .where(Transfer.statement_id == statement_id, Transfer.fingerprint.in_(list(converted)),
               TransferFx.transfer_id.is_(None))
    ).all()
    if created:
        connection.execute(insert(TransferFx.__table__), [_fx_row(transfer_id, converted[fingerprint])
                                                          for fingerprint, transfer_id in created])


def _fx_row(transfer_id: int, transfer: ParsedTransfer) -> dict:
    instructed = transfer.instructed_amount
    if instructed is None:
        raise ValueError("an exchange-rate row for a transfer without an instructed amount")
    return {"transfer_id": transfer_id, "instructed_amount": instructed.amount,
            "instructed_currency": instructed.currency, "rate": stored_rate(transfer.fx_rate), "source": FX_SOURCE}


def stored_rate(rate: Decimal | None) -> Decimal | None:
    """A stated rate at the precision rates are kept in (8 decimals, as the journal's), half-even.

    A rate so small that nothing of it is left (a currency worth a billionth of the other) is kept as None:
    the engine then values the payment at its instructed amount instead of dividing by zero.
    """
    if rate is None:
        return None
    kept = rate.quantize(RATE_QUANTUM, ROUND_HALF_EVEN)
    return kept if kept > 0 else None


def _start_part(record: Statement, header: ParsedStatement, owners: dict[str, str], currencies: dict[str, str],
                flags: set[str]) -> tuple[StatementPart, str | None]:
    if not record.format:
        record.format, record.format_version = header.format, header.format_version
        record.message_id = (header.message_id or "")[:140] or None
    account = normalize_account(header.account) or None
    party = owners.get(account) if account else None
    if account and party is None:
        flags.add("unknown_account")
    if account and header.currency and currencies.get(account, header.currency) != header.currency:
        flags.add("currency_differs_from_account")
    part = StatementPart(
        index=header.index, account=account[:70] if account else None, party_code=party, currency=header.currency,
        bank_statement_id=(header.statement_id or "")[:140] or None,
        message_id=(header.message_id or "")[:140] or None, from_date=header.from_date, to_date=header.to_date,
        opening_balance=header.opening_balance.amount if header.opening_balance else None,
        closing_balance=header.closing_balance.amount if header.closing_balance else None,
        balance_check="unavailable", unknown_account=bool(account) and party is None,
    )
    return part, party


def _end_part(part: StatementPart, end: StatementEnd, flags: set[str]) -> None:
    part.entries = end.transfers
    part.credits = end.credits.amount if end.credits is not None else None
    part.debits = end.debits.amount if end.debits is not None else None
    part.balance_check = end.balance_check
    if end.balance_check == "mismatch":
        flags.add("balance_mismatch")


def _summarise(session: Session, record: Statement, parts: list[StatementPart], flags: set[str],
               entries: int, not_booked: int) -> None:
    imported_by_part = dict(session.execute(
        select(Transfer.statement_index, func.count()).where(Transfer.statement_id == record.id)
        .group_by(Transfer.statement_index)
    ).all())
    for part in parts:
        part.statement_id = record.id
        part.imported = imported_by_part.get(part.index, 0)
    session.add_all(parts)
    accounts = {p.account for p in parts}
    owners = {p.party_code for p in parts}
    currencies = {p.currency for p in parts}
    single = len(accounts) == 1 and len(currencies) == 1
    if len(accounts) > 1:
        flags.add("multiple_accounts")
    if not parts:
        flags.add("no_statements")
    if not_booked:
        flags.add("not_booked_entries")
    record.statements = len(parts)
    record.entries = entries
    record.not_booked = not_booked
    record.imported = sum(imported_by_part.values())
    record.duplicates = entries - not_booked - record.imported
    if record.duplicates:
        flags.add("duplicates")
    record.account = next(iter(accounts)) if single else None
    record.party_code = next(iter(owners)) if len(owners) == 1 else None
    record.currency = next(iter(currencies)) if single else None
    record.opening_balance = parts[0].opening_balance if single else None
    record.closing_balance = parts[-1].closing_balance if single else None
    record.balance_check = overall_check([p.balance_check for p in parts])
    record.flags = ",".join(sorted(flags))
    session.flush()


def overall_check(checks: list[str]) -> str:
    """`mismatch` if any statement mismatches; `ok` if every statement with balances closes; else unavailable."""
    return min(checks, key=_CHECK_ORDER.__getitem__, default="unavailable")


# ---- reading -----------------------------------------------------------------------------------------

def get(session: Session, statement_id: int) -> Statement:
    return fetch(session, Statement, statement_id, "statement")


def parts_of(session: Session, statement_id: int) -> list[StatementPart]:
    return list(session.execute(select(StatementPart).where(StatementPart.statement_id == statement_id)
                                .order_by(StatementPart.index)).scalars())


def parties_of(session: Session, statement_id: int) -> set[str | None]:
    return set(session.execute(select(StatementPart.party_code).where(StatementPart.statement_id == statement_id))
               .scalars())


def visible_to_party(party: str):
    """A WHERE clause: statements with at least one statement for one of `party`'s accounts."""
    return Statement.id.in_(select(StatementPart.statement_id).where(StatementPart.party_code == party))


def view(session: Session, record: Statement, *, detail: bool = False) -> Extended:
    """The import with its `flags` as a list and, in `detail`, its statements' `parts`."""
    answer = Extended(record, flags=[f for f in record.flags.split(",") if f])
    if detail:
        answer.parts = parts_of(session, record.id)
    return answer


def transfer_status(amount: Decimal, allocated: Decimal) -> str:
    """The transfer's matching status, by how much of it is allocated: what it is shown with as `status`, read from
    the model (`with_status`) or a row (`status_rows`) alike."""
    if allocated <= 0:
        return "unmatched"
    return "matched" if allocated >= amount else "partially_matched"


def status_clause(status: str):
    if status == "unmatched":
        return Transfer.allocated <= 0
    if status == "matched":
        return Transfer.allocated >= Transfer.amount
    return and_(Transfer.allocated > 0, Transfer.allocated < Transfer.amount)


def with_status(transfer: Transfer) -> Extended:
    """The transfer with its matching `status` (`transfer_status`)."""
    return Extended(transfer, status=transfer_status(transfer.amount, transfer.allocated))


def status_rows(transfers: list[dict]) -> None:
    """A page of transfers read as rows (`listing.rows_page`), each given its `status` as `with_status` does."""
    for transfer in transfers:
        transfer["status"] = transfer_status(transfer["amount"], transfer["allocated"])


def get_transfer(session: Session, transfer_id: int) -> Transfer:
    return fetch(session, Transfer, transfer_id, "transfer")


def state_fx(session: Session, transfer: Transfer, instructed: Money, rate: Decimal | None, source: str) -> TransferFx:
    """Record what the bank stated about a payment made in another currency (the amount instructed, in the
    invoice's currency, and the rate: units of the transfer's currency per instructed unit), when it came
    by other means than the statement file (an MT940 or CSV line has no place for it; a bank's advice).

    A conversion describes the whole payment, so it cannot change once part of the transfer is matched."""
    if instructed.currency == transfer.currency:
        raise field_error("instructed_currency", f"the transfer is in {transfer.currency} already: state the "
                                                 "currency the payment was instructed in", "same_currency")
    if rate is not None and rate <= 0:
        raise field_error("rate", "the rate must be positive", "invalid_fx_rate")
    if instructed.amount <= 0:
        raise field_error("instructed_amount", "the instructed amount must be positive")
    if transfer.allocated:
        raise Conflict(f"transfer {transfer.id} is already matched in part: reverse its matches first",
                       code="transfer_allocated")
    row = session.get(TransferFx, transfer.id) or TransferFx(transfer_id=transfer.id, instructed_amount=0,
                                                             instructed_currency=instructed.currency, source=source)
    row.instructed_amount, row.instructed_currency = instructed.amount, instructed.currency
    row.rate, row.source = stored_rate(rate), source
    session.add(row)
    session.flush()
    describe(session, "transfer.fx", "transfer", transfer.id, f"instructed {instructed}, rate {row.rate} ({source})")
    return row


def allocate_many(db: Session | Connection, amounts: dict[int, Decimal]) -> None:
    """Allocate more of each transfer (a negative amount gives it back): what matching takes of a payment, for one
    transfer or a run's thousands. In SQL (`allocated + amount`), so concurrent changes add up; the caller holds
    the rows locked and has checked that no transfer ends allocated beyond its amount. Runs on a bare connection
    too (a reconciliation run's writer thread)."""
    rows = [(transfer_id, amount) for transfer_id, amount in sorted(amounts.items()) if amount != 0]
    update_from_values(db, "transfers", [("amount", AMOUNT)], "allocated = t.allocated + v.amount", rows)


# ---- accounts registered later -----------------------------------------------------------------------

#: Proposals waiting for review, read as a bare table: reconciliation builds on statements, not the other way round.
_MATCHES = table("reconciliation_matches", column("transfer_id"), column("status"))


def _not_of(party, owner: str):
    """Unknown, or another party's."""
    return or_(party.is_(None), party != owner)


def _attachable(party, owner: str):
    """A transfer's `party` side can be (re)attributed to `owner`: unknown, or another party's while nothing of
    the transfer is explained yet."""
    waiting = select(_MATCHES.c.transfer_id).where(_MATCHES.c.status == "proposed")
    return or_(party.is_(None), and_(party != owner, Transfer.allocated == 0, Transfer.id.not_in(waiting)))


def attach_unknown_transfers(session: Session, iban: str) -> int:
    """Attribute to `iban`'s owner what its registration explains: statements and transfers on that account get
    its owner, transfers from or to it get their counterparty party. Returns the number of transfers attached.

    Transfers that waited for the account are attached, and so are unexplained ones (nothing allocated, no proposal
    waiting) still attributed to a party that held the IBAN before: an IBAN registered to the wrong party and moved
    to the right one takes its open transfers along, so the wrong party's invoices are not matched to them. A
    transfer with money allocated keeps its party: its matches are reversed first, if they were wrong. Removing an
    IBAN alone changes nothing: a closed account's transfers were still its owner's. Statements are documents of
    the account, with no money allocated on them: they always follow its owner (and so does who may read them).

    Called by the parties service whenever a party's accounts change; harmless when nothing waits.
    """
    compact = normalize_account(iban)
    owner = parties.owner_of(session, compact)
    if owner is None:
        return 0
    hold_reconciliation_lock(session)  # after a running run: the transfers it proposed for review stay put
    identifiers = [compact, compact[4:]]
    attached = session.execute(
        update(Transfer).where(Transfer.account.in_(identifiers), _attachable(Transfer.party_code, owner))
        .values(party_code=owner).execution_options(synchronize_session=False)
    ).rowcount
    session.execute(
        update(Transfer).where(Transfer.counterparty_iban == compact, _attachable(Transfer.counterparty_party, owner))
        .values(counterparty_party=owner).execution_options(synchronize_session=False)
    )
    for document in (StatementPart, Statement):
        session.execute(
            update(document).where(_not_of(document.party_code, owner), document.account.in_(identifiers))
            .values(party_code=owner).execution_options(synchronize_session=False)
        )
    if attached:
        describe(session, "transfers.attach", "bank_account", owner, f"{attached} transfers attributed to {owner}")
    return attached or 0




def lock_transfer(session: Session, transfer_id: int) -> Transfer:
    """The transfer `transfer_id`, locked and read afresh."""
    return session.execute(select(Transfer).where(Transfer.id == transfer_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()
