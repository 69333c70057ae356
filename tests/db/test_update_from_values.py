"""`update_from_values` and `for_update`: the one bulk update and the one row lock of both engines."""

from decimal import Decimal

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, insert, select

from ledger.db import AMOUNT, for_update, is_postgres, update_from_values

PROBE = Table("update_probe", MetaData(), Column("id", Integer, primary_key=True), Column("amount", AMOUNT),
              Column("status", String(10)), prefixes=["TEMPORARY"])


def _probe(session, count: int) -> None:
    connection = session.connection()
    PROBE.create(connection)
    connection.execute(insert(PROBE), [{"id": i, "amount": Decimal("10.00"), "status": "open"}
                                       for i in range(1, count + 1)])


def test_every_row_gets_its_own_values_across_statement_chunks(session):
    count = 12_001  # more than one PostgreSQL chunk (5 000) and one SQLite statement's parameters
    _probe(session, count)
    rows = [(i, Decimal("10.00") if i % 3 == 0 else Decimal("2.5"), i % 3 == 0) for i in range(1, count + 1)]
    update_from_values(session, "update_probe", [("amount", AMOUNT), ("paid", Boolean())],
                       "amount = t.amount - v.amount, status = CASE WHEN v.paid THEN 'paid' ELSE t.status END", rows)
    found = {i: (amount, status) for i, amount, status in session.connection().execute(select(PROBE))}
    assert found[3] == (Decimal("0"), "paid") and found[count] == (Decimal("7.5"), "open")
    assert sum(1 for _, status in found.values() if status == "paid") == count // 3
    assert {amount for amount, status in found.values() if status == "open"} == {Decimal("7.5")}


def test_no_rows_is_no_statement_and_rows_not_named_stay(session):
    _probe(session, 2)
    update_from_values(session, "update_probe", [("amount", AMOUNT)], "amount = t.amount + v.amount", [])
    update_from_values(session.connection(), "update_probe", [("amount", AMOUNT)], "amount = t.amount + v.amount",
                       [(2, Decimal("-0.0001"))])
    assert dict(session.connection().execute(select(PROBE.c.id, PROBE.c.amount)).all()) == {
        1: Decimal("10.00"), 2: Decimal("9.9999")}


def test_for_update_locks_on_postgresql_only_and_only_when_asked(session):
    query = select(PROBE.c.id)
    locked = str(for_update(session, query).compile(session.get_bind()))
    assert ("FOR UPDATE" in locked) == is_postgres(session)
    assert for_update(session, query, lock=False) is query
