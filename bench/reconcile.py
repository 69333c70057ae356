"""Benchmark: a whole reconciliation run through the service and the database.

    python -m bench.reconcile [--n 10000,100000] [--databases sqlite,postgresql] [--database-url URL]

For each N and database: N open invoices and about N transfers from `bench.reconcile_gen` (70 % structured
reference, 20 % amount/party only, 10 % split or partial; bank charges, stated-rate FX payments, unmapped
IBANs, duplicates and refunds mixed in) are written to a scratch database as approved invoices and booked
transfers, then `ledger.reconciliation.service.run` is timed from loading what is open to the commit of the
stored matches and the posted auto matches. Prints the time, matches per rule/status, and the share of the
generator's true pairs found (and auto-posted), with the wrong auto matches.

What the ledger deliberately leaves alone is reported apart: credits (the generator's receivables, refunds)
settle only EU cost claims, and the generator makes none (the run's claims pass finds nothing to pay), and
transfers from IBANs of no known party wait.
"Reachable" true pairs are the debit payments of a known party; the ≥ 99 % target is measured on them.
"""

from __future__ import annotations

import argparse
import json
import string
import time
from collections import Counter
from datetime import date

from sqlalchemy import func, insert, select, text

from bench._db import app_for, scratch_database
from bench.reconcile_gen import Generated, generate
from contracts.reconciliation import RunSchema
from ledger.agreements.models import Agreement, AgreementVersionRow
from ledger.invoices.models import Invoice
from ledger.parties.models import Party
from ledger.reconciliation import service
from ledger.reconciliation.models import (
    ReconciliationAllocation,
    ReconciliationMatch,
    TransferFx,
)
from ledger.statements.models import Statement, Transfer

_ALPHABET = string.ascii_uppercase + string.digits
_CHUNK = 5000


_OWNERS = 108


