"""Correctness on a generated mix of payments (timing is measured by bench/reconcile_gen.py, not here)."""

import pytest

from bench.reconcile_gen import generate, rf_reference, score
from ledger.reconciliation import is_valid_rf, match


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_mix_finds_true_pairs_without_wrong_auto_matches(seed):
    generated = generate(2000, seed)
    result = score(generated, match(generated.invoices, generated.transfers))
    assert result["found_share"] >= 0.99
    assert result["wrong_auto"] == []


def test_generated_mix_has_every_kind_of_case():
    generated = generate(2000, 0)
    rules = score(generated, match(generated.invoices, generated.transfers))["per_rule"]
    for rule in ("reference/auto", "amount/auto", "multi_invoice/auto", "instalments/auto"):
        assert rules[rule] > 0, rule


def test_generator_is_deterministic_and_references_are_valid():
    first, second = generate(300, 7), generate(300, 7)
    assert first.truth == second.truth and first.transfers == second.transfers
    assert is_valid_rf(rf_reference("000000042"))
    assert all(is_valid_rf(inv.payment_reference) for inv in first.invoices)


def test_proposals_handed_over_in_batches_are_the_result_in_order(monkeypatch):
    from ledger.reconciliation import engine

    generated = generate(600, 3)
    whole = match(generated.invoices, generated.transfers)
    monkeypatch.setattr(engine, "EMIT_EVERY", 7)
    batches: list[list] = []
    again = match(generated.invoices, generated.transfers, on_proposals=batches.append)
    assert again == whole  # handing proposals over changes nothing in what is matched
    assert len(batches) > len(whole) // 7 - 1 and all(batches)
    assert [p for batch in batches for p in batch] == whole
