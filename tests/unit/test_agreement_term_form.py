"""The terms form: a field per term and rows for instalments and milestones, to the API's terms and back;
every field at fault named; the amendment as the merge patch that turns the terms in force into the form."""

from __future__ import annotations

import pytest

from ledger.errors import Unprocessable
from ledger.merge_patch import merge_patch
from ledger.web.agreement_forms import form_field, form_values, merge_diff, row_count, terms_from_form

TERMS = {"per_returnee_fee": "20000.00", "monthly_support": {"amount": "2500.00", "max_months": 60},
         "instalments": [{"due_on": "2026-01-01", "amount": "100.00", "label": "first"},
                         {"due_on": "2026-07-01", "amount": "200.00", "label": ""}],
         "milestones": [{"returnees": 300, "amount": "5000.00"}], "advance": {"amount": "1000.00"},
         "annual_quota": 500, "capacity": 3000, "payment_terms_days": 30,
         "tolerance": {"absolute": "50.00", "percent": "0.5"}}


def test_the_form_round_trips_the_terms():
    terms, _ = terms_from_form(form_values(TERMS))
    assert terms == TERMS


def test_empty_rows_are_dropped_and_errors_name_the_row_on_the_form():
    values = {"terms.instalments.0.due_on": "", "terms.instalments.1.due_on": "2026-02-01",
              "terms.instalments.1.amount": "10.00", "terms.capacity": "many", "terms.monthly_support.max_months": "x"}
    with pytest.raises(Unprocessable) as refused:
        terms_from_form(values)
    assert set(refused.value.errors) == {"terms.capacity", "terms.monthly_support.max_months"}  # all, not the first
    del values["terms.capacity"], values["terms.monthly_support.max_months"]
    terms, rows_of = terms_from_form(values)
    assert terms == {"instalments": [{"due_on": "2026-02-01", "amount": "10.00", "label": ""}]}
    # The service says "instalments.0" for the first row it received: that is the form's row 1.
    assert form_field("terms.instalments.0.amount", rows_of) == "terms.instalments.1.amount"


def test_the_form_offers_spare_rows():
    assert row_count(form_values(TERMS), "instalments") == 4 and row_count({}, "milestones") == 2


def test_the_patch_turns_the_terms_in_force_into_the_form():
    new = {**TERMS, "monthly_support": {"amount": "2600.00", "max_months": 60}, "advance": {"amount": "1000.00"}}
    del new["capacity"]
    old = {**TERMS, "advance": {"amount": "1000.00", "due_within_days": 90}}
    patch = merge_diff(old, new)
    assert patch == {"capacity": None, "monthly_support": {"amount": "2600.00"},
                     "advance": {"due_within_days": None}}
    assert merge_patch(old, patch) == new


def test_the_form_never_removes_terms_it_does_not_show():
    """Cost reimbursement and late interest are set through the API: amending the fee on the form keeps them."""
    from ledger.web.agreement_forms import FORM_TERMS

    old = {"currency": "GBP", "per_returnee_fee": "20000.00", "capacity": 10,
           "late_interest": {"kind": "fixed", "rate_percent": "8.00"},
           "cost_reimbursement": {"cap_per_person": "150874.00"}}
    new = {"currency": "GBP", "per_returnee_fee": "21000.00"}
    assert merge_diff(old, new, FORM_TERMS) == {"per_returnee_fee": "21000.00", "capacity": None}
