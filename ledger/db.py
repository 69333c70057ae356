"""Persistence plumbing: one engine, one session per request (or CLI command), committed in one place.

Services only `flush()`; `finish_request` commits when the response is a success and rolls back otherwise
("returning a response commits; raising rolls back"). SQLite is the embedded default (WAL, foreign keys,
writes taking the lock up front); PostgreSQL (psycopg 3) is the production engine.
"""

from __future__ import annotations

import contextvars
import enum
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from itertools import chain
from operator import itemgetter
from typing import TypeVar

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    Table,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel

from ledger import sqlite_busy
from ledger.errors import BooksBusy, not_found
from ledger.timeutil import utcnow

# Stable constraint names, so migrations can name what they alter.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata
M = TypeVar("M")

class ExactDecimal(TypeDecorator):
    """A Decimal column that stays exact on every engine.

    PostgreSQL stores NUMERIC. SQLite has no decimal type: it would keep a REAL (a float) and sum floats,
    so there the value is stored as a 64-bit integer count of 10**-scale units, which SQLite sums exactly.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 24, scale: int = 4):
        super().__init__(precision=precision, scale=scale)
        self.scale = scale

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.impl.precision, self.scale))

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name != "sqlite":
            return value
        return self.units(value)

    def units(self, value) -> int | None:
        """The SQLite form of `value`: an exact count of 10**-scale units."""
        if value is None:
            return None
        scaled = (value if isinstance(value, Decimal) else Decimal(value)).scaleb(self.scale)
        units = int(scaled)  # truncates: equal to `scaled` only when nothing lies beyond the scale
        if units != scaled:
            raise ValueError(f"{value} has more than {self.scale} decimals")
        return units

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value)


#: Money amounts (any ISO 4217 exponent fits in 4 decimals) and FX rates.
AMOUNT = ExactDecimal(24, 4)
RATE = ExactDecimal(20, 8)


def moment_now():
    """A model's timestamp column set when the row is made: timezone-aware, NOT NULL, read from the ledger's
    clock (`timeutil.utcnow`)."""
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


def moment_unset():
    """A model's timestamp column that stays NULL until the event it records (decided, voided, erased)."""
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


#: Execution option of a read session's connections: on SQLite their transactions never take the write lock.
READ_ONLY = "ledger_read_only"

# SQLite: a transaction that will write must take the write lock when it begins; a deferred transaction
# that reads first and writes later fails outright when another writer committed in between.
_sqlite_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_immediate", default=True)

#: How long a transaction waits for a lock another holds: short (1 s) for API requests, which answer 503
#: `books_busy` with Retry-After instead (`ledger.errors`) rather than queue behind a reconciliation run, a statement
#: import or a month close; long for the back office (CLI commands, the API's own long writers, the officers'
#: pages): SQLite's busy timeout 30 s, PostgreSQL's lock_timeout none.
LONG_LOCK_WAIT_MS = 30_000
SHORT_LOCK_WAIT_MS = 1_000


class LockRole(enum.Enum):
    """Who a transaction is, for the locks it waits for and those it holds (`set_lock_role`)."""

    #: An API request, and every read: waits SHORT_LOCK_WAIT_MS at most, and not at all for a lock a long writer
    #: holds (it answers `books_busy`).
    SHORT = "short"
    #: An officer's ordinary page write: waits as long as it takes, and holds its locks for milliseconds.
    ORDINARY = "ordinary"
    #: One of the back office's long writers (a CLI command, an API or page long writer): waits as long as it takes,
    #: and holds the books' locks for seconds or minutes, so it says so (an API write that finds one of its locks
    #: held then gives up at once).
    LONG_WRITER = "long writer"


_lock_role: contextvars.ContextVar[LockRole] = contextvars.ContextVar("lock_role", default=LockRole.LONG_WRITER)


