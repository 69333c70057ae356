"""Invariants over generated statements: the balance check, dedup across re-sends, CSV round trips."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.money import Money

from .helpers import ends, parse_bytes, transfers
from .test_statement_camt import camt053

movement = st.tuples(
    st.integers(min_value=0, max_value=10**9),  # cents
    st.sampled_from(["CRDT", "DBIT"]),
    st.booleans(),  # has a bank reference
    st.integers(min_value=1, max_value=3),  # day of month
)


def entries_xml(movements) -> str:
    out = []
    for index, (cents, ind, referenced, day) in enumerate(movements):
        ref = f"<AcctSvcrRef>REF{index}</AcctSvcrRef>" if referenced else ""
        out.append(f'<Ntry><Amt Ccy="EUR">{Decimal(cents).scaleb(-2)}</Amt><CdtDbtInd>{ind}</CdtDbtInd>'
                   f"<Sts>BOOK</Sts><BookgDt><Dt>2024-03-0{day}</Dt></BookgDt>{ref}</Ntry>")
    return "\n".join(out)


def balances(opening: Decimal, closing: Decimal) -> str:
    def bal(code, amount):
        ind = "DBIT" if amount < 0 else "CRDT"
        return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{abs(amount)}</Amt>"
                f"<CdtDbtInd>{ind}</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>")
    return bal("OPBD", opening) + bal("CLBD", closing)


@settings(max_examples=60, deadline=None)
@given(st.lists(movement, max_size=15), st.integers(min_value=-10**9, max_value=10**9), st.booleans())
def test_balance_check_is_ok_exactly_when_the_balances_add_up(movements, opening_cents, off_by_a_cent):
    opening = Decimal(opening_cents).scaleb(-2)
    net = sum((c if ind == "CRDT" else -c) for c, ind, _, _ in movements)
    closing = opening + Decimal(net + (1 if off_by_a_cent else 0)).scaleb(-2)
    items = parse_bytes(camt053(entries_xml(movements), balances=balances(opening, closing)))
    (end,) = ends(items)
    assert end.transfers == len(movements)
    assert end.balance_check == ("mismatch" if off_by_a_cent else "ok")
    assert all(t.amount.amount >= 0 for t in transfers(items))


@settings(max_examples=60, deadline=None)
@given(st.lists(movement, max_size=12), st.integers(min_value=0, max_value=12))
def test_re_sent_statement_yields_the_same_fingerprints(movements, cut):
    body = entries_xml(movements)
    original = [t.fingerprint for t in transfers(parse_bytes(camt053(body, msg="A", stmt="1")))]
    resent = [t.fingerprint for t in transfers(parse_bytes(camt053(body, msg="B", stmt="2")))]
    assert original == resent
    assert len(set(original)) == len(original)  # no two movements collapse into one
    # An earlier, shorter statement of the same account and days: its movements are a prefix.
    prefix = [t.fingerprint for t in transfers(parse_bytes(camt053(entries_xml(movements[:cut]))))]
    assert prefix == original[: len(prefix)]


csv_row = st.tuples(
    st.integers(min_value=0, max_value=10**12),
    st.booleans(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(csv_row, min_size=1, max_size=10))
def test_csv_round_trip(rows):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["account_iban", "booking_date", "amount", "currency", "direction", "remittance"])
    for cents, credit, text in rows:
        writer.writerow(["GB33BUKB20201555555555", "2024-03-01", str(Decimal(cents).scaleb(-2)), "EUR",
                         "credit" if credit else "debit", text])
    parsed = transfers(parse_bytes(buffer.getvalue().encode()))
    assert [(t.amount, t.direction) for t in parsed] == [
        (Money(Decimal(c).scaleb(-2), "EUR"), "credit" if credit else "debit") for c, credit, _ in rows]
    assert [t.remittance_information for t in parsed] == [" ".join(text.split()) or None for _, _, text in rows]
