"""camt.052/.053/.054 in versions .02, .04, .06, .08 (synthetic fixtures), and camt error handling."""

from __future__ import annotations

import re
from datetime import date

import pytest

from ledger.money import Money
from ledger.statements.parsing import StatementFormatError, StatementParseError

from .helpers import FIXTURES, ends, headers, parse_bytes, parse_file, transfers

CAMT_FIXTURES = sorted(FIXTURES.glob("camt.05*.xml"))
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.{v}"


def camt053(entries: str, *, version: str = "02", balances: str = "", account: str = "GB33BUKB20201555555555",
            msg: str = "M1", stmt: str = "S1") -> bytes:
    return (f'<?xml version="1.0"?>\n<Document xmlns="{NS.format(v=version)}"><BkToCstmrStmt>\n'
            f"<GrpHdr><MsgId>{msg}</MsgId></GrpHdr>\n<Stmt><Id>{stmt}</Id>"
            f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n{balances}\n{entries}\n"
            "</Stmt></BkToCstmrStmt></Document>\n").encode()


def entry(amount: str = "10.00", ind: str = "CRDT", ref: str | None = "R1", ccy: str | None = "EUR",
          details: str = "", day: str = "2024-03-15") -> str:
    currency = f' Ccy="{ccy}"' if ccy else ""
    reference = f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
    return (f"<Ntry><Amt{currency}>{amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><Dt>{day}</Dt></BookgDt>{reference}<NtryDtls>{details}</NtryDtls></Ntry>\n")


def test_there_is_a_fixture_for_each_message_and_version():
    names = {p.name for p in CAMT_FIXTURES}
    for kind in ("052", "053", "054"):
        for version in ("02", "04", "06", "08"):
            assert f"camt.{kind}.001.{version}.xml" in names


@pytest.mark.parametrize("path", CAMT_FIXTURES, ids=lambda p: p.name)
def test_fixture_parses_with_header_transfers_and_balance_check(path):
    kind, version = re.match(r"(camt\.05\d)\.(001\.\d\d)", path.name).groups()
    items = parse_file(path)
    (header,) = headers(items)
    assert (header.format, header.format_version) == (kind, version)
    assert header.account == "GB33BUKB20201555555555" and header.currency == "EUR"
    assert header.message_id == f"MSG-{kind}-{version[-2:]}"
    assert header.from_date == header.to_date == date(2024, 3, 15)
    assert items[0] is header and items[-1] is ends(items)[0]
    (end,) = ends(items)
    assert end.transfers == 7
    assert (end.credits, end.debits) == (Money.of("450.00", "EUR"), Money.of("65.00", "EUR"))
    if kind == "camt.054":
        assert header.opening_balance is None and end.balance_check == "unavailable"
    else:
        assert header.opening_balance == Money.of("1000.00", "EUR")
        assert header.closing_balance == Money.of("1385.00", "EUR")
        assert end.balance_check == "ok"


@pytest.mark.parametrize("path", CAMT_FIXTURES, ids=lambda p: p.name)
def test_fixture_transfer_fields(path):
    version = int(path.name[-6:-4])
    single, b1, b2, b3, reversal, fee, pending = transfers(parse_file(path))

    assert single.amount == Money.of("150.00", "EUR") and single.direction == "credit"
    assert single.booking_date == single.value_date == date(2024, 3, 15)
    assert single.bank_reference == "BANKREF-0001" and single.end_to_end_id == "E2E-INV-7001"
    assert (single.structured_reference, single.structured_reference_scheme) == ("RF18539007547034", "RF")
    assert single.counterparty_name == "Ministry of Interior"
    assert single.counterparty_iban == "DE89370400440532013000"
    assert single.uetr == ("8a562c67-ca16-48ba-b074-65581be6f001" if version >= 7 else None)
    assert single.detail_index is None and not single.reversal

    # One transfer per transaction detail of the batch, each with its own amount, refs and party.
    assert [t.amount.amount for t in (b1, b2, b3)] == [Money.of(a, "EUR").amount for a in ("100", "120.5", "79.5")]
    assert [t.detail_index for t in (b1, b2, b3)] == [0, 1, 2]
    assert [t.end_to_end_id for t in (b1, b2, b3)] == ["BATCH-1", "BATCH-2", "BATCH-3"]
    assert [t.counterparty_name for t in (b1, b2, b3)] == ["Payer One", "Payer Two", "Payer Three"]
    assert {t.bank_reference for t in (b1, b2, b3)} == {"BANKREF-0002"}
    assert len({t.fingerprint for t in (b1, b2, b3)}) == 3
    assert b1.remittance_information == "Invoice 2024-11" and b1.structured_reference is None
    # An RF reference typed into the free text is found (the malformed "RF71 4" is not).
    assert (b2.structured_reference, b2.structured_reference_scheme) == ("RF712348231", "RF")

    assert reversal.reversal and reversal.direction == "debit"
    assert reversal.counterparty_name == "Returned Payer"
    assert reversal.counterparty_iban == "GB29NWBK60161331926819"

    assert (fee.structured_reference, fee.structured_reference_scheme) == ("4654654654654654", "SCOR")
    assert fee.end_to_end_id is None  # NOTPROVIDED identifies nothing
    assert fee.direction == "debit" and fee.counterparty_name == "Fees Ltd"

    assert pending.status == "pending" and single.status == "booked"


