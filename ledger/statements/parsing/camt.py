"""Streaming parser for ISO 20022 camt.052 (account report), camt.053 (statement) and camt.054
(debit/credit notification), every version from .001.02 on.

The differences between versions are handled by looking for each element where any version puts it,
rather than by branching on the version number, so a bank's later version keeps working:

- entry status `Sts` is text up to .06 (`<Sts>BOOK</Sts>`) and a choice from .07 (`<Sts><Cd>BOOK</Cd>`);
- party names sit directly under `Dbtr`/`Cdtr` up to .06 and under `Dbtr/Pty` from .07;
- the amount of a transaction detail is `AmtDtls/TxAmt/Amt` in .02 and `TxDtls/Amt` from .03 on;
- the UETR (`Refs/UETR`) exists from .07 on.

A payment made in another currency states, in `AmtDtls` of its transaction detail (or of the entry), the
instructed amount (`InstdAmt/Amt`, in the currency the payer ordered) and often the bank's conversion
(`CcyXchg` under `InstdAmt`, `TxAmt` or `CntrValAmt`); see `_fx` for how its rate is read.

The file is read with `ledger.xmlsafe.iterparse` (the hardened parser settings); each entry is dropped from
the tree as soon as its transfers are yielded, so memory stays bounded however many entries a statement has.
DTDs, entities and network access are disabled and a document carrying a DOCTYPE is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from lxml import etree

from ledger import xmlsafe
from ledger.money import Money

from ._build import build_transfer
from ._common import currency_code, iso_date, join_text, money
from ._fx import exchange_rate, rate_per_instructed_unit
from .errors import StatementFormatError, StatementParseError
from .model import (
    BalanceTracker,
    Direction,
    EntryStatus,
    OccurrenceCounter,
    ParsedStatement,
    ParsedTransfer,
    StatementEnd,
    clean_reference,
)

CAMT_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:(camt\.05[234])\.001\.(\d{2})$")
_STATEMENT_TAGS = {"Stmt", "Rpt", "Ntfctn"}
_STATUS = {"BOOK": "booked", "PDNG": "pending", "FUTR": "pending", "INFO": "information"}
# Only booked balances take part in the check: the available ones (OPAV, CLAV, FWAV, ITAV) include value-date
# effects that no entry accounts for. PRCD, the previous closing booked balance, is the opening where OPBD is
# absent. An intraday camt.052 often has no OPBD/CLBD at all, only interim booked balances (ITBD): then the
# earliest ITBD opens and the latest closes the report (one lone ITBD cannot do both).
_OPENING = ("OPBD", "PRCD")
_CLOSING = ("CLBD",)
_INTERIM = "ITBD"
#: Where amount details may state the conversion, most specific first: the exchange attached to the
#: instructed amount is the one that converted it.
_EXCHANGES = ("InstdAmt/CcyXchg", "TxAmt/CcyXchg", "CntrValAmt/CcyXchg")

Item = ParsedStatement | ParsedTransfer | StatementEnd


class _Steps(dict):
    """A path's qualified tags one by one, for `_findall` and `_find`, memoised: the same few paths, millions of
    times (a dict whose misses fill it, so a hit is one C call)."""

    def __init__(self, ns: str) -> None:
        super().__init__()
        self.ns = ns

    def __missing__(self, path: str) -> tuple[str, ...]:
        steps = self[path] = tuple(f"{{{self.ns}}}{part}" for part in path.split("/"))
        return steps


class _Names(dict):
    """Qualified tag paths in the document's namespace: `q("Refs/EndToEndId")`, memoised like `_Steps`."""

    __call__ = dict.__getitem__

    def __init__(self, ns: str) -> None:
        super().__init__()
        self.ns = ns
        self.steps = _Steps(ns).__getitem__

    def __missing__(self, path: str) -> str:
        qualified = self[path] = "/".join(f"{{{self.ns}}}{part}" for part in path.split("/"))
        return qualified


def _findall(element: etree._Element, q: _Names, path: str) -> list[etree._Element]:
    """What `element.findall(q(path))` finds, in the same order, by stepping through children by tag (C code)
    instead of lxml's ElementPath, which evaluates a path of several steps in Python: per entry, the importer's
    multi-step lookups cost more than the rest of its parsing."""
    return _findall_from([element], q, path)