def _configure_sqlite(engine: Engine) -> None:
    marker = sqlite_busy.long_writer_marker(engine.url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={LONG_LOCK_WAIT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 64 MB of page cache, not SQLite's 2 MB: a large transaction (a reconciliation run posts ~400k rows
        # for 100k open items) otherwise spills dirty pages to the WAL before its commit and re-reads index
        # pages it just wrote. The cache grows only as pages are used.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection):
        info = connection.connection.info
        immediate = _sqlite_immediate.get() and not connection.get_execution_options().get(READ_ONLY)
        role = _lock_role.get()
        if immediate and role is not LockRole.SHORT:
            sqlite_busy.hold_marker(info, marker)
        # The busy timeout belongs to the connection, not the transaction: set only when it changes.
        wait = _lock_wait(info, marker, role, immediate=immediate)
        if info.get("ledger_busy_timeout", LONG_LOCK_WAIT_MS) != wait:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={wait}")
            info["ledger_busy_timeout"] = wait
        if immediate:  # may wait for the write lock and fail (busy books): SQLAlchemy's errors, as every statement
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            if role is LockRole.LONG_WRITER:
                sqlite_busy.hold_write_lock(info, marker)
        else:  # a reader's BEGIN takes no lock and cannot fail: straight to the driver, without a statement's
            # execution context (on SQLite about a third of a read's own transaction cost, `bench.profile`)
            connection.connection.driver_connection.execute("BEGIN")

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, record):
        # Back in the pool: its transaction has committed or rolled back (SQLAlchemy's `commit` event would come
        # before the COMMIT, which for a long writer's transaction takes a while of its own).
        sqlite_busy.release_marker(record.info, dbapi_connection)

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_connection, record):
        sqlite_busy.close_marker(record.info)


def _lock_wait(info: dict, marker: str | None, role: LockRole, *, immediate: bool) -> int:
    """The busy timeout of the transaction about to begin on the connection of `info`: an API write's is cut short
    while a long writer is at work (`ledger.sqlite_busy`)."""
    if role is not LockRole.SHORT:
        return LONG_LOCK_WAIT_MS
    if immediate and sqlite_busy.long_writer_at_work(info, marker):
        if sqlite_busy.long_writer_holds_lock(info, marker):
            return sqlite_busy.HELD_LOCK_WAIT_MS
        return sqlite_busy.BUSY_BOOKS_LOCK_WAIT_MS
    return SHORT_LOCK_WAIT_MS


