"""Payment rules as plain functions over plain values: which creditor accounts can be paid, the EPC rulebook's
restrictions on SEPA transfers, EndToEndIds, the batch digest and four eyes on a batch.

Four eyes share their rule with `ledger.approvals`: the preparer never approves, and an approver approves the
batch as they saw it (its digest); a batch changed after an approval has another digest, so that approval no
longer counts and an approval given on the old digest is refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from ledger.approvals import rules as four_eyes

DIGEST_KIND = "payment_batch"

#: EPC SEPA Credit Transfer rulebook (EPC125-05, "Latin character set"): what every SEPA field may carry.
EPC_ALLOWED = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
#: Field lengths of the rulebook (and the ISO types under them): names 70, unstructured remittance 140,
#: identifiers (MsgId, PmtInfId, EndToEndId) 35.
NAME_LENGTH = 70
REMITTANCE_LENGTH = 140
ID_LENGTH = 35
#: The ISO 20022 Max140Text/Max70Text of a generic (non-SEPA) transfer: any text, but no control characters.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class PaymentRuleError(ValueError):
    """A rule refused a value: `code` names it for the API's problem+json."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


# ---- creditor accounts -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CreditorAccount:
    """Where a transfer goes: an IBAN (BIC optional for SEPA) or, outside IBAN countries, an account number
    with the bank's BIC."""

    account: str
    bic: str | None
    is_iban: bool
    country: str
    in_sepa: bool


def creditor_account(account: str | None, bic: str | None, party_country: str) -> CreditorAccount:
    """Check a creditor's bank account; raises `PaymentRuleError('creditor_account_invalid')` when it cannot be
    paid: no account, an IBAN whose checksum or format fails, a BIC that is malformed, or an account number
    (no IBAN) without a BIC to route it."""
    compact = "".join((account or "").split()).upper()
    if not compact:
        raise PaymentRuleError("creditor_account_invalid", "the creditor has no bank account registered")
    checked_bic = _bic(bic)
    if compact[:2].isalpha() and compact[2:4].isdigit():
        try:
            iban = IBAN(compact)
        except SchwiftyException as error:
            raise PaymentRuleError("creditor_account_invalid", f"the creditor's IBAN is not valid: {error}") from None
        return CreditorAccount(iban.compact, checked_bic, True, iban.country_code, bool(iban.in_sepa_zone))
    if checked_bic is None:
        raise PaymentRuleError("creditor_account_invalid",
                               "an account number outside IBAN countries needs the bank's BIC to be paid")
    if not re.fullmatch(r"[A-Za-z0-9\-/]{1,34}", compact):
        raise PaymentRuleError("creditor_account_invalid", "the creditor's account number is not an account number")
    return CreditorAccount(compact, checked_bic, False, party_country, False)


def _bic(bic: str | None) -> str | None:
    if not bic:
        return None
    try:
        return str(BIC(bic).compact)
    except SchwiftyException as error:
        raise PaymentRuleError("creditor_account_invalid", f"the creditor's BIC is not valid: {error}") from None


def is_sepa_transfer(currency: str, debtor_in_sepa: bool, creditor: CreditorAccount) -> bool:
    """A SEPA credit transfer: euros, between two IBANs of the SEPA zone. Anything else is a generic
    (cross-border) transfer."""
    return currency == "EUR" and debtor_in_sepa and creditor.is_iban and creditor.in_sepa


def debtor_in_sepa(account: str) -> bool:
    try:
        return bool(IBAN(account).in_sepa_zone)
    except SchwiftyException:
        return False


# ---- text ----------------------------------------------------------------------------------------------

