"""Scenarios for the matching engine, including each trap named in the issue."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from ledger.money import Money
from ledger.reconciliation import ReconciliationError, match, summarise
from tests.unit.reconciliation.factories import by_transfer, invoice, pairs, transfer

RF = "RF18539007547034"
RF_B = "RF712348231"


def only(proposals):
    assert len(proposals) == 1, proposals
    return proposals[0]


# --- rule 1: structured references ------------------------------------------------------------------

def test_rf_reference_with_exact_amount_is_auto_with_evidence():
    result = only(match([invoice("I1", payment_reference=RF)], [transfer("T1", structured="RF18 5390 0754 7034")]))
    assert result.rule == "reference" and result.status == "auto"
    assert result.allocations == ((("I1", Money.of("1000.00", "GBP"))),)
    assert result.confidence == Decimal("0.99")
    assert result.residual == Money.zero("GBP") and result.residual_account is None
    assert result.evidence["reference"] == RF
    assert result.evidence["rf_valid"] == "true"
    assert result.evidence["invoice_field"] == "payment_reference"
    assert result.evidence["due_on"] == "I1=2026-05-02"


def test_invoice_number_in_free_text_matches_despite_case_spaces_and_zero_padding():
    result = only(match([invoice("I1", number="AL-2026-0042")], [transfer("T1", text="Pmt al 2026 42 thank you")]))
    assert (result.rule, result.status) == ("reference", "auto")
    assert result.evidence["reference_source"] == "remittance_text"


def test_end_to_end_id_matches():
    result = only(match([invoice("I1", end_to_end_id="E2E-0001-XY")], [transfer("T1", end_to_end_id="e2e 1 xy")]))
    assert (result.rule, result.status, result.evidence["invoice_field"]) == ("reference", "auto", "end_to_end_id")


def test_camt_not_provided_end_to_end_id_is_no_reference():
    result = match([invoice("I1", "1000.00", number="NOTPROVIDED")],
                   [transfer("T1", "400.00", end_to_end_id="NOTPROVIDED")])
    assert all(p.rule != "reference" for p in result)


def test_bank_charges_within_tolerance_settle_the_invoice_and_post_the_residual():
    result = only(match([invoice("I1", payment_reference=RF)], [transfer("T1", "992.50", structured=RF)]))
    assert result.status == "auto"
    assert result.allocations[0].amount == Money.of("992.50", "GBP")
    assert result.residual == Money.of("7.50", "GBP")
    assert result.residual_account == "bank_charges"
    assert result.evidence["settles_in_full"] == "true"


def test_tolerance_is_the_lower_of_absolute_and_percentage_limits():
    # 1 % of 1000 is 10, the absolute limit 25: a shortfall of 12 is outside tolerance.
    result = only(match([invoice("I1", payment_reference=RF)], [transfer("T1", "988.00", structured=RF)]))
    assert result.residual_account is None
    assert result.residual == Money.of("12.00", "GBP")
    assert result.evidence["settles_in_full"] == "false"


def test_partial_payment_by_reference_leaves_the_rest_open_and_a_later_instalment_settles_it():
    invoices = [invoice("I1", payment_reference=RF)]
    transfers = [transfer("T1", "400.00", structured=RF), transfer("T2", "600.00", structured=RF,
                                                                    booked_on=date(2026, 5, 20))]
    first, second = match(invoices, transfers)
    assert (first.transfer_id, first.status, first.residual) == ("T1", "auto", Money.of("600.00", "GBP"))
    assert first.residual_account is None
    assert (second.transfer_id, second.status, second.residual) == ("T2", "auto", Money.zero("GBP"))
    assert summarise(invoices, transfers, [first, second]).open_invoices == 0


def test_overpayment_beyond_tolerance_is_only_proposed_and_the_surplus_stays_on_the_transfer():
    result = only(match([invoice("I1", payment_reference=RF)], [transfer("T1", "1500.00", structured=RF)]))
    assert result.status == "proposed"
    assert result.allocations[0].amount == Money.of("1000.00", "GBP")
    assert result.residual == Money.of("-500.00", "GBP") and result.residual_account is None


def test_one_transfer_naming_several_invoices_settles_them_all():
    invoices = [invoice("I1", "300.00", number="AL-2026-01"), invoice("I2", "700.00", number="AL-2026-02")]
    result = only(match(invoices, [transfer("T1", "1000.00", text="AL-2026-01 AL-2026-02")]))
    assert (result.rule, result.status) == ("reference", "auto")
    assert {a.invoice_id for a in result.allocations} == {"I1", "I2"}


def test_reference_shared_by_several_invoices_is_decided_by_the_amount():
    invoices = [invoice("I1", "300.00", payment_reference=RF), invoice("I2", "700.00", payment_reference=RF)]
    result = only(match(invoices, [transfer("T1", "700.00", structured=RF)]))
    assert result.status == "auto" and pairs([result]) == {("T1", "I2")}


def test_reference_from_an_unmapped_iban_is_only_proposed():
    result = only(match([invoice("I1", payment_reference=RF)], [transfer("T1", structured=RF, party=None)]))
    assert result.status == "proposed"
    assert result.evidence["party"] == "unknown"
    assert "not mapped" in result.evidence["reason"]


# --- traps ------------------------------------------------------------------------------------------

def test_trap_same_amount_owed_by_two_parties_never_matches_across_parties():
    invoices = [invoice("IA", "5000.00", party="AL"), invoice("IR", "5000.00", party="RW")]
    result = only(match(invoices, [transfer("T1", "5000.00", party="RW")]))
    assert pairs([result]) == {("T1", "IR")} and result.status == "auto"
    # From an IBAN mapped to no party, an amount fitting two parties is not even proposed.
    assert match(invoices, [transfer("T2", "5000.00", party=None)]) == []


def test_trap_duplicate_payment_is_not_matched_to_the_settled_invoice():
    invoices = [invoice("I1", payment_reference=RF)]
    transfers = [transfer("T1", structured=RF), transfer("T2", structured=RF, booked_on=date(2026, 5, 3))]
    result = only(match(invoices, transfers))
    assert (result.transfer_id, result.status) == ("T1", "auto")
    # Next run: the settled invoice is no longer open, so the duplicate finds nothing.
    assert match([], [transfers[1]]) == []
    # Without a reference the duplicate is no different.
    result = only(match([invoice("I2", "750.00")], [transfer("T3", "750.00"), transfer("T4", "750.00")]))
    assert result.transfer_id == "T3"


def test_trap_refund_credit_never_settles_a_payable_invoice():
    invoices = [invoice("I1", payment_reference=RF, direction="payable")]
    refund = transfer("T1", direction="credit", structured=RF)
    assert match(invoices, [refund]) == []
    # A credit does settle what the party owes us (a claim receivable).
    claim = invoice("C1", "1000.00", direction="receivable", number="CLAIM-2026-7")
    result = only(match(invoices + [claim], [transfer("T2", direction="credit", text="claim 2026-7")]))
    assert pairs([result]) == {("T2", "C1")} and result.status == "auto"


def test_trap_foreign_currency_payment_matches_on_converted_amount_with_fx_residual():
    inv = invoice("I1", "1000.00", payment_reference=RF)
    paid = transfer("T1", "1169.99", currency="EUR", structured=RF, instructed=("1000.00", "GBP"), fx_rate="1.17")
    result = only(match([inv], [paid]))
    assert result.status == "auto"
    assert result.allocations[0].amount == Money.of("999.99", "GBP")
    assert result.residual == Money.of("0.01", "GBP") and result.residual_account == "fx_difference"
    assert result.evidence["fx_rate"] == "1.17"


def test_foreign_currency_payment_matches_by_amount_and_recognises_a_rate_quoted_the_other_way():
    inv = invoice("I1", "1000.00")
    paid = transfer("T1", "1170.00", currency="EUR", instructed=("1000.00", "GBP"), fx_rate="0.8546")
    result = only(match([inv], [paid]))
    assert (result.rule, result.status, result.residual_account) == ("amount", "auto", "fx_difference")
    assert result.allocations[0].amount == Money.of("999.88", "GBP")
    assert result.residual == Money.of("0.12", "GBP")
    assert "×" in result.evidence["conversion"]


def test_a_transfer_in_another_currency_without_conversion_data_matches_nothing():
    assert match([invoice("I1", payment_reference=RF)], [transfer("T1", currency="EUR", structured=RF)]) == []


def test_trap_payment_before_the_invoice_arrived_matches_on_a_later_run():
    early = transfer("T1", "4200.00", booked_on=date(2026, 3, 1), text="AL-2026-03")
    assert match([], [early]) == []
    arrived = invoice("I1", "4200.00", number="AL-2026-03", issued_on=date(2026, 3, 20), due_on=date(2026, 4, 20))
    assert pairs(match([arrived], [early])) == {("T1", "I1")}
    # Paid with a creditor reference, another open invoice of the party is not offered in its place.
    early_rf = transfer("T3", "4200.00", booked_on=date(2026, 3, 1), structured=RF)
    assert match([invoice("I9", "9000.00", number="AL-2026-01")], [early_rf]) == []
    # Amount and party alone also reach back before the issue date, within the window.
    no_ref = transfer("T2", "4200.00", booked_on=date(2026, 3, 1))
    result = only(match([arrived], [no_ref]))
    assert (result.rule, result.status) == ("amount", "auto")


def test_amount_match_respects_the_date_window():
    far = transfer("T1", "4200.00", booked_on=date(2026, 5, 2) + timedelta(days=400))
    assert match([invoice("I1", "4200.00")], [far]) == []


def test_trap_reference_to_another_partys_invoice_does_not_match():
    other = invoice("IB", "1000.00", party="RW", payment_reference=RF_B)
    result = match([other], [transfer("T1", "1000.00", party="AL", structured=RF_B)])
    assert result == []
    # Not even as a near miss of a nearly identical reference.
    assert match([other], [transfer("T2", "1000.00", party="AL", structured="RF712348213")]) == []


# --- rules 2-6 --------------------------------------------------------------------------------------

def test_amount_ambiguity_within_a_party_is_only_proposed_nearest_due_first():
    invoices = [invoice("I1", "900.00", due_on=date(2026, 6, 1)), invoice("I2", "900.00", due_on=date(2026, 5, 3))]
    result = only(match(invoices, [transfer("T1", "900.00")]))
    assert (result.status, pairs([result])) == ("proposed", {("T1", "I2")})
    assert result.evidence["candidates"] == "2"


def test_one_transfer_paying_several_invoices_of_the_party():
    invoices = [invoice("I1", "120.00"), invoice("I2", "340.50"), invoice("I3", "77.25"), invoice("I4", "999.00"),
                invoice("X1", "120.00", party="RW")]
    result = only(match(invoices, [transfer("T1", "537.75")]))
    assert (result.rule, result.status) == ("multi_invoice", "auto")
    assert {a.invoice_id for a in result.allocations} == {"I1", "I2", "I3"}


def test_several_combinations_for_one_transfer_are_only_proposed():
    invoices = [invoice(f"I{i}", amount) for i, amount in enumerate(["100.00", "200.00", "300.00", "400.00"])]
    result = only(match(invoices, [transfer("T1", "500.00", party="AL")]))
    assert (result.rule, result.status) == ("multi_invoice", "proposed")


def test_many_candidates_of_one_party_give_no_auto_match_from_a_chance_sum():
    # 3,000 open invoices of one party, none of which a 1.00 transfer could pay: the searches are
    # bounded (scan budget, 12 candidates, node budget), and nothing is auto-matched.
    invoices = [invoice(f"I{i}", f"{1000 + i}.01", tolerance_abs="0.00") for i in range(3000)]
    result = match(invoices, [transfer(f"T{j}", "1.00") for j in range(200)])
    assert all(p.status == "proposed" for p in result)


def test_several_transfers_paying_one_invoice_are_instalments():
    invoices = [invoice("I1", "3000.00")]
    transfers = [transfer("T1", "1000.00", booked_on=date(2026, 4, 1)),
                 transfer("T2", "1200.00", booked_on=date(2026, 5, 1)),
                 transfer("T3", "800.00", booked_on=date(2026, 6, 1))]
    result = by_transfer(match(invoices, transfers))
    assert {(p.rule, p.status) for p in result.values()} == {("instalments", "auto")}
    assert result["T1"].residual == Money.of("2000.00", "GBP") and result["T1"].residual_account is None
    assert result["T3"].residual == Money.zero("GBP")
    assert result["T3"].evidence["instalment"] == "3 of 3"


def test_instalments_adding_up_only_within_tolerance_are_proposed_with_the_residual():
    invoices = [invoice("I1", "3000.00")]
    transfers = [transfer("T1", "1000.00", booked_on=date(2026, 4, 1)),
                 transfer("T2", "1200.00", booked_on=date(2026, 5, 1)),
                 transfer("T3", "797.00", booked_on=date(2026, 6, 1))]
    result = by_transfer(match(invoices, transfers))
    assert {(p.rule, p.status) for p in result.values()} == {("instalments", "proposed")}
    assert result["T3"].residual == Money.of("3.00", "GBP") and result["T3"].residual_account == "bank_charges"


def test_invoices_adding_up_only_within_tolerance_are_proposed():
    invoices = [invoice("I1", "120.00"), invoice("I2", "340.50")]
    result = only(match(invoices, [transfer("T1", "459.00")]))
    assert (result.rule, result.status, result.residual_account) == ("multi_invoice", "proposed", "bank_charges")


def test_an_exact_amount_wins_over_one_within_tolerance():
    invoices = [invoice("I1", "5396.57"), invoice("I2", "5391.36")]
    result = only(match(invoices, [transfer("T1", "5396.57")]))
    assert (result.status, pairs([result])) == ("auto", {("T1", "I1")})
    assert result.evidence["other_invoices_within_tolerance"] == "1"


def test_lone_partial_payment_without_reference_is_only_proposed():
    result = only(match([invoice("I1", "3000.00")], [transfer("T1", "1000.00")]))
    assert (result.rule, result.status, result.residual) == ("partial_payment", "proposed", Money.of("2000.00", "GBP"))


def test_near_miss_reference_is_only_proposed_with_reason_and_confidence():
    invoices = [invoice("I1", "1000.00", number="AL-2026-0317"), invoice("I2", "1000.00", number="AL-2026-0999")]
    result = only(match(invoices, [transfer("T1", "1000.00", text="inv AL-2026-0371")]))
    assert (result.rule, result.status, pairs([result])) == ("near_miss_reference", "proposed", {("T1", "I1")})
    assert "swapped" in result.evidence["reason"]
    assert result.confidence == Decimal("0.60")


def test_near_miss_with_wrong_amount_has_low_confidence():
    result = only(match([invoice("I1", "1000.00", payment_reference=RF)],
                        [transfer("T1", "10.00", structured="RF18539007547035", booked_on=date(2026, 12, 1))]))
    assert (result.rule, result.status, result.confidence) == ("near_miss_reference", "proposed", Decimal("0.30"))


def test_rejected_pairs_are_never_proposed_again():
    invoices = [invoice("I1", "1000.00", payment_reference=RF)]
    transfers = [transfer("T1", "1000.00", structured=RF)]
    assert match(invoices, transfers, rejected_pairs=frozenset({("T1", "I1")})) == []


def test_rejected_pair_lets_the_next_candidate_through_but_only_as_a_proposal():
    # I2 fits alone only because the officer refused I1, which fits as well: elimination, not evidence.
    invoices = [invoice("I1", "900.00", due_on=date(2026, 5, 3)), invoice("I2", "900.00", due_on=date(2026, 6, 1))]
    result = only(match(invoices, [transfer("T1", "900.00")], rejected_pairs={("T1", "I1")}))
    assert pairs([result]) == {("T1", "I2")} and result.status == "proposed"
    assert result.evidence["rivals_held_or_refused"] == "I1"
    # A refused invoice that would not fit the amount anyway leaves the fit unique on its own: auto.
    invoices = [invoice("I1", "700.00", due_on=date(2026, 5, 3)), invoice("I2", "900.00", due_on=date(2026, 6, 1))]
    result = only(match(invoices, [transfer("T1", "900.00")], rejected_pairs={("T1", "I1")}))
    assert pairs([result]) == {("T1", "I2")} and result.status == "auto"


def test_a_fit_unique_only_because_an_earlier_runs_proposal_holds_its_rival_is_proposed():
    # Y999 is held in full by a proposal waiting for review (not open to this run); Z777 is the only open fit.
    held = [invoice("Y999", "1800.00", due_on=date(2026, 5, 2))]
    invoices = [invoice("Z777", "1800.00", due_on=date(2026, 5, 30))]
    transfers = [transfer("T1", "1800.00", text="Invoice RW-2026-J538", booked_on=date(2026, 5, 20))]
    alone = only(match(invoices, transfers))
    assert alone.status == "auto"  # without the hold, the fit is unique on the evidence
    result = only(match(invoices, transfers, held=held))
    assert pairs([result]) == {("T1", "Z777")} and result.status == "proposed"
    assert result.evidence["rivals_held_or_refused"] == "Y999"
    # Within tolerance too (tolerance pass), and a hold outside the date window or the tolerance is no rival.
    assert only(match(invoices, [replace(transfers[0], amount=Money.of("1795.00", "GBP"))], held=held)).status \
        == "proposed"
    far = [invoice("Y999", "1800.00", due_on=date(2025, 5, 2))]
    other = [invoice("Y999", "1700.00", due_on=date(2026, 5, 2))]
    assert only(match(invoices, transfers, held=far)).status == "auto"
    assert only(match(invoices, transfers, held=other)).status == "auto"
    # Another party's hold is no rival either.
    assert only(match(invoices, transfers, held=[invoice("Y999", "1800.00", party="RW")])).status == "auto"


def test_a_fit_unique_only_because_a_proposal_of_the_same_run_took_its_rival_is_proposed():
    # T0 (unmapped IBAN) quotes I1: only proposed, and I1 is taken. T1 then fits I2 alone, by elimination.
    invoices = [invoice("I1", "1000.00", payment_reference=RF), invoice("I2", "1000.00", due_on=date(2026, 5, 9))]
    transfers = [transfer("T0", "1000.00", party=None, structured=RF, booked_on=date(2026, 4, 30)),
                 transfer("T1", "1000.00", booked_on=date(2026, 5, 3))]
    result = by_transfer(match(invoices, transfers))
    assert result["T0"].status == "proposed"
    assert pairs([result["T1"]]) == {("T1", "I2")} and result["T1"].status == "proposed"
    assert result["T1"].evidence["rivals_held_or_refused"] == "I1"


def test_a_repeat_of_a_paid_invoice_is_never_matched_to_another_invoice():
    # The caller found T2 repeats the paid invoice P (earlier run): no rule matches it, however well F fits.
    invoices = [invoice("F", "3000.00")]
    repeat = transfer("T2", "3000.00", structured=RF)
    assert only(match(invoices, [repeat])).status == "auto"  # what a run did before: F shown paid
    assert match(invoices, [repeat], duplicates={"T2": "P"}) == []
    # Within one run: T1 pays A by its reference, T2 quotes A again for the same amount and waits too.
    invoices = [invoice("A", "3000.00", payment_reference=RF), invoice("F", "3000.00", due_on=date(2026, 5, 9))]
    transfers = [transfer("T1", "3000.00", structured=RF), transfer("T2", "3000.00", structured=RF,
                                                                    booked_on=date(2026, 5, 6))]
    assert pairs(match(invoices, transfers)) == {("T1", "A")}


def test_summary_counts_the_run():
    invoices = [invoice("I1", payment_reference=RF), invoice("I2", "5.00")]
    transfers = [transfer("T1", structured=RF), transfer("T2", "77.00")]
    summary = summarise(invoices, transfers, match(invoices, transfers))
    assert (summary.auto_matched, summary.proposed, summary.unmatched_transfers, summary.open_invoices) == (1, 0, 1, 1)


# --- input errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("invoices", "transfers", "code"),
    [
        ([invoice("I1"), invoice("I1")], [], "duplicate_invoice_id"),
        ([], [transfer("T1"), transfer("T1")], "duplicate_transfer_id"),
        ([invoice("I1", tolerance_abs="-1.00")], [], "negative_amount"),
        ([invoice("I1", direction="owed")], [], "invalid_direction"),
        ([], [transfer("T1", direction="sideways")], "invalid_direction"),
        ([], [transfer("T1", "1.00", currency="EUR", instructed=("1.00", "GBP"), fx_rate="-1")], "invalid_fx_rate"),
        ([], [transfer("T1", "-1.00")], "negative_amount"),
    ],
)
def test_inconsistent_input_is_refused_with_a_stable_code(invoices, transfers, code):
    with pytest.raises(ReconciliationError) as error:
        match(invoices, transfers)
    assert error.value.code == code


def test_invoice_amount_in_another_currency_is_refused():
    bad = replace(invoice("I1"), open_amount=Money.of("1.00", "EUR"))
    with pytest.raises(ReconciliationError) as error:
        match([bad], [])
    assert error.value.code == "currency_mismatch"


def test_two_equal_transfers_for_two_equal_invoices_are_both_proposed():
    invoices = [invoice("I1", "900.00", due_on=date(2026, 5, 3)), invoice("I2", "900.00", due_on=date(2026, 6, 1))]
    transfers = [transfer("T1", "900.00"), transfer("T2", "900.00", booked_on=date(2026, 5, 30))]
    result = match(invoices, transfers)
    assert pairs(result) == {("T1", "I1"), ("T2", "I2")}
    assert {p.status for p in result} == {"proposed"}


def test_trap_duplicate_of_a_partial_payment_is_only_proposed():
    invoices = [invoice("I1", "1000.00", payment_reference=RF)]
    transfers = [transfer("T1", "400.00", structured=RF), transfer("T2", "400.00", structured=RF,
                                                                    booked_on=date(2026, 5, 4))]
    result = by_transfer(match(invoices, transfers))
    assert result["T1"].status == "auto"
    assert result["T2"].status == "proposed" and "possible duplicate" in result["T2"].evidence["reason"]


def test_evidence_shows_what_was_open_when_each_instalment_was_matched():
    invoices = [invoice("I1", "1000.00", payment_reference=RF)]
    transfers = [transfer("T1", "400.00", structured=RF), transfer("T2", "600.00", structured=RF,
                                                                    booked_on=date(2026, 5, 20))]
    first, second = match(invoices, transfers)
    assert first.evidence["invoices_open"] == "I1=1000.00"
    assert second.evidence["invoices_open"] == "I1=600.00"


def test_a_reference_shared_by_very_many_invoices_is_left_to_the_amount_rules():
    invoices = [invoice(f"I{i}", f"{100 + i}.00", payment_reference=RF, due_on=date(2026, 5, 2)) for i in range(100)]
    result = only(match(invoices, [transfer("T1", "150.00", structured=RF)]))
    assert (result.rule, result.status, pairs([result])) == ("amount", "auto", {("T1", "I50")})


def test_summary_leaves_invoices_with_only_a_proposal_open():
    invoices = [invoice("I1", "900.00"), invoice("I2", "900.00", due_on=date(2026, 6, 1))]
    transfers = [transfer("T1", "900.00")]
    summary = summarise(invoices, transfers, match(invoices, transfers))
    assert (summary.auto_matched, summary.proposed, summary.unmatched_transfers, summary.open_invoices) == (0, 1, 0, 2)