def _codes(taken: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """Two-character party codes not in `taken`: in an empty database owners (statement account holders) start
    X–Z and counterparties A–W; codes taken already (a database in use) are passed over, and those starting with
    a digit come last."""
    pool = [a + b for a in "XYZ" + string.ascii_uppercase[:23] + string.digits for b in _ALPHABET]
    pool = [code for code in pool if code not in taken]
    return pool[:_OWNERS], pool[_OWNERS:]


def _pairs(generated: Generated, taken: frozenset[str] = frozenset()) -> dict[str, tuple[str, str]]:
    """Generator party → (owner, counterparty), distinct for each party, none of the codes in `taken`."""
    owners, others = _codes(taken)
    names = sorted({inv.party for inv in generated.invoices})
    return {name: (owners[i % len(owners)], others[i // len(owners)]) for i, name in enumerate(names)}


def _number(identifier: str) -> int:
    return int(identifier[1:])


def load(url: str, generated: Generated) -> float:
    """Write the generated open items as ledger rows (not timed as part of the run); returns seconds.

    The database may be in use (`bench.load --busy` seeds one round per run): party codes taken already are
    passed over, invoice and transfer ids follow the highest ones there, and on PostgreSQL their sequences are
    moved past the ids written here, so the service's own inserts do not collide with them."""
    started = time.perf_counter()
    app = app_for(url)
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        pairs = _pairs(generated, frozenset(s.execute(select(Party.code)).scalars()))
        invoice_base = s.execute(select(func.max(Invoice.id))).scalar() or 0
        transfer_base = s.execute(select(func.max(Transfer.id))).scalar() or 0
        codes = sorted({c for pair in pairs.values() for c in pair})
        s.execute(insert(Party), [{"code": c, "name": f"State {c}", "contact_point": "", "version": 1,
                                   "created_at": date(2026, 1, 1)} for c in codes])
        agreements: dict[tuple[str, str], int] = {}
        wanted = sorted({(o, c) for o, c in pairs.values()} | {(c, o) for o, c in pairs.values()})
        rows = [{"reference": f"AG-{p}-{h}", "kind": "return_hub", "payer_code": p, "payee_code": h,
                 "currency": "GBP", "effective_from": date(2025, 1, 1), "version": 1,
                 "created_at": date(2026, 1, 1)} for p, h in wanted]
        for start in range(0, len(rows), _CHUNK):
            ids = s.execute(insert(Agreement).returning(Agreement.id, sort_by_parameter_order=True),
                            rows[start:start + _CHUNK]).scalars().all()
            for pair, agreement_id in zip(wanted[start:start + _CHUNK], ids):
                agreements[pair] = agreement_id
        terms = json.dumps({"tolerance": {"absolute": "25.00", "percent": "0.5"}})
        s.execute(insert(AgreementVersionRow), [{"agreement_id": i, "number": 1, "effective_from": date(2025, 1, 1),
                                                 "terms": terms, "created_at": date(2026, 1, 1)}
                                                for i in agreements.values()])
        invoice_rows = []
        for inv in generated.invoices:
            owner, other = pairs[inv.party]
            payer, payee = (owner, other) if inv.direction == "payable" else (other, owner)
            amount = inv.open_amount.amount
            invoice_rows.append({
                "id": invoice_base + _number(inv.id), "agreement_id": agreements[(payer, payee)],
                "payee_code": payee, "payer_code": payer, "number": inv.number, "document_type": "invoice",
                "issued_on": inv.issued_on, "due_on": inv.due_on, "currency": inv.currency,
                "period": f"{inv.issued_on:%Y-%m}",
                "payment_reference": inv.payment_reference, "payment_reference_is_rf": True, "total": amount,
                "payable": amount, "amount_open": amount, "status": "approved", "source": "json",
                "advance_offset": 0, "version": 1, "created_at": date(2026, 1, 1)})
        for start in range(0, len(invoice_rows), _CHUNK):
            s.execute(insert(Invoice), invoice_rows[start:start + _CHUNK])
        statement_id = s.execute(insert(Statement).returning(Statement.id), [{
            "format": "camt.053", "statements": 1, "entries": len(generated.transfers), "imported": 0,
            "duplicates": 0, "not_booked": 0, "balance_check": "not_checked", "flags": "", "file_sha256": "0" * 64,
            "imported_by": "bench", "imported_at": date(2026, 1, 1)}]).scalar_one()
        invoice_party = {inv.id: pairs[inv.party] for inv in generated.invoices}
        first_invoice = {}
        for tid, iid in sorted(generated.truth):
            first_invoice.setdefault(tid, iid)
        transfer_rows, fx_rows = [], []
        for index, t in enumerate(generated.transfers):
            owner, other = _owner_of(t, invoice_party, first_invoice, pairs)
            transfer_id = transfer_base + _number(t.id)
            transfer_rows.append({
                "id": transfer_id, "statement_id": statement_id, "statement_index": 0, "entry_index": index,
                "account": f"BENCH{owner}", "party_code": owner,
                "counterparty_party": other if t.counterparty_party is not None else None,
                "amount": t.amount.amount, "currency": t.amount.currency, "direction": t.direction,
                "booking_date": t.booked_on, "value_date": t.booked_on, "end_to_end_id": t.end_to_end_id,
                "structured_reference": t.remittance_structured, "remittance_information": t.remittance_text,
                "counterparty_iban": t.counterparty_iban, "reversal": False, "booking_status": "booked",
                "fingerprint": f"bench-T{transfer_id}", "allocated": 0})
            if t.instructed_amount is not None:
                fx_rows.append({"transfer_id": transfer_id, "instructed_amount": t.instructed_amount.amount,
                                "instructed_currency": t.instructed_amount.currency, "rate": t.fx_rate,
                                "source": "bank statement"})
        for start in range(0, len(transfer_rows), _CHUNK):
            s.execute(insert(Transfer), transfer_rows[start:start + _CHUNK])
        for start in range(0, len(fx_rows), _CHUNK):
            s.execute(insert(TransferFx), fx_rows[start:start + _CHUNK])
        if s.get_bind().dialect.name == "postgresql":  # ids written here were not drawn from the sequences
            for table in ("invoices", "transfers"):
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))"))
        s.commit()
        s.close()
    app.extensions["ledger.db"].engine.dispose()
    return time.perf_counter() - started


def _owner_of(transfer, invoice_party, first_invoice, pairs) -> tuple[str, str]:
    """The (owner, counterparty) of a transfer: that of the invoice it pays (or its echo's original's party)."""
    invoice_id = first_invoice.get(transfer.id)
    if invoice_id is not None:
        return invoice_party[invoice_id]
    name = transfer.counterparty_iban.removeprefix("XX00")  # the generator's IBAN names the party
    return pairs[name]


def reconcile(url: str) -> tuple[float, dict, list]:
    app = app_for(url)
    with app.app_context():
        s = app.extensions["ledger.db"].new_session()
        started, cpu = time.perf_counter(), time.process_time()
        phases = []
        record = service.run(s, "bench", on_step=lambda name: phases.append(
            f"{name} {time.perf_counter() - started:.1f}s"))
        s.commit()
        elapsed = time.perf_counter() - started
        answer = RunSchema().dump(record)
        answer["cpu"] = time.process_time() - cpu
        answer["phases"] = ", ".join(phases)
        rows = s.execute(select(ReconciliationMatch.transfer_id, ReconciliationMatch.status,
                                ReconciliationAllocation.invoice_id)
                         .join(ReconciliationAllocation, ReconciliationAllocation.match_id == ReconciliationMatch.id)
                         ).all()
        s.close()
    app.extensions["ledger.db"].engine.dispose()
    return elapsed, answer, rows


def score(generated: Generated, rows: list) -> dict:
    truth = {(_number(t), _number(i)) for t, i in generated.truth}
    transfers = {_number(t.id): t for t in generated.transfers}
    invoices = {_number(i.id): i for i in generated.invoices}
    reachable = {(t, i) for t, i in truth
                 if transfers[t].direction == "debit" and transfers[t].counterparty_party is not None
                 and invoices[i].direction == "payable"}
    found = {(t, i) for t, _, i in rows}
    auto = {(t, i) for t, status, i in rows if status == "auto"}
    return {
        "true_pairs": len(truth), "reachable_pairs": len(reachable),
        "found_reachable": len(found & reachable) / max(1, len(reachable)),
        "auto_reachable": len(auto & reachable) / max(1, len(reachable)),
        "found_all": len(found & truth) / max(1, len(truth)),
        "wrong_auto": sorted(auto - truth), "wrong_proposed": len(found - auto - truth),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--database-url", default=None, help="admin URL of the PostgreSQL server to use")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sizes = [int(n) for n in args.n.split(",")]
    for kind in args.databases.split(","):
        timings = {}
        for n in sizes:
            generated = generate(n, args.seed)
            scratch = scratch_database(kind, args.database_url) if args.database_url and kind == "postgresql" \
                else scratch_database(kind)
            with scratch as url:
                loaded = load(url, generated)
                elapsed, answer, rows = reconcile(url)
            result = score(generated, rows)
            timings[n] = elapsed
            print(f"[{kind}] N={n}: {len(generated.invoices)} invoices, {len(generated.transfers)} transfers "
                  f"(written in {loaded:.1f} s)")
            print(f"  run: {elapsed:.2f} s wall, {answer['cpu']:.2f} s CPU in this process (load, match, store, "
                  f"post, commit; cumulative: {answer['phases']}); "
                  f"auto {answer['auto_matched']}, proposed {answer['proposed']}, "
                  f"unmatched transfers {answer['unmatched_transfers']}, open invoices {answer['open_invoices']}")
            for rule, count in sorted(Counter(answer["per_rule"]).items()):
                print(f"    {rule:32} {count}")
            print(f"  true pairs: {result['true_pairs']}, reachable (debits of known parties): "
                  f"{result['reachable_pairs']}")
            print(f"  found: {result['found_reachable']:.4%} of reachable (auto {result['auto_reachable']:.4%}); "
                  f"{result['found_all']:.4%} of all true pairs")
            print(f"  wrong auto matches: {len(result['wrong_auto'])}, wrong proposals: {result['wrong_proposed']}")
            for pair in result["wrong_auto"][:5]:
                print(f"    wrong auto {pair}")
        if len(sizes) > 1:
            small, large = sizes[0], sizes[-1]
            print(f"[{kind}] {large // small}× data → {timings[large] / timings[small]:.1f}× time")


if __name__ == "__main__":
    main()