def epc_text(text: str, length: int) -> str:
    """`text` in the EPC Latin character set, at most `length` characters: accents dropped (é → e), other
    characters replaced by a space, runs of spaces collapsed; a leading or trailing '/' and '//' inside are not
    allowed in references, so slashes at the edges are dropped and doubled ones halved."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = re.sub(r"\s+", " ", EPC_ALLOWED.sub(" ", ascii_only)).strip()
    while "//" in cleaned:
        cleaned = cleaned.replace("//", "/")
    return cleaned.strip("/ ")[:length].rstrip()


def generic_text(text: str, length: int) -> str:
    """A generic transfer's text: as written, control characters removed, cut to `length`."""
    return re.sub(r"\s+", " ", _CONTROL.sub(" ", text)).strip()[:length].rstrip()


def remittance(payment_reference: str | None, is_rf: bool, number: str) -> tuple[str, bool]:
    """(remittance, structured): the creditor reference RF… when the invoice has one (structured, SCOR), else
    the invoice number as unstructured text."""
    if payment_reference and is_rf:
        return "".join(payment_reference.split()).upper(), True
    return number, False


def end_to_end_id(batch_id: int, item_id: int) -> str:
    """The transfer's EndToEndId: `RLP-<batch>-<item>`, unique (the item's id is), within the EPC set and 35
    characters, so the bank's pain.002 and camt.054 lead back to the item."""
    value = f"RLP-{batch_id}-{item_id}"
    if len(value) > ID_LENGTH:
        raise PaymentRuleError("identifier_too_long", f"EndToEndId {value} is longer than {ID_LENGTH}")
    return value


def message_id(batch_id: int) -> str:
    return f"RLB-{batch_id}"


# ---- amounts -------------------------------------------------------------------------------------------

def item_amount(requested: Decimal | None, open_amount: Decimal) -> Decimal:
    """What an item pays: the whole open amount, or part of it (a partial payment), never more and never
    nothing."""
    amount = open_amount if requested is None else requested
    if amount <= 0:
        raise PaymentRuleError("amount_not_positive", "a transfer pays more than nothing", "amount")
    if amount > open_amount:
        raise PaymentRuleError("amount_exceeds_open", f"{amount} is more than the {open_amount} open on the invoice",
                               "amount")
    return amount


def approvals_required(total: Decimal, second_above: Decimal) -> int:
    """One approval by a second officer; two (neither the preparer, nor each other) above the configured
    amount."""
    return 2 if total > second_above else 1


# ---- the digest and four eyes --------------------------------------------------------------------------

def digest_payload(batch: dict, items: list[dict]) -> dict:
    """What an approver sees and approves: the debtor account, currency, dates, and every transfer with its
    creditor account, amount, remittance and hold (and the cost claim or advance a transfer pays, when it pays one)."""
    keys = ("invoice_id", "payee_code", "amount", "currency", "creditor_account", "creditor_bic", "remittance",
            "end_to_end_id", "held")
    return {
        "debtor_account": batch["debtor_account"], "currency": batch["currency"],
        "execution_date": str(batch["execution_date"]), "due_by": str(batch["due_by"]),
        "items": sorted(({k: str(item[k]) if item[k] is not None else None
                          for k in (*keys, *(k for k in ("claim_id", "obligation_id") if item.get(k) is not None))}
                         for item in items),
                        key=lambda i: i["end_to_end_id"]),
    }


def digest(batch_id: int, payload: dict) -> str:
    return four_eyes.digest(DIGEST_KIND, f"payment_batch:{batch_id}", payload)


def approval_refusal(*, status: str, prepared_by: str, approver: str, seen_digest: str, digest: str,
                     approved_by: list[str]) -> tuple[str, str] | None:
    """(code, reason) why this approval cannot be given, or None. The shared four-eyes rule decides the preparer
    and the digest; on top, one officer approves a batch once (the second approval is another officer's)."""
    if status not in ("proposed", "approved"):
        return "batch_not_open", f"a {status} batch takes no approval"
    if status == "approved":
        return "already_approved", "the batch has all the approvals it needs"
    refused = four_eyes.refusal(status="pending", requested_by=prepared_by, decided_by=approver,
                                seen_digest=seen_digest, digest=digest, approving=True)
    if refused:
        return refused
    if approver in approved_by:
        return "already_approved_by_you", "you approved this batch already: the second approval is another officer's"
    return None
