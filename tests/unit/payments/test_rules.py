"""Payment rules without a database: creditor accounts, EPC text, amounts, four eyes on a batch, the pain.001
file against the ISO schema, and pain.002 parsing."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from ledger.payments import pain001, pain002, rules

GB_DEBTOR = pain001.Debtor("HM Treasury", "GB33BUKB20201555555555", "BUKBGB22", True)
DE_DEBTOR = pain001.Debtor("Bundeskasse Trier", "DE89370400440532013000", None, True)
NS = {"p": pain001.NAMESPACE}


def transfer(e2e="RLP-1-1", amount="100.00", currency="GBP", account="DE89370400440532013000", bic=None,
             country="DE", name="Empfänger", remittance="INV-1", rf=False):
    return pain001.Transfer(e2e, Decimal(amount), currency, name, rules.creditor_account(account, bic, country),
                            remittance, rf)


def build(debtor, currency, transfers):
    return pain001.build("RLB-1", datetime(2026, 12, 6, 12), date(2026, 12, 8), "Returns Ledger", debtor, currency,
                         transfers)


# ---- creditor accounts -------------------------------------------------------------------------------

def test_an_iban_is_checked_and_compacted():
    account = rules.creditor_account("DE89 3704 0044 0532 0130 00", None, "DE")
    assert account.account == "DE89370400440532013000" and account.is_iban and account.in_sepa


@pytest.mark.parametrize("account,bic", [
    (None, None),                          # nothing registered
    ("DE89370400440532013001", None),      # checksum fails
    ("RWBNR000140012345", None),           # an account number with no BIC to route it
    ("RWBNR000140012345", "NOT A BIC"),    # a BIC that is not one
])
def test_a_creditor_account_that_cannot_be_paid_is_refused(account, bic):
    with pytest.raises(rules.PaymentRuleError) as refused:
        rules.creditor_account(account, bic, "RW")
    assert refused.value.code == "creditor_account_invalid"


def test_outside_iban_countries_an_account_number_goes_with_its_banks_bic():
    account = rules.creditor_account("RW-BNR-000140012345", "BNRWRWRW", "RW")
    assert not account.is_iban and account.bic == "BNRWRWRW" and account.country == "RW" and not account.in_sepa


def test_only_euros_between_sepa_ibans_are_sepa_transfers():
    de = rules.creditor_account("DE89370400440532013000", None, "DE")
    rw = rules.creditor_account("RW-BNR-000140012345", "BNRWRWRW", "RW")
    assert rules.is_sepa_transfer("EUR", True, de)
    assert not rules.is_sepa_transfer("GBP", True, de)
    assert not rules.is_sepa_transfer("EUR", True, rw)
    assert not rules.is_sepa_transfer("EUR", False, de)


# ---- text, identifiers, remittance -------------------------------------------------------------------

def test_epc_text_keeps_the_latin_set_and_the_length():
    assert rules.epc_text("République d'Albanie – Ministère & Co", 70) == "Republique d'Albanie Ministere Co"
    assert rules.epc_text("//INV//2026/", 140) == "INV/2026"
    assert rules.epc_text("x" * 100, 70) == "x" * 70


def test_generic_text_keeps_what_it_can_but_no_control_characters():
    assert rules.generic_text("Ürün\x07 – ok", 140) == "Ürün – ok"


def test_end_to_end_ids_are_unique_per_batch_and_position_and_fit_35_characters():
    assert rules.end_to_end_id(12, 3) == "RLP-12-3"
    with pytest.raises(rules.PaymentRuleError):
        rules.end_to_end_id(10**20, 10**12)


def test_remittance_is_the_rf_reference_when_the_invoice_has_one():
    assert rules.remittance("RF18 5390 0754 7034", True, "AL-1") == ("RF18539007547034", True)
    assert rules.remittance("free text", False, "AL-1") == ("AL-1", False)


# ---- amounts and four eyes ---------------------------------------------------------------------------

def test_an_item_pays_all_or_part_of_what_is_open_never_more_nor_nothing():
    assert rules.item_amount(None, Decimal("10.00")) == Decimal("10.00")
    assert rules.item_amount(Decimal("4.00"), Decimal("10.00")) == Decimal("4.00")
    for wrong, code in ((Decimal("10.01"), "amount_exceeds_open"), (Decimal(0), "amount_not_positive")):
        with pytest.raises(rules.PaymentRuleError) as refused:
            rules.item_amount(wrong, Decimal("10.00"))
        assert refused.value.code == code


def test_a_second_approval_above_the_configured_amount():
    assert rules.approvals_required(Decimal("100000.00"), Decimal("100000.00")) == 1
    assert rules.approvals_required(Decimal("100000.01"), Decimal("100000.00")) == 2


def _refusal(**changes):
    values = {"status": "proposed", "prepared_by": "token:1", "approver": "token:2", "seen_digest": "d",
              "digest": "d", "approved_by": []}
    values.update(changes)
    found = rules.approval_refusal(**values)
    return found[0] if found else None


def test_four_eyes_on_a_batch():
    assert _refusal() is None
    assert _refusal(approver="token:1") == "same_officer"
    assert _refusal(seen_digest="old") == "digest_mismatch"
    assert _refusal(approved_by=["token:2"]) == "already_approved_by_you"
    assert _refusal(status="approved") == "already_approved"
    assert _refusal(status="released") == "batch_not_open"


def test_the_digest_changes_with_anything_an_approver_sees():
    batch = {"debtor_account": "GB33", "currency": "GBP", "execution_date": date(2026, 12, 8),
             "due_by": date(2026, 12, 31)}
    item = {"invoice_id": 1, "payee_code": "RW", "amount": Decimal("10.00"), "currency": "GBP",
            "creditor_account": "GB29", "creditor_bic": None, "remittance": "INV", "end_to_end_id": "RLP-1-1",
            "held": False}
    base = rules.digest(1, rules.digest_payload(batch, [item]))
    assert base == rules.digest(1, rules.digest_payload(batch, [dict(item)]))
    for key, value in (("held", True), ("amount", Decimal("9.00")), ("creditor_account", "GB30")):
        assert rules.digest(1, rules.digest_payload(batch, [{**item, key: value}])) != base
    assert rules.digest(1, rules.digest_payload({**batch, "execution_date": date(2026, 12, 9)}, [item])) != base
    assert rules.digest(2, rules.digest_payload(batch, [item])) != base


# ---- pain.001 ----------------------------------------------------------------------------------------

def test_a_sepa_transfer_follows_the_epc_rulebook_and_passes_the_iso_schema():
    document = build(DE_DEBTOR, "EUR", [transfer(currency="EUR", name="Ministère de l'Intérieur ÆØ")])
    tree = etree.fromstring(document)
    tx = tree.find(".//p:CdtTrfTxInf", NS)
    assert tx.findtext("p:PmtTpInf/p:SvcLvl/p:Cd", namespaces=NS) == "SEPA"
    assert tx.findtext("p:ChrgBr", namespaces=NS) == "SLEV"
    assert tx.findtext("p:Cdtr/p:Nm", namespaces=NS) == "Ministere de l'Interieur"


def test_a_generic_transfer_carries_bic_country_and_account_number():
    rwf = transfer(currency="RWF", amount="1500000", account="RW-BNR-000140012345", bic="BNRWRWRW", country="RW",
                   remittance="RF18539007547034", rf=True)
    document = build(GB_DEBTOR, "RWF", [rwf])
    tx = etree.fromstring(document).find(".//p:CdtTrfTxInf", NS)
    assert tx.find("p:PmtTpInf", NS) is None and tx.findtext("p:ChrgBr", namespaces=NS) == "SHAR"
    assert tx.findtext("p:Amt/p:InstdAmt", namespaces=NS) == "1500000"
    assert tx.findtext("p:CdtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "BNRWRWRW"
    assert tx.findtext("p:Cdtr/p:PstlAdr/p:Ctry", namespaces=NS) == "RW"
    assert tx.findtext("p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=NS) == "RW-BNR-000140012345"
    assert tx.findtext("p:RmtInf/p:Strd/p:CdtrRefInf/p:Ref", namespaces=NS) == "RF18539007547034"


def test_the_control_sum_and_count_cover_every_transfer():
    transfers = [transfer(e2e=f"RLP-1-{n}", amount=f"{n}.25", currency="ALL", account="AL35202111090000000001234567",
                          country="AL") for n in range(1, 4)]
    tree = etree.fromstring(build(GB_DEBTOR, "ALL", transfers))
    for path in ("p:CstmrCdtTrfInitn/p:GrpHdr", "p:CstmrCdtTrfInitn/p:PmtInf"):
        assert tree.findtext(f"{path}/p:NbOfTxs", namespaces=NS) == "3"
        assert tree.findtext(f"{path}/p:CtrlSum", namespaces=NS) == "6.75"


def test_a_file_that_fails_the_iso_schema_is_refused():
    document = build(GB_DEBTOR, "GBP", [transfer()])
    broken = document.replace(b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>CASH</PmtMtd>")
    with pytest.raises(pain001.InvalidPaymentFile, match="schema"):
        pain001.validate(broken)
    with pytest.raises(pain001.InvalidPaymentFile):
        build(GB_DEBTOR, "GBP", [])


# ---- pain.002 ----------------------------------------------------------------------------------------

def test_a_status_report_names_its_batch_and_each_transfers_outcome():
    report = pain002.parse(pain002.build("STS-1", "RLB-7", [("RLP-7-1", "ACSC", None), ("RLP-7-2", "RJCT", "AC04")],
                                         group_status="PART"))
    assert report.original_message_id == "RLB-7" and report.group_status == "PART"
    assert [(t.end_to_end_id, t.outcome, t.reason_code) for t in report.transfers] == [
        ("RLP-7-1", "accepted", None), ("RLP-7-2", "rejected", "AC04")]


@pytest.mark.parametrize("document", [
    b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'/>",
    b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.002.001.10'><CstmrPmtStsRpt/></Document>",
    b"<!DOCTYPE x [<!ENTITY a 'b'>]><Document/>",
])
def test_what_is_not_a_status_report_is_refused(document):
    with pytest.raises(pain002.StatusReportError):
        pain002.parse(document)