def _findall_from(elements: list[etree._Element], q: _Names, path: str) -> list[etree._Element]:
    """`_findall` from each of `elements` in turn, in document order."""
    for step in q.steps(path):
        elements = [child for parent in elements for child in parent.iterchildren(step)]
    return elements


def _siblings(first: etree._Element | None) -> list[etree._Element]:
    """A first child found by `_children` and the children of its tag after it: all of the parent's of that tag."""
    return [] if first is None else [first, *first.itersiblings(first.tag)]


def _find(element: etree._Element, q: _Names, path: str) -> etree._Element | None:
    """`element.find(q(path))`, as `_findall` reads it, without building its lists: the first match, depth first
    in document order. The paths of one to three steps the parse uses are nested loops in one call (each step is
    nearly always one child, so this is a few C calls); longer ones recurse."""
    steps = q.steps(path)
    if len(steps) == 1:
        for child in element.iterchildren(steps[0]):
            return child
        return None
    if len(steps) == 2:
        for child in element.iterchildren(steps[0]):
            for grandchild in child.iterchildren(steps[1]):
                return grandchild
        return None
    if len(steps) == 3:
        for child in element.iterchildren(steps[0]):
            for grandchild in child.iterchildren(steps[1]):
                for found in grandchild.iterchildren(steps[2]):
                    return found
        return None
    return _first(element, steps, 0, len(steps) - 1)


def _first(element: etree._Element, steps: tuple[str, ...], depth: int, last: int) -> etree._Element | None:
    if depth == last:
        for child in element.iterchildren(steps[depth]):
            return child
        return None
    for child in element.iterchildren(steps[depth]):
        found = _first(child, steps, depth + 1, last)
        if found is not None:
            return found
    return None


def _findtext(element: etree._Element, q: _Names, path: str) -> str | None:
    """`element.findtext(q(path))`: the first match's text ("" when it has none), None when nothing matches."""
    found = _find(element, q, path)
    return None if found is None else (found.text or "")


def _children(element: etree._Element) -> dict:
    """The first child of each tag, from one pass over the children: what `element.find(tag)` would give for
    each of them, for less than the cost of two such lookups (each goes through lxml's ElementPath)."""
    first: dict = {}
    for child in element:
        if child.tag not in first:
            first[child.tag] = child
    return first


def _text(element: etree._Element | None) -> str | None:
    """`findtext` on a looked-up child: its text ("" when it has none), None when there was no such child."""
    return None if element is None else (element.text or "")


@dataclass(slots=True)
class _StatementState:
    index: int
    element: etree._Element
    header: ParsedStatement | None = None
    tracker: BalanceTracker | None = None
    occurrences: OccurrenceCounter = field(default_factory=OccurrenceCounter)


def parse_camt(stream: BinaryIO) -> Iterator[Item]:
    """Yield, per statement, its header, its transfers and a closing `StatementEnd`."""
    source = _TrackingReader(stream)
    events = xmlsafe.iterparse(
        source,
        events=("start", "end"),
        remove_comments=True,
        # Only the elements that drive the state machine raise events; the rest is read from the tree.
        tag=["{*}Document", "{*}GrpHdr", "{*}Stmt", "{*}Rpt", "{*}Ntfctn", "{*}Ntry"],
    )
    q: _Names | None = None
    local_names: dict[str, str] = {}
    kind = version = message_id = None
    statement: _StatementState | None = None
    statements = entries = 0
    try:
        for event, element in events:
            if q is None:
                q, kind, version = _root(element)
                continue
            local = local_names.get(element.tag) or _local_name(local_names, element)
            parent = element.getparent()
            if local == "Ntry":  # two events per entry: the other elements' questions are not asked of them
                if statement is None or parent is not statement.element:
                    continue
                if event == "start":
                    # Balances and the account precede the first entry, so the header is complete here.
                    header = _ensure_header(statement, q, kind, version, message_id)
                    if header is not None:
                        yield header
                    continue
                entries += 1
                for transfer in _entry_transfers(element, q, statement, entries):
                    _tracker(statement).add(transfer)
                    yield transfer
                _forget(element)
                continue
            grandparent = parent.getparent() if parent is not None else None
            # GrpHdr and the statements sit in the message element right under the Document root.
            in_container = grandparent is not None and grandparent.getparent() is None
            if event == "start":
                if local in _STATEMENT_TAGS and in_container:
                    statements += 1
                    statement = _StatementState(statements, element)
                continue
            if local == "GrpHdr" and in_container:
                message_id = clean_reference(element.findtext(q("MsgId")))
                element.clear()
            elif local in _STATEMENT_TAGS and statement is not None and element is statement.element:
                header = _ensure_header(statement, q, kind, version, message_id)
                if header is not None:
                    yield header
                yield _tracker(statement).end()
                statement = None
                _forget(element)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, source) from None
    if q is None:
        raise StatementFormatError("the XML document is not an ISO 20022 camt.052, camt.053 or camt.054 message")


