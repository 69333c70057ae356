"""Monthly settlement: the statement computed by SQL aggregation, closing (lock, freeze, sign) and sign-off.

Figures come from the journal alone; what only a feature knows (agreement references, invoices received,
open items, EU claims and netting) comes from the providers listed in `ledger.features.settlement_providers`,
each a function over the session, so this module never imports a feature. The key that signs closed periods is
an argument (`signing_key(config)` reads it from the configuration the caller holds), never the app's globals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.common import LAST_PERIOD, period_in_calendar
from ledger import integrity
from ledger.api import attachment
from ledger.audit.service import describe
from ledger.errors import Conflict, Problem, field_error, not_found
from ledger.journal import queries as journal_queries
from ledger.journal import service as journal
from ledger.money import Money
from ledger.settlement import keys, pdf, reports, rules, signing
from ledger.settlement.checklist import close_in_order as close_in_order  # the door to closing months in order
from ledger.settlement.models import Acknowledgement, FrozenStatement, SigningKeyRecord
from ledger.settlement.reviews import resolve as resolve  # the doors to a partner's review and its resolution
from ledger.settlement.reviews import review as review
from ledger.timeutil import period_of, today, utcnow

LIABILITIES = ("obligations", "invoices_payable")


def _providers() -> dict[str, list]:
    from ledger.features import settlement_providers

    return settlement_providers()


def movements(session: Session, period: str, party: str | None = None, last: str | None = None,
              payer: str | None = None, agreement_id: int | None = None) -> list[rules.Movement]:
    """One SQL aggregate: per agreement, source and purpose, the sums before `period` and during the months from
    `period` to `last` (default: `period` alone); of the agreements `party` is a side of, or `payer` pays (the
    budgets' year reports), or of one agreement, when given.

    A reversal counts under the source of the entry it reverses: reversing an accrual takes from `accrued`,
    reversing a payment from `paid`."""
    rows = journal_queries.agreement_sums(session, LIABILITIES, period, last or period, party, payer, agreement_id)
    return [rules.Movement(*row[:4], Decimal(row[4] or 0), Decimal(row[5] or 0)) for row in rows]


def _agreement_info(session: Session, ids: list[int], period: str) -> dict[int, dict]:
    info: dict[int, dict] = {i: {} for i in ids}
    for provider in _providers()["agreement_info"]:
        for agreement_id, extra in provider(session, ids, period).items():
            info.setdefault(agreement_id, {}).update(extra)
    return info


def _open_items(session: Session, period: str, party: str | None, agreement_ids: list[int] | None) -> dict:
    items: dict[str, list] = {}
    for provider in _providers()["open_items"]:
        items.update(provider(session, period, party, agreement_ids))
    return items


def build(session: Session, period: str, party: str | None = None, agreement_id: int | None = None) -> dict:
    """The live statement of `period` (for one party or agreement when given): plain JSON-ready values."""
    return build_range(session, [period], party, agreement_id)


def build_range(session: Session, periods: list[str], party: str | None = None,
                agreement_id: int | None = None) -> dict:
    """The statement of a run of whole months (one month: the monthly statement): opening before the first,
    each movement summed over the months, closing at the end of the last, so the identity holds per agreement
    (closing = opening + accrued + adjustments - paid); `invoiced` is summed over the months; open items and
    the EU sections are those at the end of the last month."""
    check_months(periods)
    first, last = periods[0], periods[-1]
    agreements = agreement_figures(session, periods, party, agreement_id)
    result = {
        "period": first if len(periods) == 1 else f"{first}..{last}",
        "scope": f"agreement:{agreement_id}" if agreement_id is not None else (f"party:{party}" if party else "all"),
        "agreements": agreements,
        "parties": rules.party_totals(agreements),
        "open_items": _open_items(session, last, party, [agreement_id] if agreement_id is not None else None),
    }
    if len(periods) > 1:
        result["periods"] = list(periods)
    if agreement_id is None:
        for provider in _providers()["sections"]:
            result.update(provider(session, last, party))
    return result


def agreement_figures(session: Session, periods: list[str], party: str | None = None,
                      agreement_id: int | None = None) -> list[dict]:
    """The statement's line per agreement over a run of whole months (`build_range`), without its open items and
    sections: what the dashboard shows of this month, which need not list every unmatched transfer to show it."""
    first, last = periods[0], periods[-1]
    # One agreement's statement sums only its own accounts' postings: a month close builds one per agreement, and
    # summing every agreement's each time made the close grow with the square of their number.
    lines = rules.agreement_lines(movements(session, first, party, last=last, agreement_id=agreement_id))
    ids = sorted(lines)
    info = _agreement_info(session, ids, last)
    if len(periods) > 1:
        _sum_invoiced(session, lines, periods[:-1], info)
    return [{**info.get(i, {}), **lines[i]} for i in ids]


def _sum_invoiced(session: Session, lines: dict[int, dict], periods: list[str], info: dict[int, dict]) -> None:
    """Add the invoices received for the earlier months to each agreement's `invoiced` (the last month's is in)."""
    for period in periods:
        for agreement_id, extra in _agreement_info(session, list(lines), period).items():
            row = info.setdefault(agreement_id, {})
            if "invoiced" in extra:
                total = Decimal(row.get("invoiced", "0")) + Decimal(extra["invoiced"])
                row["invoiced"] = str(Money(total, lines[agreement_id]["currency"]))


def next_period(period: str) -> str:
    """The month after `period` (after 9999-12: "9999-13", which sorts after every month)."""
    year, month = int(period[:4]), int(period[5:7])
    if (year, month) == (9999, 12):
        return "9999-13"
    return f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"


def months(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included (YYYY-MM)."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def check_months(periods: list[str]) -> None:
    """A report covers whole months that follow one another, none missing."""
    if not periods:
        raise field_error("period", "name at least one month")
    for period in periods:
        check_period(period)
    if list(periods) != months(periods[0], periods[-1]):
        raise field_error("period", "the months must follow one another, none missing")


def statement_of_months(session: Session, periods: list[str], party: str | None, agreement_id: int | None,
                        key: Ed25519PrivateKey) -> dict:
    """What a report of several months renders: the summed statement, unsigned (each month's own statement is
    the signed one); one month is `statement_for` itself."""
    if len(periods) == 1:
        return statement_for(session, periods[0], party, agreement_id, key)
    if agreement_id is not None and party is not None and agreement_id not in agreements_of_party(session, party):
        raise not_found("agreement")
    content = build_range(session, periods, party, agreement_id)
    return {"period": content["period"], "status": "unsigned", "statement": content}


# ---- closing -----------------------------------------------------------------------------------------

def published_keys(session: Session, key: Ed25519PrivateKey) -> list[dict]:
    """The current signing key (`key`) and every retired one, with their validity (what GET /signing-key lists)."""
    current = signing.public_key_b64(key)
    rows = keys.published(session)
    if not any(r.key_id == keys.key_id(current) and r.retired_at is None for r in rows):
        # not recorded yet (the database was unreachable at start): still publish the key in use
        rows = [SigningKeyRecord(key_id=keys.key_id(current), public_key=current, valid_from=None)] + rows
    return [{"key_id": r.key_id, "algorithm": r.algorithm or "Ed25519", "public_key": r.public_key,
             "public_key_pem": signing.public_key_pem_of(r.public_key),
             "status": "retired" if r.retired_at else "current",
             "valid_from": r.valid_from, "retired_at": r.retired_at} for r in rows]


def signing_key(config: Mapping[str, object]) -> Ed25519PrivateKey:
    """The key that signs closed periods, from the configuration a caller holds (a view passes the app's)."""
    try:
        return signing.private_key(str(config["LEDGER_SIGNING_KEY"]))
    except signing.SigningKeyError as error:
        raise Problem(str(error), status=500, code="signing_key_invalid") from None


def close(session: Session, period: str, key: Ed25519PrivateKey) -> list[FrozenStatement]:
    """Lock `period` in the journal and freeze its statements (the whole, and one per agreement), signed with `key`."""
    if period >= period_of(today()):
        raise Conflict(f"{period} has not ended yet", code="period_not_ended")
    row = journal.close_period(session, period)  # refuses earlier open periods and a second close
    # The statement names its key inside the signed bytes, so it verifies after any later rotation.
    key_id = keys.record_current(session, signing.public_key_b64(key)).key_id
    head = {"seq": row.chain_seq, "hash": row.chain_hash}
    signed_at = utcnow().isoformat()
    whole = build(session, period)
    frozen = [_freeze(session, period, "all", None, {**whole, "journal_chain_head": head, "signed_at": signed_at,
                                                            "signing_key_id": key_id}, key)]
    for line in whole["agreements"]:
        agreement_id = line["agreement_id"]
        one = build(session, period, agreement_id=agreement_id)
        frozen.append(_freeze(session, period, f"agreement:{agreement_id}", agreement_id,
                              {**one, "journal_chain_head": head, "signed_at": signed_at,
                               "signing_key_id": key_id}, key))
    session.flush()
    describe(session, "settlement.close", "period", period,
             f"{len(frozen)} statements signed at chain head {head['seq']}")
    from ledger.features import after_close  # features import settlement, not the other way round

    for step in after_close():
        step(session, period)
    return frozen


def _freeze(session: Session, period: str, scope: str, agreement_id: int | None, content: dict, key) -> FrozenStatement:
    document = signing.sign(content, key)
    row = FrozenStatement(period=period, scope=scope, agreement_id=agreement_id,
                          canonical=integrity.canonical_json(document["statement"]).decode(),
                          digest=document["digest"], signature=document["signature"], signed_at=content["signed_at"])
    session.add(row)
    return row


def document(session: Session, row: FrozenStatement, key: Ed25519PrivateKey) -> dict:
    """The signed document as a partner downloads it, with the public key that signed it (not today's: `key`'s
    only for a statement signed before any key was recorded)."""
    content = json.loads(row.canonical)
    record = _signed_with(session, content.get("signing_key_id"))
    public_key = record.public_key if record else signing.public_key_b64(key)
    return {"statement": content, "digest": row.digest, "signature": row.signature,
            "key_id": record.key_id if record else keys.key_id(public_key), "public_key": public_key}


def _signed_with(session: Session, key_id: str | None) -> SigningKeyRecord | None:
    """The key a statement names; one signed before keys were named used the first key recorded."""
    if key_id is not None:
        return session.get(SigningKeyRecord, key_id)
    return session.execute(select(SigningKeyRecord).order_by(SigningKeyRecord.valid_from).limit(1)).scalar()


def period_status(session: Session, period: str) -> str:
    last_closed = journal.last_closed_period(session)
    if journal_queries.stored_period_status(session, period) == "closed" or (
            last_closed is not None and period <= last_closed):
        return "closed"
    return "open"


def frozen(session: Session, period: str, scope: str) -> FrozenStatement | None:
    return session.execute(select(FrozenStatement).where(FrozenStatement.period == period,
                                                         FrozenStatement.scope == scope)).scalar_one_or_none()


def agreements_of_party(session: Session, party: str) -> set[int]:
    return journal_queries.agreements_of_party(session, party)


def statement_for(session: Session, period: str, party: str | None, agreement_id: int | None,
                  key: Ed25519PrivateKey) -> dict:
    """What a caller sees: frozen documents for a closed period, the live statement for an open one."""
    if agreement_id is not None and party is not None and agreement_id not in agreements_of_party(session, party):
        raise not_found("agreement")
    status = period_status(session, period)
    if status == "open":
        return {"period": period, "status": "open",
                "statement": build(session, period, party=party, agreement_id=agreement_id)}
    if party is None and agreement_id is None:
        row = frozen(session, period, "all")
        return {"period": period, "status": "closed", "documents": [document(session, row, key)] if row else []}
    ids = [agreement_id] if agreement_id is not None else sorted(agreements_of_party(session, party))
    rows = [frozen(session, period, f"agreement:{i}") for i in ids]
    return {"period": period, "status": "closed",
            "documents": [document(session, r, key) for r in rows if r is not None]}


# ---- sign-off ----------------------------------------------------------------------------------------

def acknowledge(session: Session, period: str, party: str, agreement_id: int, digest: str, accepted: bool,
                disputed_lines: list[dict], reason: str) -> Acknowledgement:
    if agreement_id not in agreements_of_party(session, party):
        raise not_found("agreement")
    row = frozen(session, period, f"agreement:{agreement_id}")
    if row is None:
        raise Conflict(f"{period} is not closed: there is no signed statement to acknowledge", code="period_open")
    if digest != row.digest:
        raise Conflict("the digest is not the signed statement's: check the document you hold",
                       code="digest_mismatch", extra={"expected_digest": row.digest})
    if not accepted and not disputed_lines:
        raise field_error("disputed_lines", "a dispute names at least one line, with a reason")
    ack = Acknowledgement(period=period, agreement_id=agreement_id, party_code=party, digest=digest,
                          accepted=accepted, disputed_lines=json.dumps(disputed_lines, sort_keys=True), reason=reason,
                          acknowledged_at=utcnow().isoformat())
    session.add(ack)
    session.flush()
    describe(session, "settlement.acknowledge", "period", period,
             f"agreement {agreement_id} by {party}: {'accepted' if accepted else 'disputed'}")
    return ack


def acknowledgements(session: Session, period: str, party: str | None) -> list[Acknowledgement]:
    query = select(Acknowledgement).where(Acknowledgement.period == period).order_by(Acknowledgement.id)
    if party is not None:
        query = query.where(Acknowledgement.agreement_id.in_(agreements_of_party(session, party)))
    return list(session.execute(query).scalars())


def disputed_open_items(session: Session, period: str, party: str | None, agreement_ids: list[int] | None) -> dict:
    """Lines disputed on earlier closed statements carry into this period's open items."""
    query = select(Acknowledgement).where(Acknowledgement.period < period, Acknowledgement.accepted.is_(False))
    if agreement_ids is not None:
        query = query.where(Acknowledgement.agreement_id.in_(agreement_ids))
    elif party is not None:
        query = query.where(Acknowledgement.agreement_id.in_(agreements_of_party(session, party)))
    items = [{"period": a.period, "agreement_id": a.agreement_id, "party": a.party_code,
              "lines": json.loads(a.disputed_lines), "reason": a.reason}
             for a in session.execute(query.order_by(Acknowledgement.id)).scalars()]
    return {"disputed_lines": items}


def series(session: Session, periods: list[str], party: str | None = None) -> list[dict]:
    """Accrued (with adjustments) against paid, per month and currency, from the journal (the report's charts)."""
    rows = []
    for period in periods:
        lines = rules.agreement_lines(movements(session, period, party)).values()
        by_currency: dict[str, dict] = {}
        for line in lines:
            acc = by_currency.setdefault(line["currency"], {"accrued": Decimal(0), "paid": Decimal(0)})
            acc["accrued"] += Decimal(line["accrued"]) + Decimal(line["adjustments"])
            acc["paid"] += Decimal(line["paid"])
        for currency, acc in sorted(by_currency.items()):
            rows.append({"period": period, "currency": currency, "accrued": acc["accrued"], "paid": acc["paid"]})
    return rows


def check_period(period: str) -> None:
    try:
        date(int(period[:4]), int(period[5:7]), 1)
    except ValueError:
        raise field_error("period", "must be a period YYYY-MM") from None
    if len(period) != 7 or period[4] != "-":
        raise field_error("period", "must be a period YYYY-MM")
    if not period_in_calendar(period):  # 9999-12 ends past the calendar: its report or netting would fail
        raise field_error("period", f"must be a period from 0001-01 to {LAST_PERIOD}")


MEDIA_TYPES = {"json": "application/json", "csv": "application/zip",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}
#: `format=csv` is a zip of CSV files (one per table) with the signed statement and its detached signature.
EXTENSIONS = {"json": "json", "csv": "csv.zip", "xlsx": "xlsx", "pdf": "pdf"}


def filename(period: str, fmt: str, party: str | None, agreement_id: int | None) -> str:
    suffix = f"-agreement-{agreement_id}" if agreement_id is not None else (f"-party-{party}" if party else "")
    return f"settlement-{period}{suffix}.{EXTENSIONS[fmt]}"


def download_headers(fmt: str, name: str) -> dict[str, str]:
    """A report file's headers; a PDF says whether it is tagged (WeasyPrint, PDF/UA-1) or not (the ReportLab
    fallback, where the server lacks pango)."""
    headers = attachment(name)
    if fmt == "pdf":
        headers["X-PDF-Tagged"] = "true" if pdf.tagged() else "false"
    return headers


def render(session: Session, period: str, fmt: str, party: str | None, agreement_id: int | None,
           key: Ed25519PrivateKey, focus: bool = False) -> bytes:
    """The report of one month; `focus` gives `party`'s section alone (otherwise a section per partner)."""
    return render_months(session, [period], fmt, party, agreement_id, key, focus)


def render_months(session: Session, periods: list[str], fmt: str, party: str | None, agreement_id: int | None,
                  key: Ed25519PrivateKey, focus: bool = False) -> bytes:
    """The report of a run of whole months (one month: its signed statement; several: their sum, unsigned)."""
    view = statement_of_months(session, periods, party, agreement_id, key)
    section = party if focus else None
    if fmt == "json":
        return reports.to_json(view)
    if fmt == "csv":
        return reports.to_csv(view, section)
    if fmt == "xlsx":
        return reports.to_xlsx(view, section)
    last = periods[-1]
    chart_months = periods if len(periods) > 1 else months(f"{last[:4]}-01", last)
    return reports.to_pdf(view, series(session, chart_months, party), section)
