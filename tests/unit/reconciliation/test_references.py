import pytest

from ledger.reconciliation import (
    extract_references,
    is_valid_rf,
    near_miss,
    normalise_reference,
)
from ledger.reconciliation.references import NearMissIndex


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("inv-00042", "INV42"),
        ("INV 42", "INV42"),
        ("Inv/0042", "INV42"),
        ("AL-2026-03", "AL202603"),
        ("  al 2026 03 ", "AL202603"),
        ("000123", "123"),
        ("0000", "0"),
    ],
)
def test_normalise_ignores_case_separators_and_zero_padding(raw, normal):
    assert normalise_reference(raw) == normal


def test_valid_rf_is_kept_whole_so_its_check_digits_still_hold():
    assert normalise_reference("rf18 5390 0754 7034") == "RF18539007547034"
    assert is_valid_rf(normalise_reference("RF18 5390 0754 7034"))


def test_rf_validation_uses_iso11649_check_digits():
    assert is_valid_rf("RF18539007547034")
    assert is_valid_rf("RF18 5390 0754 7034")
    assert not is_valid_rf("RF19539007547034")
    assert not is_valid_rf("INV-42")


def test_extract_finds_printed_rf_followed_by_words():
    found = extract_references("Payment RF18 5390 0754 7034 invoice thanks")
    assert "RF18539007547034" in found


def test_extract_joins_space_separated_parts_of_a_number():
    found = extract_references("pmt for al 2026 03 and INV-0042")
    assert {"AL202603", "INV42"} <= found


def test_extract_ignores_words_without_digits_and_empty_text():
    assert "PAYMENT" not in extract_references("payment for services")
    assert extract_references(None) == set()
    assert extract_references("") == set()


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("AL202603", "AL202608", "one character differs at position 8"),
        ("AL202603", "AL202630", "adjacent characters swapped at positions 7-8"),
        ("AL202603", "AL202603", None),
        ("AL202603", "AL20260", None),
        ("AL202603", "AL202688", None),
        ("AL202603", "AL302602", None),
    ],
)
def test_near_miss_is_one_substitution_or_one_adjacent_swap(a, b, expected):
    reason = near_miss(a, b)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith(expected)


def test_near_miss_index_finds_typos_but_not_insertions():
    index = NearMissIndex()
    index.add_all(["RF18539007547034", "AL202603"])
    assert [ref for ref, _ in index.lookup("RF18539007547043")] == ["RF18539007547034"]
    assert [ref for ref, _ in index.lookup("AL202613")] == ["AL202603"]
    assert index.lookup("AL2026003") == []
    assert index.lookup("AL202603") == []


def test_near_miss_pairs_give_the_same_answer_whichever_side_is_indexed():
    from ledger.reconciliation.references import near_miss_pairs

    queries = ["AL202613", "RF18539007547043"]
    references = ["AL202603", "RF18539007547034", "ZZ999999", "AL202630", "XX1", "XX2", "XX3"]
    small_queries = near_miss_pairs(queries, references)
    small_references = near_miss_pairs(queries + [f"Q{i:08d}" for i in range(20)], references)
    assert small_queries == small_references
    assert [ref for ref, _ in small_queries["AL202613"]] == ["AL202603"]
    assert small_queries["RF18539007547043"][0][1].startswith("adjacent characters swapped")


def test_near_miss_compares_normalised_forms():
    assert near_miss("al-2026-03", "AL 2026 30") is not None
    assert near_miss("inv-0042", "INV 42") is None  # equal once normalised: an exact match