def _local_name(local_names: dict[str, str], element: etree._Element) -> str:
    """The local name of an element's tag, memoised by tag (the same few tags, twice per entry; bounded, as a file
    may put its elements in as many namespaces as it likes)."""
    local = etree.QName(element).localname
    if len(local_names) < 64:
        local_names[element.tag] = local
    return local


def _root(element: etree._Element) -> tuple[_Names, str, str]:
    tree = element.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise StatementParseError("forbidden_doctype", "XML documents with a DOCTYPE are refused", "line 1")
    qname = etree.QName(element)
    match = CAMT_NAMESPACE.match(qname.namespace or "")
    if qname.localname != "Document" or not match:
        raise StatementFormatError(
            "the XML document is not an ISO 20022 camt.052, camt.053 or camt.054 message",
            location=f"line {element.sourceline}",
        )
    if int(match.group(2)) < 2:
        raise StatementFormatError(
            f"{match.group(1)}.001.{match.group(2)} is not supported (versions .001.02 and later are)",
            code="unsupported_version",
            location=f"line {element.sourceline}",
        )
    return _Names(qname.namespace), match.group(1), f"001.{match.group(2)}"


class _TrackingReader:
    """Passes reads through, noting whether the end was reached and on which line it is, so that a
    syntax error on the last line of an exhausted file can be told apart as truncation."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.exhausted = False
        self.lines = 1

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if not data:
            self.exhausted = True
        self.lines += data.count(b"\n")
        return data


def _syntax_error(exc: etree.XMLSyntaxError, source: _TrackingReader) -> StatementParseError:
    line = exc.lineno if exc.lineno else None
    location = f"line {line}" if line else None
    text = str(exc)
    at_end = source.exhausted and line is not None and line >= source.lines
    if "Premature end of data" in text or at_end:
        return StatementParseError("truncated", "the file ends before the XML document does", location)
    if "DOCTYPE" in text or "Entity" in text or "entity" in text:
        return StatementParseError("forbidden_doctype", "XML entities and DOCTYPEs are refused", location)
    return StatementParseError("malformed_xml", "the file is not well-formed XML", location)


def _forget(element: etree._Element) -> None:
    """Drop a processed element and everything before it, so the tree never grows with the file."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is None:
        return
    while element.getprevious() is not None:
        del parent[0]


def _ensure_header(
    statement: _StatementState, q: _Names, kind: str | None, version: str | None, message_id: str | None
) -> ParsedStatement | None:
    """Build the header once, from the elements that precede the first entry; None if already built."""
    if statement.header is not None:
        return None
    element = statement.element
    location = f"statement {statement.index} (line {element.sourceline})"
    account = clean_reference(element.findtext(q("Acct/Id/IBAN")) or element.findtext(q("Acct/Id/Othr/Id")))
    opening, closing = _balances(element, q, location)
    currency = (element.findtext(q("Acct/Ccy")) or "").strip() or None
    if currency is None:
        currency = opening.currency if opening else closing.currency if closing else None
    header = ParsedStatement(
        format=kind or "",
        format_version=version,
        index=statement.index,
        account=account,
        currency=currency,
        statement_id=clean_reference(element.findtext(q("Id"))),
        message_id=message_id,
        opening_balance=opening,
        closing_balance=closing,
        from_date=iso_date(element.findtext(q("FrToDt/FrDtTm")), location),
        to_date=iso_date(element.findtext(q("FrToDt/ToDtTm")), location),
        location=location,
    )
    statement.header = header
    statement.tracker = BalanceTracker(header)
    return header


