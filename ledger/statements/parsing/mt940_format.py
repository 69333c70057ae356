"""MT940 (SWIFT customer statement) through the `mt940` library (PyPI `mt-940`), with bank quirks.

The library does the tag parsing (and the German `?nn` sub-fields of `:86:`); this module maps its output
to `ParsedTransfer`s and smooths over what banks do differently:

- a SWIFT envelope (`{1:...}{2:...}{4:` ... `-}`) or a bank header before the first `:20:` is dropped;
- files without `:20:`/`:25:` blocks at all (the short Sparkassen export) are read as one statement;
- the slash-keyword `:86:` layout of ING, ABN AMRO, Rabobank and others
  (`/EREF/.../NAME/.../IBAN/.../REMI/...`, `/CNTP/iban/bic/name/place/`, structured creditor references
  in `/REMI/CDTRREFTP//CD/SCOR/.../CDTRREF/...`) is read into end-to-end id, counterparty and remittance;
- a counterparty IBAN written into the `:61:` supplementary details (Rabobank) is picked up;
- reversal marks `RC`/`RD` give `reversal=True`, booked as a debit and a credit respectively;
- a file with no currency anywhere (no balance lines) takes `default_currency` from the caller, else
  fails with `missing_currency`.

The library is lenient where leniency loses money: a `:61:` it cannot fully match (an amount written with a
dot, a missing transaction type code) still matches its pattern partly and, lacking a type code, is merged
with the next `:61:`, its `:86:` glued on. So every `:61:` is also read here, field by field, against the
SWIFT grammar (`_read_statement_line`), and the library's reading must agree with it entry for entry (same
count, mark, amount and value date): a file is read exactly or refused, naming the line and the field.
Line numbers are those of the file as uploaded (the envelope is removed without removing line breaks).

Amounts go from the library's Decimal through `str` into Money: never through float. The whole file
is read at once (the library needs it); MT940 exports are small, camt is the format for bulk.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO

import mt940
from mt940.tags import TAG_BY_ID
from stdnum import iban as stdnum_iban

from ledger.money import Money

from ._build import build_transfer
from ._common import join_text, money
from .errors import StatementParseError
from .model import BalanceTracker, Direction, OccurrenceCounter, ParsedStatement, clean_reference

# The library logs the text of a tag it cannot match (payment details) at ERROR; the refusal raised here says
# where the fault is instead, so its own logging is kept out of the service's logs.
logging.getLogger("mt940").setLevel(logging.CRITICAL)

_ENVELOPE = re.compile(r"\{[1-35]:[^{}]*(\{[^{}]*\}[^{}]*)*\}|\{4:\s*")
_ENVELOPE_END = re.compile(r"(?m)^-\}[ \t]*$")
_SLASH_KEYS = (
    "TRTP|EREF|KREF|MARF|CSID|CNTP|REMI|PURP|NAME|IBAN|BIC|ISDT|RTRN|ORDP|BENM|ULTC|ULTD|ULTB|ADDR|ID|"
    "PREF|ACCW|IREF|SVCL|EXCH|CHGS|COAM|OAMT|FX"
)
_SLASH_FIELD = re.compile(rf"/({_SLASH_KEYS})/")
_MT940_PLACEHOLDERS = {"EREF", "NONREF", "NOTPROVIDED"}


def parse_mt940(stream: BinaryIO, *, default_currency: str | None = None) -> Iterator[Any]:
    """Yield, per MT940 statement block, its header, its transfers and a closing `StatementEnd`."""
    text = _decode(stream.read()).replace("\r\n", "\n").replace("\r", "\n")
    text = _ENVELOPE.sub(_keep_line_breaks, text)  # so that line numbers stay those of the file
    text = _ENVELOPE_END.sub("-", text)
    text = _IBAN_AS_REFERENCE.sub(_move_iban_to_details, text)
    blocks = _blocks(text)
    entry_index = 0
    for statement_index, (first_line, block) in enumerate(blocks, start=1):
        location = f"statement {statement_index}"
        lines = _statement_lines(block, first_line, statement_index, entry_index)
        try:
            statement = mt940.parse(block, options=mt940.Options.all())
        except Exception as exc:  # the library raises many kinds; all mean the same to a caller
            raise _unreadable(exc, _tags(block, first_line), lines, location) from None
        if ":60" in block and ":62" not in block:
            raise StatementParseError("truncated", "the statement has an opening balance but no closing balance",
                                      location)
        _check_read_as_written(statement, lines, location)
        header = _header(statement.data, statement_index, location, default_currency)
        yield header
        tracker = BalanceTracker(header)
        occurrences = OccurrenceCounter()
        for transaction in statement:
            entry_index += 1
            transfer = _transfer(transaction.data, header, occurrences, statement_index, entry_index,
                                 f"{location}, entry {entry_index}")
            tracker.add(transfer)
            yield transfer
        yield tracker.end()


#: ASN Bank writes the counterparty IBAN (up to 34 characters) where :61: allows a 16-character reference;
#: anything of IBAN shape longer than 16 characters cannot be a reference, so it is moved, checksum or not.
_IBAN_AS_REFERENCE = re.compile(
    r"(?m)^(:61:\d{6}(?:\d{4})?R?[CD][A-Z]?[\d,]+[NSF][A-Z0-9]{3})([A-Z]{2}\d{2}[A-Z0-9]{13,30})\n(?!:)(.*)$"
)


def _move_iban_to_details(match: re.Match[str]) -> str:
    """Rewrite the over-long reference as NONREF and move the IBAN into the supplementary details."""
    return f"{match.group(1)}NONREF\n{match.group(2)} {match.group(3)}".rstrip()


def _keep_line_breaks(match: re.Match[str]) -> str:
    """What replaces a removed envelope part: its line breaks (blank lines, which the library skips)."""
    return "\n" * match.group(0).count("\n")


# ---- every :61: read exactly, or the file refused ----------------------------------------------------------

#: A tag the library knows opens a line (`:61:`, `:60F:`, `:NS:`; a lone `:` line before the id too); the
#: library takes other tag-like lines as part of the previous tag's content. Searched for in the block with a
#: line break put in front (`_after_break`): a pattern that starts with a literal is searched for much faster.
_TAG_IDS = "|".join(sorted({str(key)[:2] for key in TAG_BY_ID}))
_TAG = re.compile(rf"\n:\n?(?P<id>{_TAG_IDS})(?P<sub>[A-Z])?:")
_ENTRY_TAG = re.compile(r"\n:\n?61[A-Z]?:")


@dataclass(frozen=True, slots=True)
class _Tag:
    """One tag of a statement block: its id (`61`, `60F`), its text up to the next tag, its line."""

    id: str
    raw: str
    line: int

    @property
    def content(self) -> str:
        return _content(self.raw)


def _content(raw: str) -> str:
    """A tag's content as `mt940` hands it to the tag's pattern (lines right-stripped, blank and `-` lines gone)."""
    text = raw.strip()
    if "\n" not in text and text != "-":
        return text  # the usual single line: the same, without splitting
    kept = (line.rstrip() for line in raw.split("\n"))
    return "\n".join(line for line in kept if line and line.strip() != "-").strip()


@dataclass(frozen=True, slots=True)
class _StatementLine:
    """What a :61: says about the money, read here independently of the library."""

    mark: str
    amount: Decimal
    value_date: date
    location: str


def _after_break(block: str) -> str:
    """The block with a line break in front, so that a tag on its first line is found like any other.

    In it, a tag match starts (at its line break) at the block position of the tag's `:`; the line of the
    tag is `first_line` plus the line breaks before that position, the added one excluded.
    """
    return "\n" + block


def _tags(block: str, first_line: int) -> list[_Tag]:
    """Every tag the library will read in the block, with its line (to place what the library refused)."""
    text = _after_break(block)
    starts = list(_TAG.finditer(text))
    tags: list[_Tag] = []
    line, counted = first_line, 1
    for i, match in enumerate(starts):
        line += text.count("\n", counted, match.start() + 1)  # counted on from the previous tag: linear
        counted = match.start() + 1
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        tags.append(_Tag(match["id"] + (match["sub"] or ""), text[match.end():end], line))
    return tags


def _statement_lines(block: str, first_line: int, statement_index: int, entries_before: int) -> list[_StatementLine]:
    """Every :61: of the block read by `_read_statement_line` (its content runs to the next tag the library
    knows), located by entry number and file line."""
    text = _after_break(block)
    lines: list[_StatementLine] = []
    line, counted = first_line, 1
    for match in _ENTRY_TAG.finditer(text):
        line += text.count("\n", counted, match.start() + 1)
        counted = match.start() + 1
        following = _TAG.search(text, match.end())
        content = _content(text[match.end():following.start() if following else len(text)])
        location = f"statement {statement_index}, entry {entries_before + len(lines) + 1} (line {line})"
        lines.append(_read_statement_line(content, location))
    return lines


# Subfields of :61: (SWIFT: 6!n[4!n]2a[1!a]15d1!a3!c16x[//16x][34x]), each matched where the previous ended.
_VALUE_DATE = re.compile(r"(\d\d)(\d\d)(\d\d)")
_ENTRY_DATE = re.compile(r"(\d\d)(\d\d)| {4}")  # some banks (Citi) leave the optional entry date blank
_MARK = re.compile(r"R?[DC]", re.IGNORECASE)
_FUNDS_CODE = re.compile(r"[A-Z]?[\n ]?", re.IGNORECASE)  # Sparkassen break the line before the amount
_AMOUNT_TEXT = re.compile(r"[0-9.,' ]*[0-9.,]")  # as written, separators and all, to refuse it by name
#: 15d: digits and the decimal comma, at most 15 characters. Knab writes whole amounts without the comma.
_AMOUNT = re.compile(r"\d+(,\d*)?")
#: N (non-SWIFT), S (SWIFT message type) or F (first advice) and 3 characters (Sberbank pads them with blanks).
_TYPE_CODE = re.compile(r"[NSF][A-Z0-9 ]{3}", re.IGNORECASE)
_PLACEHOLDER_REFERENCES = {"NONREF", "NOTPROVIDED"}


def _field_error(field: str, what: str, location: str, code: str = "invalid_entry") -> StatementParseError:
    return StatementParseError(code, f"the :61: field {field} {what}", location, field=field)


#: All of the above at once, for the usual valid line; anything else is read field by field to name the fault.
_VALID_START = re.compile(r"(\d\d)(\d\d)(\d\d)(?:(\d\d)(\d\d)| {4})?(R?[DC])[A-Z]?[\n ]?(\d+(?:,\d*)?)"
                          r"[NSF][A-Z0-9 ]{3}", re.IGNORECASE)


def _read_statement_line(content: str, location: str) -> _StatementLine:
    """The mark, amount and value date of one :61:, or an error naming the field that breaks the grammar.

    The message says what is wrong, never what is written (an amount is a payment detail).
    """
    valid = _VALID_START.match(content)
    if valid and len(valid[7]) <= 15 and (valid[4] is None or _calendar_date(2000, valid[4], valid[5])):
        value_date = _calendar_date(2000 + int(valid[1]), valid[2], valid[3])
        rest = content[valid.end(7):].split("\n", 1)[0].split("//", 1)[0].strip().upper()
        if value_date is not None and rest not in _PLACEHOLDER_REFERENCES:
            return _StatementLine(valid[6].upper(), Decimal(valid[7].replace(",", ".").rstrip(".")), value_date,
                                  location)
    return _read_field_by_field(content, location)


def _read_field_by_field(content: str, location: str) -> _StatementLine:
    at = 0
    value = _VALUE_DATE.match(content, at)
    value_date = _calendar_date(2000 + int(value[1]), value[2], value[3]) if value else None
    if value_date is None:
        raise _field_error("value_date", "is not a date written YYMMDD", location, "invalid_date")
    at = value.end()
    entry = _ENTRY_DATE.match(content, at)
    if entry and entry[1] and _calendar_date(2000, entry[1], entry[2]) is None:
        raise _field_error("entry_date", "is not a date written MMDD", location, "invalid_date")
    if entry:
        at = entry.end()
    elif content[at:at + 1].isdigit():
        raise _field_error("entry_date", "is not a date written MMDD", location, "invalid_date")
    mark = _MARK.match(content, at)
    if not mark:
        raise _field_error("debit_credit_mark", "is not one of C, D, RC, RD", location)
    at = _FUNDS_CODE.match(content, mark.end()).end()
    written = _AMOUNT_TEXT.match(content, at)
    amount_text = written[0] if written else ""
    if not _AMOUNT.fullmatch(amount_text) or len(amount_text) > 15:
        raise _field_error("amount", "is not an MT940 amount (digits with a decimal comma, at most 15 characters)",
                           location, "invalid_amount")
    at = written.end()
    type_code = _TYPE_CODE.match(content, at)
    rest = content[at:].split("\n", 1)[0].split("//", 1)[0].strip().upper()
    if not type_code or rest in _PLACEHOLDER_REFERENCES:  # "C10,00NONREF": the reference follows the amount
        raise _field_error("type_code", "is missing or is not N, S or F and three characters", location)
    return _StatementLine(mark[0].upper(), Decimal(amount_text.replace(",", ".").rstrip(".")), value_date,
                          location)


def _calendar_date(year: int, month: str, day: str) -> date | None:
    try:
        return date(year, int(month), int(day))
    except ValueError:
        return None


def _check_read_as_written(statement: Any, lines: list[_StatementLine], location: str) -> None:
    """The library's entries are the :61: lines, one for one, with their mark, amount and value date.

    With every :61: valid, the library's pattern (more lenient than the grammar read here) matches each one
    whole, so this is not expected to fail; it is the guard that no library version can lose an entry again.
    """
    transactions = list(statement)
    for line, transaction in zip(lines, transactions):
        data = transaction.data
        amount = data.get("amount")
        if ((data.get("status") or "").upper() != line.mark or amount is None
                or abs(amount.amount) != line.amount or data.get("date") != line.value_date):
            raise StatementParseError("invalid_mt940", "the :61: statement line was not read as written",
                                      line.location, field="statement_line")
    if len(transactions) != len(lines):
        where = lines[len(transactions)].location if len(lines) > len(transactions) else location
        raise StatementParseError("invalid_mt940", f"the statement has {len(lines)} :61: entries but "
                                  f"{len(transactions)} were read", where, field="statement_line")


def _unreadable(exc: Exception, tags: list[_Tag], lines: list[_StatementLine], location: str) -> StatementParseError:
    """The library's refusal, placed at the tag it could not read where it says which (a RuntimeError does).

    A :61: that passed `_read_statement_line` can still fail after its type code (three lines of details).
    """
    args = exc.args if isinstance(exc, RuntimeError) else ()
    tag, content = (args[1], args[2]) if len(args) == 3 else (None, None)
    entries = iter(lines)
    for candidate in tags:
        entry = next(entries, None) if candidate.id.startswith("61") else None
        if tag is None or candidate.content != content or not candidate.id.startswith(str(tag.id)):
            continue
        if entry is not None:
            return StatementParseError("invalid_mt940", "the :61: reference or supplementary details cannot be read",
                                       entry.location, field="reference")
        return StatementParseError("invalid_mt940", f"the :{candidate.id}: tag cannot be read",
                                   f"{location} (line {candidate.line})", field=candidate.id)
    return StatementParseError("invalid_mt940", f"the MT940 statement cannot be read: {type(exc).__name__}",
                               location)


def _decode(raw: bytes) -> str:
    """UTF-8 where it is, else Windows-1252/Latin-1 (what European bank exports are otherwise written in)."""
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def _blocks(text: str) -> list[tuple[int, str]]:
    """The statement blocks (from each `:20:` to the next), each with the file line it starts on."""
    starts = [m.start() for m in re.finditer(r"(?m)^:20:", text)]
    if not starts:
        if re.search(r"(?m)^:61:", text):
            return [(1, text)]  # an export of bare :61:/:86: pairs, without statement tags
        raise StatementParseError("invalid_mt940", "the file has no MT940 statement (:20:) or entry (:61:)", None)
    blocks, line, counted = [], 1, 0
    for i, start in enumerate(starts):
        line += text.count("\n", counted, start)
        counted = start
        blocks.append((line, text[start:starts[i + 1] if i + 1 < len(starts) else len(text)]))
    return blocks


def _to_date(value: Any) -> date | None:
    return date(value.year, value.month, value.day) if value is not None else None


def _balance(data: dict, kinds: tuple[str, ...], location: str) -> tuple[Money | None, date | None]:
    for kind in kinds:
        balance = data.get(kind)
        if balance is not None:
            amount = balance.amount
            value = money(str(abs(amount.amount)), amount.currency, f"{location}, {kind.replace('_', ' ')}")
            return (-value if amount.amount < 0 else value), _to_date(balance.date)
    return None, None


def _header(data: dict, index: int, location: str, default_currency: str | None) -> ParsedStatement:
    opening, from_date = _balance(data, ("final_opening_balance", "intermediate_opening_balance"), location)
    closing, to_date = _balance(data, ("final_closing_balance", "intermediate_closing_balance"), location)
    currency = opening.currency if opening else closing.currency if closing else default_currency
    account = (data.get("account_identification") or "").strip()
    # Some banks append the statement currency to :25: ("NL71RABO0123456789 EUR", "1291.99.348EUR").
    if (currency and account.endswith(currency) and len(account) > 3 and not account[-4].isalpha()
            and not stdnum_iban.is_valid(account)):
        account = account[: -len(currency)].strip().rstrip("/").strip()  # "BIC/account/HUF" too
    number = data.get("statement_number")
    sequence = data.get("sequence_number")
    statement_id = f"{number}/{sequence}" if number and sequence else number
    return ParsedStatement(
        format="mt940",
        format_version=None,
        index=index,
        account=account or None,
        currency=currency,
        statement_id=statement_id,
        message_id=clean_reference(data.get("transaction_reference")),
        opening_balance=opening,
        closing_balance=closing,
        from_date=from_date,
        to_date=to_date,
        location=location,
    )


def _direction(mark: str, location: str) -> tuple[Direction, bool]:
    """(booking direction, reversal) from the :61: debit/credit mark."""
    mark = (mark or "").upper()
    table = {"C": ("credit", False), "D": ("debit", False), "RC": ("debit", True), "RD": ("credit", True)}
    if mark not in table:
        raise StatementParseError("invalid_entry", f"{mark!r} is not an MT940 debit/credit mark", location)
    return table[mark]  # type: ignore[return-value]


def _transfer(data: dict, header: ParsedStatement, occurrences: OccurrenceCounter,
              statement_index: int, entry_index: int, location: str):
    direction, reversal = _direction(data.get("status") or "", location)
    amount_value = data["amount"].amount
    currency = data.get("currency") or header.currency
    amount = money(str(abs(amount_value)), currency, location)
    details = _details(data)
    extra = (data.get("extra_details") or "").split()
    if not details.get("counterparty_iban") and extra and stdnum_iban.is_valid(extra[0]):
        details["counterparty_iban"] = extra[0].upper()
        if not details.get("counterparty_name") and len(extra) > 1:
            details["counterparty_name"] = " ".join(extra[1:])
    customer_reference = (data.get("customer_reference") or "").strip()
    end_to_end = details.pop("end_to_end_id", None) or (
        customer_reference if customer_reference.upper() not in _MT940_PLACEHOLDERS else None)
    return build_transfer(
        occurrences=occurrences,
        account=header.account or "",
        amount=amount,
        direction=direction,
        booking_date=_to_date(data.get("entry_date") or data.get("date")),
        value_date=_to_date(data.get("date")),
        entry_reference=clean_reference(data.get("bank_reference")),
        detail_reference=None,
        end_to_end_id=clean_reference(end_to_end),
        uetr=None,
        reversal=reversal,
        status="booked",
        statement_index=statement_index,
        entry_index=entry_index,
        detail_index=None,
        location=location,
        **details,
    )


def _details(data: dict) -> dict:
    """Counterparty, references and remittance from :86:, whichever layout the bank used."""
    raw = data.get("transaction_details") or ""
    if data.get("posting_text") is not None or (data.get("transaction_code") is not None and "?" in raw):
        # German structured :86: (?00 posting text, ?20-?29 purpose, ?32/?33 name, ?31 IBAN): the library
        # has split it already.
        name = join_text([data.get("applicant_name") or ""])
        iban = (data.get("applicant_iban") or "").replace(" ", "") or None
        return dict(
            end_to_end_id=clean_reference(data.get("end_to_end_reference")),
            structured_reference=None,
            structured_type_is_scor=False,
            remittance_information=join_text([data.get("purpose") or ""]),
            counterparty_name=name,
            counterparty_iban=iban if iban and stdnum_iban.is_valid(iban) else None,
        )
    joined = raw.replace("\n", "")
    if _SLASH_FIELD.search(joined):
        return _slash_details(joined)
    return dict(structured_reference=None, structured_type_is_scor=False,
                remittance_information=join_text([raw]), counterparty_name=None, counterparty_iban=None)


def _slash_details(text: str) -> dict:
    """The `/KEY/value/KEY/value` layout (ING, ABN AMRO, Rabobank, Triodos, ...)."""
    fields: dict[str, str] = {}
    pieces = _SLASH_FIELD.split(text)
    # pieces = [before, KEY1, value1, KEY2, value2, ...]
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        fields.setdefault(key, value.strip("/ "))
    name = fields.get("NAME")
    iban = fields.get("IBAN")
    if "CNTP" in fields:  # /CNTP/account/bic/name/place/
        cntp = fields["CNTP"].split("/")
        iban = iban or (cntp[0] if cntp else None)
        name = name or (cntp[2] if len(cntp) > 2 else None)
    remittance = fields.get("REMI") or ""
    if remittance.startswith("USTD//"):  # /REMI/USTD//free text/ marks unstructured remittance
        remittance = remittance[len("USTD//"):]
    structured = None
    match = re.search(r"CDTRREF/([^/]+)", remittance)
    if match:  # /REMI/STRD/CDTRREFTP//CD/SCOR/ISSR/CUR/CDTRREF/RF18.../
        structured = match.group(1).strip()
        remittance = ""
    iban = (iban or "").replace(" ", "").upper() or None
    return dict(
        end_to_end_id=clean_reference(fields.get("EREF")),
        structured_reference=structured,
        structured_type_is_scor=structured is not None,
        remittance_information=join_text([remittance]),
        counterparty_name=join_text([name or ""]),
        counterparty_iban=iban if iban and stdnum_iban.is_valid(iban) else None,
    )


__all__ = ["parse_mt940"]
