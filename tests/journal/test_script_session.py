"""A service is a function of a session: called from a script with a plain SQLAlchemy session and no Flask app
(no app context, no request, no `flask.g`), it records, posts and describes its change the same way a request
does, and the caller's commit point writes the audit record from what travelled on the session."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import has_app_context
from sqlalchemy import func, select

from ledger.agreements import service as agreements
from ledger.agreements.models import Obligation
from ledger.audit import service as audit
from ledger.audit.models import AuditRecord
from ledger.journal import service as journal
from ledger.journal.models import JournalEntry
from ledger.journal.rules import AccountKey, EntryDraft, PeriodClosed, credit, debit
from ledger.money import Money
from ledger.parties import service as parties
from ledger.pseudonyms import PersonalData
from ledger.timeutil import period_of, today

PERSONAL = PersonalData("script-pseudonym-key-" + "y" * 20, retention_years=10)


def test_a_script_records_parties_and_an_agreement_and_posts_its_accrual_without_an_app(script_session):
    s = script_session
    assert not has_app_context()
    parties.create(s, {"code": "GB", "name": "United Kingdom", "contact_point": "returns@gb.example",
                       "bank_accounts": [{"iban": "GB33BUKB20201555555555", "currency": "GBP"}]})
    parties.create(s, {"code": "RW", "name": "Rwanda", "contact_point": "returns@rw.example",
                       "bank_accounts": [{"iban": "GB29NWBK60161331926819", "currency": "GBP"}]})
    start = (today() - timedelta(days=70)).replace(day=1)
    agreement = agreements.create(s, {
        "reference": "GB-RW-SCRIPT", "kind": "return_hub", "payer": "GB", "payee": "RW", "currency": "GBP",
        "signed_on": start - timedelta(days=10), "effective_from": start, "effective_to": date(2035, 12, 31),
        "terms": {"per_returnee_fee": "20000.00", "monthly_support": {"amount": "1500.00", "max_months": 3},
                  "payment_terms_days": 30, "tolerance": {"absolute": "5.00", "percent": "0.1"}}})
    admitted = agreements.submit(s, agreement, [{"case_ref": "SCRIPT-CASE-1", "nationality": "IRN",
                                                 "transferred_on": start + timedelta(days=3),
                                                 "accepted_on": start + timedelta(days=4)}], PERSONAL)
    assert [item["status"] for item in admitted] == [201] and admitted[0]["id"]

    posted = agreements.accrue_agreement(s, agreement, period_of(start))

    obligations = s.execute(select(Obligation).where(Obligation.agreement_id == agreement.id)).scalars().all()
    assert posted == len(obligations) > 0
    assert all(o.journal_entry_id is not None for o in obligations)
    notes = audit.pending(s)
    assert [n.action for n in notes] == ["party.create", "party.create", "agreement.create", "returnee.submit",
                                         "obligations.accrue"]
    before = s.scalar(select(func.count()).select_from(AuditRecord))
    audit.flush_notes(s, "script:test", "script-1", "script")
    assert s.scalar(select(func.count()).select_from(AuditRecord)) == before + len(notes)
    assert audit.pending(s) == []
    assert not has_app_context()


def test_a_script_session_forgets_its_notes_when_it_rolls_back_and_meets_the_journals_own_refusals(script_session):
    s = script_session
    parties.create(s, {"code": "GB", "name": "United Kingdom", "contact_point": "returns@gb.example",
                       "bank_accounts": []})
    assert [n.action for n in audit.pending(s)] == ["party.create"]
    s.rollback()
    assert audit.pending(s) == []

    for code in ("GB", "RW"):
        parties.create(s, {"code": code, "name": code, "contact_point": "returns@example", "bank_accounts": []})

    owed = AccountKey("obligations", "GBP", "RW", "GB")
    costs = AccountKey("returns_costs", "GBP", "GB", "RW")
    amount = Money.of("10.00", "GBP")
    day = date(2020, 1, 15)
    entry_id = journal.post_entry(s, EntryDraft(day, (debit(costs, amount), credit(owed, amount)), "script", "1"))
    assert s.get(JournalEntry, entry_id) is not None
    journal.close_period(s, "2020-01")
    with pytest.raises(PeriodClosed) as refused:  # a plain exception of the journal's rules, no HTTP in it
        journal.post_entry(s, EntryDraft(day, (debit(costs, amount), credit(owed, amount)), "script", "2"))
    assert refused.value.code == "period_closed" and refused.value.extra["next_open_period"] == "2020-02"
    assert not hasattr(refused.value, "status")
