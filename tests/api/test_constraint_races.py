"""A race the services' checks cannot see (two requests both pass "does it exist?", one inserts first) is
answered by the database's named constraint: 409 with the code the check gives, never a 500."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint, func, insert, select
from sqlalchemy.exc import IntegrityError

from ledger import db, errors
from ledger.agreements import service as agreements
from ledger.agreements.models import Agreement
from ledger.db import metadata
from tests.api.agreements_helpers import A, agreement_body, create_agreement
from tests.api.test_errors import assert_problem


def _rival(session, reference: str) -> None:
    """What a concurrent request committed between this request's check and its insert."""
    session.execute(insert(Agreement).values(reference=reference, kind="return_hub", payer_code="GB",
                                             payee_code="RW", currency="GBP", effective_from=date(2026, 1, 1),
                                             version=1, created_at=date(2026, 1, 1)))


def test_an_agreement_inserted_between_the_check_and_the_insert_answers_409_agreement_exists(
        api, admin, parties, monkeypatch, session):
    checked_terms = agreements._parse_terms  # runs after the reference was found free, before the insert

    def racing(*args, **kwargs):
        _rival(db.session(), "GB-RW-RACE")
        return checked_terms(*args, **kwargs)

    monkeypatch.setattr(agreements, "_parse_terms", racing)
    body = assert_problem(api.post(A, json=agreement_body(reference="GB-RW-RACE"), token=admin), 409,
                          "agreement_exists")
    assert "GB-RW-RACE" not in body["detail"] and "uq_" not in body["detail"]  # no internals in the answer
    monkeypatch.undo()
    stored = session.scalar(select(func.count()).select_from(Agreement).where(Agreement.reference == "GB-RW-RACE"))
    assert stored == 0  # nothing half-written: the request's transaction was rolled back whole
    created = create_agreement(api, admin, reference="GB-RW-RACE")  # and the next attempt goes through
    assert created["reference"] == "GB-RW-RACE"


def test_the_constraint_is_named_the_same_on_either_database(app, parties, session):
    with pytest.raises(IntegrityError) as tripped, session.begin_nested():
        _rival(session, "GB-RW-TWICE")
        _rival(session, "GB-RW-TWICE")
    assert errors.constraint_of(tripped.value) == "uq_agreements_reference"
    problem = errors.integrity_problem(tripped.value)
    assert (problem.status, problem.code) == (409, "agreement_exists")


def test_a_foreign_key_violation_is_no_race_and_stays_a_bug(app, session):
    with pytest.raises(IntegrityError) as tripped, session.begin_nested():
        session.execute(insert(Agreement).values(reference="ZZ-YY-1", kind="return_hub", payer_code="ZZ",
                                                 payee_code="YY", currency="GBP", effective_from=date(2026, 1, 1),
                                                 version=1, created_at=date(2026, 1, 1)))
    assert errors.integrity_problem(tripped.value) is None


def test_every_constraint_given_a_code_is_a_constraint_of_the_models():
    named = {str(c.name) for table in metadata.tables.values() for c in table.constraints
             if isinstance(c, UniqueConstraint | PrimaryKeyConstraint)}
    assert set(errors.CONSTRAINT_CODES) <= named
    assert all(code and detail for code, detail in errors.CONSTRAINT_CODES.values())