def make_engine(url: str) -> Engine:
    """`hide_parameters`: a database error's message would otherwise carry the statement's bound values (names,
    case-reference digests, amounts) into the logged traceback."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    # Every connection starts with the short lock wait (no round trip for it on an API request); a transaction
    # that may wait long (CLI commands, the API's long writers) lifts it for itself with SET LOCAL.
    engine = create_engine(url, pool_size=5, max_overflow=5, hide_parameters=True,
                           connect_args={"options": f"-c lock_timeout={SHORT_LOCK_WAIT_MS}"})
    _ping_idle_connections(engine)
    _lift_lock_wait_for_long_writers(engine)
    return engine


#: PostgreSQL: a long writer holds this advisory lock shared for each of its transactions, so that an API write
#: that finds a lock it needs held can tell whether a long writer holds it (`held_by_long_writer`).
LONG_WRITER_LOCK = 0x4C4F4E47  # "LONG"
_ANNOUNCE_LONG_WRITER = ("SELECT set_config('lock_timeout', '0', true), "
                         f"pg_advisory_xact_lock_shared({LONG_WRITER_LOCK})")


def _advisory_holders(key: int) -> str:
    """The backends holding the advisory lock `key` (a 32-bit key given as one bigint: classid 0, objsubid 1)."""
    return ("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 "
            f"AND objid = {key} AND objsubid = 1 AND granted")


#: The backends whose transaction is a long writer's, to match a lock's holder against.
_LONG_WRITERS = _advisory_holders(LONG_WRITER_LOCK)


def _lift_lock_wait_for_long_writers(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection):
        role = _lock_role.get()
        if role is LockRole.SHORT:
            return
        if role is LockRole.LONG_WRITER and not connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql(_ANNOUNCE_LONG_WRITER)  # the same one round trip: the wait, and who it is
        else:
            connection.exec_driver_sql("SET LOCAL lock_timeout = 0")  # as long as it takes, as before


def held_by_long_writer(session: Session, holders: str, params: dict) -> bool:
    """PostgreSQL: whether a long writer's transaction is among the backends that `holders` (a query of pids, over
    `pg_locks`) says hold a lock. An API write that found the lock taken asks, and then does not wait for it: the
    lock is the long writer's until it commits, seconds or minutes later, and the second's wait would hold a
    worker (and the requests queued for it) only to answer `books_busy` anyway. Held by another short writer, the
    lock is worth the wait."""
    return session.execute(text(f"SELECT EXISTS ({holders} INTERSECT {_LONG_WRITERS})"), params).scalar_one()


#: A pooled connection unused for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_idle_connections(engine: Engine) -> None:
    """SQLAlchemy's `pool_pre_ping` costs a round trip on every checkout, that is every request: as much as the
    health check's own query. Ping only a connection that sat idle in the pool (the server may have restarted or
    dropped it meanwhile); a connection that served a request moments ago is used as it is. Should it still turn
    out dead, the request answers 503 with Retry-After (`ledger.errors`) and SQLAlchemy invalidates the whole
    pool on that disconnect, so every older connection is replaced at its next checkout."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["ledger_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("ledger_idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # new, or used moments ago
        try:
            engine.dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()  # the ping must not leave a transaction open
        except Exception as error:  # the pool discards it and checks out another (SQLAlchemy's pessimistic recipe)
            raise DisconnectionError() from error


class Database:
    """The app's engine and the factory of its sessions (tests rebind it to a rolled-back connection)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.bind: Engine | Connection = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def new_session(self) -> Session:
        if isinstance(self.bind, Connection):
            return Session(bind=self.bind, join_transaction_mode="create_savepoint", expire_on_commit=False)
        return Session(bind=self.bind, expire_on_commit=False)

    def read_session(self) -> Session:
        """A session of its own for a long read that outlives the request (a streamed export); its owner closes it.

        Its transaction is one consistent snapshot that blocks no writer and can write nothing: on SQLite a
        deferred BEGIN (a WAL reader; never the write lock, whatever the request's method), on PostgreSQL
        REPEATABLE READ, READ ONLY (every query of the read sees the same commits). Sessions of tests bound to one
        connection join its transaction without a savepoint of their own: the request's session has one open
        on that connection, and rolls it back before the export is read."""
        if isinstance(self.bind, Connection):
            return Session(bind=self.bind, join_transaction_mode="rollback_only", expire_on_commit=False)
        options: dict = {READ_ONLY: True}
        if self.dialect == "postgresql":
            options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        return Session(bind=self.engine.execution_options(**options), expire_on_commit=False)


def init_app(app: Flask) -> None:
    database = Database(make_engine(app.config["LEDGER_DATABASE_URL"]))
    app.extensions["ledger.db"] = database
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions["ledger.db"]


def session() -> Session:
    """The session of the current request or command; created on first use."""
    if "db_session" not in g:
        g.db_session = database().new_session()
    return g.db_session


def set_read_only(read_only: bool) -> None:
    """Reads need not queue behind SQLite's writer lock; set before the session's first use."""
    _sqlite_immediate.set(not read_only)


def set_lock_role(role: LockRole) -> None:
    """How the request's transactions wait for locks, and whether they hold them long (`LockRole`): set before the
    session's first use; reset after the request to LONG_WRITER, as a command is."""
    _lock_role.set(role)


def lock_role() -> LockRole:
    return _lock_role.get()


def commit() -> None:
    """The one commit: called by the request finisher and by CLI commands, nowhere else."""
    if "db_session" in g:
        g.db_session.commit()


def rollback() -> None:
    """Roll the request's work back. If the connection died meanwhile (the server restarted), the server has
    already discarded the transaction: drop the session instead of turning the answer into a 500."""
    if "db_session" in g:
        try:
            g.db_session.rollback()
        except (OperationalError, InterfaceError):
            g.pop("db_session").close()


def _close_session(_exc: BaseException | None) -> None:
    if has_app_context():
        s = g.pop("db_session", None)
        if s is not None:
            s.close()
        _sqlite_immediate.set(True)
        _lock_role.set(LockRole.LONG_WRITER)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """For CLI commands: yields the session, commits on success, rolls back on any exception."""
    s = session()
    try:
        yield s
        commit()
    except BaseException:
        rollback()
        raise


def is_postgres(target: Session | Connection) -> bool:
    bind = target.get_bind() if isinstance(target, Session) else target
    return bind.dialect.name == "postgresql"


def for_update(target: Session | Connection, query, *, lock: bool = True, of=None):
    """`query` locking the rows it reads (FOR UPDATE, of `of` only if given) on PostgreSQL when `lock`; SQLite's
    write transactions hold the database's one writer lock from their start, so there it is `query` itself."""
    if not lock or not is_postgres(target):
        return query
    return query.with_for_update(of=of) if of is not None else query.with_for_update()


def fetch(session: Session, model: type[M], key, kind: str, *, lock: bool = False) -> M:
    """The `model` row with primary key `key` (locked FOR UPDATE when `lock`), or the one 404 for a missing
    `kind` (`errors.not_found`)."""
    row = session.get(model, key, with_for_update=lock)
    if row is None:
        raise not_found(kind)
    return row


#: One reconciliation run at a time on PostgreSQL; what changes who a transfer is from takes it too (a run's
#: proposals must be visible to it). SQLite has one writer at a time anyway.
RECONCILIATION_LOCK = 0x5245434F  # "RECO"


_RECONCILIATION_LOCK_HOLDERS = _advisory_holders(RECONCILIATION_LOCK)


def hold_reconciliation_lock(session: Session) -> None:
    """Wait for a running reconciliation run to end, and keep the next from starting until this transaction ends.
    An API request does not wait for a long writer's (a run's) lock: it answers `books_busy` at once."""
    if not is_postgres(session):
        return
    key = {"key": RECONCILIATION_LOCK}
    if _lock_role.get() is LockRole.SHORT:
        if session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), key).scalar():
            return
        if held_by_long_writer(session, _RECONCILIATION_LOCK_HOLDERS, {}):
            raise BooksBusy()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), key)


