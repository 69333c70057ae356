"""ISO 20022 pain.001.001.09 (Customer Credit Transfer Initiation), built with lxml and validated against the
official ISO 20022 schema before it leaves the ledger.

One `PmtInf` per batch (a batch is one debtor account, currency and execution date). A transfer in euros between
two SEPA IBANs is a SEPA credit transfer (service level SEPA, charges SLEV, the EPC Latin character set and
lengths); anything else (GBP, RWF, ALL… or euros outside the zone) is a generic cross-border transfer (charges
SHAR, the creditor's BIC, country and account number where there is no IBAN). Remittance is the creditor
reference (structured, SCOR) when the invoice has an RF reference, else the invoice number.

The schema (`schemas/pain.001.001.09.xsd`) is ISO's own, as shipped by the `sepaxml` package (MIT licence); see
`schemas/README.md`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from lxml import etree

from ledger import xmlsafe
from ledger.money import quantize
from ledger.payments import rules

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
SCHEMA = Path(__file__).parent / "schemas" / "pain.001.001.09.xsd"


class InvalidPaymentFile(ValueError):
    """The file failed the ISO schema: never released."""


@dataclass(frozen=True)
class Debtor:
    name: str
    account: str
    bic: str | None
    in_sepa: bool


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount: Decimal
    currency: str
    creditor_name: str
    creditor: rules.CreditorAccount
    remittance: str
    remittance_is_rf: bool


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def _el(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent, *tags: str, text: str | None = None) -> etree._Element:
    for tag in tags:
        parent = _el(parent, tag)
    parent.text = text
    return parent


def _amount(value: Decimal, currency: str) -> str:
    return format(quantize(value, currency), "f")


def _account(parent, tag: str, account: str, is_iban: bool) -> None:
    acct = _el(_el(parent, tag), "Id")
    if is_iban:
        _el(acct, "IBAN", account)
    else:
        _path(acct, "Othr", "Id", text=account)


def _agent(parent, tag: str, bic: str | None) -> None:
    fin = _el(_el(parent, tag), "FinInstnId")
    if bic:
        _el(fin, "BICFI", bic)
    else:
        _path(fin, "Othr", "Id", text="NOTPROVIDED")


def build(message_id: str, created_at: datetime, execution_date: date, initiator: str, debtor: Debtor,
          currency: str, transfers: list[Transfer]) -> bytes:
    """The pain.001 document of one batch; raises `InvalidPaymentFile` when the result fails the ISO schema."""
    if not transfers:
        raise InvalidPaymentFile("a payment file needs at least one transfer")
    total = sum((t.amount for t in transfers), Decimal(0))
    root = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})
    initiation = _el(root, "CstmrCdtTrfInitn")
    header = _el(initiation, "GrpHdr")
    _el(header, "MsgId", message_id)
    _el(header, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    _el(header, "NbOfTxs", str(len(transfers)))
    _el(header, "CtrlSum", _amount(total, currency))
    _path(header, "InitgPty", "Nm", text=rules.epc_text(initiator, rules.NAME_LENGTH))
    info = _el(initiation, "PmtInf")
    _el(info, "PmtInfId", f"{message_id}-1")
    _el(info, "PmtMtd", "TRF")
    _el(info, "BtchBookg", "false")
    _el(info, "NbOfTxs", str(len(transfers)))
    _el(info, "CtrlSum", _amount(total, currency))
    _path(info, "ReqdExctnDt", "Dt", text=execution_date.isoformat())
    _path(info, "Dbtr", "Nm", text=rules.epc_text(debtor.name, rules.NAME_LENGTH))
    _account(info, "DbtrAcct", debtor.account, rules.debtor_in_sepa(debtor.account))
    _agent(info, "DbtrAgt", debtor.bic)
    for transfer in transfers:
        _transaction(info, transfer, debtor)
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(document)
    return document


def _transaction(info, transfer: Transfer, debtor: Debtor) -> None:
    sepa = rules.is_sepa_transfer(transfer.currency, debtor.in_sepa, transfer.creditor)
    text = rules.epc_text if sepa else rules.generic_text
    tx = _el(info, "CdtTrfTxInf")
    _path(tx, "PmtId", "EndToEndId", text=transfer.end_to_end_id)
    if sepa:
        _path(tx, "PmtTpInf", "SvcLvl", "Cd", text="SEPA")
    _el(_el(tx, "Amt"), "InstdAmt", _amount(transfer.amount, transfer.currency), Ccy=transfer.currency)
    _el(tx, "ChrgBr", "SLEV" if sepa else "SHAR")
    if transfer.creditor.bic or not sepa:
        _agent(tx, "CdtrAgt", transfer.creditor.bic)
    creditor = _el(tx, "Cdtr")
    _el(creditor, "Nm", text(transfer.creditor_name, rules.NAME_LENGTH))
    if not sepa:
        _path(creditor, "PstlAdr", "Ctry", text=transfer.creditor.country)
    _account(tx, "CdtrAcct", transfer.creditor.account, transfer.creditor.is_iban)
    info_el = _el(tx, "RmtInf")
    if transfer.remittance_is_rf:
        reference = _el(_el(info_el, "Strd"), "CdtrRefInf")
        _path(reference, "Tp", "CdOrPrtry", "Cd", text="SCOR")
        _el(reference, "Ref", transfer.remittance)
    else:
        _el(info_el, "Ustrd", text(transfer.remittance, rules.REMITTANCE_LENGTH))


def validate(document: bytes) -> None:
    """Raise `InvalidPaymentFile` naming the first problems when `document` fails the ISO 20022 schema."""
    try:
        tree = etree.fromstring(document, xmlsafe.parser())
    except etree.XMLSyntaxError as error:
        raise InvalidPaymentFile(f"not XML: {error}") from None
    checker = schema()
    if not checker.validate(tree):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in list(checker.error_log)[:5])
        raise InvalidPaymentFile(f"the file fails the ISO 20022 pain.001.001.09 schema: {problems}")
