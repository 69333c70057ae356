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
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

from ledger.reconciliation.matching import amount, instalments, multi_invoice, near_miss, partial, reference
from ledger.reconciliation.matching.state import RunState
from ledger.reconciliation.types import InvoiceId, MatchProposal, MatchSettings, OpenInvoice, OpenTransfer, TransferId
from ledger.reconciliation.validation import validate_inputs

#: How many new proposals `match` collects before handing them to `on_proposals`.
EMIT_EVERY = 10_000

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
    Each rule is a module of `ledger.reconciliation.matching`, over the run's shared `matching.state.RunState`.
    """
    invoice_list, transfer_list = list(invoices), list(transfers)
    validate_inputs(invoice_list, transfer_list)
    with collector_paused():
        run = RunState(invoice_list, transfer_list, frozenset(rejected_pairs), settings or MatchSettings(),
                       on_proposals, held=held, duplicates=duplicates or {}, emit_every=EMIT_EVERY)
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


def _run_rules(run: RunState) -> list[MatchProposal]:
    """The rules, strongest evidence first (each takes what it allocates out of the others' reach)."""
    reference.by_reference(run)
    amount.by_amount(run, "exact")
    multi_invoice.by_multi_invoice(run, exact=True)
    instalments.by_instalments(run, exact=True)
    amount.by_amount(run, "tolerance")
    multi_invoice.by_multi_invoice(run, exact=False)
    instalments.by_instalments(run, exact=False)
    near_miss.by_near_miss(run)
    amount.by_amount(run, "ambiguous")
    partial.by_partial_payment(run)
    run.emit()
    return run.proposals
