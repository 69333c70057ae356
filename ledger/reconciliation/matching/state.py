"""The state of one matching run, shared by the rules (`ledger.reconciliation.matching`): what is still open,
what is matched, the proposals so far, and the checks and the one way of recording a match (`RunState.allocate`)
that every rule uses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal

from ledger.agreements.rules.terms import tolerance_limit
from ledger.money import Money
from ledger.reconciliation.indexes import DueBucket
from ledger.reconciliation.lookups import TransferValue, transfer_references, transfer_values
from ledger.reconciliation.types import (
    RULE_INSTALMENTS,
    SETTLES,
    Allocation,
    InvoiceId,
    MatchProposal,
    MatchSettings,
    OpenInvoice,
    OpenTransfer,
    TransferId,
)

# Ids of mixed types sort by type name first, so str is never compared with int. The keys are flat
# tuples (not a nested (type name, id) pair): comparing them is markedly cheaper in a 100k-item sort.

def invoice_order(invoice: OpenInvoice) -> tuple:
    return (invoice.due_on, invoice.issued_on, type(invoice.id).__name__, invoice.id)


def transfer_order(transfer: OpenTransfer) -> tuple:
    return (transfer.booked_on, type(transfer.id).__name__, transfer.id)


class RunState:
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
        emit_every: int = 10_000,
    ) -> None:
        self.settings = settings
        #: How many new proposals are collected before they go to `on_proposals`.
        self.emit_every = emit_every
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
        self.invoices = sorted(invoices, key=invoice_order)
        self.transfers = sorted(transfers, key=transfer_order)
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
        self.amount_order: list[OpenInvoice] = self.invoices

    def emit(self) -> None:
        """Hand the proposals made since the last call to the caller's `on_proposals`."""
        if self._on_proposals is not None and len(self.proposals) > self._emitted:
            fresh, self._emitted = self.proposals[self._emitted:], len(self.proposals)
            self._on_proposals(fresh)

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
        if not auto:  # the invoices it takes stay rivals for the rest of the run (see `removed_rivals`)
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
        if self._on_proposals is not None and len(self.proposals) - self._emitted >= self.emit_every:
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

    def wanted_buckets(self) -> set[tuple[str | None, str]]:
        """(party, invoice direction) pairs some pending transfer could settle: only those get indexed."""
        return {(t.counterparty_party, SETTLES[t.direction]) for t in self.pending()}

    def due_index(self) -> dict[tuple, DueBucket]:
        buckets: dict[tuple, DueBucket] = defaultdict(DueBucket)
        wanted = self.wanted_buckets()
        for inv in self.open_invoices():  # already in due-date order
            if (inv.party, inv.direction) not in wanted:
                continue
            bucket = buckets[(inv.party, inv.direction, inv.currency)]
            bucket.days.append(inv.due_on.toordinal())
            bucket.invoices.append(inv)
            bucket.max_tolerance = max(bucket.max_tolerance, inv.tolerance_abs.amount)
        return buckets
