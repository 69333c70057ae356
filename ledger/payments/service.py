"""Payment batches over a session: propose, hold, approve (four eyes), release, export, cancel, bank status.

Money: approving moves nothing. Releasing posts each transfer's amount from the invoice's payable to the debtor
bank account's "payments in transit" account (Dr invoices_payable / Cr payments_in_transit) and moves it from the
invoice's open amount to its amount in transit (`invoices.order_many`), so nothing released is ever proposed or
matched again; an invoice ordered in whole is `in_transit`, not `paid`: the money is with the bank. The bank's
debit (imported from camt.053/054) sits in the account's suspense until reconciliation finds its EndToEndId
(`match_executed`, run before every other rule) and clears it: Dr payments_in_transit / Cr suspense, and the
invoice is `paid` once nothing of it is open or in transit (`invoices.clear_transit`). A debit quoting a known
EndToEndId for another amount or currency than ordered clears nothing: it waits for review as an exception
(`amount_differs_from_order`). Reversing an EndToEndId match (`unmatch_executed`, reconciliation's reverse)
reverses its entry and puts the transfer and its invoice back in transit. A transfer the bank rejects (pain.002)
goes back: Dr payments_in_transit / Cr invoices_payable, and the invoice is open again.

Advances now payable: an agreement's advance (the `advance` obligation its terms make due, `ledger.agreements`) is
paid up front, before any invoice asks for it. A proposal without named invoices proposes, whole, each advance
the account's owner owes (the agreement's payer) in its currency due by `due_by` that is still `accrued` (no
invoice approved for it), that no invoice still under decision or approved asks for (an invoice line naming the
obligation) and that no open batch holds, with remittance "<agreement reference>/advance", to the payee's
account. The obligation is the link between the two ways of paying an advance, so it is paid once: releasing
checks it again (`advance_invoiced` if an invoice took it meanwhile), posts Dr obligations / Cr payments in
transit and marks it `invoiced` (claimed: an invoice asking for it later is found against an obligation already
invoiced and goes to dispute); the bank's debit marks it `paid` (only then is it offset against later invoices),
a rejection `accrued` again. An adjustment of the advance (an amendment re-pricing it) is an obligation of kind
`adjustment`, not an advance: the payee invoices it.

Accepted EU cost claims the debtor account's owner owes (it is the issuing state) and must pay by the batch's
`due_by` (their `payment_due_on`) are proposed too, whole (a claim is paid once and whole), with the claim's
reference ("CC-42") as remittance, to the enforcing state's account in the claim's currency. A claim lives as an
invoice does: releasing orders it (`recognition.order_claims`: `in_transit`, so no batch proposes it, no other
reconciliation rule matches it, netting does not count it open and no one records its payment) and the release
entry takes the issuing state's side, Dr claims_payable(issuing, enforcing) / Cr payments_in_transit. The bank's
debit matched by EndToEndId pays it (`recognition.claims_debited`: `paid` on the debit's day) and its clearing
entry takes the enforcing state's side as well: Dr payments_in_transit / Cr suspense and Dr cash(enforcing) /
Cr claims_receivable(enforcing, issuing). That leg belongs to the debit, not the release: until the bank executes
the order the money is still the issuing state's, at its bank, and the enforcing state has not received it (a
rejected order never reaches it), so its receivable stays open while the claim is in transit. Reversing the match
reverses the clearing entry (both legs) and puts the claim back in transit (`recognition.claims_undebited`); a
rejection posts Dr payments_in_transit / Cr claims_payable, as for an invoice, and reopens the claim (accepted,
unpaid). A claim released before migration 0030 was marked paid at release by one entry settling both sides: its
debit clears the transit account only, its rejection reverses that entry.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ledger.audit.service import describe, record_change
from ledger.auth import Principal
from ledger.errors import Conflict, Unprocessable, check_if_match, field_error, not_found
from ledger.invoices import queries as invoice_queries
from ledger.invoices import service as invoices
from ledger.journal import service as journal
from ledger.journal.rules import AccountKey, EntryDraft, Line
from ledger.money import Money, has_minor_units, quantize
from ledger.parties import queries as parties
from ledger.payments import pain001, pain002, rules
from ledger.payments.models import PaymentApproval, PaymentBatch, PaymentItem, PaymentStatusReport
from ledger.recognition import service as recognition
from ledger.statements.service import bank_key
from ledger.timeutil import period_of, today, utcnow

RELEASE_SOURCE = "payment_release"
REJECTION_SOURCE = "payment_rejection"
CLEARING_SOURCE = "payment_clearing"
OPEN_BATCH = ("proposed", "approved")
#: Items that hold an invoice's amount while their batch is open (a held one too: "do not pay yet").
RESERVING = ("proposed", "held")
IN_TRANSIT = ("ordered", "accepted")
OVERRIDE_KIND = "invoice_override"


def in_transit_key(currency: str, bank_account: str) -> AccountKey:
    return bank_key("payments_in_transit", currency, bank_account)


def _problem(error: rules.PaymentRuleError) -> Unprocessable:
    if error.field:
        return field_error(error.field, error.message, error.code)
    return Unprocessable(error.message, code=error.code)


# ---- proposing ---------------------------------------------------------------------------------------

def _debtor_account(session: Session, account: str):
    """The registered bank account (the parties' model) the batch pays from."""
    compact = "".join(account.split()).upper()
    found = parties.bank_account(session, compact)
    if found is None:
        raise field_error("debtor_account", "no party has this bank account registered", "unknown_debtor_account")
    return found


def claims_in_open_batches(session: Session) -> set[int]:
    """The cost claims a proposed or approved batch (not released) would pay."""
    return set(session.execute(
        select(PaymentItem.claim_id).join(PaymentBatch, PaymentBatch.id == PaymentItem.batch_id)
        .where(PaymentBatch.status.in_(OPEN_BATCH), PaymentItem.status.in_(RESERVING),
               PaymentItem.claim_id.is_not(None))).scalars())


def _claim_candidates(session: Session, payer: str, currency: str, due_by: date) -> list:
    """Accepted claims with something payable that `payer` (the issuing state) owes in `currency` by `due_by`,
    that no open batch and no reconciliation proposal waiting for review already pays."""
    from ledger.recognition import queries as claims
    from ledger.reconciliation import queries as reconciliation

    found = claims.payable_by(session, payer, currency, due_by)
    taken = claims_in_open_batches(session) | reconciliation.held_claims(session)
    return [claim for claim in found if claim.id not in taken]


ADVANCE_KINDS = ("advance",)


def obligations_in_open_batches(session: Session) -> set[int]:
    """The advances (obligations) a proposed or approved batch (not released) would pay."""
    return set(session.execute(
        select(PaymentItem.obligation_id).join(PaymentBatch, PaymentBatch.id == PaymentItem.batch_id)
        .where(PaymentBatch.status.in_(OPEN_BATCH), PaymentItem.status.in_(RESERVING),
               PaymentItem.obligation_id.is_not(None))).scalars())


def _asked_by_invoices(session: Session, obligation_ids: list[int]) -> set[int]:
    """Of `obligation_ids`, those an invoice not rejected asks for (a line naming the obligation): the invoice
    pays them, never a transfer of their own."""
    return invoice_queries.obligations_asked(session, obligation_ids)


def _advance_candidates(session: Session, payer: str, currency: str, due_by: date) -> list:
    """(obligation, agreement) for each advance `payer` owes in `currency` by `due_by` that nothing pays yet: still
    accrued, asked for by no invoice, held by no open batch."""
    from ledger.agreements import queries as agreements

    rows = agreements.advances_due(session, payer, currency, ADVANCE_KINDS, due_by)
    taken = obligations_in_open_batches(session) | _asked_by_invoices(session, [o.id for o, _ in rows])
    return [(o, a) for o, a in rows if o.id not in taken]


def advance_reference(agreement, obligation) -> str:
    """The remittance of an advance's transfer: the agreement's reference and the obligation's key."""
    return f"{agreement.reference}/{obligation.key}"[:140]


def reserved(session: Session, invoice_ids: list[int]) -> dict[int, Decimal]:
    """What open batches (proposed or approved, not yet released) and reconciliation's proposals waiting for
    review (a payment the bank may have made already) hold of each invoice."""
    from ledger.reconciliation import queries as reconciliation

    if not invoice_ids:
        return {}
    found: dict[int, Decimal] = defaultdict(Decimal)
    proposals = reconciliation.proposed_for_invoices(session, invoice_ids)
    for invoice_id, amount, written_off in proposals:
        found[invoice_id] += Decimal(amount or 0) + Decimal(written_off or 0)
    rows = session.execute(
        select(PaymentItem.invoice_id, func.sum(PaymentItem.amount))
        .join(PaymentBatch, PaymentBatch.id == PaymentItem.batch_id)
        .where(PaymentBatch.status.in_(OPEN_BATCH), PaymentItem.status.in_(RESERVING),
               PaymentItem.invoice_id.in_(invoice_ids))
        .group_by(PaymentItem.invoice_id)).all()
    for invoice_id, total in rows:
        found[invoice_id] += Decimal(total)
    return dict(found)


def _candidates(session: Session, payer: str, currency: str, due_by: date, chosen: list[int] | None) -> list:
    """The invoices (the invoices' model) to pay: those due, or those `chosen`, each checked payable."""
    if chosen is None:
        return invoice_queries.payable_by(session, payer, currency, due_by)
    found = invoice_queries.of_payer(session, payer, chosen)
    for index, invoice_id in enumerate(chosen):
        invoice = found.get(invoice_id)
        where = f"invoices.{index}"
        if invoice is None:
            raise field_error(where, "no such invoice owed from this account's party", "unknown_invoice")
        if invoice.status == "disputed":
            raise field_error(where, "a disputed invoice is paid only once a second officer approves an override "
                                     "(POST /payment-overrides)", "invoice_disputed")
        if invoice.status != "approved" or invoice.amount_open <= 0:
            raise field_error(where, f"a {invoice.status} invoice has nothing open to pay", "nothing_open")
        if invoice.currency != currency:
            raise field_error(where, f"the debtor account pays {currency}, the invoice is in {invoice.currency}",
                              "currency_not_payable")
    return [found[i] for i in dict.fromkeys(chosen)]


def _creditor(session: Session, invoice, cache: dict | None = None) -> tuple[rules.CreditorAccount, str]:
    """The payee's account for this invoice: the IBAN the invoice names when the payee registered it, else the
    payee's registered account in the invoice's currency (remembered in `cache` for one proposal: a batch of
    10,000 invoices has a few payees)."""
    if cache is None:
        return _look_up_creditor(session, invoice)
    return _remembered(cache, (invoice.payee_code, invoice.payee_iban, invoice.currency),
                       lambda: _look_up_creditor(session, invoice))


def _remembered(cache: dict, key: tuple, look_up) -> tuple[rules.CreditorAccount, str]:
    """`look_up()` once per key in one proposal; a refusal is remembered too and raised again for each item."""
    if key not in cache:
        try:
            cache[key] = look_up()
        except rules.PaymentRuleError as error:
            cache[key] = error
    found = cache[key]
    if isinstance(found, rules.PaymentRuleError):
        raise found
    return found


def _look_up_creditor(session: Session, invoice) -> tuple[rules.CreditorAccount, str]:
    return _payee_account(session, invoice.payee_code, invoice.payee_iban, invoice.currency)


def _payee_account(session: Session, payee: str, iban: str | None,
                   currency: str) -> tuple[rules.CreditorAccount, str]:
    """The payee's registered account named `iban`, else its registered account in `currency`."""
    accounts = parties.bank_accounts_of(session, payee)
    named = [a for a in accounts if iban and a.iban == iban]
    in_currency = [a for a in accounts if a.currency == currency]
    account = (named or in_currency or [None])[0]
    party = parties.get(session, payee)
    checked = rules.creditor_account(account.iban if account else iban, account.bic if account else None, payee)
    return checked, party.name if party else payee


def _claim_creditor(session: Session, claim, cache: dict) -> tuple[rules.CreditorAccount, str]:
    """The enforcing state's registered account in the claim's currency (a claim names no account)."""
    return _remembered(cache, ("claim", claim.enforcing_state, claim.currency),
                       lambda: _payee_account(session, claim.enforcing_state, None, claim.currency))


def propose(session: Session, *, debtor_account: str, due_by: date, execution_date: date, principal: Principal,
            second_above: Decimal, invoice_ids: list[int] | None = None,
            amounts: dict[int, Decimal] | None = None) -> PaymentBatch:
    """A batch paying, from `debtor_account`, what its owner owes on approved invoices due by `due_by` (or the
    invoices named), less what open batches already hold. A creditor whose account cannot be paid is refused
    when named, and proposed on hold (with the reason) when found."""
    if execution_date < today():
        raise field_error("execution_date", "the bank cannot execute on a day that has passed", "execution_date_past")
    account = _debtor_account(session, debtor_account)
    invoices_found = _candidates(session, account.party_code, account.currency, due_by, invoice_ids)
    held_elsewhere = reserved(session, [i.id for i in invoices_found])
    batch = PaymentBatch(debtor_party=account.party_code, debtor_account=account.iban, debtor_bic=account.bic,
                         currency=account.currency, due_by=due_by, execution_date=execution_date, digest="",
                         prepared_by=principal.key, prepared_by_name=principal.name)
    session.add(batch)
    session.flush()
    items: list[dict] = []
    creditors: dict = {}
    for invoice in invoices_found:
        open_amount = invoice.amount_open - held_elsewhere.get(invoice.id, Decimal(0))
        if open_amount <= 0:
            if invoice_ids is not None:
                raise field_error(f"invoices.{invoice_ids.index(invoice.id)}", "another open batch already pays "
                                  "what is open on this invoice", "already_in_batch")
            continue
        try:
            amount = rules.item_amount((amounts or {}).get(invoice.id), open_amount)
        except rules.PaymentRuleError as error:
            raise field_error(f"amounts.{invoice.id}", error.message, error.code) from None
        items.append(_item(session, batch, invoice, amount, len(items) + 1, named=invoice_ids is not None,
                           creditors=creditors))
    if invoice_ids is None:
        for claim in _claim_candidates(session, account.party_code, account.currency, due_by):
            items.append(_claim_item(session, batch, claim, len(items) + 1, creditors))
        for obligation, agreement in _advance_candidates(session, account.party_code, account.currency, due_by):
            items.append(_advance_item(session, batch, obligation, agreement, len(items) + 1, creditors))
    if not items:
        raise Unprocessable("nothing is open to pay from this account by that date", code="nothing_to_pay")
    for start in range(0, len(items), 5000):  # every row has the same keys: an executemany takes the first's
        session.execute(insert(PaymentItem.__table__), items[start:start + 5000])
    _refresh(session, batch, second_above)
    describe(session, "payment_batch.propose", "payment_batch", batch.id,
             f"{len(items)} transfers, {batch.total} {batch.currency} from {batch.debtor_account}, "
             f"digest {batch.digest}")
    return batch


def _item(session: Session, batch: PaymentBatch, invoice, amount: Decimal, position: int,
          named: bool, creditors: dict) -> dict:
    """The row of one transfer (inserted in bulk: a batch may hold 10,000)."""
    remittance, structured = rules.remittance(invoice.payment_reference, invoice.payment_reference_is_rf,
                                              invoice.number)
    item = _row(batch, position, invoice.payee_code, amount, invoice.currency, remittance[:140],
                remittance_is_rf=structured, invoice_id=invoice.id, agreement_id=invoice.agreement_id)
    return _paid_to(item, lambda: _creditor(session, invoice, creditors),
                    refused_as=f"invoices.{position - 1}" if named else None)


def _claim_item(session: Session, batch: PaymentBatch, claim, position: int, creditors: dict) -> dict:
    """The row of one claim's transfer: its whole payable, its reference as remittance; on hold (with the reason)
    when the enforcing state has no account the bank can pay."""
    from ledger.recognition.service import claim_reference

    item = _row(batch, position, claim.enforcing_state, claim.payable, claim.currency, claim_reference(claim.id),
                claim_id=claim.id)
    return _paid_to(item, lambda: _claim_creditor(session, claim, creditors))


def _advance_item(session: Session, batch: PaymentBatch, obligation, agreement, position: int,
                  creditors: dict) -> dict:
    """The row of one advance's transfer: the whole obligation, to the agreement's payee; on hold (with the
    reason) when the payee has no account the bank can pay."""
    item = _row(batch, position, agreement.payee_code, quantize(Decimal(obligation.amount), obligation.currency),
                obligation.currency, advance_reference(agreement, obligation),
                agreement_id=agreement.id, obligation_id=obligation.id)
    return _paid_to(item, lambda: _advance_creditor(session, agreement, obligation.currency, creditors))


def _row(batch: PaymentBatch, position: int, payee: str, amount: Decimal, currency: str, remittance: str, *,
         remittance_is_rf: bool = False, invoice_id: int | None = None, agreement_id: int | None = None,
         claim_id: int | None = None, obligation_id: int | None = None) -> dict:
    """A proposed transfer's row, paid to the payee's name until its account is found. Every row has the same
    keys: the bulk insert takes the first row's."""
    return {"batch_id": batch.id, "invoice_id": invoice_id, "agreement_id": agreement_id, "claim_id": claim_id,
            "obligation_id": obligation_id, "payee_code": payee, "amount": amount, "currency": currency,
            "creditor_name": payee, "creditor_account": "", "creditor_bic": None, "creditor_country": payee,
            "remittance": remittance, "remittance_is_rf": remittance_is_rf,
            "end_to_end_id": rules.end_to_end_id(batch.id, position), "status": "proposed", "hold_reason": None,
            "status_reason": None, "transfer_id": None, "match_id": None, "version": 1}


def _paid_to(item: dict, creditor_of, refused_as: str | None = None) -> dict:
    """The row paid to the account `creditor_of()` finds (with the name the bank is given). Without an account the
    bank can pay, the row is held with the reason, or, for a transfer the officer named, refused as the field
    `refused_as`."""
    try:
        creditor, name = creditor_of()
    except rules.PaymentRuleError as error:
        if refused_as:
            raise field_error(refused_as, error.message, error.code) from None
        item["status"], item["hold_reason"] = "held", f"{error.code}: {error.message}"[:500]
        return item
    item.update(creditor_name=name[:140], creditor_account=creditor.account, creditor_bic=creditor.bic,
                creditor_country=creditor.country)
    return item


def _advance_creditor(session: Session, agreement, currency: str, cache: dict) -> tuple[rules.CreditorAccount, str]:
    """The agreement's payee's registered account in the advance's currency."""
    return _remembered(cache, ("advance", agreement.payee_code, currency),
                       lambda: _payee_account(session, agreement.payee_code, None, currency))


def items_of(session: Session, batch_id: int) -> list[PaymentItem]:
    return list(session.execute(select(PaymentItem).where(PaymentItem.batch_id == batch_id)
                                .order_by(PaymentItem.id)).scalars())


def _digest_of(batch: PaymentBatch, items: list[PaymentItem]) -> str:
    payload = rules.digest_payload(
        {"debtor_account": batch.debtor_account, "currency": batch.currency, "execution_date": batch.execution_date,
         "due_by": batch.due_by},
        [{"invoice_id": i.invoice_id, "payee_code": i.payee_code, "amount": quantize(i.amount, i.currency),
          "currency": i.currency, "creditor_account": i.creditor_account, "creditor_bic": i.creditor_bic,
          "remittance": i.remittance, "end_to_end_id": i.end_to_end_id, "held": i.status == "held",
          **({"claim_id": i.claim_id} if i.claim_id is not None else {}),
          **({"obligation_id": i.obligation_id} if i.obligation_id is not None else {})}
         for i in items if i.status != "cancelled"])
    return rules.digest(batch.id, payload)


def _refresh(session: Session, batch: PaymentBatch, second_above: Decimal) -> None:
    """Total, digest and approvals needed as the batch stands; approvals given on another digest no longer count."""
    items = items_of(session, batch.id)
    batch.total = sum((i.amount for i in items if i.status == "proposed"), Decimal(0))
    batch.digest = _digest_of(batch, items)
    batch.approvals_required = rules.approvals_required(batch.total, second_above)
    batch.status = "approved" if len(_approvers(session, batch)) >= batch.approvals_required else "proposed"
    session.flush()


def _approvers(session: Session, batch: PaymentBatch) -> list[str]:
    return list(session.execute(select(PaymentApproval.approved_by).where(
        PaymentApproval.batch_id == batch.id, PaymentApproval.digest == batch.digest)
        .order_by(PaymentApproval.id)).scalars())


def get(session: Session, batch_id: int, *, lock: bool = False) -> PaymentBatch:
    query = select(PaymentBatch).where(PaymentBatch.id == batch_id)
    batch = session.execute(query.with_for_update() if lock else query).scalar()
    if batch is None:
        raise not_found("payment batch")
    return batch


def etag(batch: PaymentBatch) -> str:
    return f'"payment_batch-{batch.id}-{batch.version}"'


def _open_for_change(batch: PaymentBatch) -> None:
    if batch.status not in OPEN_BATCH:
        raise Conflict(f"a {batch.status} batch cannot change", code=f"batch_{batch.status}")


def _item_creditor(session: Session, item: PaymentItem) -> tuple[rules.CreditorAccount, str]:
    if item.claim_id is not None:
        from ledger.recognition import queries as claims

        return _claim_creditor(session, claims.claim(session, item.claim_id), {})
    if item.obligation_id is not None:
        from ledger.agreements import queries as agreements

        return _advance_creditor(session, agreements.get(session, item.agreement_id), item.currency, {})
    return _creditor(session, invoices.get(session, item.invoice_id))


def update_item(session: Session, batch_id: int, item_id: int, changes: dict, principal: Principal,
                second_above: Decimal, if_match: str | None = None) -> PaymentBatch:
    """Hold an item ("do not pay yet", with a reason), release the hold, or pay part of what is open. Before
    release only; the batch gets a new digest, so earlier approvals no longer count."""
    batch = get(session, batch_id, lock=True)
    check_if_match(etag(batch), if_match, "payment batch")
    _open_for_change(batch)
    item = session.get(PaymentItem, item_id)
    if item is None or item.batch_id != batch.id:
        raise not_found("payment item")
    if "amount" in changes:
        if not has_minor_units(changes["amount"], item.currency):
            raise field_error("amount", f"write the amount with {item.currency}'s minor units", "invalid_amount")
        if item.claim_id is not None:
            raise field_error("amount", "a cost claim is paid once and whole: hold it instead", "claim_paid_whole")
        if item.obligation_id is not None:
            raise field_error("amount", "an advance is paid once and whole: hold it instead", "advance_paid_whole")
        invoice = invoices.get(session, item.invoice_id)
        others = reserved(session, [invoice.id]).get(invoice.id, Decimal(0)) - item.amount
        try:
            item.amount = rules.item_amount(changes["amount"], invoice.amount_open - others)
        except rules.PaymentRuleError as error:
            raise _problem(error) from None
    if changes.get("held") is True:
        if not changes.get("hold_reason"):
            raise field_error("hold_reason", "a hold needs a reason", "hold_reason_required")
        item.status, item.hold_reason = "held", changes["hold_reason"][:500]
    elif changes.get("held") is False and item.status == "held":
        try:
            creditor, name = _item_creditor(session, item)
        except rules.PaymentRuleError as error:
            raise _problem(error) from None
        item.creditor_name, item.creditor_account, item.creditor_bic = name[:140], creditor.account, creditor.bic
        item.creditor_country = creditor.country
        item.status, item.hold_reason = "proposed", None
    item.version += 1
    batch.version += 1
    _refresh(session, batch, second_above)
    describe(session, "payment_batch.change", "payment_batch", batch.id,
             f"item {item.id}: {item.status} {item.amount} {item.currency}; digest {batch.digest}")
    return batch


# ---- four eyes ---------------------------------------------------------------------------------------

def approve(session: Session, batch_id: int, seen_digest: str, principal: Principal) -> PaymentBatch:
    """Record `principal`'s approval of the batch as they saw it. Never the preparer (whatever their roles), never
    twice by one officer, never on a digest the batch no longer has; above the configured amount a second
    approval (another officer's) is needed."""
    batch = get(session, batch_id, lock=True)
    refused = rules.approval_refusal(status=batch.status, prepared_by=batch.prepared_by, approver=principal.key,
                                     seen_digest=seen_digest, digest=batch.digest,
                                     approved_by=_approvers(session, batch))
    if refused:
        code, detail = refused
        raise Conflict(detail, code=code, status=403 if code == "same_officer" else 409)
    session.add(PaymentApproval(batch_id=batch.id, approved_by=principal.key, approved_by_name=principal.name,
                                digest=batch.digest))
    session.flush()
    count = len(_approvers(session, batch))
    if count >= batch.approvals_required:
        batch.status = "approved"
    record_change(session, batch, "payment_batch.approve", "payment_batch", batch.id,
                  f"approval {count} of {batch.approvals_required} by {principal.name} on digest {seen_digest}")
    return batch


def approvals_of(session: Session, batch_id: int) -> list[PaymentApproval]:
    return list(session.execute(select(PaymentApproval).where(PaymentApproval.batch_id == batch_id)
                                .order_by(PaymentApproval.id)).scalars())


# ---- release and the file ----------------------------------------------------------------------------

def _to_pay(items: list[PaymentItem]) -> list[PaymentItem]:
    return [i for i in items if i.status == "proposed"]


def build_file(session: Session, batch: PaymentBatch, items: list[PaymentItem], initiator: str) -> bytes:
    debtor = parties.get(session, batch.debtor_party)
    transfers = [pain001.Transfer(
        end_to_end_id=i.end_to_end_id, amount=i.amount, currency=i.currency, creditor_name=i.creditor_name,
        creditor=rules.creditor_account(i.creditor_account, i.creditor_bic, i.creditor_country),
        remittance=i.remittance, remittance_is_rf=i.remittance_is_rf) for i in items]
    return pain001.build(
        rules.message_id(batch.id), utcnow(), batch.execution_date, initiator,
        pain001.Debtor(debtor.name if debtor else batch.debtor_party, batch.debtor_account, batch.debtor_bic,
                       rules.debtor_in_sepa(batch.debtor_account)),
        batch.currency, transfers)


def release(session: Session, batch_id: int, principal: Principal, if_match: str | None = None) -> PaymentBatch:
    """Freeze the file (validated against the ISO schema) and post what it orders to "payments in transit"."""
    batch = get(session, batch_id, lock=True)
    check_if_match(etag(batch), if_match, "payment batch")
    if batch.status == "released":
        raise Conflict("this batch was released already: its file is frozen", code="already_released")
    if batch.status != "approved":
        raise Conflict(f"a {batch.status} batch cannot be released: it needs {batch.approvals_required} "
                       "approval(s) by other officers on its current digest", code="not_approved")
    items = _to_pay(items_of(session, batch.id))
    if not items:
        raise Conflict("every transfer of this batch is on hold: nothing to release", code="nothing_to_pay")
    invoice_items = [i for i in items if i.invoice_id is not None]
    claim_items = [i for i in items if i.claim_id is not None]
    advance_items = [i for i in items if i.obligation_id is not None]
    claims = _claims_to_pay(session, claim_items)  # locked first: claims before the journal's head
    locked = invoices.lock_many(session, [i.invoice_id for i in invoice_items])
    taken: dict[int, Decimal] = defaultdict(Decimal)
    for item in invoice_items:
        taken[item.invoice_id] += item.amount
    for invoice_id, amount in taken.items():
        invoice = locked[invoice_id]
        if invoice.status != "approved" or invoice.amount_open < amount:
            raise Conflict(f"invoice {invoice_id} no longer has {amount} open (it is {invoice.status}, "
                           f"{invoice.amount_open} open): propose again", code="invoice_changed")
    _advances_to_pay(session, advance_items)
    try:
        document = build_file(session, batch, items, "Returns Ledger")
    except (pain001.InvalidPaymentFile, rules.PaymentRuleError) as error:
        raise Unprocessable(str(error), code="invalid_payment_file") from None
    day = today()
    recognition.order_claims(session, [claims[i.claim_id] for i in claim_items], day, f"payment batch {batch.id}")
    entry_id = journal.post_entry(session, _release_draft(batch, items, claims, day,
                                                          journal.first_open_period(session, day)))
    invoices.order_many(session, {invoice_id: Money(quantize(amount, batch.currency), batch.currency)
                                  for invoice_id, amount in taken.items()})
    _set_obligations(session, [i.obligation_id for i in advance_items], "invoiced")  # claimed: see the docstring
    for item in items:
        item.status = "ordered"
    batch.status, batch.released_by, batch.released_at = "released", principal.name, utcnow()
    batch.message_id, batch.document = rules.message_id(batch.id), document
    batch.document_sha256, batch.release_entry_id = hashlib.sha256(document).hexdigest(), entry_id
    record_change(session, batch, "payment_batch.release", "payment_batch", batch.id,
                  f"{len(items)} transfers, {batch.total} {batch.currency} in transit, file {batch.document_sha256}, "
                  f"entry {entry_id}")
    return batch


def _claims_to_pay(session: Session, claim_items: list[PaymentItem]) -> dict:
    """The claims the items pay, locked in id order (as reconciliation locks them): each still accepted with the
    whole amount payable, else the release is refused and nothing moves."""
    if not claim_items:
        return {}
    rows = recognition.lock_claims(session, [i.claim_id for i in claim_items])
    for item in claim_items:
        claim = rows[item.claim_id]
        if claim.status != "accepted" or claim.payable != item.amount:
            raise Conflict(f"cost claim {claim.id} is {claim.status} with {claim.payable} payable, not the "
                           f"{item.amount} this batch pays: propose again", code="claim_changed")
    return rows


def _advances_to_pay(session: Session, advance_items: list[PaymentItem]) -> dict:
    """The advances the items pay, locked: each still accrued, asked for by no invoice, for the amount proposed;
    else the release is refused and nothing moves (an invoice took the advance meanwhile: it pays it)."""
    from ledger.agreements import service as agreements

    if not advance_items:
        return {}
    ids = sorted(i.obligation_id for i in advance_items)
    rows = agreements.lock_obligations(session, ids)
    asked = _asked_by_invoices(session, ids)
    for item in advance_items:
        obligation = rows[item.obligation_id]
        if obligation.status != "accrued" or obligation.id in asked:
            raise Conflict(f"advance {obligation.id} is {obligation.status} and an invoice asks for it: the invoice "
                           "pays it, never this batch too (propose again)", code="advance_invoiced")
        if quantize(Decimal(obligation.amount), obligation.currency) != item.amount:
            raise Conflict(f"advance {obligation.id} is {obligation.amount} now, not the {item.amount} this batch "
                           "pays: propose again", code="advance_changed")
    return rows


def _set_obligations(session: Session, obligation_ids: list[int], status: str) -> None:
    from ledger.agreements import service as agreements

    if obligation_ids:
        agreements.set_status(session, obligation_ids, status)


def _obligations_key(item: PaymentItem, payer: str) -> AccountKey:
    """The agreement's obligations account an advance's transfer pays (as its accrual credited it)."""
    return AccountKey("obligations", item.currency, item.payee_code, payer, item.agreement_id)


def _payable_key(item: PaymentItem, payer: str, claim=None) -> AccountKey:
    """What the transfer pays off in the payer's books: the invoice's payable, the advance's obligation or the
    cost claim's payable (`claim`, for an item paying one)."""
    if item.claim_id is not None:
        return recognition.payable_key(claim)
    if item.obligation_id is not None:
        return _obligations_key(item, payer)
    return AccountKey("invoices_payable", item.currency, item.payee_code, payer, item.agreement_id)


def _release_draft(batch: PaymentBatch, items: list[PaymentItem], claims: dict, day: date, period: str) -> EntryDraft:
    """Each transfer's payable debited, payments in transit credited with the batch's total."""
    cur = batch.currency
    lines = [Line(_payable_key(i, batch.debtor_party, claims.get(i.claim_id)), Money(i.amount, cur)) for i in items]
    lines.append(Line(in_transit_key(cur, batch.debtor_account), Money(-sum((i.amount for i in items), Decimal(0)),
                                                                        cur)))
    return EntryDraft(effective_date=day, period=period, lines=tuple(lines), source_type=RELEASE_SOURCE,
                      source_id=str(batch.id),
                      memo=f"payment batch {batch.id} released: {len(items)} transfers in transit")


def document(session: Session, batch_id: int) -> tuple[PaymentBatch, bytes]:
    batch = get(session, batch_id)
    if batch.document is None:
        raise Conflict("the file exists once the batch is released", code="not_released")
    return batch, batch.document


def cancel(session: Session, batch_id: int, principal: Principal, if_match: str | None = None) -> PaymentBatch:
    batch = get(session, batch_id, lock=True)
    check_if_match(etag(batch), if_match, "payment batch")
    if batch.status == "released":
        raise Conflict("a released batch is with the bank: it cannot be cancelled here", code="already_released")
    _open_for_change(batch)
    for item in items_of(session, batch.id):
        item.status = "cancelled"
    batch.status = "cancelled"
    record_change(session, batch, "payment_batch.cancel", "payment_batch", batch.id, f"cancelled by {principal.name}")
    return batch


# ---- the bank's status (pain.002) --------------------------------------------------------------------

@dataclass
class StatusOutcome:
    report: PaymentStatusReport
    batch: PaymentBatch
    accepted: list[str]
    rejected: list[str]


def import_status(session: Session, data: bytes, principal: Principal) -> StatusOutcome:
    """Apply a pain.002: accepted transfers stay in transit; rejected ones go back to their invoices, which are
    open again, with the bank's reason. All checked before anything changes."""
    try:
        report = pain002.parse(data)
    except pain002.StatusReportError as error:
        raise Unprocessable(error.message, code=error.code) from None
    batch = session.execute(select(PaymentBatch).where(PaymentBatch.message_id == report.original_message_id)
                            .with_for_update()).scalar()
    if batch is None:
        raise field_error("file", "the report is about a payment file this ledger did not release", "unknown_batch")
    sha = hashlib.sha256(data).hexdigest()
    if session.execute(select(PaymentStatusReport.id).where(PaymentStatusReport.file_sha256 == sha)).first():
        raise Conflict("this status report was imported already", code="already_imported")
    items = {i.end_to_end_id: i for i in items_of(session, batch.id)}
    statuses = list(report.transfers)
    if not statuses and report.group_status == "RJCT":
        statuses = [pain002.TransferStatus(e2e, "RJCT", report.group_reason, None)
                    for e2e, i in items.items() if i.status in IN_TRANSIT]
    decided = _check_statuses(statuses, items)
    accepted, rejected = [], []
    for status in decided:
        item = items[status.end_to_end_id]
        if status.outcome == "accepted" and item.status == "ordered":
            item.status = "accepted"
            accepted.append(item.end_to_end_id)
        elif status.outcome == "rejected" and item.status != "rejected":
            _reject(session, batch, item, status)
            rejected.append(item.end_to_end_id)
    record = PaymentStatusReport(batch_id=batch.id, message_id=report.message_id[:35],
                                 group_status=report.group_status, accepted=len(accepted), rejected=len(rejected),
                                 file_sha256=sha, summary=json.dumps({"accepted": accepted, "rejected": rejected}),
                                 imported_by=principal.name)
    session.add(record)
    session.flush()
    describe(session, "payment_status.import", "payment_batch", batch.id,
             f"pain.002 {report.group_status or '-'}: {len(accepted)} accepted, {len(rejected)} rejected")
    return StatusOutcome(record, batch, accepted, rejected)


def _check_statuses(statuses: list[pain002.TransferStatus],
                    items: dict[str, PaymentItem]) -> list[pain002.TransferStatus]:
    for status in statuses:
        item = items.get(status.end_to_end_id)
        if item is None or item.status not in (*IN_TRANSIT, "rejected", "paid"):
            raise field_error("file", f"the batch has no transfer {status.end_to_end_id} with the bank",
                              "unknown_transfer")
        if item.status == "rejected" and status.outcome != "rejected":
            raise Conflict(f"transfer {status.end_to_end_id} was rejected: it is never sent again under that "
                           "EndToEndId (propose the invoice again)", code="transfer_rejected")
        if item.status == "paid" and status.outcome == "rejected":
            raise Conflict(f"transfer {status.end_to_end_id} was debited already", code="transfer_executed")
    return statuses


def _reject(session: Session, batch: PaymentBatch, item: PaymentItem, status: pain002.TransferStatus) -> None:
    claim = _claim_of(session, item)
    if claim is not None and claim.status == "paid":
        _reject_paid_claim(session, item, claim, status)
        return
    cur = item.currency
    day = today()
    payable = _payable_key(item, batch.debtor_party, claim)
    draft = EntryDraft(
        effective_date=day, period=journal.first_open_period(session, day), source_type=REJECTION_SOURCE,
        source_id=str(item.id), memo=f"transfer {item.end_to_end_id} rejected by the bank ({status.reason_code})",
        lines=(Line(in_transit_key(cur, batch.debtor_account), Money(item.amount, cur)),
               Line(payable, Money(-item.amount, cur))))
    journal.post_entry(session, draft)
    reason = " ".join(filter(None, (status.reason_code, status.reason_text))) or "no reason given"
    item.status, item.status_reason = "rejected", reason[:500]
    item.version += 1
    if claim is not None:  # payable again: a later batch (or a credit reconciliation matches) pays it
        recognition.reopen_claim(session, claim, f"transfer {item.end_to_end_id} rejected by the bank: {reason}")
        return
    if item.obligation_id is not None:  # the advance is payable again: a later batch (or an invoice) pays it
        _set_obligations(session, [item.obligation_id], "accrued")
        describe(session, "obligation.reopen", "agreement", item.agreement_id,
                 f"advance {item.obligation_id}: transfer {item.end_to_end_id} rejected by the bank: {reason}"[:500])
        return
    invoices.unorder(session, item.invoice_id, Money(quantize(item.amount, cur), cur))
    describe(session, "invoice.reopen", "invoice", item.invoice_id,
             f"transfer {item.end_to_end_id} rejected by the bank: {reason}"[:500])


def _claim_of(session: Session, item: PaymentItem):
    """The cost claim the item pays, locked (None for an invoice's or an advance's transfer)."""
    if item.claim_id is None:
        return None
    return recognition.lock_claim(session, item.claim_id)


def _reject_paid_claim(session: Session, item: PaymentItem, claim, status: pain002.TransferStatus) -> None:
    """A claim released before migration 0030, marked paid at release by one entry settling both states' books:
    that entry reversed, the claim accepted and unpaid again."""
    reason = " ".join(filter(None, (status.reason_code, status.reason_text))) or "no reason given"
    journal.reverse(session, claim.payment_entry_id, today(),
                    memo=f"transfer {item.end_to_end_id} rejected by the bank ({status.reason_code})"[:500],
                    source_type=REJECTION_SOURCE, source_id=str(item.id))
    recognition.reopen_claim(session, claim, f"transfer {item.end_to_end_id} rejected by the bank: {reason}")
    item.status, item.status_reason = "rejected", reason[:500]
    item.version += 1


# ---- the bank's debit: matched by EndToEndId before any other rule ----------------------------------

EXCEPTION_METHOD = "end_to_end_id_exception"
AMOUNT_DIFFERS = "amount_differs_from_order"
REJECTED_DEBITED = "transfer_rejected"


def match_executed(session: Session, actor: str, dry_run: bool) -> list:
    """Reconciliation's first pass: each booked debit whose EndToEndId is a transfer in transit, on the batch's
    account, for exactly its amount, clears it (confidence 1, no reference guessing): Dr payments_in_transit /
    Cr the account's suspense, and for a cost claim in transit Dr cash(enforcing) / Cr claims_receivable too (the
    claim is paid on the debit's day: see the module's docstring). A debit quoting the EndToEndId for another
    amount or currency clears nothing: it waits for review as an exception (`amount_differs_from_order`), as does
    a debit of a transfer the bank rejected (`transfer_rejected`: its invoice was opened again and may be paid
    otherwise). Returns the matches made (none stored on a dry run)."""
    from ledger.reconciliation import service as reconciliation
    from ledger.statements import queries as statements

    rows = session.execute(statements.booked_debits_quoting(
        PaymentItem, PaymentItem.end_to_end_id, PaymentBatch, PaymentBatch.id == PaymentItem.batch_id,
        PaymentBatch.debtor_account, PaymentItem.status.in_((*IN_TRANSIT, "rejected")))).all()
    exact = [r for r in rows if r[1].status in IN_TRANSIT and r[0].currency == r[1].currency
             and r[0].amount == r[1].amount]
    if dry_run:
        return list({row[1].id: row[0].id for row in reversed(exact)}.values())  # one debit per transfer
    fits = {(r[0].id, r[1].id) for r in exact}
    claims = _claims_in_transit(session, [r[1] for r in exact])  # locked before the journal's head
    _order_exceptions(session, [r for r in rows if (r[0].id, r[1].id) not in fits], actor)
    last_closed = journal.last_closed_period(session)
    matches = []
    for transfer, item, batch in exact:
        if item.status not in IN_TRANSIT:
            continue  # a second debit quoting the same EndToEndId (the first cleared the item): it waits in suspense
        booked = transfer.booking_date or transfer.value_date or today()
        own = period_of(booked)
        period = own if last_closed is None or own > last_closed else journal.next_period(last_closed)
        cur = item.currency
        claim = claims.get(item.claim_id)
        received = recognition.received_lines(claim, Money(item.amount, cur)) if claim is not None else ()
        entry_id = journal.post_entry(session, EntryDraft(
            effective_date=booked, period=period, source_type=CLEARING_SOURCE, source_id=str(item.id),
            memo=f"transfer {transfer.id} is the bank's debit of {item.end_to_end_id}",
            lines=(Line(in_transit_key(cur, batch.debtor_account), Money(item.amount, cur)),
                   Line(bank_key("suspense", cur, transfer.account), Money(-item.amount, cur)), *received)))
        match = reconciliation.add_match(
            session, transfer_id=transfer.id, payer_code=batch.debtor_party, payee_code=item.payee_code,
            method="end_to_end_id", confidence=Decimal(1), currency=cur, value=item.amount, residual=Decimal(0),
            transfer_amount=item.amount, transfer_currency=cur,
            evidence=json.dumps({"end_to_end_id": item.end_to_end_id, "payment_batch": str(batch.id)},
                                sort_keys=True),
            status="auto", created_by=actor, journal_entry_id=entry_id)
        session.flush()
        transfer.allocated = transfer.allocated + item.amount
        item.status, item.transfer_id, item.match_id = "paid", transfer.id, match.id
        item.version += 1
        if item.invoice_id is not None:
            invoices.clear_transit(session, item.invoice_id, Money(quantize(item.amount, cur), cur))
        elif item.obligation_id is not None:
            _set_obligations(session, [item.obligation_id], "paid")
        elif claim is not None:
            recognition.claims_debited(session, [claim], booked, entry_id, f"transfer {transfer.id}")
        matches.append(match)
    session.flush()
    return matches


def _claims_in_transit(session: Session, items: list[PaymentItem]) -> dict:
    """The cost claims in transit that `items` pay, locked in id order (a claim released before migration 0030
    was paid at release: its debit clears payments in transit only)."""
    ids = sorted({i.claim_id for i in items if i.claim_id is not None and i.status in IN_TRANSIT})
    if not ids:
        return {}
    return recognition.lock_claims_in_transit(session, ids)


def _order_exceptions(session: Session, rows: list, actor: str) -> None:
    """Debits quoting a transfer's EndToEndId for another amount or currency than ordered, or quoting a transfer
    the bank rejected: a proposal waiting for review with no allocation (nothing cleared, nothing settled), its
    reason code in the evidence; once per debit (a later run adds none while one waits or was decided)."""
    from ledger.reconciliation import queries as reconciliation_queries
    from ledger.reconciliation import service as reconciliation

    if not rows:
        return
    known = reconciliation_queries.transfers_with_method(session, [r[0].id for r in rows], EXCEPTION_METHOD)
    for transfer, item, batch in rows:
        if transfer.id in known:
            continue
        known.add(transfer.id)
        ordered = f"{quantize(item.amount, item.currency)} {item.currency}"
        debited = f"{quantize(transfer.amount, transfer.currency)} {transfer.currency}"
        if item.status == "rejected":
            code = REJECTED_DEBITED
            reason = (f"{code}: the bank debited {debited} for transfer {item.end_to_end_id}, which it rejected "
                      f"({item.status_reason}); nothing cleared")
        else:
            code = AMOUNT_DIFFERS
            reason = (f"{code}: the bank debited {debited} for transfer {item.end_to_end_id}, ordered for "
                      f"{ordered}; nothing cleared")
        reconciliation.add_match(
            session, transfer_id=transfer.id, payer_code=batch.debtor_party, payee_code=item.payee_code,
            method=EXCEPTION_METHOD, confidence=Decimal(0), currency=transfer.currency, value=Decimal(0),
            residual=Decimal(0), transfer_amount=Decimal(0), transfer_currency=transfer.currency,
            evidence=json.dumps({"end_to_end_id": item.end_to_end_id, "payment_batch": str(batch.id),
                                 "exception": code, "ordered": ordered, "debited": debited, "reason": reason[:500]},
                                sort_keys=True),
            status="proposed", created_by=actor)
        describe(session, "payment.exception", "payment_batch", batch.id,
                 f"{code}: transfer {transfer.id} debited {debited} for {item.end_to_end_id}, ordered {ordered}")
    session.flush()


def refuse_exception(session: Session, row) -> None:
    """Reconciliation's confirm check: an exception explains no money, so it is never confirmed (reject it, then
    take the difference up with the bank; the transfer stays in transit until a debit of its amount clears it or
    the bank's pain.002 rejects it)."""
    if row.method == EXCEPTION_METHOD:
        evidence = json.loads(row.evidence or "{}")
        raise Conflict(evidence.get("reason") or "the debit differs from the payment order",
                       code=evidence.get("exception") or AMOUNT_DIFFERS)


def unmatch_executed(session: Session, row, actor: str, reason: str) -> bool:
    """Reconciliation's reverse of a match this feature made (`end_to_end_id`): the clearing entry reversed (never
    deleted), the debit unallocated, the transfer and its invoice (advance, or cost claim, whose receipt by the
    enforcing state the entry reverses too) back in transit, so that a debit can match it again. False when the
    match is not one of ours."""
    from ledger.statements import service as statements

    if row.method != "end_to_end_id":
        return False
    item = session.execute(select(PaymentItem).where(PaymentItem.match_id == row.id).with_for_update()).scalar()
    if item is None:
        return False
    transfer = statements.lock_transfer(session, row.transfer_id)
    claim = _claim_of(session, item)  # transfers, then claims, then the journal's head
    if transfer.allocated < row.transfer_amount:
        raise Conflict(f"transfer {row.transfer_id} has less allocated than the match took", code="invalid_transition")
    entry_id = journal.reverse(session, row.journal_entry_id, today(),
                               memo=f"reversal of match {row.id}: {reason}"[:500], source_type=CLEARING_SOURCE,
                               source_id=str(item.id))
    transfer.allocated = transfer.allocated - row.transfer_amount
    cur = item.currency
    if item.invoice_id is not None:
        invoices.unclear(session, item.invoice_id, Money(quantize(item.amount, cur), cur))
    elif item.obligation_id is not None:
        _set_obligations(session, [item.obligation_id], "invoiced")
    elif claim is not None and claim.payment_entry_id == row.journal_entry_id:  # not one paid at release (< 0030)
        recognition.claims_undebited(session, claim, f"match {row.id} reversed: {reason}")
    item.status = "accepted" if _accepted_by_bank(session, item) else "ordered"
    item.transfer_id = item.match_id = None
    row.status, row.reversal_entry_id, row.reason = "reversed", entry_id, reason
    row.decided_by, row.decided_at = actor, utcnow()
    record_change(session, item, "payment.unmatch", "payment_batch", item.batch_id,
                  f"match {row.id} reversed by entry {entry_id}: {item.end_to_end_id} in transit again", also=(row,))
    return True


def _accepted_by_bank(session: Session, item: PaymentItem) -> bool:
    """Whether a pain.002 of the item's batch accepted it (the status it had before the debit cleared it)."""
    for summary in session.execute(select(PaymentStatusReport.summary)
                                   .where(PaymentStatusReport.batch_id == item.batch_id)).scalars():
        if item.end_to_end_id in json.loads(summary).get("accepted", []):
            return True
    return False


# ---- disputed invoices: a second officer's approval --------------------------------------------------

def request_override(session: Session, invoice_id: int, overrides: list[dict], principal: Principal):
    """Ask a second officer (`ledger.approvals`) to approve a disputed invoice over its findings, so that it can
    be paid: the approval runs `invoices.approve` with these overrides."""
    from ledger.approvals import service as approvals

    invoice = invoices.get(session, invoice_id)
    if invoice.status != "disputed":
        raise Conflict(f"a {invoice.status} invoice needs no override", code="not_disputed")
    payload = {"invoice": invoice.id, "version": invoice.version,
               "overrides": [{"line": o.get("line"), "reason": o["reason"]} for o in overrides]}
    return approvals.request(session, kind=OVERRIDE_KIND, subject=f"invoice:{invoice.id}",
                             summary=f"pay disputed invoice {invoice.id} over {len(overrides)} override(s)",
                             payload=payload, principal=principal, amount=invoice.total, currency=invoice.currency)


def apply_override(session: Session, payload: dict, approval) -> None:
    """The approval handler of `invoice_override`: the invoice must be as the requester saw it."""
    invoice = invoices.get(session, payload["invoice"])
    if invoice.version != payload["version"]:
        raise Conflict("the invoice changed since the override was asked for: ask again", code="invoice_changed")
    invoices.approve(session, invoice, payload["overrides"],
                     f"{approval.requested_by_name} (override approved by a second officer)")


# ---- reading -----------------------------------------------------------------------------------------

def list_query(status: str | None = None):
    query = select(PaymentBatch)
    if status:
        query = query.where(PaymentBatch.status == status)
    return query


def view(session: Session, batch: PaymentBatch, with_items: bool = True) -> dict:
    approvals = approvals_of(session, batch.id)
    result = {
        "id": batch.id, "debtor_party": batch.debtor_party, "debtor_account": batch.debtor_account,
        "currency": batch.currency, "due_by": batch.due_by, "execution_date": batch.execution_date,
        "status": batch.status, "total": Money(batch.total, batch.currency), "digest": batch.digest,
        "approvals_required": batch.approvals_required,
        "approvals": [{"by": a.approved_by_name, "at": a.approved_at, "digest": a.digest,
                       "current": a.digest == batch.digest} for a in approvals],
        "prepared_by": batch.prepared_by_name, "created_at": batch.created_at,
        "released_by": batch.released_by, "released_at": batch.released_at, "message_id": batch.message_id,
        "file_sha256": batch.document_sha256, "version": batch.version,
    }
    if with_items:
        result["items"] = items_of(session, batch.id)
    return result


# ---- the settlement statement -------------------------------------------------------------------------

def settlement_section(session: Session, period: str, party: str | None) -> dict:
    """Per debtor bank account and currency: ordered (approved batches, not released), in transit at the
    period's end (the journal's payments-in-transit balance) and paid in the period (the bank's debits cleared)."""
    from ledger.journal import queries as journal_queries

    rows: dict[tuple[str, str, str], dict] = {}

    def row(owner: str, account: str, currency: str) -> dict:
        return rows.setdefault((owner, account, currency), {
            "party": owner, "bank_account": account, "currency": currency,
            "ordered": Decimal(0), "in_transit": Decimal(0), "paid": Decimal(0)})

    ordered = session.execute(
        select(PaymentBatch.debtor_party, PaymentBatch.debtor_account, PaymentBatch.currency,
               func.sum(PaymentItem.amount))
        .join(PaymentItem, PaymentItem.batch_id == PaymentBatch.id)
        .where(PaymentBatch.status == "approved", PaymentItem.status == "proposed")
        .group_by(PaymentBatch.debtor_party, PaymentBatch.debtor_account, PaymentBatch.currency)).all()
    for owner, account, currency, total in ordered:
        row(owner, account, currency)["ordered"] += Decimal(total)
    owners = dict(parties.iban_owners(session))
    balances = journal_queries.bank_account_sums(session, "payments_in_transit", period)
    for account, currency, source, upto, during in balances:
        target = row(owners.get(account, ""), account, currency)
        target["in_transit"] -= Decimal(upto or 0)
        if source == CLEARING_SOURCE:
            target["paid"] += Decimal(during or 0)
    lines = [{**r, **{k: str(Money(r[k], r["currency"])) for k in ("ordered", "in_transit", "paid")}}
             for key, r in sorted(rows.items()) if party is None or r["party"] == party]
    return {"payments": lines} if lines else {}
