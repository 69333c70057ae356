"""Synthetic open invoices and transfers with known answers, and a timing run of the pure engine.

    /work/venv/bin/python -m bench.reconcile_gen --n 100000

prints the time `match()` took, matches per rule and status, the share of true pairs found and the
number of wrong auto matches. Run on demand; tests use `generate()` on a small set for correctness.

Mix of payment cases (by share of invoices): 70 % carry a reference (RF creditor reference in the
structured field, the invoice number somewhere in free text, or the end-to-end id), 20 % only amount
and party, 10 % split or partial (one transfer for several invoices, several transfers for one
invoice, or instalments quoting the reference). Some payments lose bank charges within tolerance,
some are in another currency with a stated rate, some come from IBANs not mapped to a party, and
duplicates and refunds (which settle nothing) are mixed in.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from stdnum.iso7064 import mod_97_10

from ledger.money import Money
from ledger.reconciliation import MatchProposal, OpenInvoice, OpenTransfer, match

CURRENCY = "GBP"
FOREIGN = "EUR"
START = date(2026, 1, 1)


@dataclass
class Generated:
    invoices: list[OpenInvoice] = field(default_factory=list)
    transfers: list[OpenTransfer] = field(default_factory=list)
    #: (transfer_id, invoice_id) pairs that are really a payment of that invoice by that transfer.
    truth: set[tuple[str, str]] = field(default_factory=set)


def rf_reference(body: str) -> str:
    """An ISO 11649 creditor reference for `body` (check digits by ISO 7064 mod 97-10)."""
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


class _Builder:
    def __init__(self, n: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n = n
        self.parties = [f"P{i:04d}" for i in range(max(5, n // 40))]
        self.out = Generated()
        self.sequence = 0
        self.echoed: set[str] = set()

    # - pieces -

    def amount(self) -> Decimal:
        return Decimal(self.rng.randint(50_000, 25_000_000)).scaleb(-2)

    def invoice(self, party: str, direction: str, issued: date | None = None) -> OpenInvoice:
        self.sequence += 1
        issued = issued or START + timedelta(days=self.rng.randint(0, 330))
        number = f"{party}-{issued.year}-{self.sequence:06d}"
        invoice = OpenInvoice(
            id=f"I{self.sequence}",
            party=party,
            agreement_id=f"AG-{party}",
            number=number,
            payment_reference=rf_reference(f"{self.sequence:09d}"),
            end_to_end_id=f"E2E{self.sequence:08d}X",
            direction=direction,
            currency=CURRENCY,
            open_amount=Money(self.amount(), CURRENCY),
            issued_on=issued,
            due_on=issued + timedelta(days=30),
            tolerance_abs=Money.of("25.00", CURRENCY),
            tolerance_pct=Decimal("0.5"),
        )
        self.out.invoices.append(invoice)
        return invoice

    def transfer(self, invoice: OpenInvoice, value: Decimal, *, reference: bool, pays: list[OpenInvoice],
                 booked: date | None = None, direction: str | None = None) -> OpenTransfer:
        rng = self.rng
        tid = f"T{len(self.out.transfers) + 1}"
        structured = text = e2e = None
        if reference:
            style = rng.random()
            if style < 0.5:
                ref = invoice.payment_reference
                structured = " ".join(ref[i:i + 4] for i in range(0, len(ref), 4)) if rng.random() < 0.5 else ref
            elif style < 0.85:
                number = invoice.number.lower() if rng.random() < 0.3 else invoice.number
                number = number.replace("-", " ") if rng.random() < 0.3 else number
                text = f"Payment {number} treaty costs {invoice.issued_on:%B}"
            else:
                e2e = invoice.end_to_end_id
        else:
            text = rng.choice(["Monthly payment", "Transfer as agreed", "Reimbursement", None])
        amount, instructed, rate = Money(value, CURRENCY), None, None
        if rng.random() < 0.05:  # paid from the euro account at a stated rate
            rate = Decimal(rng.randint(11000, 12000)).scaleb(-4)
            instructed = Money(value, CURRENCY)
            amount = Money.rounded(value * rate, FOREIGN)
        party = None if rng.random() < 0.02 else invoice.party
        settled_by = {"payable": "debit", "receivable": "credit"}[invoice.direction]
        transfer = OpenTransfer(
            id=tid,
            direction=direction or settled_by,
            amount=amount,
            booked_on=booked or invoice.due_on + timedelta(days=rng.randint(-20, 15)),
            counterparty_party=party,
            counterparty_iban=f"XX00{invoice.party}",
            remittance_structured=structured,
            remittance_text=text,
            end_to_end_id=e2e,
            instructed_amount=instructed,
            fx_rate=rate,
        )
        self.out.transfers.append(transfer)
        for paid in pays:
            self.out.truth.add((tid, paid.id))
        return transfer

    def charged(self, amount: Decimal) -> Decimal:
        """Bank charges of a few pounds taken from one payment in five (within tolerance)."""
        if self.rng.random() < 0.2:
            cap = (amount * Decimal("0.004")).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            return amount - min(Decimal(self.rng.randint(100, 1500)).scaleb(-2), cap)
        return amount

    # - cases -

    def case(self) -> None:
        rng = self.rng
        party = rng.choice(self.parties)
        direction = "receivable" if rng.random() < 0.15 else "payable"
        kind = rng.random()
        if kind < 0.70:
            inv = self.invoice(party, direction)
            self.transfer(inv, self.charged(inv.open_amount.amount), reference=True, pays=[inv])
        elif kind < 0.90:
            inv = self.invoice(party, direction)
            self.transfer(inv, self.charged(inv.open_amount.amount), reference=False, pays=[inv])
        elif kind < 0.933:
            first = self.invoice(party, direction)
            invs = [first] + [self.invoice(party, direction, first.issued_on + timedelta(days=rng.randint(0, 20)))
                              for _ in range(rng.randint(1, 2))]
            total = sum((inv.open_amount.amount for inv in invs), Decimal(0))
            self.transfer(invs[0], total, reference=False, pays=invs)
        elif kind < 0.966:
            self.instalments(party, direction, reference=False)
        else:
            self.instalments(party, direction, reference=True)

    def instalments(self, party: str, direction: str, reference: bool) -> None:
        inv = self.invoice(party, direction)
        total = inv.open_amount.amount
        first = (total * Decimal(self.rng.randint(20, 60)) / 100).quantize(Decimal("0.01"))
        self.transfer(inv, first, reference=reference, pays=[inv], booked=inv.due_on - timedelta(days=10))
        self.transfer(inv, total - first, reference=reference, pays=[inv], booked=inv.due_on + timedelta(days=10))

    def noise(self) -> None:
        """A payment sent twice, or a refund of one: neither may settle anything."""
        original = self.rng.choice(self.out.transfers)
        if original.direction != "debit" or original.id in self.echoed:
            return
        self.echoed.add(original.id)
        tid = f"T{len(self.out.transfers) + 1}"
        later = original.booked_on + timedelta(days=self.rng.randint(1, 40))
        if self.rng.random() < 0.5:
            copy = replace(original, id=tid, booked_on=later)
        else:
            copy = replace(original, id=tid, booked_on=later, direction="credit",
                           remittance_text=f"Refund {original.remittance_text or ''}".strip())
        self.out.transfers.append(copy)


def generate(n: int, seed: int = 0) -> Generated:
    """About `n` invoices and `n` transfers (plus up to 1 % duplicates and refunds) with the true pairs."""
    builder = _Builder(n, seed)
    while len(builder.out.invoices) < n:
        builder.case()
    for _ in range(max(1, n // 100)):
        builder.noise()
    return builder.out


def score(generated: Generated, proposals: list[MatchProposal]) -> dict[str, object]:
    found = {(p.transfer_id, a.invoice_id) for p in proposals for a in p.allocations}
    auto = {(p.transfer_id, a.invoice_id) for p in proposals if p.status == "auto" for a in p.allocations}
    return {
        "true_pairs": len(generated.truth),
        "found_share": len(found & generated.truth) / max(1, len(generated.truth)),
        "auto_share": len(auto & generated.truth) / max(1, len(generated.truth)),
        "wrong_auto": sorted(auto - generated.truth),
        "wrong_proposed": len(found - auto - generated.truth),
        "per_rule": Counter(f"{p.rule}/{p.status}" for p in proposals),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    generated = generate(args.n, args.seed)
    print(f"generated {len(generated.invoices)} invoices, {len(generated.transfers)} transfers "
          f"in {time.perf_counter() - started:.1f} s")
    started, cpu_started = time.perf_counter(), time.process_time()
    proposals = match(generated.invoices, generated.transfers)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    result = score(generated, proposals)
    print(f"match(): {elapsed:.2f} s wall, {cpu:.2f} s CPU, {len(proposals)} matches")
    for rule, count in sorted(result["per_rule"].items()):
        print(f"  {rule:32} {count}")
    print(f"true pairs found: {result['found_share']:.4%} (auto: {result['auto_share']:.4%})")
    print(f"wrong auto matches: {len(result['wrong_auto'])}  wrong proposals: {result['wrong_proposed']}")
    for pair in result["wrong_auto"][:10]:
        print(f"  wrong auto {pair}")


if __name__ == "__main__":
    main()