def test_the_same_movement_has_the_same_fingerprint_in_every_version_and_message():
    by_file = {p.name: [t.fingerprint for t in transfers(parse_file(p))] for p in CAMT_FIXTURES}
    assert len({tuple(v) for v in by_file.values()}) == 1
    assert len(set(next(iter(by_file.values())))) == 7


def test_fingerprint_ignores_message_and_statement_ids():
    body = entry(details="<TxDtls><Refs><EndToEndId>E1</EndToEndId></Refs></TxDtls>")
    first = transfers(parse_bytes(camt053(body, msg="M1", stmt="S1")))
    resent = transfers(parse_bytes(camt053(body, msg="M2-RESENT", stmt="S9")))
    assert [t.fingerprint for t in first] == [t.fingerprint for t in resent]


def test_fingerprint_differs_for_other_account_amount_date_or_direction():
    base = transfers(parse_bytes(camt053(entry())))[0].fingerprint
    variants = [
        camt053(entry(), account="DE89370400440532013000"),
        camt053(entry(amount="10.01")),
        camt053(entry(day="2024-03-16")),
        camt053(entry(ind="DBIT")),
        camt053(entry(ref="R2")),
    ]
    assert all(transfers(parse_bytes(v))[0].fingerprint != base for v in variants)


def test_identical_unreferenced_entries_are_told_apart_and_stay_stable():
    twice = entry(ref=None) + entry(ref=None)
    first = [t.fingerprint for t in transfers(parse_bytes(camt053(twice)))]
    again = [t.fingerprint for t in transfers(parse_bytes(camt053(twice, msg="other")))]
    assert len(set(first)) == 2 and first == again
    # An overlapping earlier statement with only one of them shares the first fingerprint.
    once = [t.fingerprint for t in transfers(parse_bytes(camt053(entry(ref=None))))]
    assert once == first[:1]


def test_version_07_status_code_and_party_under_pty():
    details = ("<TxDtls><Refs><EndToEndId>E</EndToEndId><UETR>8A562C67-CA16-48BA-B074-65581BE6F001</UETR></Refs>"
               '<Amt Ccy="EUR">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
               "<RltdPties><Dbtr><Pty><Nm>Someone</Nm></Pty></Dbtr></RltdPties></TxDtls>")
    xml = camt053(entry(details=details).replace("<Sts>BOOK</Sts>", "<Sts><Cd>PDNG</Cd></Sts>"), version="07")
    (transfer,) = transfers(parse_bytes(xml))
    assert transfer.status == "pending" and transfer.counterparty_name == "Someone"
    assert transfer.uetr == "8a562c67-ca16-48ba-b074-65581be6f001"


def test_batch_whose_details_do_not_add_up_stays_one_transfer():
    details = "".join(
        f"<TxDtls><Refs><EndToEndId>E{i}</EndToEndId></Refs>"
        f'<AmtDtls><TxAmt><Amt Ccy="EUR">{a}</Amt></TxAmt></AmtDtls></TxDtls>' for i, a in ((1, "4.00"), (2, "5.00"))
    )
    (transfer,) = transfers(parse_bytes(camt053(entry(details=details))))
    assert transfer.amount == Money.of("10.00", "EUR") and transfer.detail_index is None


def test_batch_with_mixed_directions_nets_to_the_entry():
    details = ('<TxDtls><Amt Ccy="EUR">15.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></TxDtls>'
               '<TxDtls><Amt Ccy="EUR">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd></TxDtls>')
    items = parse_bytes(camt053(entry(details=details), version="04"))
    assert [(t.direction, str(t.amount)) for t in transfers(items)] == [("credit", "15.00"), ("debit", "5.00")]


def test_balances_debit_indicator_makes_them_negative_and_mismatch_is_reported():
    def bal(code, amount, ind):
        return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amount}</Amt>"
                f"<CdtDbtInd>{ind}</CdtDbtInd><Dt><Dt>2024-03-15</Dt></Dt></Bal>")
    ok = parse_bytes(camt053(entry("15.00"), balances=bal("OPBD", "5.00", "DBIT") + bal("CLBD", "10.00", "CRDT")))
    assert headers(ok)[0].opening_balance == Money.of("-5.00", "EUR")
    assert ends(ok)[0].balance_check == "ok"
    off = parse_bytes(camt053(entry("15.01"), balances=bal("OPBD", "5.00", "DBIT") + bal("CLBD", "10.00", "CRDT")))
    assert ends(off)[0].balance_check == "mismatch"
    prcd = parse_bytes(camt053(entry("15.00"), balances=bal("PRCD", "5.00", "DBIT") + bal("CLBD", "10.00", "CRDT")))
    assert ends(prcd)[0].balance_check == "ok"
    assert ends(parse_bytes(camt053(entry())))[0].balance_check == "unavailable"


