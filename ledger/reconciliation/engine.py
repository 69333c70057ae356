"""The reconciliation matching engine: which open transfers settle which open invoices.

`match()` runs the rules strongest first over everything still open and returns one `MatchProposal`
per matched transfer. Each rule only looks things up in indexes (by reference, by party and amount,
by party and date), never compares all pairs, and every search is bounded, so the run stays about
N log N. Inputs are sorted first and every loop walks sorted data: the same open items always give
the same matches, whatever order the caller passed them in.

Matches of every status consume what they allocate within a run, so the output as a whole never
allocates a transfer beyond its amount nor an invoice beyond what is open. A later run is given only
what is still open (incremental).
"""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from ledger.agreements.rules.terms import tolerance_limit
from ledger.money import Money
from ledger.reconciliation.indexes import (
    AmountBucket,
    BookedBucket,
    DueBucket,
    nearest_first,
)
from ledger.reconciliation.lookups import (
    TransferValue,
    invoice_references,
    transfer_references,
    transfer_values,
)
from ledger.reconciliation.references import is_valid_rf, near_miss_pairs
from ledger.reconciliation.subsets import find_subsets
from ledger.reconciliation.types import (
    RULE_AMOUNT,
    RULE_INSTALMENTS,
    RULE_MULTI_INVOICE,
    RULE_NEAR_MISS,
    RULE_PARTIAL,
    RULE_REFERENCE,
    SETTLES,
    Allocation,
    InvoiceId,
    MatchProposal,
    MatchSettings,
    OpenInvoice,
    OpenTransfer,
    TransferId,
)
from ledger.reconciliation.validation import validate_inputs

# Confidence by rule and strength of evidence. Status is decided by the rule (unique and strong →
# auto), not by a threshold on these numbers; they order proposals for a reviewer.
_C = Decimal
CONF_REF_EXACT = _C("0.99")
CONF_REF_TOLERANCE = _C("0.97")
CONF_REF_MULTI = _C("0.95")
CONF_REF_PARTIAL = _C("0.90")
CONF_REF_UNKNOWN_PARTY = _C("0.80")
CONF_REF_WEAK = _C("0.70")
CONF_REF_AMBIGUOUS = _C("0.60")
CONF_AMOUNT_EXACT = _C("0.90")
CONF_AMOUNT_TOLERANCE = _C("0.85")
CONF_AMOUNT_AMBIGUOUS = _C("0.50")
CONF_AMOUNT_UNKNOWN_PARTY = _C("0.50")
CONF_MULTI = _C("0.85")
CONF_MULTI_AMBIGUOUS = _C("0.50")
CONF_INSTALMENTS = _C("0.80")
CONF_INSTALMENTS_AMBIGUOUS = _C("0.45")
CONF_PARTIAL = _C("0.35")
CONF_NEAR_MISS_AMOUNT = _C("0.60")
CONF_NEAR_MISS = _C("0.30")

#: How many new proposals `match` collects before handing them to `on_proposals`.
EMIT_EVERY = 10_000

#: Invoice numbers shorter than this (normalised) are too likely to occur by chance in free text to
#: justify an automatic partial payment on their own.
_STRONG_NUMBER_LENGTH = 5