def connection_of(target: Session | Connection) -> Connection:
    return target.connection() if isinstance(target, Session) else target


def bulk_insert(s: Session | Connection, table: Table, rows: list[dict]) -> None:
    """Insert many rows alike in shape, without RETURNING (ids, if any, are assigned by the caller or the table).

    PostgreSQL: one COPY stream, instead of a statement per row (psycopg's executemany) or per group of rows
    whose NULLs differ (the ORM's bulk insert). SQLite: one executemany of plain tuples, each value put through
    its column type's bind processor once (what SQLAlchemy's executemany does, minus its per-row bookkeeping,
    which cost more than SQLite's own insert). Every row must carry the same keys."""
    if not rows:
        return
    columns = list(rows[0])
    as_tuple = itemgetter(*columns) if len(columns) > 1 else (lambda row: (row[columns[0]],))
    connection = connection_of(s)
    if is_postgres(connection):
        # COPY bypasses type decorators: fine, on PostgreSQL they pass values through.
        raw = connection.connection.dbapi_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in map(as_tuple, rows):
                copy.write_row(row)
        return
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    values = list(zip(*map(as_tuple, rows)))  # column by column: each bind processor is mapped over its column
    for index, name in enumerate(columns):
        kind = table.c[name].type
        # Amounts straight to their integer units: the type's own processor wraps the same call in two more layers.
        process = kind.units if isinstance(kind, ExactDecimal) else kind.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            values[index] = list(map(process, values[index]))
    statement = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "
    for values_sql, parameters in sqlite_values(connection, len(columns), list(zip(*values))):
        connection.exec_driver_sql(statement + values_sql, parameters)