def _balances(statement: etree._Element, q: _Names, location: str) -> tuple[Money | None, Money | None]:
    """(opening, closing) booked balances of a statement or report, signed; None where absent."""
    found: dict[str, etree._Element] = {}
    interim: list[tuple[str, int, etree._Element]] = []
    for position, balance in enumerate(statement.iterfind(q("Bal"))):
        code = (balance.findtext(q("Tp/CdOrPrtry/Cd")) or balance.findtext(q("Tp/CdOrPrtry/Prtry")) or "").strip()
        found.setdefault(code, balance)
        if code == _INTERIM:
            when = balance.findtext(q("Dt/DtTm")) or balance.findtext(q("Dt/Dt")) or ""
            interim.append((when.strip(), position, balance))
    opening = next((found[c] for c in _OPENING if c in found), None)
    closing = next((found[c] for c in _CLOSING if c in found), None)
    interim.sort(key=lambda item: (item[0], item[1]))
    if opening is None and interim and (closing is not None or len(interim) > 1):
        opening = interim[0][2]
    if closing is None and interim and interim[-1][2] is not opening:
        closing = interim[-1][2]
    return _amount(opening, q, location), _amount(closing, q, location)


def _amount(balance: etree._Element | None, q: _Names, location: str) -> Money | None:
    if balance is None:
        return None
    code = (balance.findtext(q("Tp/CdOrPrtry/Cd")) or "").strip()
    where = f"{location}, balance {code} (line {balance.sourceline})"
    amount = balance.find(q("Amt"))
    if amount is None:
        raise StatementParseError("invalid_amount", "a balance has no amount", where)
    value = money(amount.text, amount.get("Ccy"), where)
    return -value if (balance.findtext(q("CdtDbtInd")) or "").strip() == "DBIT" else value


def _direction(text: str | None, location: str) -> Direction:
    code = (text or "").strip()
    if code == "CRDT":
        return "credit"
    if code == "DBIT":
        return "debit"
    raise StatementParseError("invalid_entry", "an entry has no valid CdtDbtInd (CRDT or DBIT)", location)


def _status(status: etree._Element | None, q: _Names) -> EntryStatus:
    """The status of an entry from its `Sts` element (None: booked)."""
    if status is None:
        return "booked"
    if len(status):  # from .07 on a choice of Cd or Prtry; up to .06 the code is the element's own text
        code = _findtext(status, q, "Cd") or _findtext(status, q, "Prtry") or status.text or ""
    else:
        code = status.text or ""
    code = code.strip().upper()
    # Codes other than BOOK (later versions allow external codes) are not counted as booked: a balance
    # check that leaves out an unknown entry fails loudly, one that counts a non-booked entry hides it.
    return _STATUS.get(code, "pending")  # type: ignore[return-value]


def _date(entry: etree._Element, q: _Names, paths: tuple[str, str], location: str):
    """The date of `paths` (`X/Dt`, else `X/DtTm`) under an entry."""
    return iso_date(_findtext(entry, q, paths[0]) or _findtext(entry, q, paths[1]), location)


_BOOKED = ("BookgDt/Dt", "BookgDt/DtTm")
_VALUED = ("ValDt/Dt", "ValDt/DtTm")


def _tracker(statement: _StatementState) -> BalanceTracker:
    """The statement's balance tracker, which `_ensure_header` makes with the header."""
    if statement.tracker is None:
        raise ValueError("a statement's entries read before its header")
    return statement.tracker