def match(
    invoices: Iterable[OpenInvoice],
    transfers: Iterable[OpenTransfer],
    rejected_pairs: frozenset[tuple[TransferId, InvoiceId]] | set[tuple[TransferId, InvoiceId]] = frozenset(),
    settings: MatchSettings | None = None,
    on_proposals: Callable[[list[MatchProposal]], None] | None = None,
    *,
    held: Iterable[OpenInvoice] = (),
    duplicates: Mapping[TransferId, InvoiceId] | None = None,
) -> list[MatchProposal]:
    """Match open transfers to open invoices; at most one proposal per transfer.

    Passes, strongest evidence first (each consumes what it allocates):
    reference → amount (exact, unique) → multi_invoice (exact sum) → instalments (exact sum) →
    amount (within tolerance, unique) → multi_invoice / instalments within tolerance (proposed) →
    near_miss_reference (proposed) → amount (ambiguous, proposed) → partial_payment (proposed).
    A pair in `rejected_pairs` (transfer_id, invoice_id) is never proposed (the caller passes rejected proposals
    and reversed matches).

    Uniqueness is judged before anything but evidence took the rivals: an amount that fits one open invoice only
    because a proposal holds its rival, or because the pair with the rival was refused (`rejected_pairs`), is
    proposed, never auto. Proposals of this run count as holds; `held` are the invoices that proposals of earlier
    runs, still waiting for review, hold, each with `open_amount` what it had open before the hold (an invoice
    held only in part is also among `invoices`, with what is left).

    A transfer that repeats an invoice already paid is never matched (it waits, explained as a possible
    duplicate, see `duplicates`): the caller names those it found among earlier runs' invoices in `duplicates`
    (transfer → the paid invoice), and within the run a transfer quoting, by reference, an invoice of its party
    that the run has settled, for exactly what that invoice had open, is held the same way.
    `on_proposals`, if given, receives the new proposals every `EMIT_EVERY` proposals and at the end (a
    proposal, once made, never changes), so a caller can store the first ones while the engine goes on.
    Raises `ReconciliationError` for inconsistent input (see `validation`).
    """
    invoice_list, transfer_list = list(invoices), list(transfers)
    validate_inputs(invoice_list, transfer_list)
    with collector_paused():
        run = _Run(invoice_list, transfer_list, frozenset(rejected_pairs), settings or MatchSettings(), on_proposals,
                   held=held, duplicates=duplicates or {})
        return _run_rules(run)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the run (the service pauses it for a whole run, loading
    and posting included, for the same reason).

    A run allocates millions of small acyclic objects; each allocation burst triggers full
    collections that rescan every live object (the caller's 200,000 inputs included), which made a
    100k × 100k run roughly twice as slow. Reference counting still frees everything; the collector
    is switched back on (if it was on) however the run ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run_rules(run: _Run) -> list[MatchProposal]:
    run.by_reference()
    run.by_amount("exact")
    run.by_multi_invoice(exact=True)
    run.by_instalments(exact=True)
    run.by_amount("tolerance")
    run.by_multi_invoice(exact=False)
    run.by_instalments(exact=False)
    run.by_near_miss()
    run.by_amount("ambiguous")
    run.by_partial_payment()
    run.emit()
    return run.proposals


# --- ordering -------------------------------------------------------------------------------------

# Ids of mixed types sort by type name first, so str is never compared with int. The keys are flat
# tuples (not a nested (type name, id) pair): comparing them is markedly cheaper in a 100k-item sort.

def _invoice_order(invoice: OpenInvoice) -> tuple:
    return (invoice.due_on, invoice.issued_on, type(invoice.id).__name__, invoice.id)


def _transfer_order(transfer: OpenTransfer) -> tuple:
    return (transfer.booked_on, type(transfer.id).__name__, transfer.id)


# --- the run --------------------------------------------------------------------------------------

class _Run:
    """State of one matching run: what is still open, what is matched, and the proposals so far."""

    def __init__(
        self,
        invoices: list[OpenInvoice],
        transfers: list[OpenTransfer],
        rejected: frozenset[tuple[TransferId, InvoiceId]],
        settings: MatchSettings,
        on_proposals: Callable[[list[MatchProposal]], None] | None = None,
        *,
        held: Iterable[OpenInvoice] = (),
        duplicates: Mapping[TransferId, InvoiceId] | None = None,
    ) -> None:
        self.settings = settings
        self._on_proposals = on_proposals
        self._emitted = 0
        self.rejected = rejected
        #: Per transfer, the invoices refused for it (rejected or reversed): rivals that were taken out of reach.
        self._refused: dict[TransferId, list[InvoiceId]] = defaultdict(list)
        for transfer_id, invoice_id in rejected:
            self._refused[transfer_id].append(invoice_id)
        #: Per (party, direction, currency), the invoices held by proposals (earlier runs' and this run's), each
        #: with what it had open before the hold: the rivals an amount must not be unique without.
        self._holds: dict[tuple, list[tuple[Decimal, OpenInvoice]]] = defaultdict(list)
        self._held_by_id: dict[InvoiceId, tuple[Decimal, OpenInvoice]] = {}
        for inv in held:
            hold = (inv.open_amount.amount, inv)
            self._holds[(inv.party, inv.direction, inv.currency)].append(hold)
            self._held_by_id[inv.id] = hold
        #: Transfers held out of every rule as repeats of a paid invoice → that invoice.
        self.duplicates: dict[TransferId, InvoiceId] = dict(duplicates or {})
        self.invoices = sorted(invoices, key=_invoice_order)
        self.transfers = sorted(transfers, key=_transfer_order)
        self.open: dict[InvoiceId, Decimal] = {inv.id: inv.open_amount.amount for inv in self.invoices}
        self.by_id: dict[InvoiceId, OpenInvoice] = {inv.id: inv for inv in self.invoices}
        self.rank: dict[InvoiceId, int] = {inv.id: i for i, inv in enumerate(self.invoices)}
        self.values: dict[TransferId, dict[str, TransferValue]] = {t.id: transfer_values(t) for t in self.transfers}
        self.done: set[TransferId] = {t.id for t in self.transfers if t.amount.amount == 0 or t.id in self.duplicates}
        self.proposals: list[MatchProposal] = []
        #: Per invoice, the (currency, value, transfer) of each allocation of this run.
        self.paid_by: dict[InvoiceId, list[tuple[str, Decimal, TransferId]]] = {}
        self._refs: dict[TransferId, dict[str, str]] = {}
        self._pending: list[OpenTransfer] = self.transfers
        self._open_invoices: list[OpenInvoice] = self.invoices
        self._amount_order: list[OpenInvoice] = self.invoices

    def emit(self) -> None:
        """Hand the proposals made since the last call to the caller's `on_proposals`."""
        if self._on_proposals is not None and len(self.proposals) > self._emitted:
            fresh, self._emitted = self.proposals[self._emitted:], len(self.proposals)
            self._on_proposals(fresh)

    # - shared checks -

    def open_invoices(self) -> list[OpenInvoice]:
        """Invoices with money still open, in due-date order; shrinks as passes settle them."""
        self._open_invoices = [inv for inv in self._open_invoices if self.open[inv.id] > 0]
        return self._open_invoices

    def pending(self) -> list[OpenTransfer]:
        """Unmatched transfers in booking order; each pass only walks what earlier passes left."""
        self._pending = [t for t in self._pending if t.id not in self.done]
        return self._pending

    def references(self, transfer: OpenTransfer) -> dict[str, str]:
        found = self._refs.get(transfer.id)
        if found is None:
            found = self._refs[transfer.id] = transfer_references(transfer)
        return found

    def eligible(self, transfer: OpenTransfer, invoice: OpenInvoice) -> bool:
        """Could this transfer settle this invoice at all? Direction, party, still open, not rejected."""
        return (
            SETTLES[transfer.direction] == invoice.direction
            and self.open[invoice.id] > 0
            and (transfer.counterparty_party is None or transfer.counterparty_party == invoice.party)
            and (transfer.id, invoice.id) not in self.rejected
        )

    def in_window(self, booked_on: date, invoice: OpenInvoice) -> bool:
        days = booked_on.toordinal() - invoice.due_on.toordinal()
        return -self.settings.days_before_due <= days <= self.settings.days_after_due

    @staticmethod
    def tolerance(invoices: list[OpenInvoice], base: Decimal, currency: str) -> Decimal:
        """The agreements' one rule (`tolerance_limit`: the lower of the absolute and percentage limits), with the
        strictest invoice's limits."""
        if len(invoices) == 1:
            absolute, percent = invoices[0].tolerance_abs.amount, invoices[0].tolerance_pct
        else:
            absolute = min(inv.tolerance_abs.amount for inv in invoices)
            percent = min(inv.tolerance_pct for inv in invoices)
        return tolerance_limit(absolute, percent, base, currency)

    def within_tolerance(self, invoice: OpenInvoice, value: Decimal) -> bool:
        open_amount = self.open[invoice.id]
        difference = abs(open_amount - value)
        # Both limits are ≥ 0 (validated) and the tolerance is the lower one: no need to work it out
        # for an exact amount, nor for a difference beyond the absolute limit.
        if difference == 0:
            return True
        if difference > invoice.tolerance_abs.amount:
            return False
        return difference <= self.tolerance([invoice], open_amount, invoice.currency)

    def removed_rivals(self, transfer: OpenTransfer, value: TransferValue, chosen: OpenInvoice,
                       exact: bool) -> list[InvoiceId]:
        """Invoices of the transfer's party that its amount would fit as well as `chosen` (`exact`: to the cent;
        else within tolerance) but that are out of its reach only because a proposal holds them or the pair was
        refused. With any, `chosen` is unique by elimination, not by evidence: a reviewer decides."""
        rivals: set[InvoiceId] = set()
        booked_on, amount = transfer.booked_on, value.amount
        key = (transfer.counterparty_party, SETTLES[transfer.direction], value.currency)
        for before, inv in self._holds.get(key, ()):
            if inv.id != chosen.id and self._would_fit(booked_on, inv, before, amount, exact):
                rivals.add(inv.id)
        for invoice_id in self._refused.get(transfer.id, ()):
            held = self._held_by_id.get(invoice_id)
            inv = held[1] if held else self.by_id.get(invoice_id)
            if (inv is not None and inv.id != chosen.id and (inv.party, inv.direction, inv.currency) == key
                    and self._would_fit(booked_on, inv, held[0] if held else inv.open_amount.amount, amount, exact)):
                rivals.add(invoice_id)
        return sorted(rivals, key=lambda i: (type(i).__name__, i))

    def _would_fit(self, booked_on: date, invoice: OpenInvoice, open_amount: Decimal, value: Decimal,
                   exact: bool) -> bool:
        if not self.in_window(booked_on, invoice):
            return False
        if exact:
            return open_amount == value
        return abs(open_amount - value) <= self.tolerance([invoice], open_amount, invoice.currency)

    # - recording a match -

    def allocate(
        self,
        transfer: OpenTransfer,
        value: TransferValue,
        invoices: list[OpenInvoice],
        rule: str,
        auto: bool,
        confidence: Decimal,
        evidence: dict[str, str],
        require_settled: bool = False,
    ) -> MatchProposal | None:
        """Apply `value` to `invoices` (in the order given) and record the proposal.

        Within tolerance the invoices are settled in full: the shortfall falls on the largest invoice
        and the residual goes to bank charges (or FX difference for a converted payment). Outside it,
        the value is spread in order and what is left stays open (or unallocated on the transfer).
        """
        currency = value.currency
        opens = [self.open[inv.id] for inv in invoices]
        open_total = sum(opens, Decimal(0))
        residual = open_total - value.amount
        tolerance = self.tolerance(invoices, open_total, currency)
        settles = abs(residual) <= tolerance
        amounts = self._split(opens, value.amount, residual, settles)
        if amounts is None:
            settles = False
            amounts = self._split(opens, value.amount, residual, settles)
        if require_settled and not settles:
            return None
        chosen = [(inv, amount) for inv, amount in zip(invoices, amounts or []) if amount > 0]
        if not chosen:
            return None
        paid = [inv for inv, _ in chosen]
        if len(paid) < len(invoices):
            # Only some of the invoices get money: the residual and tolerance are those of the ones paid
            # (when all are paid, the ones computed above already are).
            open_total = sum((self.open[inv.id] for inv in paid), Decimal(0))
            residual = open_total - value.amount
            tolerance = self.tolerance(paid, open_total, currency)
        if auto and rule != RULE_INSTALMENTS:
            echo = self._same_amount_paid(value, paid)
            if echo is not None:
                auto = False
                evidence = {**evidence, "reason": f"the same amount was already paid to this invoice by "
                                                  f"transfer {echo} in this run (possible duplicate)"}
        full_evidence = self._evidence(transfer, value, paid, residual, settles, tolerance)
        full_evidence.update(evidence)
        if not auto:  # the invoices it takes stay rivals for the rest of the run (see `_removed_rivals`)
            for inv in paid:
                self._holds[(inv.party, inv.direction, inv.currency)].append((self.open[inv.id], inv))
        for inv, amount in chosen:
            self.open[inv.id] = Decimal(0) if settles else self.open[inv.id] - amount
        account = None
        if settles and residual != 0:
            account = "fx_difference" if value.converted else "bank_charges"
        proposal = MatchProposal(
            transfer_id=transfer.id,
            allocations=tuple([Allocation(inv.id, Money(amount, currency)) for inv, amount in chosen]),
            rule=rule,
            status="auto" if auto else "proposed",
            confidence=confidence,
            residual=Money(residual, currency),
            residual_account=account,
            evidence=full_evidence,
        )
        self.proposals.append(proposal)
        if self._on_proposals is not None and len(self.proposals) - self._emitted >= EMIT_EVERY:
            self.emit()
        self.done.add(transfer.id)
        for inv, _ in chosen:
            self.paid_by.setdefault(inv.id, []).append((value.currency, value.amount, transfer.id))
        return proposal

    def _same_amount_paid(self, value: TransferValue, invoices: list[OpenInvoice]) -> TransferId | None:
        """A transfer of this run that already paid the same amount to one of these invoices."""
        for inv in invoices:
            for currency, amount, transfer_id in self.paid_by.get(inv.id, ()):
                if (currency, amount) == (value.currency, value.amount):
                    return transfer_id
        return None

    @staticmethod
    def _split(opens: list[Decimal], value: Decimal, residual: Decimal, settles: bool) -> list[Decimal] | None:
        if settles:
            amounts = list(opens)
            if residual > 0:
                largest = amounts.index(max(amounts))
                amounts[largest] -= residual
                if amounts[largest] <= 0:
                    return None
            return amounts
        amounts, remaining = [], value
        for open_amount in opens:
            share = min(open_amount, remaining)
            amounts.append(share)
            remaining -= share
        return amounts

    def _evidence(
        self, transfer: OpenTransfer, value: TransferValue, invoices: list[OpenInvoice], residual: Decimal,
        settles: bool, tolerance: Decimal,
    ) -> dict[str, str]:
        # str() of a quantized Decimal is its wire form (format "f" is Money's); building Money here would
        # only cost time. `!s` asks for str() directly: the same text as format(), without parsing a spec.
        currency = value.currency
        booked = transfer.booked_on.toordinal()
        opens, dues, issues, days = [], [], [], []
        for inv in invoices:  # one loop for the four per-invoice fields ("id=…; id=…")
            opens.append(f"{inv.id}={self.open[inv.id]!s}")
            dues.append(f"{inv.id}={inv.due_on.isoformat()}")
            issues.append(f"{inv.id}={inv.issued_on.isoformat()}")
            days.append(f"{inv.id}={booked - inv.due_on.toordinal()}")
        evidence = {
            "transfer_amount": f"{transfer.amount.amount:f} {transfer.amount.currency}",
            "value_applied": f"{value.amount!s} {currency}",
            "booked_on": transfer.booked_on.isoformat(),
            "invoices_open": "; ".join(opens),
            "due_on": "; ".join(dues),
            "issued_on": "; ".join(issues),
            "days_from_due": "; ".join(days),
            "tolerance": f"{tolerance!s} {currency}",
            "difference": f"{residual!s} {currency}",
            "settles_in_full": "true" if settles else "false",
            "party": transfer.counterparty_party or "unknown",
            "party_source": "counterparty_iban" if transfer.counterparty_party else "none",
        }
        evidence.update(value.evidence)
        return evidence

    # - rule 1: structured reference -

    def by_reference(self) -> None:
        # The index holds the invoices themselves, so a hit needs no lookup by id.
        index: dict[str, list[tuple[OpenInvoice, str]]] = defaultdict(list)
        for inv in self.invoices:
            for normal, field_name in invoice_references(inv):
                entries = index[normal]
                # Once per invoice and form, under its first field: an earlier field of this invoice
                # with the same form would be the last entry, since invoices are indexed one by one.
                if not entries or entries[-1][0] is not inv:
                    entries.append((inv, field_name))
        for transfer in self.pending():
            hits = self._reference_hits(transfer, index)
            if hits:
                self._settle_by_reference(transfer, hits)
            else:
                repeated = self._repeated_invoice(transfer, index)
                if repeated is not None:
                    self.duplicates[transfer.id] = repeated
                    self.done.add(transfer.id)

    def _repeated_invoice(
        self, transfer: OpenTransfer, index: dict[str, list[tuple[OpenInvoice, str]]]
    ) -> InvoiceId | None:
        """An invoice of the transfer's party that it quotes and that this run already settled, for exactly what
        that invoice had open: the transfer repeats its payment (as `duplicates` tells of earlier runs' invoices)."""
        party = transfer.counterparty_party
        if party is None:
            return None
        values, direction = self.values[transfer.id], SETTLES[transfer.direction]
        for token in sorted(self.references(transfer)):
            entries = index.get(token, ())
            if len(entries) > self.settings.scan_budget:
                continue  # shared by that many invoices it names none (as in `_reference_hits`)
            for invoice, _ in entries:
                value = values.get(invoice.currency)
                if (invoice.party == party and invoice.direction == direction and self.open[invoice.id] == 0
                        and value is not None and value.amount == invoice.open_amount.amount):
                    return invoice.id
        return None

    def _reference_hits(
        self, transfer: OpenTransfer, index: dict[str, list[tuple[OpenInvoice, str]]]
    ) -> dict[InvoiceId, tuple[str, str, str]]:
        """Eligible invoices named by the transfer → (reference, where found, invoice field)."""
        hits: dict[InvoiceId, tuple[str, str, str]] = {}
        values = self.values[transfer.id]
        scan_budget = self.settings.scan_budget
        for token, source in self.references(transfer).items():
            entries = index.get(token)
            if not entries or len(entries) > scan_budget:
                continue  # no invoice's; or shared by that many invoices it singles out none (amount rules decide)
            for invoice, field_name in entries:
                invoice_id = invoice.id
                if invoice.currency in values and self.eligible(transfer, invoice):
                    hit = (token, source, field_name)
                    # The smallest hit per invoice, so evidence does not depend on set order.
                    if invoice_id not in hits or hit < hits[invoice_id]:
                        hits[invoice_id] = hit
        return hits

    def _settle_by_reference(self, transfer: OpenTransfer, hits: dict[InvoiceId, tuple[str, str, str]]) -> None:
        candidates = [self.by_id[i] for i in sorted(hits, key=self.rank.__getitem__)]
        currency = candidates[0].currency
        candidates = [inv for inv in candidates if inv.currency == currency]
        value = self.values[transfer.id][currency]
        party_known = transfer.counterparty_party is not None
        evidence = _reference_evidence([hits[inv.id] for inv in candidates])
        strong = all(_is_strong(*hits[inv.id]) for inv in candidates)
        if len(candidates) == 1:
            self._one_referenced(transfer, value, candidates[0], party_known, strong, evidence)
        else:
            self._several_referenced(transfer, value, candidates, party_known, evidence)

    def _one_referenced(
        self, transfer: OpenTransfer, value: TransferValue, invoice: OpenInvoice, party_known: bool, strong: bool,
        evidence: dict[str, str],
    ) -> None:
        open_amount = self.open[invoice.id]
        if self.within_tolerance(invoice, value.amount):
            confidence = CONF_REF_EXACT if open_amount == value.amount else CONF_REF_TOLERANCE
            auto = party_known
        elif value.amount < open_amount:
            confidence, auto = CONF_REF_PARTIAL, party_known and strong
            evidence["reason"] = "partial payment: the rest stays open"
        else:
            confidence, auto = CONF_REF_AMBIGUOUS, False
            evidence["reason"] = "paid more than is open, beyond tolerance"
        if not party_known:
            confidence = min(confidence, CONF_REF_UNKNOWN_PARTY)
            reason = evidence.get("reason")
            evidence["reason"] = "counterparty IBAN not mapped to a party" + (f"; {reason}" if reason else "")
        elif not strong and not auto:
            confidence = min(confidence, CONF_REF_WEAK)
        self.allocate(transfer, value, [invoice], RULE_REFERENCE, auto, confidence, evidence)

    def _several_referenced(
        self, transfer: OpenTransfer, value: TransferValue, candidates: list[OpenInvoice], party_known: bool,
        evidence: dict[str, str],
    ) -> None:
        """The transfer names several invoices: all of them, or the one subset its amount fits."""
        candidates = candidates[: self.settings.subset_max_candidates]
        opens = [self.open[inv.id] for inv in candidates]
        total = sum(opens, Decimal(0))
        if abs(total - value.amount) <= self.tolerance(candidates, total, value.currency):
            self.allocate(transfer, value, candidates, RULE_REFERENCE, party_known, CONF_REF_MULTI, evidence)
            return
        tolerance = self.tolerance(candidates, value.amount, value.currency)
        found = find_subsets(opens, value.amount - tolerance, value.amount + tolerance, min_size=1,
                             node_budget=self.settings.subset_node_budget)
        evidence["candidates"] = str(len(candidates))
        if len(found.solutions) == 1 and found.complete:
            chosen = [candidates[i] for i in found.solutions[0]]
            self.allocate(transfer, value, chosen, RULE_REFERENCE, party_known, CONF_REF_MULTI, evidence)
        elif found.solutions:
            evidence["reason"] = "several referenced invoices fit the amount"
            chosen = [candidates[i] for i in found.solutions[0]]
            self.allocate(transfer, value, chosen, RULE_REFERENCE, False, CONF_REF_AMBIGUOUS, evidence)
        else:
            evidence["reason"] = "referenced invoices do not add up to the amount"
            self.allocate(transfer, value, candidates, RULE_REFERENCE, False, CONF_REF_AMBIGUOUS, evidence)

    # - rule 2: amount, party and date window -

    def _wanted_buckets(self) -> set[tuple[str | None, str]]:
        """(party, invoice direction) pairs some pending transfer could settle: only those get indexed."""
        return {(t.counterparty_party, SETTLES[t.direction]) for t in self.pending()}

    def _amount_index(self) -> dict[tuple, AmountBucket]:
        """Buckets by (party, direction, currency) and, for unmapped IBANs, (None, direction, currency)."""
        buckets: dict[tuple, AmountBucket] = defaultdict(AmountBucket)
        # Kept in amount order from pass to pass: only partly paid invoices move, so the (adaptive)
        # sort of an almost sorted list costs about one walk over it.
        live = [inv for inv in self._amount_order if self.open[inv.id] > 0]
        live.sort(key=lambda inv: (self.open[inv.id], self.rank[inv.id]))
        self._amount_order = live
        wanted = self._wanted_buckets()
        for inv in live:
            amount = self.open[inv.id]
            for party in (inv.party, None):
                if (party, inv.direction) not in wanted:
                    continue
                bucket = buckets[(party, inv.direction, inv.currency)]
                bucket.amounts.append(amount)
                bucket.invoices.append(inv)
                if inv.tolerance_abs.amount > bucket.max_tolerance:
                    bucket.max_tolerance = inv.tolerance_abs.amount
        return buckets

    def by_amount(self, phase: str) -> None:
        """Three passes, so stronger evidence of other rules comes first.

        "exact": the one open invoice of the party with exactly this amount (auto), even if others fit
        within tolerance. "tolerance": the one that fits only within tolerance (auto), after exact sums
        of several invoices or transfers had their chance, since an exact sum says more than an amount
        a few pounds off. "ambiguous":
        the rest, proposed, after near-miss references, which say more than an amount fitting
        several invoices (a fit that became unique only because a proposal took its rival is
        proposed too).
        """
        buckets = self._amount_index()
        for transfer in self.pending():
            options, crowded = self._amount_candidates(transfer, buckets)
            if not options:
                continue
            known = transfer.counterparty_party is not None and not crowded
            # A fit left unique only by holds or refusals waits for the "ambiguous" pass, which proposes it.
            if phase == "exact":
                exact = [(inv, value) for inv, value in options if self.open[inv.id] == value.amount]
                if known and len(exact) == 1 and not self.removed_rivals(transfer, exact[0][1], exact[0][0], True):
                    self._settle_by_amount(transfer, exact, crowded, within_tolerance=len(options) - 1)
            elif phase == "tolerance":
                if known and len(options) == 1 and not self.removed_rivals(transfer, options[0][1], options[0][0],
                                                                           False):
                    self._settle_by_amount(transfer, options, crowded)
            else:
                self._settle_by_amount(transfer, options, crowded, force_proposed=True)

    def _amount_candidates(
        self, transfer: OpenTransfer, buckets: dict[tuple, AmountBucket]
    ) -> tuple[list[tuple[OpenInvoice, TransferValue]], bool]:
        options: list[tuple[OpenInvoice, TransferValue]] = []
        crowded = False
        for currency, value in sorted(self.values[transfer.id].items()):
            bucket = buckets.get((transfer.counterparty_party, SETTLES[transfer.direction], currency))
            if bucket is None:
                continue
            # The invoices whose open amount is within the bucket's widest tolerance, at most scan_budget.
            low = bisect_left(bucket.amounts, value.amount - bucket.max_tolerance)
            high = bisect_right(bucket.amounts, value.amount + bucket.max_tolerance, lo=low)
            if high - low > self.settings.scan_budget:
                crowded = True
                high = low + self.settings.scan_budget
            for invoice in bucket.invoices[low:high]:
                if (
                    self.open[invoice.id] > 0
                    and self.eligible(transfer, invoice)
                    and self.in_window(transfer.booked_on, invoice)
                    and self.within_tolerance(invoice, value.amount)
                ):
                    options.append((invoice, value))
        return options, crowded

    def _settle_by_amount(
        self, transfer: OpenTransfer, options: list[tuple[OpenInvoice, TransferValue]], crowded: bool,
        force_proposed: bool = False, within_tolerance: int = 0,
    ) -> None:
        def closeness(option: tuple[OpenInvoice, TransferValue]) -> tuple:
            invoice, value = option
            days = abs(transfer.booked_on.toordinal() - invoice.due_on.toordinal())
            return (abs(self.open[invoice.id] - value.amount), days, self.rank[invoice.id])

        options.sort(key=closeness)
        invoice, value = options[0]
        evidence = {"candidates": str(len(options)) + ("+" if crowded and len(options) > 1 else "")}
        if within_tolerance:
            evidence["other_invoices_within_tolerance"] = str(within_tolerance)
        exact = self.open[invoice.id] == value.amount
        if transfer.counterparty_party is None:
            if len(options) > 1 or crowded:
                return  # an amount alone, from an unknown account, fitting several parties: no guess
            evidence["reason"] = "counterparty IBAN not mapped to a party"
            self.allocate(transfer, value, [invoice], RULE_AMOUNT, False, CONF_AMOUNT_UNKNOWN_PARTY, evidence,
                          require_settled=True)
        elif len(options) == 1 and not crowded and not force_proposed:
            confidence = CONF_AMOUNT_EXACT if exact else CONF_AMOUNT_TOLERANCE
            self.allocate(transfer, value, [invoice], RULE_AMOUNT, True, confidence, evidence, require_settled=True)
        else:
            rivals = self.removed_rivals(transfer, value, invoice, False) if len(options) == 1 else []
            if rivals:
                evidence["rivals_held_or_refused"] = "; ".join(str(i) for i in rivals)
                evidence["reason"] = ("the only open invoice of the party that fits the amount, but only because "
                                      "proposals waiting for review hold, or refusals for this transfer removed, "
                                      "others that fit as well")
            else:
                evidence["reason"] = "several open invoices of the party fit the amount (or did before another proposal took one); nearest due date proposed"
            self.allocate(transfer, value, [invoice], RULE_AMOUNT, False, CONF_AMOUNT_AMBIGUOUS, evidence,
                          require_settled=True)

    # - rule 3: one transfer paying several invoices of the party -

    def _due_index(self) -> dict[tuple, DueBucket]:
        buckets: dict[tuple, DueBucket] = defaultdict(DueBucket)
        wanted = self._wanted_buckets()
        for inv in self.open_invoices():  # already in due-date order
            if (inv.party, inv.direction) not in wanted:
                continue
            bucket = buckets[(inv.party, inv.direction, inv.currency)]
            bucket.days.append(inv.due_on.toordinal())
            bucket.invoices.append(inv)
            bucket.max_tolerance = max(bucket.max_tolerance, inv.tolerance_abs.amount)
        return buckets

    def by_multi_invoice(self, exact: bool) -> None:
        """Exact sums first (auto when unique); sums within tolerance only proposed, since with a
        dozen candidates some combination lands within a few pounds of almost any amount."""
        buckets = self._due_index()
        for transfer in self.pending():
            if transfer.counterparty_party is None:
                continue  # summing an unknown payer's amount over everyone's invoices proves nothing
            for currency, value in sorted(self.values[transfer.id].items()):
                bucket = buckets.get((transfer.counterparty_party, SETTLES[transfer.direction], currency))
                if bucket is not None and self._pay_several(transfer, value, bucket, exact):
                    break

    def _pay_several(self, transfer: OpenTransfer, value: TransferValue, bucket: DueBucket, exact: bool) -> bool:
        settings = self.settings
        booked = transfer.booked_on.toordinal()
        positions = nearest_first(bucket.days, booked, booked - settings.days_after_due,
                             booked + settings.days_before_due, settings.scan_budget)
        limit = value.amount + bucket.max_tolerance
        candidates = [
            bucket.invoices[p] for p in positions
            if 0 < self.open[bucket.invoices[p].id] <= limit and self.eligible(transfer, bucket.invoices[p])
        ][: settings.subset_max_candidates]
        if len(candidates) < 2:
            return False
        candidates.sort(key=lambda inv: self.rank[inv.id])
        tolerance = Decimal(0) if exact else self.tolerance(candidates, value.amount, value.currency)
        found = find_subsets([self.open[inv.id] for inv in candidates], value.amount - tolerance,
                             value.amount + tolerance, node_budget=settings.subset_node_budget)
        if not found.solutions:
            return False
        chosen = [candidates[i] for i in found.solutions[0]]
        unique = len(found.solutions) == 1 and found.complete and exact
        evidence = {"candidates": str(len(candidates)), "invoices_paid": str(len(chosen))}
        if not exact:
            evidence["reason"] = "the invoices add up to the amount only within tolerance"
        elif not unique:
            evidence["reason"] = "several combinations of open invoices fit the amount"
        confidence = CONF_MULTI if unique else CONF_MULTI_AMBIGUOUS
        return self.allocate(transfer, value, chosen, RULE_MULTI_INVOICE, unique, confidence, evidence,
                             require_settled=True) is not None

    # - rule 4: several transfers paying one invoice -

    def _booked_index(self) -> dict[tuple, BookedBucket]:
        buckets: dict[tuple, BookedBucket] = defaultdict(BookedBucket)
        for transfer in self.pending():  # already in booking order
            if transfer.counterparty_party is None:
                continue
            for currency in sorted(self.values[transfer.id]):
                bucket = buckets[(transfer.counterparty_party, SETTLES[transfer.direction], currency)]
                bucket.days.append(transfer.booked_on.toordinal())
                bucket.transfers.append(transfer)
        return buckets

    def by_instalments(self, exact: bool) -> None:
        """Like `by_multi_invoice` the other way round: exact sums auto when unique, else proposed."""
        buckets = self._booked_index()
        if not buckets:
            return
        for invoice in self.open_invoices():
            bucket = buckets.get((invoice.party, invoice.direction, invoice.currency))
            if bucket is not None and self.open[invoice.id] > 0:
                self._paid_in_instalments(invoice, bucket, exact)

    def _paid_in_instalments(self, invoice: OpenInvoice, bucket: BookedBucket, exact: bool) -> None:
        settings = self.settings
        due = invoice.due_on.toordinal()
        open_amount = self.open[invoice.id]
        positions = nearest_first(bucket.days, due, due - settings.days_before_due, due + settings.days_after_due,
                             settings.scan_budget)
        candidates = [
            bucket.transfers[p] for p in positions
            if bucket.transfers[p].id not in self.done
            and self.values[bucket.transfers[p].id][invoice.currency].amount < open_amount
            and self.eligible(bucket.transfers[p], invoice)
        ][: settings.subset_max_candidates]
        if len(candidates) < 2:
            return
        candidates.sort(key=_transfer_order)
        tolerance = Decimal(0) if exact else self.tolerance([invoice], open_amount, invoice.currency)
        amounts = [self.values[t.id][invoice.currency].amount for t in candidates]
        found = find_subsets(amounts, open_amount - tolerance, open_amount + tolerance,
                             node_budget=settings.subset_node_budget)
        if not found.solutions:
            return
        chosen = [candidates[i] for i in found.solutions[0]]
        unique = len(found.solutions) == 1 and found.complete and exact
        siblings = ", ".join(str(t.id) for t in chosen)
        for number, transfer in enumerate(chosen, start=1):
            evidence = {"instalment": f"{number} of {len(chosen)}", "instalment_transfers": siblings}
            if not exact:
                evidence["reason"] = "the transfers add up to the invoice only within tolerance"
            elif not unique:
                evidence["reason"] = "several combinations of transfers fit the invoice"
            confidence = CONF_INSTALMENTS if unique else CONF_INSTALMENTS_AMBIGUOUS
            self.allocate(transfer, self.values[transfer.id][invoice.currency], [invoice], RULE_INSTALMENTS,
                          unique, confidence, evidence)

    # - rule 5: a lone partial payment of the party's only fitting invoice (proposed only) -

    def by_partial_payment(self) -> None:
        buckets = self._due_index()
        settings = self.settings
        for transfer in self.pending():
            if transfer.counterparty_party is None or self._names_an_absent_invoice(transfer):
                continue
            booked = transfer.booked_on.toordinal()
            for currency, value in sorted(self.values[transfer.id].items()):
                bucket = buckets.get((transfer.counterparty_party, SETTLES[transfer.direction], currency))
                if bucket is None:
                    continue
                positions = nearest_first(bucket.days, booked, booked - settings.days_after_due,
                                     booked + settings.days_before_due, settings.scan_budget)
                fitting = [
                    bucket.invoices[p] for p in positions
                    if self.open[bucket.invoices[p].id] > value.amount and self.eligible(transfer, bucket.invoices[p])
                ]
                if len(fitting) == 1 and len(positions) < settings.scan_budget:
                    evidence = {"reason": "only open invoice of the party larger than the payment"}
                    self.allocate(transfer, value, fitting, RULE_PARTIAL, False, CONF_PARTIAL, evidence)
                    break

    def _names_an_absent_invoice(self, transfer: OpenTransfer) -> bool:
        """A structured or RF reference that matched nothing open: its invoice has not arrived yet
        (or is settled), so guessing another invoice of the party would only mislead a reviewer."""
        if transfer.remittance_structured:
            return True
        return any(token.startswith("RF") and is_valid_rf(token) for token in self.references(transfer))

    # - rule 6: near-miss references (proposed only) -

    def by_near_miss(self) -> None:
        pending = self.pending()
        if not pending:
            return
        minimum = self.settings.near_miss_min_length
        owners: dict[str, list[tuple[InvoiceId, str]]] = defaultdict(list)
        for inv in self.open_invoices():
            for normal, field_name in invoice_references(inv, all_forms=False):
                if len(normal) >= minimum:
                    owners[normal].append((inv.id, field_name))
        tokens = {token for t in pending for token in self.references(t) if len(token) >= minimum}
        nearby = near_miss_pairs(tokens, owners)
        for transfer in pending:
            self._near_miss(transfer, nearby, owners)

    def _near_miss(
        self,
        transfer: OpenTransfer,
        nearby: dict[str, list[tuple[str, str]]],
        owners: dict[str, list[tuple[InvoiceId, str]]],
    ) -> None:
        values = self.values[transfer.id]
        options = []
        for token in sorted(self.references(transfer)):
            for reference, reason in nearby.get(token, ()):
                for invoice_id, field_name in owners[reference]:
                    invoice = self.by_id[invoice_id]
                    if invoice.currency in values and self.eligible(transfer, invoice):
                        fits = self.within_tolerance(invoice, values[invoice.currency].amount)
                        options.append((not fits, self.rank[invoice_id], invoice, token, reference, reason, field_name))
        if not options:
            return
        options.sort(key=lambda option: option[:2])
        misfit, _, invoice, token, reference, reason, field_name = options[0]
        evidence = {
            "reference": token, "invoice_reference": reference, "invoice_field": field_name,
            "reason": f"near-miss reference: {reason}", "candidates": str(len({o[2].id for o in options})),
        }
        confidence = CONF_NEAR_MISS if misfit else CONF_NEAR_MISS_AMOUNT
        self.allocate(transfer, values[invoice.currency], [invoice], RULE_NEAR_MISS, False, confidence, evidence)


def _is_strong(token: str, source: str, field_name: str) -> bool:
    """A reference that cannot plausibly appear by chance: RF, end-to-end id, or a long invoice number."""
    return field_name != "number" or len(token) >= _STRONG_NUMBER_LENGTH


def _reference_evidence(hits: list[tuple[str, str, str]]) -> dict[str, str]:
    tokens, sources, field_names = zip(*hits)
    evidence = {
        "reference": "; ".join(tokens),
        "reference_source": "; ".join(sources),
        "invoice_field": "; ".join(field_names),
    }
    rf = [token for token in tokens if token.startswith("RF")]
    if rf:
        evidence["rf_valid"] = "; ".join("true" if is_valid_rf(token) else "false" for token in rf)
    return evidence