def test_statement_without_entries_still_yields_header_and_end():
    items = parse_bytes(camt053(""))
    assert [type(i).__name__ for i in items] == ["ParsedStatement", "StatementEnd"]
    assert ends(items)[0].transfers == 0


def error(data: bytes) -> StatementParseError:
    with pytest.raises(StatementParseError) as caught:
        parse_bytes(data)
    return caught.value


def test_amount_without_currency_names_the_entry():
    exc = error(camt053(entry() + entry(ccy=None)))
    assert exc.code == "missing_currency" and exc.location.startswith("entry 2 (line ")


def test_amount_with_more_decimals_than_the_currency_is_refused():
    exc = error(camt053(entry(amount="10.001")))
    assert exc.code == "invalid_amount" and "entry 1" in exc.location


def test_unknown_currency_and_bad_direction_and_bad_date():
    assert error(camt053(entry(ccy="XYZ"))).code == "invalid_currency"
    assert error(camt053(entry(ind="BOTH"))).code == "invalid_entry"
    assert error(camt053(entry(day="2024-13-45"))).code == "invalid_date"


def test_malformed_xml_names_the_line():
    exc = error(camt053(entry()).replace(b"</CdtDbtInd>", b"</CdtDbtIndX>", 1))
    assert exc.code == "malformed_xml" and re.fullmatch(r"line \d+", exc.location)


def test_truncated_file():
    data = camt053(entry() * 3)
    exc = error(data[: len(data) // 2])
    assert exc.code == "truncated" and exc.location.startswith("line ")


def test_entries_before_a_truncation_were_already_yielded():
    import io

    from ledger.statements.parsing import parse
    data = camt053(entry(ref="A") + entry(ref="B") + entry(ref="C"))
    seen = []
    with pytest.raises(StatementParseError):
        for item in parse(io.BytesIO(data[: data.index(b"<AcctSvcrRef>C")])):
            seen.append(item)
    assert len(transfers(seen)) == 2


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE Document [<!ENTITY x "boom">]>',
    '<!DOCTYPE Document SYSTEM "http://example.invalid/evil.dtd">',
])
def test_doctype_is_refused(doctype):
    data = camt053(entry()).replace(b"\n<Document", f"\n{doctype}\n<Document".encode(), 1)
    assert error(data).code == "forbidden_doctype"


def test_billion_laughs_is_refused_without_expanding():
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    data = (f'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY l0 "lol">{lol}]>'
            f'<Document xmlns="{NS.format(v="02")}"><BkToCstmrStmt>&l9;</BkToCstmrStmt></Document>').encode()
    assert error(data).code == "forbidden_doctype"


def test_other_xml_and_old_versions_are_refused():
    exc = error(b'<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>')
    assert isinstance(exc, StatementFormatError) and exc.code == "unknown_format"
    old = camt053(entry()).replace(b"camt.053.001.02", b"camt.053.001.01")
    assert error(old).code == "unsupported_version"


def bal(code: str, amount: str, day: str = "2024-03-15", ind: str = "CRDT") -> str:
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amount}</Amt>"
            f"<CdtDbtInd>{ind}</CdtDbtInd><Dt><DtTm>{day}</DtTm></Dt></Bal>")


def test_intraday_report_with_interim_balances_only_is_checked_from_earliest_to_latest():
    balances = bal("ITBD", "110.00", "2024-03-15T18:00:00") + bal("ITBD", "100.00", "2024-03-15T08:00:00")
    (end,) = ends(parse_bytes(camt053(entry("10.00"), balances=balances)))
    assert (str(end.statement.opening_balance), str(end.statement.closing_balance)) == ("100.00", "110.00")
    assert end.balance_check == "ok"


def test_opening_booked_balance_with_an_interim_closing_and_a_lone_interim_balance():
    (end,) = ends(parse_bytes(camt053(entry("10.00"), balances=bal("OPBD", "100.00") + bal("ITBD", "110.00"))))
    assert end.balance_check == "ok"
    (end,) = ends(parse_bytes(camt053(entry("10.00"), balances=bal("ITBD", "110.00"))))
    assert end.balance_check == "unavailable"


def test_available_balances_never_stand_in_for_booked_ones():
    balances = bal("OPBD", "100.00") + bal("CLAV", "110.00")
    (end,) = ends(parse_bytes(camt053(entry("10.00"), balances=balances)))
    assert end.statement.closing_balance is None and end.balance_check == "unavailable"
