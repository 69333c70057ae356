"""Two officers confirming overlapping matches at once: the database guards allocate nothing twice."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from ledger.errors import Conflict
from ledger.invoices.models import Invoice
from ledger.journal.models import JournalEntry
from ledger.reconciliation import service
from ledger.reconciliation.models import ReconciliationMatch
from ledger.statements.models import Transfer
from tests.api.recon_helpers import RW_IBAN, World
from tests.closing import while_closing
from tests.conftest import concurrent_api


@pytest.fixture
def committed_world(committed_app):
    api, admin, officer, parties = concurrent_api(committed_app, "GB", "RW", "DE")
    with committed_app.app_context():
        s = committed_app.extensions["ledger.db"].new_session()
        world = World(api, admin, officer, s, parties)
        yield committed_app, world
        s.close()


def _race(app, jobs):
    """Run each job(session) in its own thread and connection; the first holds its transaction a moment."""
    start, outcome = threading.Barrier(len(jobs)), {}

    def worker(index, job):
        with app.app_context():
            s = app.extensions["ledger.db"].new_session()
            try:
                start.wait()
                if index:
                    time.sleep(0.2)  # the second arrives while the first still holds its locks
                job(s)
                if not index:
                    time.sleep(0.5)
                s.commit()
                outcome[index] = "ok"
            except Conflict as error:
                s.rollback()
                outcome[index] = error.code
            finally:
                s.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcome


def test_two_confirmations_of_one_invoice_allocate_it_once(committed_world):
    app, world = committed_world
    invoice = world.invoice("GB", "RW-RACE-1", "1000.00")
    first, second = world.statement([("-1000.00", "Payment", RW_IBAN, date(2026, 5, 1)),
                                     ("-1000.00", "Payment again", RW_IBAN, date(2026, 5, 2))])
    outcome = _race(app, [
        lambda s: service.manual(s, first, [{"invoice": invoice, "amount": Decimal("1000.00")}], "officer-1"),
        lambda s: service.manual(s, second, [{"invoice": invoice, "amount": Decimal("1000.00")}], "officer-2"),
    ])
    assert sorted(outcome.values()) == ["ok", "over_allocation"]
    world.session.expire_all()
    row = world.session.get(Invoice, invoice)
    assert row.amount_open == 0 and row.status == "paid"
    assert world.payable("GB") == 0  # posted once: the payable is not overpaid
    matches = world.session.execute(select(ReconciliationMatch)).scalars().all()
    assert len(matches) == 1


def test_two_confirmations_of_one_transfer_allocate_it_once(committed_world):
    app, world = committed_world
    a = world.invoice("GB", "RW-RACE-A", "700.00")
    b = world.invoice("GB", "RW-RACE-B", "600.00")
    (transfer,) = world.statement([("-1000.00", "Payment", RW_IBAN, date(2026, 5, 1))])
    outcome = _race(app, [
        lambda s: service.manual(s, transfer, [{"invoice": a, "amount": Decimal("700.00")}], "officer-1"),
        lambda s: service.manual(s, transfer, [{"invoice": b, "amount": Decimal("600.00")}], "officer-2"),
    ])
    assert sorted(outcome.values()) == ["ok", "over_allocation"]
    world.session.expire_all()
    row = world.session.get(Transfer, transfer)
    assert row.allocated <= row.amount and row.allocated == Decimal("700.00")


def test_a_run_and_a_manual_match_of_the_same_transfer_allocate_it_once(committed_world):
    app, world = committed_world
    reference = "RF18539007547034"
    invoice = world.invoice("GB", "RW-RACE-R", "500.00", reference)
    other = world.invoice("GB", "RW-RACE-S", "400.00")
    (transfer,) = world.statement([("-500.00", reference, RW_IBAN, date(2026, 5, 1))])
    outcome = _race(app, [
        lambda s: service.run(s, "run"),
        lambda s: service.manual(s, transfer, [{"invoice": other, "amount": Decimal("400.00")}], "officer"),
    ])
    assert outcome[0] == "ok" and outcome[1] == "over_allocation"
    world.session.expire_all()
    assert world.session.get(Transfer, transfer).allocated == Decimal("500.00")
    assert world.session.get(Invoice, invoice).status == "paid"
    assert world.session.get(Invoice, other).amount_open == Decimal("400.00")


def _moved_to_de(iban: str):
    """`iban` taken off RW's accounts and registered to DE, through the parties service."""
    from ledger.parties import service as parties

    def job(s):
        for code, keep in (("RW", lambda a: a["iban"] != iban), ("DE", lambda a: True)):
            accounts = [a for a in parties.bank_accounts(s, code) if keep(a)]
            if code == "DE":
                accounts.append({"iban": iban, "bic": None, "currency": "GBP"})
            parties.update(s, code, {"name": f"Republic {code}", "contact_point": "", "bank_accounts": accounts}, None)
    return job


def test_an_iban_moved_during_a_run_leaves_the_transfers_the_run_proposed(committed_world):
    """The move waits for the run: a transfer with a proposal waiting keeps its counterparty (an officer decides)."""
    app, world = committed_world
    world.invoice("GB", "RW-RACE-M", "300.00"), world.invoice("GB", "RW-RACE-N", "300.00")
    proposed, waiting = world.statement([("-300.00", "Payment", RW_IBAN, date(2026, 5, 1)),
                                         ("-5000.00", "Unexplained", RW_IBAN, date(2026, 5, 1))])
    outcome = _race(app, [lambda s: service.run(s, "run"), _moved_to_de(RW_IBAN)])
    assert outcome == {0: "ok", 1: "ok"}
    world.session.expire_all()
    assert world.session.execute(select(ReconciliationMatch.status).where(
        ReconciliationMatch.transfer_id == proposed)).scalar_one() == "proposed"
    assert world.session.get(Transfer, proposed).counterparty_party == "RW"
    assert world.session.get(Transfer, waiting).counterparty_party == "DE"  # nothing explained it: it moves



def test_a_confirmation_waiting_for_the_close_of_its_month_posts_into_the_next_open_one(committed_world):
    """The review workflow reads the last close with the journal's chain head held (`posting.post`), as the
    statement import does (`tests/unit/statements/test_import_while_closing.py`): a match confirmed while its month
    is being closed is posted into the month after, never refused."""
    app, world = committed_world
    if app.extensions["ledger.db"].dialect != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL (SQLite has one writer at a time by design)")
    for number, due in (("RW-JAN-1", date(2026, 1, 15)), ("RW-JAN-2", date(2026, 1, 17))):
        world.invoice("GB", number, "2000.00", issued_on=date(2026, 1, 2), due_on=due)
    (transfer,) = world.statement([("-2000.00", "Reimbursement", RW_IBAN, date(2026, 1, 16))])
    assert world.run()["proposed"] == 1
    (proposal,) = world.matches("proposed")

    outcome = while_closing(app, "2026-01",
                            lambda s: service.confirm(s, proposal["id"], "officer").journal_entry_id)
    assert "error" not in outcome, outcome
    world.session.expire_all()
    assert world.session.get(JournalEntry, outcome["result"]).period == "2026-02"
    assert [m["status"] for m in world.matches() if m["transfer"] == transfer] == ["confirmed"]
