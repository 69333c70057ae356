"""Benchmark: the settlement reports (JSON, CSV zip, XLSX, PDF) for 50 agreements over 12 months.

    python -m bench.reports [--agreements 50] [--months 12] [--obligations 40] [--databases sqlite]
                            [--formats json,csv,xlsx,pdf]

Seeds `--agreements` agreements (GB paying ten hosts, in GBP and EUR), each with `--obligations` obligations a month
posted through the accrual path for the `--months` months that ended before today, plus an unreconciled transfer
per agreement and month (open items); closes every month (freezing and signing one statement per agreement and
the whole). Then times, best of three, each format of: the last month's whole report (a section per partner), one
partner's section (`?party=AL`), and the report of the whole run of months (`service.statement_of_months`, unsigned).
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from decimal import Decimal

from bench._db import app_for, scratch_database
from ledger.agreements import service as agreements
from ledger.agreements.rules import obligations as rules
from ledger.money import Money
from ledger.parties.models import Party
from ledger.settlement import service as settlement
from ledger.timeutil import period_of, today

HOSTS = ["AL", "RW", "RS", "ME", "MK", "BA", "XK", "GE", "MD", "UA"]
TERMS = {"per_returnee_fee": "20000.00", "monthly_support": {"amount": "2500.00", "max_months": 60}}
FORMATS = ("json", "csv", "xlsx", "pdf")


def _months(count: int) -> list[str]:
    """The `count` months that ended before this one."""
    current = period_of(today())
    start = int(current[:4]) * 12 + int(current[5:7]) - 1 - count
    return settlement.months(f"{start // 12:04d}-{start % 12 + 1:02d}", current)[:-1]


def seed(app, n_agreements: int, months: list[str], per_month: int) -> None:
    from ledger.cli import transaction
    from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
    from ledger.journal.service import post_entries

    with app.app_context():
        with transaction("bench.seed") as s:
            s.add_all(Party(code=c, name=c) for c in ["GB", *HOSTS])
            made = []
            for index in range(n_agreements):
                host, currency = HOSTS[index % len(HOSTS)], ("GBP", "EUR")[index % 2]
                made.append(agreements.create(s, {
                    "reference": f"GB-{host}-{index:03d}", "kind": "return_hub", "payer": "GB", "payee": host,
                    "currency": currency, "signed_on": date(int(months[0][:4]) - 1, 12, 1),
                    "effective_from": date(int(months[0][:4]) - 1, 12, 1), "effective_to": date(2099, 12, 31),
                    "terms": TERMS}))
        for period in months:
            with transaction("bench.seed") as s:
                for agreement in made:
                    agreement = s.merge(agreement)
                    drafts = [rules.ObligationDraft(
                        key=f"support:r{agreement.id}-{i}:{period}", kind=rules.MONTHLY_SUPPORT, returnee_id=None,
                        due_on=date(int(period[:4]), int(period[5:7]), 1 + i % 28),
                        amount=Money(Decimal(2500 + i % 7), agreement.currency), period=period)
                        for i in range(per_month)]
                    agreements.post_obligations(s, agreement, drafts)
                    paid = Money(Decimal(1000 + agreement.id), agreement.currency)
                    payable = AccountKey("obligations", agreement.currency, agreement.payee_code,
                                         agreement.payer_code, agreement.id)
                    post_entries(s, [EntryDraft(date(int(period[:4]), int(period[5:7]), 28),
                                                (debit(payable, paid), credit(AccountKey("cash", agreement.currency,
                                                                                         "GB"), paid)),
                                                "match", f"bench:{agreement.id}:{period}")])
            with transaction("settlement.close") as s:
                settlement.close(s, period, settlement.signing_key(app.config))
            print(f"  {period}: {n_agreements} agreements posted, month closed", flush=True)


def timed(app, render) -> tuple[float, int]:
    best, size = None, 0
    for _ in range(3):
        with app.test_request_context():
            started = time.perf_counter()
            body = render()
            elapsed = time.perf_counter() - started
        best, size = (elapsed if best is None else min(best, elapsed)), len(body)
    return best, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agreements", type=int, default=50)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--obligations", type=int, default=40, help="per agreement and month")
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--formats", default=",".join(FORMATS), help="which formats to time (comma separated)")
    args = parser.parse_args()
    from ledger import db
    from ledger.settlement.service import render, render_months, signing_key

    months = _months(args.months)
    for kind in args.databases.split(","):
        with scratch_database(kind) as url:
            app = app_for(url)
            started = time.perf_counter()
            seed(app, args.agreements, months, args.obligations)
            print(f"{kind}: seeded and closed {months[0]}..{months[-1]} in {time.perf_counter() - started:.1f} s")
            last, key = months[-1], signing_key(app.config)
            cases = [(f"month {last}, whole",
                      lambda f, last=last, key=key: render(db.session(), last, f, None, None, key)),
                     (f"month {last}, party AL",
                      lambda f, last=last, key=key: render(db.session(), last, f, "AL", None, key, focus=True)),
                     (f"{months[0]}..{last}, whole",
                      lambda f, months=months, key=key: render_months(db.session(), months, f, None, None, key))]
            for label, make in cases:
                figures = []
                for fmt in args.formats.split(","):
                    seconds, size = timed(app, lambda fmt=fmt, make=make: make(fmt))
                    figures.append(f"{fmt} {seconds * 1000:7.0f} ms ({size // 1024} KiB)")
                print(f"{kind:>10} | {label:<28} | " + " | ".join(figures), flush=True)
            if "pdf" in args.formats:
                from ledger.settlement import pdf
                print(f"pdf renderer: {'WeasyPrint, tagged' if pdf.tagged() else 'ReportLab, untagged'}")
            app.extensions["ledger.db"].engine.dispose()


if __name__ == "__main__":
    main()
