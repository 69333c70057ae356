"""Demo bank statement: GB's treasury account paying Albania and Rwanda, as a real camt.053 file.

`camt053()` writes a camt.053.001.02 statement from a list of movements, so other features' seeders and
tests can make a statement whose transfers their own invoices will match. `seed()` imports GB's demo
statement through the same path as `POST /statements`.

Each movement is `(amount, reference, counterparty_iban, day)` (or a `DemoTransfer`): a negative amount
leaves the account (a debit, a payment out), a positive one comes in (a credit). `reference` is put in the
structured creditor reference when it is an ISO 11649 RF reference, else in the unstructured remittance.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from sqlalchemy.orm import Session
from stdnum import iban as stdnum_iban
from stdnum import iso11649

from ledger.timeutil import today

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
GB_ACCOUNT = "GB33BUKB20201555555555"
AL_ACCOUNT = "AL35202111090000000001234567"
RW_ACCOUNT = "RW-BNR-000140012345"  # Rwanda has no IBAN: the central bank's own account id
COUNTERPARTY_NAMES = {
    AL_ACCOUNT: "Republic of Albania - Ministry of Finance",
    RW_ACCOUNT: "Republic of Rwanda - MINECOFIN",
}


@dataclass(frozen=True)
class DemoTransfer:
    amount: Decimal  # negative: out of the account (debit); positive: into it (credit)
    reference: str | None
    counterparty_iban: str | None
    day: date
    counterparty_name: str | None = None


def rf_reference(body: str) -> str:
    """The ISO 11649 creditor reference `RFcc<body>` for an alphanumeric body (at most 21 characters)."""
    body = body.upper()
    digits = "".join(str(int(c, 36)) for c in body + "RF00")
    reference = f"RF{98 - int(digits) % 97:02d}{body}"
    if not iso11649.is_valid(reference):
        raise ValueError(f"{body!r} makes no valid creditor reference")
    return reference


def _money(value: Decimal) -> str:
    return f"{abs(value):.2f}"


def _account_id(account: str) -> str:
    if stdnum_iban.is_valid(account):
        return f"<Id><IBAN>{account}</IBAN></Id>"
    return f"<Id><Othr><Id>{escape(account)}</Id></Othr></Id>"


def _bank_reference(move: DemoTransfer, account: str, occurrence: int) -> str:
    """The bank's reference of a movement: the same movement gets the same one in every statement it is in
    (what makes overlapping and re-sent statements dedup), the n-th identical movement of a day another."""
    key = f"{account}|{move.day}|{move.amount}|{move.reference}|{move.counterparty_iban}|{occurrence}"
    return f"DEMO{move.day:%Y%m%d}{hashlib.sha256(key.encode()).hexdigest()[:10].upper()}"


def _entry(bank_reference: str, move: DemoTransfer, currency: str) -> str:
    credit = move.amount > 0
    role = "Dbtr" if credit else "Cdtr"
    day = move.day.isoformat()
    parties = ""
    if move.counterparty_iban or move.counterparty_name:
        name = move.counterparty_name or COUNTERPARTY_NAMES.get(move.counterparty_iban or "", "")
        parties = f"<RltdPties><{role}><Nm>{escape(name)}</Nm></{role}>"
        if move.counterparty_iban:
            parties += f"<{role}Acct>{_account_id(move.counterparty_iban)}</{role}Acct>"
        parties += "</RltdPties>"
    if move.reference and iso11649.is_valid(move.reference):
        remittance = ("<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                      f"<Ref>{move.reference}</Ref></CdtrRefInf></Strd></RmtInf>")
    elif move.reference:
        remittance = f"<RmtInf><Ustrd>{escape(move.reference)}</Ustrd></RmtInf>"
    else:
        remittance = ""
    end_to_end = f"E2E{bank_reference[4:]}"
    return (f"<Ntry><Amt Ccy=\"{currency}\">{_money(move.amount)}</Amt>"
            f"<CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
            f"<AcctSvcrRef>{bank_reference}</AcctSvcrRef>"
            f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{'RCDT' if credit else 'ICDT'}</Cd>"
            f"<SubFmlyCd>{'XBCT' if move.counterparty_iban else 'OTHR'}</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"<NtryDtls><TxDtls><Refs><AcctSvcrRef>{bank_reference}</AcctSvcrRef>"
            f"<EndToEndId>{end_to_end}</EndToEndId></Refs>"
            f"<AmtDtls><TxAmt><Amt Ccy=\"{currency}\">{_money(move.amount)}</Amt></TxAmt></AmtDtls>"
            f"{parties}{remittance}</TxDtls></NtryDtls></Ntry>\n")


def _balance(code: str, amount: Decimal, currency: str, day: date) -> str:
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{currency}\">{_money(amount)}</Amt>"
            f"<CdtDbtInd>{'DBIT' if amount < 0 else 'CRDT'}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>\n")


def camt053(
    account: str,
    currency: str,
    transfers: Iterable[DemoTransfer | Sequence],
    *,
    opening: Decimal = Decimal("0.00"),
    message_id: str = "DEMO-MSG-1",
    statement_id: str = "DEMO-STMT-1",
) -> bytes:
    """A camt.053.001.02 document with one statement whose balances close (opening + credits − debits)."""
    moves = sorted((t if isinstance(t, DemoTransfer) else DemoTransfer(Decimal(str(t[0])), *t[1:])
                    for t in transfers), key=lambda m: m.day)
    closing = opening + sum((m.amount for m in moves), Decimal(0))
    first = moves[0].day if moves else today()
    last = moves[-1].day if moves else first
    seen: dict[DemoTransfer, int] = {}
    entries = []
    for move in moves:
        seen[move] = seen.get(move, -1) + 1
        entries.append(_entry(_bank_reference(move, account, seen[move]), move, currency))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NAMESPACE}"><BkToCstmrStmt>\n'
        f"<GrpHdr><MsgId>{escape(message_id)}</MsgId><CreDtTm>{last.isoformat()}T18:00:00Z</CreDtTm></GrpHdr>\n"
        f"<Stmt><Id>{escape(statement_id)}</Id><CreDtTm>{last.isoformat()}T18:00:00Z</CreDtTm>"
        f"<FrToDt><FrDtTm>{first.isoformat()}T00:00:00Z</FrDtTm><ToDtTm>{last.isoformat()}T23:59:59Z</ToDtTm></FrToDt>"
        f"<Acct>{_account_id(account)}<Ccy>{currency}</Ccy></Acct>\n"
        f"{_balance('OPBD', opening, currency, first)}{_balance('CLBD', closing, currency, last)}"
        f"{''.join(entries)}</Stmt></BkToCstmrStmt></Document>\n"
    ).encode()


def demo_months(day: date | None = None, count: int = 10) -> list[date]:
    """The first days of the demo's `count` months, ending two months before `day`'s month (today's by
    default): the demo is dated relative to the clock, so it looks the same whenever it is seeded."""
    day = day or today()
    last = day.year * 12 + day.month - 1 - 2
    return [date(index // 12, index % 12 + 1, 1) for index in range(last - count + 1, last + 1)]


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def demo_payments(months: Sequence[date] | None = None) -> list[DemoTransfer]:
    """GB's payments over the demo months (numbered 1…): monthly to Albania and Rwanda (RF references
    `GBAL<yyyymm>`, `GBRW<yyyymm>`), quarterly advances to Albania (`GBALADV<yyyy>Q<n>`), the bank's charges."""
    months = list(months or demo_months())
    moves: list[DemoTransfer] = []
    for n, first in enumerate(months, start=1):
        moves.append(DemoTransfer(-(Decimal("38450.00") + Decimal(n * 1250)),
                                  rf_reference(f"GBAL{first:%Y%m}"), AL_ACCOUNT, first.replace(day=12)))
        moves.append(DemoTransfer(-(Decimal("21900.00") + Decimal(n * 730)),
                                  rf_reference(f"GBRW{first:%Y%m}"), RW_ACCOUNT, first.replace(day=14)))
    for quarter, first in enumerate(months[::3][:4], start=1):
        moves.append(DemoTransfer(Decimal("-150000.00"), rf_reference(f"GBALADV{first.year}Q{quarter}"), AL_ACCOUNT,
                                  first.replace(day=5)))
    for quarter, n in ((1, 3), (2, 6)):
        moves.append(DemoTransfer(Decimal("-35.00"), f"Charges for international payments Q{quarter}", None,
                                  _month_end(months[n - 1])))
    moves.append(DemoTransfer(Decimal("1840.00"), rf_reference(f"ALREF{months[0]:%Y%m}"), AL_ACCOUNT,
                              months[3].replace(day=20), "Republic of Albania - Ministry of Finance"))
    return moves


def seed(session: Session) -> list[tuple[str, str]]:
    """Import GB's demo statement through the importer (no credentials to hand out)."""
    from ledger.statements.service import import_statement

    document = camt053(GB_ACCOUNT, "GBP", demo_payments(), opening=Decimal("5000000.00"),
                       message_id="BUKB-DEMO-0001", statement_id="GB-TREASURY-DEMO")
    import_statement(session, io.BytesIO(document), actor="demo")
    return []