def _entry_transfers(
    entry: etree._Element, q: _Names, statement: _StatementState, entry_index: int
) -> Iterator[ParsedTransfer]:
    location = f"entry {entry_index} (line {entry.sourceline})"
    header = statement.header
    if header is None:  # _ensure_header ran at the statement's first entry
        raise ValueError("an entry read before its statement's header")
    children = _children(entry)
    amount_element = children.get(q("Amt"))
    if amount_element is None:
        raise StatementParseError("invalid_amount", "an entry has no amount", location)
    amount = money(amount_element.text, amount_element.get("Ccy"), location)
    if amount.amount < 0:
        raise StatementParseError("invalid_amount", "entry amounts must not be negative", location)
    direction = _direction(_text(children.get(q("CdtDbtInd"))), location)
    common = dict(
        occurrences=statement.occurrences,
        account=header.account or "",
        booking_date=_date(entry, q, _BOOKED, location),
        value_date=_date(entry, q, _VALUED, location),
        entry_reference=clean_reference(_text(children.get(q("AcctSvcrRef")))),
        reversal=(_text(children.get(q("RvslInd"))) or "").strip().lower() in ("true", "1"),
        status=_status(children.get(q("Sts")), q),
        statement_index=statement.index,
        entry_index=entry_index,
        location=location,
    )
    details = _findall(entry, q, "NtryDtls/TxDtls")
    split = _split_batch(details, q, amount, direction, location) if len(details) > 1 else None
    if split is None:
        detail = _children(details[0]) if len(details) == 1 else None
        # A lone detail's amount details describe the whole entry; the entry's own are the fallback.
        amount_details = [d.get(q("AmtDtls")) for d in (detail, children) if d is not None]
        yield build_transfer(amount=amount, direction=direction, detail_index=None,
                             **_detail_fields(detail, children, q, direction, header.account),
                             **_stated_fx(amount_details, q, amount.currency, location), **common)
        return
    for index, (detail_element, detail_amount, detail_direction) in enumerate(split):
        detail_location = f"{location}, transaction detail {index + 1}"
        detail = _children(detail_element)
        fields = _detail_fields(detail, children, q, detail_direction, header.account)
        fx = _stated_fx([detail.get(q("AmtDtls"))], q, detail_amount.currency, detail_location)
        yield build_transfer(amount=detail_amount, direction=detail_direction, detail_index=index,
                             **fields, **fx, **{**common, "location": detail_location})


def _split_batch(
    details: list[etree._Element], q: _Names, amount: Money, direction: Direction, location: str
) -> list[tuple[etree._Element, Money, Direction]] | None:
    """Each detail with its own amount and direction, when they add up to the entry; else None.

    A batch whose details lack amounts in the entry's currency, or do not add up to the booked entry,
    cannot be split without inventing money, so it stays one transfer for the whole entry.
    """
    split = []
    net = Money.zero(amount.currency)
    for index, detail in enumerate(details):
        where = f"{location}, transaction detail {index + 1}"
        detail_amount = _detail_amount(detail, q, amount.currency, where)
        if detail_amount is None:
            return None
        indicator = _findtext(detail, q, "CdtDbtInd")
        detail_direction = _direction(indicator, where) if indicator else direction
        split.append((detail, detail_amount, detail_direction))
        net = net + (detail_amount if detail_direction == "credit" else -detail_amount)
    booked = amount if direction == "credit" else -amount
    return split if net == booked else None


def _detail_amount(detail: etree._Element, q: _Names, currency: str, location: str) -> Money | None:
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/CntrValAmt/Amt", "AmtDtls/InstdAmt/Amt"):
        element = _find(detail, q, path)
        if element is not None:
            value = money(element.text, element.get("Ccy"), location)
            if value.currency == currency:
                return value
    return None


def _stated_fx(holders: list[etree._Element | None], q: _Names, booked: str, location: str) -> dict:
    """`instructed_amount` and `fx_rate` of a transfer booked in `booked`, from the first of `holders` (the
    `AmtDtls` of a transaction detail, of an entry; None where it has none) that states an instructed amount;
    both None when none does or when the payer instructed the booked currency itself."""
    for amount_details in holders:
        element = _find(amount_details, q, "InstdAmt/Amt") if amount_details is not None else None
        if element is None:
            continue
        where = f"{location}, InstdAmt (line {element.sourceline})"
        instructed = money(element.text, element.get("Ccy"), where)
        if instructed.amount < 0:
            raise StatementParseError("invalid_amount", "instructed amounts must not be negative", where)
        if instructed.currency == booked:
            break  # nothing was converted
        return {"instructed_amount": instructed,
                "fx_rate": _stated_rate(amount_details, q, booked, instructed.currency, location)}
    return {"instructed_amount": None, "fx_rate": None}


def _stated_rate(amount_details: etree._Element, q: _Names, booked: str, instructed: str,
                 location: str) -> Decimal | None:
    """The first stated exchange between `booked` and `instructed`, as units of booked per instructed unit."""
    for path in _EXCHANGES:
        exchange = amount_details.find(q(path))
        if exchange is not None:
            rate = _exchange_rate(exchange, q, booked, instructed, f"{location}, {path}")
            if rate is not None:
                return rate
    return None


