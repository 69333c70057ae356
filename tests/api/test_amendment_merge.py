"""An amendment is a JSON merge patch (RFC 7396) of the terms in force on its date: what it leaves out stays."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ledger.agreements.models import Obligation
from tests.api.agreements_helpers import RWANDA_TERMS, A, accrue, batch, create_agreement, people
from tests.api.test_errors import assert_problem

#: One 1,000,000.00 instalment in March, a fee and three months of support per returnee.
TERMS = {"per_returnee_fee": "20000.00", "monthly_support": {"amount": "2500.00", "max_months": 3},
         "instalments": [{"due_on": "2026-03-01", "amount": "1000000.00", "label": "fund contribution"}],
         "capacity": 300, "tolerance": {"absolute": "50.00", "percent": "0.5"}}


def amend(api, token, aid, effective_from, terms):
    return api.post(f"{A}/{aid}/amendments", json={"effective_from": effective_from, "terms": terms}, token=token)


def adjustments(session, aid) -> list[tuple[str, Decimal]]:
    rows = session.execute(select(Obligation).where(Obligation.agreement_id == aid,
                                                    Obligation.kind == "adjustment")).scalars()
    return sorted((o.adjusts, o.amount) for o in rows)


def versions(api, token, aid) -> list[dict]:
    return api.get(f"{A}/{aid}/amendments", token=token).get_json()["items"]


def test_restating_only_the_fee_keeps_the_instalment(api, admin, officer, parties, session):
    aid = create_agreement(api, admin, terms=TERMS)["id"]
    accrue(api, officer, aid, "2026-03")
    response = amend(api, admin, aid, "2026-02-15", {"per_returnee_fee": "21000.00"})
    assert response.status_code == 201, response.get_json()
    # the answer shows the resulting terms: the new fee and everything the amendment did not name
    assert response.get_json()["terms"] == {**TERMS, "per_returnee_fee": "21000.00"}
    assert versions(api, admin, aid)[-1]["terms"] == {**TERMS, "per_returnee_fee": "21000.00"}
    accrue(api, officer, aid, "2026-04")
    assert adjustments(session, aid) == []  # the 1,000,000.00 instalment is not reversed
    instalments = session.execute(select(Obligation.amount).where(Obligation.agreement_id == aid,
                                                                  Obligation.kind == "instalment")).scalars()
    assert list(instalments) == [Decimal("1000000.00")]


def test_null_removes_a_term_and_nested_objects_merge(api, admin, parties):
    aid = create_agreement(api, admin, terms=TERMS)["id"]
    response = amend(api, admin, aid, "2026-05-01", {"capacity": None, "tolerance": None,
                                                     "monthly_support": {"amount": "2600.00"}})
    assert response.status_code == 201, response.get_json()
    expected = {k: v for k, v in TERMS.items() if k not in ("capacity", "tolerance")}
    expected["monthly_support"] = {"amount": "2600.00", "max_months": 3}
    assert response.get_json()["terms"] == expected
    # arrays are replaced whole
    response = amend(api, admin, aid, "2026-06-01", {"instalments": [
        {"due_on": "2026-09-01", "amount": "750000.00", "label": "second contribution"}]})
    assert response.get_json()["terms"]["instalments"] == [
        {"due_on": "2026-09-01", "amount": "750000.00", "label": "second contribution"}]
    assert response.get_json()["terms"]["monthly_support"] == {"amount": "2600.00", "max_months": 3}


def test_the_patch_applies_to_the_terms_in_force_on_its_date(api, admin, parties):
    aid = create_agreement(api, admin, terms=TERMS)["id"]
    assert amend(api, admin, aid, "2026-06-01", {"per_returnee_fee": "25000.00"}).status_code == 201
    # back-dated before June: patched onto version 1, not onto the later version 2
    earlier = amend(api, admin, aid, "2026-04-01", {"capacity": 100}).get_json()
    assert earlier["terms"] == {**TERMS, "capacity": 100}
    # on the same date as version 2: patched onto version 2
    same_day = amend(api, admin, aid, "2026-06-01", {"capacity": 200}).get_json()
    assert same_day["terms"] == {**TERMS, "per_returnee_fee": "25000.00", "capacity": 200}


def test_a_merged_result_that_is_not_valid_terms_is_refused_naming_the_field(api, admin, parties):
    aid = create_agreement(api, admin, terms=TERMS)["id"]
    problem = assert_problem(amend(api, admin, aid, "2026-05-01", {"monthly_support": {"max_months": 0}}), 422,
                             "validation_error")
    assert list(problem["errors"]) == ["terms.monthly_support.max_months"]
    problem = assert_problem(amend(api, admin, aid, "2026-05-01", {"monthly_support": {"amount": None}}), 422,
                             "validation_error")
    assert list(problem["errors"]) == ["terms.monthly_support.amount"]
    problem = assert_problem(amend(api, admin, aid, "2026-05-01", {"instalments": [
        {"due_on": "2031-01-01", "amount": "1.00"}]}), 422, "validation_error")
    assert list(problem["errors"]) == ["terms.instalments.0.due_on"]
    assert len(versions(api, admin, aid)) == 1  # nothing was written


def test_a_back_dated_patch_reprices_only_what_it_changes(api, admin, officer, parties, session):
    aid = create_agreement(api, admin, terms=RWANDA_TERMS)["id"]
    ids = [i["id"] for i in batch(api, parties["RW"], aid, people("P", 2, "2026-03-02", "2026-03-03"))["items"]]
    for period in ("2026-02", "2026-03", "2026-04"):
        accrue(api, officer, aid, period)
    response = amend(api, admin, aid, "2026-04-01", {"monthly_support": {"amount": "3000.00"}})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["terms"] == {**RWANDA_TERMS, "monthly_support": {"amount": "3000.00",
                                                                                "max_months": 3}}
    accrue(api, officer, aid, "2026-05")
    # April's support re-priced (+500.00 each); March, the fees and the February instalment untouched
    assert adjustments(session, aid) == sorted(
        (f"support:r{rid}:2026-04", Decimal("500.00")) for rid in ids)
    may = session.execute(select(Obligation.amount).where(Obligation.agreement_id == aid,
                                                          Obligation.kind == "monthly_support",
                                                          Obligation.period == "2026-05")).scalars()
    assert list(may) == [Decimal("3000.00")] * 2