def sqlite_values(connection: Connection, width: int, rows: Sequence[Sequence]) -> Iterator[tuple[str, tuple]]:
    """Rows as multi-row `VALUES (?, …), (?, …)` lists with their parameters, as many rows per statement as
    SQLite takes parameters.

    SQLite then steps through a whole batch in C with the GIL released, so a `BackgroundWrites` worker runs
    beside the caller; an executemany would hand the GIL back and forth for every row. Values must already be
    in their SQLite form (see `bulk_insert`). In an UPDATE … FROM (VALUES …) AS v the columns are v.column1, …"""
    limit = connection.connection.dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, limit // width)
    row = "(" + ", ".join("?" * width) + ")"
    for start in range(0, len(rows), per_statement):
        batch = rows[start:start + per_statement]
        yield ", ".join([row] * len(batch)), tuple(chain.from_iterable(batch))


#: The PostgreSQL array each kind of value travels in (`update_from_values`).
_PG_ARRAYS = ((Boolean, "boolean[]"), (Integer, "integer[]"), (ExactDecimal, "numeric[]"), (Numeric, "numeric[]"))
#: Rows per PostgreSQL statement in `update_from_values`.
_PG_UPDATE_CHUNK = 5000


def update_from_values(db: Session | Connection, table: str, columns: Sequence[tuple[str, TypeEngine]],
                       assignments: str, rows: Sequence[Sequence]) -> None:
    """UPDATE many rows of `table`, each with its own values, in a few statements: the one bulk update of both
    engines (a statement per row would cost more than the database does).

    Each row is (id, value, …) with `columns` naming and typing the values after the id; `assignments` is the
    SET list, reading the row being changed as `t` and its values as `v` (`"allocated = t.allocated +
    v.amount"`). PostgreSQL: `UPDATE … FROM unnest(arrays) AS v`, in chunks; SQLite: `WITH v AS (VALUES …)
    UPDATE … FROM v`, as many rows per statement as SQLite takes parameters (see `sqlite_values`), amounts in
    the integer units SQLite stores (see `ExactDecimal`)."""
    if not rows:
        return
    names = ["id", *(name for name, _ in columns)]
    kinds = [Integer(), *(kind for _, kind in columns)]
    connection = connection_of(db)
    if is_postgres(connection):
        casts = ", ".join(f"CAST(:{name} AS {_pg_array(kind)})" for name, kind in zip(names, kinds))
        statement = text(f"UPDATE {table} AS t SET {assignments} FROM unnest({casts}) AS v({', '.join(names)}) "
                         "WHERE t.id = v.id")
        for start in range(0, len(rows), _PG_UPDATE_CHUNK):
            chunk = rows[start:start + _PG_UPDATE_CHUNK]
            connection.execute(statement, {name: [row[index] for row in chunk] for index, name in enumerate(names)})
        return
    processors = [kind.units if isinstance(kind, ExactDecimal) else None for kind in kinds]
    if any(processors):
        rows = [tuple(value if process is None else process(value) for process, value in zip(processors, row))
                for row in rows]
    head = f"WITH v({', '.join(names)}) AS (VALUES "
    tail = f") UPDATE {table} AS t SET {assignments} FROM v WHERE t.id = v.id"
    for values, parameters in sqlite_values(connection, len(names), rows):
        connection.exec_driver_sql(head + values + tail, parameters)


def _pg_array(kind: TypeEngine) -> str:
    for base, array in _PG_ARRAYS:
        if isinstance(kind, base):
            return array
    raise TypeError(f"no PostgreSQL array for {kind!r}")
