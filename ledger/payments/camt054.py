"""camt.054 debit notifications for released transfers: the bank's word that it debited the account.

The ledger reads camt.054 through the statements import (`POST /statements`, `ledger statements import`), which
keeps each entry's `NtryDtls/TxDtls/Refs/EndToEndId`; reconciliation then matches those debits to the released
transfers by EndToEndId before any other rule (`service.match_executed`). `build` writes such a notification,
as the bank would, for the demo and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from ledger.money import quantize

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"


@dataclass(frozen=True)
class Debit:
    end_to_end_id: str
    amount: Decimal
    creditor_account: str
    creditor_name: str
    booked_on: date
    bank_reference: str


def _account(account: str) -> str:
    if account[:2].isalpha() and account[2:4].isdigit():
        return f"<Id><IBAN>{escape(account)}</IBAN></Id>"
    return f"<Id><Othr><Id>{escape(account)}</Id></Othr></Id>"


def build(account: str, currency: str, debits: list[Debit], message_id: str = "CAMT054-1") -> bytes:
    entries = []
    for d in debits:
        amount = format(quantize(d.amount, currency), "f")
        entries.append(
            f"<Ntry><Amt Ccy=\"{currency}\">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><Dt>{d.booked_on.isoformat()}</Dt></BookgDt><ValDt><Dt>{d.booked_on.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{escape(d.bank_reference)}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>XBCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"<NtryDtls><TxDtls><Refs><AcctSvcrRef>{escape(d.bank_reference)}</AcctSvcrRef>"
            f"<EndToEndId>{escape(d.end_to_end_id)}</EndToEndId></Refs>"
            f"<AmtDtls><TxAmt><Amt Ccy=\"{currency}\">{amount}</Amt></TxAmt></AmtDtls>"
            f"<RltdPties><Cdtr><Nm>{escape(d.creditor_name)}</Nm></Cdtr>"
            f"<CdtrAcct>{_account(d.creditor_account)}</CdtrAcct></RltdPties></TxDtls></NtryDtls></Ntry>")
    created = max((d.booked_on for d in debits), default=date(2026, 1, 1)).isoformat()
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Document xmlns=\"{NAMESPACE}\"><BkToCstmrDbtCdtNtfctn>"
            f"<GrpHdr><MsgId>{escape(message_id)}</MsgId><CreDtTm>{created}T18:00:00</CreDtTm></GrpHdr>"
            f"<Ntfctn><Id>{escape(message_id)}-N</Id><CreDtTm>{created}T18:00:00</CreDtTm>"
            f"<Acct>{_account(account)}<Ccy>{currency}</Ccy></Acct>{''.join(entries)}</Ntfctn>"
            "</BkToCstmrDbtCdtNtfctn></Document>").encode()
