"""Write a large, valid camt.053.001.02 statement for load tests of the statement importer.

    python -m bench.statements_gen OUT.xml --entries 1000000 [--seed 7]

Entries are written one at a time, so a million entries cost no more memory than ten. The amounts come
from a seeded generator that is run twice: once to total credits and debits (the closing balance must be
written before the entries, as the schema orders `Bal` before `Ntry`), once to write them. The mix: a
third of the credits carry an RF creditor reference, every tenth entry is a batch of three transaction
details, some entries are debits, every entry has a unique AcctSvcrRef.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from stdnum import iso11649

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
ACCOUNT = "GB33BUKB20201555555555"
OPENING = Decimal("1000000.00")


@dataclass(frozen=True, slots=True)
class _Entry:
    index: int
    credit: bool
    parts: tuple[int, ...]  # cents of each transaction detail; one part for a plain entry
    rf: bool

    @property
    def cents(self) -> int:
        return sum(self.parts)


def _entries(count: int, seed: int) -> Iterator[_Entry]:
    rng = random.Random(seed)
    for index in range(1, count + 1):
        credit = rng.random() < 0.8
        parts = tuple(rng.randint(100, 5_000_000) for _ in range(3 if index % 10 == 0 else 1))
        yield _Entry(index, credit, parts, rf=credit and index % 3 == 0)


def _money(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2))


def _rf(index: int) -> str:
    body = f"{index:08d}"
    check = 98 - int("".join(str(int(c, 36)) for c in body + "RF00")) % 97
    reference = f"RF{check:02d}{body}"
    assert iso11649.is_valid(reference)
    return reference


def _detail(entry: _Entry, position: int, cents: int, batch: bool) -> str:
    role = "Dbtr" if entry.credit else "Cdtr"
    e2e = f"E2E-{entry.index:08d}-{position}"
    amount = f'<AmtDtls><TxAmt><Amt Ccy="EUR">{_money(cents)}</Amt></TxAmt></AmtDtls>' if batch else ""
    if entry.rf and position == 0:
        remittance = ("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                      f"<Ref>{_rf(entry.index)}</Ref></CdtrRefInf></Strd>")
    else:
        remittance = f"<Ustrd>{escape(f'Invoice INV-{entry.index:08d}-{position} & costs')}</Ustrd>"
    return (f"<TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>{amount}"
            f"<RltdPties><{role}><Nm>Party {entry.index % 977}</Nm></{role}>"
            f"<{role}Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></{role}Acct></RltdPties>"
            f"<RmtInf>{remittance}</RmtInf></TxDtls>")


def _entry_xml(entry: _Entry, day: date) -> str:
    batch = len(entry.parts) > 1
    details = "".join(_detail(entry, i, cents, batch) for i, cents in enumerate(entry.parts))
    batch_info = f"<Btch><NbOfTxs>{len(entry.parts)}</NbOfTxs></Btch>" if batch else ""
    return (f'<Ntry><Amt Ccy="EUR">{_money(entry.cents)}</Amt>'
            f"<CdtDbtInd>{'CRDT' if entry.credit else 'DBIT'}</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><Dt>{day.isoformat()}</Dt></BookgDt><ValDt><Dt>{day.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>BR{entry.index:010d}</AcctSvcrRef>"
            "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
            f"<NtryDtls>{batch_info}{details}</NtryDtls></Ntry>\n")


def _balance(code: str, amount: Decimal, day: date) -> str:
    indicator = "CRDT" if amount >= 0 else "DBIT"
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{abs(amount)}</Amt>"
            f"<CdtDbtInd>{indicator}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>\n")


def write_statement(path: Path | str, entries: int, *, seed: int = 7, start: date = date(2024, 1, 1)) -> Decimal:
    """Write the statement to `path`; returns its closing balance (opening + credits − debits)."""
    net = sum((e.cents if e.credit else -e.cents) for e in _entries(entries, seed))
    closing = OPENING + Decimal(net).scaleb(-2)
    days = max(1, entries // 50_000)
    end = start + timedelta(days=days - 1)
    with open(path, "w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NAMESPACE}">\n<BkToCstmrStmt>\n'
                  f"<GrpHdr><MsgId>BENCH-{seed}-{entries}</MsgId><CreDtTm>{end.isoformat()}T23:59:59</CreDtTm>"
                  "</GrpHdr>\n<Stmt>"
                  f"<Id>BENCH-STMT-{seed}</Id><CreDtTm>{end.isoformat()}T23:59:59</CreDtTm>"
                  f"<FrToDt><FrDtTm>{start.isoformat()}T00:00:00</FrDtTm><ToDtTm>{end.isoformat()}T23:59:59</ToDtTm>"
                  f"</FrToDt><Acct><Id><IBAN>{ACCOUNT}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n")
        out.write(_balance("OPBD", OPENING, start))
        out.write(_balance("CLBD", closing, end))
        for entry in _entries(entries, seed):
            out.write(_entry_xml(entry, start + timedelta(days=(entry.index - 1) * days // max(entries, 1))))
        out.write("</Stmt>\n</BkToCstmrStmt>\n</Document>\n")
    return closing


def statement_files(workdir: Path, sizes: list[int]) -> dict[int, Path]:
    """A camt.053 of each size in `workdir`, written once and reused by later runs (the same seed, the same file)."""
    files = {}
    for size in sizes:
        files[size] = workdir / f"camt053-{size}.xml"
        if not files[size].exists():
            write_statement(files[size], size)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    closing = write_statement(args.path, args.entries, seed=args.seed)
    print(f"wrote {args.entries} entries to {args.path}; closing balance {closing} EUR")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