def _exchange_rate(exchange: etree._Element, q: _Names, booked: str, instructed: str,
                   where: str) -> Decimal | None:
    """One `CcyXchg`, validated, its rate normalised; None when it converts between other currencies."""
    at = f"{where} (line {exchange.sourceline})"
    rate = exchange.find(q("XchgRate"))
    if rate is None:
        raise StatementParseError("invalid_fx_rate", "a currency exchange has no XchgRate", at)
    quoted = exchange_rate(rate.text, f"{where}/XchgRate (line {rate.sourceline})")
    target, unit = exchange.findtext(q("TrgtCcy")), exchange.findtext(q("UnitCcy"))
    return rate_per_instructed_unit(
        quoted, source=currency_code(exchange.findtext(q("SrcCcy")), at),
        target=currency_code(target, at) if target else None, unit=currency_code(unit, at) if unit else None,
        booked=booked, instructed=instructed)


#: Where a role's name (from .07 on, then up to .06) and IBAN sit under `RltdPties`.
_ROLE_PATHS = {role: (f"{role}/Pty/Nm", f"{role}/Nm", f"{role}Acct/Id/IBAN") for role in ("Dbtr", "Cdtr")}


def _party(parties: etree._Element | None, q: _Names, role: str) -> tuple[str | None, str | None]:
    if parties is None:
        return None, None
    named, named_before_07, account = _ROLE_PATHS[role]
    name = _findtext(parties, q, named) or _findtext(parties, q, named_before_07)
    iban = _findtext(parties, q, account)
    return (" ".join(name.split()) or None if name else None), (iban.strip().replace(" ", "") if iban else None)


def _detail_fields(detail: dict | None, entry: dict, q: _Names, direction: Direction, account: str | None) -> dict:
    """References, remittance and counterparty of one transaction detail (or of a detail-less entry), each given
    as the first child of each tag (`_children`)."""
    if detail is None:
        remittance = join_text([_text(entry.get(q("AddtlNtryInf"))) or ""])
        return dict(detail_reference=None, end_to_end_id=None, uetr=None, structured_reference=None,
                    structured_type_is_scor=False, remittance_information=remittance,
                    counterparty_name=None, counterparty_iban=None)
    parties = detail.get(q("RltdPties"))
    # Money in came from the debtor; money out went to the creditor.
    first, second = ("Dbtr", "Cdtr") if direction == "credit" else ("Cdtr", "Dbtr")
    name, iban = _party(parties, q, first)
    if name is None and iban is None:
        other_name, other_iban = _party(parties, q, second)
        if other_iban is None or other_iban != (account or "").replace(" ", ""):
            name, iban = other_name, other_iban
    structured, is_scor = None, False
    remittances = _siblings(detail.get(q("RmtInf")))
    for creditor_ref in _findall_from(remittances, q, "Strd/CdtrRefInf"):
        ref = clean_reference(_findtext(creditor_ref, q, "Ref"))
        if ref:
            code = (_findtext(creditor_ref, q, "Tp/CdOrPrtry/Cd") or "").strip()
            structured, is_scor = ref, code in ("SCOR", "")
            break
    unstructured = [text for text in (u.text for u in _findall_from(remittances, q, "Ustrd")) if text]
    if not unstructured and structured is None:
        unstructured = [_text(detail.get(q("AddtlTxInf"))) or _text(entry.get(q("AddtlNtryInf"))) or ""]
    refs = detail.get(q("Refs"))
    refs = _children(refs) if refs is not None else None  # one pass for the three references below
    return dict(
        detail_reference=clean_reference(_text(refs.get(q("AcctSvcrRef")))) if refs is not None else None,
        end_to_end_id=clean_reference(_text(refs.get(q("EndToEndId")))) if refs is not None else None,
        uetr=clean_reference(_text(refs.get(q("UETR")))) if refs is not None else None,
        structured_reference=structured,
        structured_type_is_scor=is_scor,
        remittance_information=join_text(unstructured),
        counterparty_name=name,
        counterparty_iban=iban,
    )
