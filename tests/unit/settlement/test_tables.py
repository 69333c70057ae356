"""The statement as flat tables: columns typed once for CSV, XLSX and PDF; a partner's section is its own part."""

from ledger.settlement import reports, tables

STATEMENT = {
    "period": "2026-04", "scope": "all",
    "agreements": [
        {"agreement_id": 1, "reference": "GB-AL-1", "payer": "GB", "payee": "AL", "currency": "GBP",
         "opening": "1000.00", "accrued": "20.00", "adjustments": "0.00", "paid": "10.00", "closing": "1010.00",
         "advance": {"amount": "5.00", "paid": "5.00", "unpaid": "0.00", "offset": "0.00", "outstanding": "5.00"}},
        {"agreement_id": 2, "reference": "IT-AL-1", "payer": "IT", "payee": "AL", "currency": "EUR",
         "opening": "0.00", "accrued": "7.00", "adjustments": "0.00", "paid": "0.00", "closing": "7.00"},
        {"agreement_id": 3, "reference": "GB-RW-1", "payer": "GB", "payee": "RW", "currency": "JPY",
         "opening": "0", "accrued": "1500", "adjustments": "0", "paid": "0", "closing": "1500"}],
    "parties": [{"party": "AL", "currency": "GBP", "owes": "0.00", "is_owed": "1010.00"}],
    "open_items": {
        "disputed_lines": [{"period": "2026-03", "agreement_id": 1, "party": "AL", "reason": "r",
                            "lines": [{"line": "accrued", "reason": "a"}, {"line": "paid", "reason": "b"}]}],
        "overdue_invoices": [{"invoice": 4, "agreement_id": 3, "due_on": "2026-03-01", "currency": "JPY",
                              "open": "1500"}],
        "something_new": [{"zeta": 1, "alpha": ["x", "y"]}]},
}


def test_a_disputed_acknowledgement_gives_a_row_per_line():
    table = tables.open_item_table("disputed_lines", STATEMENT["open_items"]["disputed_lines"])
    reasons = [(r["line"], r["line_reason"], r["reason"]) for r in table.rows]
    assert reasons == [("accrued", "a", "r"), ("paid", "b", "r")]


def test_an_unknown_kind_gets_its_keys_as_worded_columns_and_lists_flattened():
    table = tables.open_item_table("something_new", STATEMENT["open_items"]["something_new"])
    assert [c.header for c in table.columns] == ["Alpha", "Zeta"]
    assert table.rows == [{"zeta": 1, "alpha": "x y"}]


def test_advances_have_a_table_and_every_agreement_figure_a_typed_column():
    found = {t.name: t for t in tables.statement_tables(STATEMENT)}
    assert found["advances"].rows[0]["outstanding"] == "5.00"
    kinds = {c.key: c.kind for c in found["agreements"].columns}
    assert all(kinds[f] == tables.AMOUNT for f in tables.AGREEMENT_FIGURES)


def test_a_partners_section_holds_only_what_it_is_a_side_of():
    assert tables.parties_of(STATEMENT) == ["AL", "GB", "IT", "RW"]
    rw = tables.for_party(STATEMENT, "RW")
    assert [a["agreement_id"] for a in rw["agreements"]] == [3]
    assert rw["open_items"]["overdue_invoices"] and not rw["open_items"]["disputed_lines"]
    al = tables.for_party(STATEMENT, "AL")
    assert [a["agreement_id"] for a in al["agreements"]] == [1, 2] and al["open_items"]["disputed_lines"]


def test_figures_print_with_separators_and_the_currencys_minor_units():
    assert reports.figure("13217500.00", "GBP") == "13,217,500.00"
    assert reports.figure("-1234.5", "EUR") == "-1,234.50"
    assert reports.figure("1500", "JPY") == "1,500"
    assert reports.figure("0.125", "BHD") == "0.125"
    assert reports.number_format("JPY") == "#,##0" and reports.number_format("BHD") == "#,##0.000"
