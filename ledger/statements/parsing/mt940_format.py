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

Amounts go from the library's Decimal through `str` into Money: never through float. The whole file
is read at once (the library needs it); MT940 exports are small, camt is the format for bulk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any, BinaryIO

import mt940
from stdnum import iban as stdnum_iban

from ledger.money import Money

from ._build import build_transfer
from ._common import join_text, money
from .errors import StatementParseError
from .model import BalanceTracker, Direction, OccurrenceCounter, ParsedStatement, clean_reference

_ENVELOPE = re.compile(r"\{[1-35]:[^{}]*(\{[^{}]*\}[^{}]*)*\}|\{4:\s*")
_ENVELOPE_END = re.compile(r"(?m)^-\}\s*$")
_SLASH_KEYS = (
    "TRTP|EREF|KREF|MARF|CSID|CNTP|REMI|PURP|NAME|IBAN|BIC|ISDT|RTRN|ORDP|BENM|ULTC|ULTD|ULTB|ADDR|ID|"
    "PREF|ACCW|IREF|SVCL|EXCH|CHGS|COAM|OAMT|FX"
)
_SLASH_FIELD = re.compile(rf"/({_SLASH_KEYS})/")
_MT940_PLACEHOLDERS = {"EREF", "NONREF", "NOTPROVIDED"}


def parse_mt940(stream: BinaryIO, *, default_currency: str | None = None) -> Iterator[Any]:
    """Yield, per MT940 statement block, its header, its transfers and a closing `StatementEnd`."""
    text = _decode(stream.read())
    text = _ENVELOPE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _ENVELOPE_END.sub("-", text)
    text = _IBAN_AS_REFERENCE.sub(_move_iban_to_details, text)
    blocks = _blocks(text)
    entry_index = 0
    for statement_index, block in enumerate(blocks, start=1):
        location = f"statement {statement_index}"
        try:
            statement = mt940.parse(block, options=mt940.Options.all())
        except Exception as exc:  # the library raises many kinds; all mean the same to a caller
            raise StatementParseError("invalid_mt940", f"the MT940 statement cannot be read: {type(exc).__name__}",
                                      location) from None
        if ":60" in block and ":62" not in block:
            raise StatementParseError("truncated", "the statement has an opening balance but no closing balance",
                                      location)
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


def _blocks(text: str) -> list[str]:
    blocks = [b for b in re.split(r"(?m)^(?=:20:)", text) if b.lstrip().startswith(":20:")]
    if blocks:
        return blocks
    if re.search(r"(?m)^:61:", text):
        return [text]  # an export of bare :61:/:86: pairs, without statement tags
    raise StatementParseError("invalid_mt940", "the file has no MT940 statement (:20:) or entry (:61:)", None)


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
