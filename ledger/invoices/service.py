"""Receiving partners' invoices, checking them against the ledger, and deciding them.

Intake (`receive`): parse (JSON or UBL, `ledger.invoices`), find the agreement, redo the sums
(`check_arithmetic`), then check every line against what the agreement made payable. Any finding makes the
invoice `disputed`; none makes it `accepted`. Nothing is posted until a finance officer approves.

**How a line finds its obligation** (documented for partners in API.md terms):
the line's `kind` and the booking period — the line's own period (UBL line InvoicePeriod) or else the
invoice's — always; plus the returnee for `per_returnee_fee`, `monthly_support` and (when given)
`adjustment` lines, named by its pseudonym or its numeric id on that agreement. Instalments and milestones
are matched on kind and period; when a period holds several, the one with the line's amount is preferred.
The advance is invoiced like any other obligation (a line of kind `advance`, matched on kind and period);
its offset is the ledger's own at approval, so an `advance_offset` line matches nothing.
Findings per line: `unknown_obligation` (no such obligation), `amount_mismatch` (it exists, for another
amount), `already_invoiced` (it is on another invoice that is not rejected, or twice on this one);
per document: `outside_term` (the period is outside the agreement's term), `total_mismatch` and the other
arithmetic findings, `currency_mismatch` (not the agreement's currency).

**Two kinds of findings** (`arithmetic.kind_of`): `arithmetic` ones say the document contradicts itself
(EN 16931 BR-CO-10 and kin, a currency it cannot be posted in); no reason makes such a document payable, so
approval refuses them (422 `arithmetic_not_overridable`) and the officer disputes or rejects. `obligation`
ones say the document disagrees with the ledger; an officer may approve over them, one reason per line.

A credit note's lines are matched to obligations that were invoiced already (what it corrects); its only
line findings are `unknown_obligation` and `amount_mismatch` (crediting more than the obligation).

**Approval** posts one entry: Dr obligations(H,P,A) with the accrued amounts of the matched obligations,
Dr returns_costs(P,H,A) with the difference to the payable (VAT, allowances, overridden lines), Cr
invoices_payable(H,P,A) with the payable. Where an advance was paid and is not yet used up,
`agreements.service.offset_advance` first posts the offset (Dr obligations / Cr advances) and the approval
entry carries it on, so the invoice payable — and `amount_open`, what is to be paid in cash — is the payable
less the offset. The invoice that asks for the advance (or an adjustment of it) is never offset: it is what
pays the advance. A credit note
posts the reverse: Dr invoices_payable / Cr returns_costs; what it credits is taken off the open amount of
the invoice it names (BillingReference), the rest stays open as a negative amount (owed back).

**Reconciliation hooks**: `open_invoices`, `find_by_payment_reference`, `settle` and `unsettle`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import Boolean, Connection, Select, bindparam, insert, or_, select, type_coerce, update
from sqlalchemy.orm import Session
from stdnum.iso7064 import mod_97_10

from ledger.agreements import queries as agreement_queries
from ledger.agreements import service as agreements
from ledger.agreements.rules import obligations as obligation_rules
from ledger.agreements.rules import reimbursement as cost_rules
from ledger.agreements.rules import terms as term_rules
from ledger.audit.service import describe, record_change
from ledger.db import AMOUNT, fetch, update_from_values
from ledger.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unprocessable,
    check_if_match,
    field_error,
    not_found,
)
from ledger.facts import check_not_future, first_spoofed
from ledger.invoices.arithmetic import Finding, check_arithmetic, computed_payable, kind_of
from ledger.invoices.models import Invoice, InvoiceFinding, InvoiceLine
from ledger.invoices.parsed import LINE_KINDS, ParsedInvoice, ParsedLine
from ledger.journal.rules import AccountKey, EntryDraft, credit, debit
from ledger.journal.service import first_open_period, post_entries
from ledger.money import CurrencyMismatch, Money
from ledger.parties import queries as parties
from ledger.pseudonyms import redact
from ledger.timeutil import period_of, today, utcnow
from ledger.wire import Extended

#: Ids per statement when many invoices are read or changed at once.
_CHUNK = 5000

#: Line kinds that name a returnee (and must, to find their obligation).
PER_RETURNEE = {"per_returnee_fee", "monthly_support", "departure_grant"}
OPEN_STATUSES = ("accepted", "disputed")


# ---- checking --------------------------------------------------------------------------------------

@dataclass
class CheckedLine:
    position: int
    parsed: ParsedLine
    period: str
    returnee_id: int | None = None
    obligation: object | None = None  # the obligation matched (`ledger.agreements.queries`)


@dataclass
class Checked:
    """What intake learnt about one document: its agreement, its matched lines and everything found."""

    agreement: object  # the agreement (`ledger.agreements.queries`)
    invoice: ParsedInvoice
    period: str
    lines: list[CheckedLine]
    findings: list[Finding]

    @property
    def status(self) -> str:
        return "disputed" if self.findings else "accepted"


def resolve_agreement(session: Session, inv: ParsedInvoice, sender: str | None):
    """The agreement the document names (its references in priority order) whose payee is `sender`.

    A partner naming an agreement it is not a side of learns nothing: the same 422 as for no agreement.
    A partner naming one where it is the payer is refused (403): only the payee invoices."""
    payer_side = None
    if sender is None and inv.seller.country:  # staff entering a document: its seller, when it is a party
        named = _first_agreement(session, inv, inv.seller.country.upper())
        if named is not None:
            return named
    for _source, ref in inv.agreement_ref_candidates:
        try:
            agreement = agreements.get(session, ref)
        except NotFound:
            continue
        if sender is None or agreement.payee_code == sender:
            return agreement
        if agreement.payer_code == sender:
            payer_side = agreement
    if payer_side is not None:
        raise Forbidden(f"only {payer_side.payee_code}, the payee, may invoice under this agreement")
    field = "agreement" if inv.source == "json" else "cac:ContractDocumentReference/cbc:ID"
    raise field_error(field, "names no agreement on which you are the payee", "unknown_agreement")


def _first_agreement(session: Session, inv: ParsedInvoice, payee: str):
    for _source, ref in inv.agreement_ref_candidates:
        try:
            agreement = agreements.get(session, ref)
        except NotFound:
            continue
        if agreement.payee_code == payee:
            return agreement
    return None


def _invoice_period(inv: ParsedInvoice) -> str:
    """The invoice's period: its own (UBL InvoicePeriod), else its first line's, else its issue month."""
    period = inv.period or next((line.period for line in inv.lines if line.period), None)
    return period or period_of(inv.issued_on)


def _outside_term(agreement, period: str) -> bool:
    first, last = obligation_rules.period_bounds(period)
    ends_on = agreements.facts(agreement).ends_on
    return last < agreement.effective_from or (ends_on is not None and first > ends_on)


def _returnees(session: Session, agreement_id: int, names: Iterable[str]) -> dict[str, int]:
    """Map what lines wrote (pseudonym or numeric id) to returnee ids on this agreement."""
    names = set(names)
    numeric = {n for n in names if n.isascii() and n.isdigit() and len(n) < 19}
    ids = {int(n) for n in numeric}
    pseudonyms = [n for n in names if n not in numeric]
    if not names:
        return {}
    rows = agreement_queries.returnees_named(session, agreement_id, ids, pseudonyms)
    found: dict[str, int] = {}
    for rid, pseudonym in rows:
        found[str(rid)] = rid
        if pseudonym:
            found[pseudonym] = rid
    return found


def _claimed(session: Session, obligation_ids: Sequence[int], exclude_invoice: int | None) -> set[int]:
    """Obligations already on an invoice (not a credit note) that is not rejected."""
    if not obligation_ids:
        return set()
    query = (select(InvoiceLine.obligation_id).join(Invoice, Invoice.id == InvoiceLine.invoice_id)
             .where(InvoiceLine.obligation_id.in_(list(obligation_ids)), Invoice.status != "rejected",
                    Invoice.document_type == "invoice"))
    if exclude_invoice is not None:
        query = query.where(Invoice.id != exclude_invoice)
    return set(session.execute(query).scalars())


def _candidate_key(kind: str, returnee_id: int | None, period: str) -> tuple:
    return kind, returnee_id, period


def check(session: Session, inv: ParsedInvoice, agreement) -> Checked:
    """All findings on `inv` for `agreement` (arithmetic, currency, term, and line by line)."""
    period = _invoice_period(inv)
    findings: list[Finding] = list(check_arithmetic(inv))
    if inv.currency != agreement.currency:
        findings.append(Finding("currency_mismatch", f"the invoice is in {inv.currency}, the agreement in "
                                                     f"{agreement.currency}", "currency"))
    if _outside_term(agreement, period):
        findings.append(Finding("outside_term", f"period {period} is outside the agreement's term", "period"))
    lines = [CheckedLine(n, line, line.period or period) for n, line in enumerate(inv.lines, start=1)]
    findings.extend(Finding("outside_term", f"line {line.parsed.line_id}: period {line.period} is outside the "
                                            "agreement's term", "period", line.parsed.line_id)
                    for line in lines if line.period != period and _outside_term(agreement, line.period))
    findings.extend(_line_findings(session, agreement, inv, lines))
    return Checked(agreement, inv, period, lines, findings)


def _line_findings(session: Session, agreement, inv: ParsedInvoice,
                   lines: list[CheckedLine]) -> list[Finding]:
    credit_note = inv.document_type == "credit_note"
    periods = {line.period for line in lines}
    # A line is matched only to obligations of its own kind: the others were read and loaded for nothing.
    kinds = {line.parsed.kind for line in lines if line.parsed.kind and line.parsed.kind != cost_rules.ACTUAL_COST}
    rows = agreement_queries.obligations_in(session, agreement.id, periods, kinds)
    candidates: dict[tuple, list] = defaultdict(list)
    for row in rows:
        candidates[_candidate_key(row.kind, row.returnee_id, row.period)].append(row)
        if row.kind in ("instalment", "milestone", "adjustment"):
            candidates[_candidate_key(row.kind, None, row.period)].append(row)
    claimed = _claimed(session, [r.id for r in rows], None)
    returnees = _returnees(session, agreement.id, (line.parsed.returnee for line in lines if line.parsed.returnee))
    used: set[int] = set()
    findings: list[Finding] = []
    costs = [line for line in lines if line.parsed.kind == cost_rules.ACTUAL_COST]
    if costs:
        findings.extend(_cost_findings(session, agreement, costs, returnees, credit_note))
    for line in lines:
        if line.parsed.kind == cost_rules.ACTUAL_COST:
            continue
        found = _match(line, returnees, candidates, claimed, used, credit_note, inv.source)
        if isinstance(found, Finding):
            findings.append(found)
            continue
        line.obligation = found
        findings.extend(_compare(line, found, claimed, used, credit_note))
        used.add(found.id)
    return findings


def _cost_findings(session: Session, agreement, lines: list[CheckedLine], returnees: dict[str, int],
                   credit_note: bool) -> list[Finding]:
    """Findings on `actual_cost` lines (module `agreements.reimbursement`): a returnee, category and evidence they
    must name; costs outside the returnee's stay (`outside_stay`; the onward journey of a `returned_onward` is the
    one cost after it); terms reimbursing no actual costs (`not_reimbursable`); and lines above a cap
    (`cap_exceeded`, with the headroom left before the line)."""
    findings: list[Finding] = []
    ids = {returnees.get(line.parsed.returnee) for line in lines if line.parsed.returnee} - {None}
    stays = agreement_queries.returnees_by_ids(session, ids) if ids else {}
    versions = agreements.versions(session, agreement.id)
    checkable: list[cost_rules.CostLine] = []
    for line in lines:
        parsed, lid = line.parsed, line.parsed.line_id
        line.returnee_id = returnees.get(parsed.returnee) if parsed.returnee else None
        if line.returnee_id is None:
            what = ("no such returnee on this agreement" if parsed.returnee
                    else "an actual_cost line must name its returnee")
            findings.append(Finding("unknown_obligation", f"line {lid}: {what}", "returnee", lid))
            continue
        if parsed.category not in term_rules.COST_CATEGORIES:
            findings.append(Finding("unknown_category", f"line {lid}: the cost category must be one of "
                                    f"{', '.join(term_rules.COST_CATEGORIES)}", "category", lid))
            continue
        if not parsed.evidence_ref:
            findings.append(Finding("missing_evidence", f"line {lid}: an actual cost needs its evidence_ref",
                                    "evidence_ref", lid))
        stay = stays[line.returnee_id]
        first, last = obligation_rules.period_bounds(line.period)
        onward = parsed.category == "onward_travel"
        if onward and stay.departure != "returned_onward":
            findings.append(Finding("outside_stay", f"line {lid}: onward travel is reimbursed for a returnee who "
                                    "returned onward (event returned_onward)", "category", lid))
        elif last < stay.transferred_on or (not onward and stay.departed_on is not None and first > stay.departed_on):
            findings.append(Finding("outside_stay", f"line {lid}: period {line.period} is outside the returnee's "
                                    "stay", "period", lid))
        terms = term_rules.terms_in_force(versions, max(first, agreement.effective_from))
        if terms is None or terms.cost_reimbursement is None:
            findings.append(Finding("not_reimbursable", f"line {lid}: the terms in force in {line.period} reimburse "
                                    "no actual costs", "kind", lid))
            continue
        if parsed.net_amount.currency == agreement.currency:
            checkable.append(cost_rules.CostLine(lid, line.returnee_id, parsed.category, line.period,
                                                 parsed.net_amount))
    if credit_note or not checkable:
        return findings
    caps = {}
    for period in {c.period for c in checkable}:
        first, _ = obligation_rules.period_bounds(period)
        terms = term_rules.terms_in_force(versions, max(first, agreement.effective_from))
        caps[period] = terms.cost_reimbursement if terms else None
    consumed = cost_rules.Consumption(consumed_costs(session, agreement, {c.returnee_id for c in checkable}))
    for breach in cost_rules.check_caps(caps, consumed, checkable):
        findings.append(Finding("cap_exceeded", breach.message, "amount", breach.line, breach.remaining))
    return findings


def consumed_costs(session: Session, agreement, returnee_ids: Iterable[int],
                   exclude_invoice: int | None = None) -> list[cost_rules.CostLine]:
    """The returnees' actual costs already asked on the agreement's invoices that are not rejected."""
    ids = sorted(set(returnee_ids))
    query = (select(InvoiceLine.line_id, InvoiceLine.returnee_id, InvoiceLine.category, InvoiceLine.period,
                    InvoiceLine.amount)
             .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
             .where(Invoice.agreement_id == agreement.id, Invoice.document_type == "invoice",
                    Invoice.status != "rejected", InvoiceLine.kind == cost_rules.ACTUAL_COST,
                    InvoiceLine.returnee_id.in_(ids), InvoiceLine.category.is_not(None))
             .order_by(InvoiceLine.invoice_id, InvoiceLine.position))
    if exclude_invoice is not None:
        query = query.where(Invoice.id != exclude_invoice)
    return [cost_rules.CostLine(line_id, rid, category, period, Money(Decimal(amount), agreement.currency))
            for line_id, rid, category, period, amount in session.execute(query)]


def cap_position(session: Session, agreement, returnee_id: int) -> dict:
    """A returnee's consumed actual costs against the caps in force today: per person, category and year."""
    terms = term_rules.terms_in_force(agreements.versions(session, agreement.id), today())
    consumed = cost_rules.Consumption(consumed_costs(session, agreement, [returnee_id]))
    cur = agreement.currency
    reimbursement = terms.cost_reimbursement if terms else None

    def money(amount) -> Money:
        return Money(amount, cur)

    categories = sorted({c for (_, c) in consumed.category} | {c for c, _ in (reimbursement.caps_per_category
                                                                              if reimbursement else ())})
    return {
        "returnee": returnee_id, "currency": cur,
        "cap_per_person": reimbursement.cap_per_person if reimbursement else None,
        "consumed": money(consumed.person.get(returnee_id, Decimal(0))),
        "categories": [{"category": c, "cap": reimbursement.category_cap(c) if reimbursement else None,
                        "consumed": money(consumed.category.get((returnee_id, c), Decimal(0)))} for c in categories],
        "years": [{"year": int(y), "cap": reimbursement.cap_per_year if reimbursement else None,
                   "consumed": money(amount)} for (r, y), amount in sorted(consumed.year.items())],
    }


def where_kind(source: str, credit_note: bool) -> str:
    """Where a line states its obligation kind, for a message that says how to fix a missing one (docs/ubl.md)."""
    if source != "ubl":
        return "the line's kind"
    line = "cac:CreditNoteLine" if credit_note else "cac:InvoiceLine"
    return f"{line}/cac:Item/cac:AdditionalItemProperty with cbc:Name kind and the kind as its cbc:Value"


def _match(line: CheckedLine, returnees: dict[str, int], candidates: dict, claimed: set[int], used: set[int],
           credit_note: bool, source: str = "json"):
    parsed, lid = line.parsed, line.parsed.line_id
    kind = parsed.kind
    if not kind or kind not in LINE_KINDS:
        what = f"names kind {kind!r}, which is not an obligation kind" if kind else "names no obligation kind"
        kinds = ", ".join(sorted(LINE_KINDS - {"advance_offset"}))
        return Finding("unknown_obligation", f"line {lid} {what}: put one of {kinds} in "
                                             f"{where_kind(source, credit_note)}", "kind", lid)
    if kind == "advance_offset":
        return Finding("unknown_obligation", f"line {lid}: advances are offset by the ledger on approval, "
                                             "not by invoice lines", "kind", lid)
    if parsed.returnee:
        line.returnee_id = returnees.get(parsed.returnee)
        if line.returnee_id is None:
            return Finding("unknown_obligation", f"line {lid}: no such returnee on this agreement", "returnee", lid)
    elif kind in PER_RETURNEE:
        return Finding("unknown_obligation", f"line {lid}: a {kind} line must name its returnee", "returnee", lid)
    options = candidates.get(_candidate_key(kind, line.returnee_id, line.period), [])
    if credit_note:
        options = [o for o in options if o.status != "accrued" or o.id in claimed]
    if not options:
        return Finding("unknown_obligation", f"line {lid}: no {kind} obligation in {line.period} matches",
                       "kind", lid)
    amount = parsed.net_amount.amount

    def rank(o) -> tuple:
        free = o.id not in used and (credit_note or (o.id not in claimed and o.status == "accrued"))
        return (not free, Decimal(o.amount) != amount, o.id)

    return min(options, key=rank)


def _compare(line: CheckedLine, obligation, claimed: set[int], used: set[int],
             credit_note: bool) -> list[Finding]:
    lid, amount = line.parsed.line_id, line.parsed.net_amount
    accrued = Money(Decimal(obligation.amount), obligation.currency)
    findings = []
    if not credit_note and (obligation.id in used or obligation.id in claimed or obligation.status != "accrued"):
        findings.append(Finding("already_invoiced", f"line {lid}: obligation {obligation.id} is already invoiced",
                                "kind", lid))
    try:
        differs = amount > accrued if credit_note else amount != accrued
    except CurrencyMismatch:
        return findings  # the document-level currency_mismatch says it
    if differs:
        findings.append(Finding("amount_mismatch", f"line {lid}: {amount} {amount.currency} claimed, "
                                                   f"{accrued} accrued for obligation {obligation.id}",
                                "amount", lid))
    return findings


# ---- intake ----------------------------------------------------------------------------------------

#: Where each checked value sits in a JSON invoice and in a UBL document, to name the field refused.
_FIELDS = {
    "json": {"issued_on": "issued_on", "due_on": "due_on", "number": "number", "payment_reference": "payment_reference",
             "preceding_invoice": "preceding_invoice", "line": "lines.{}"},
    "ubl": {"issued_on": "cbc:IssueDate", "due_on": "cbc:DueDate", "number": "cbc:ID",
            "payment_reference": "cac:PaymentMeans/cbc:PaymentID",
            "preceding_invoice": "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID",
            "line": "cac:InvoiceLine[{}]"},
}


def check_document(inv: ParsedInvoice) -> None:
    """What no invoice can say, JSON or UBL alike: issued after today, due before it was issued, or identifiers
    and references holding control or bidirectional characters (they display as another reference)."""
    where = _FIELDS[inv.source]
    check_not_future(inv.issued_on, where["issued_on"])
    if inv.due_on is not None and inv.due_on < inv.issued_on:
        raise field_error(where["due_on"], f"due on {inv.due_on.isoformat()}, before the invoice was issued "
                                           f"({inv.issued_on.isoformat()})", "due_before_issue")
    texts = {where["number"]: inv.number, where["payment_reference"]: inv.payment_reference,
             where["preceding_invoice"]: inv.preceding_invoice, "seller.name": inv.seller.name,
             "buyer.name": inv.buyer.name}
    texts.update({source: ref for source, ref in inv.agreement_ref_candidates})  # "agreement" in JSON
    for index, line in enumerate(inv.lines):
        name = where["line"].format(index)
        texts.update({f"{name}.id": line.line_id, f"{name}.returnee": line.returnee,
                      f"{name}.evidence_ref": line.evidence_ref})
    problem = first_spoofed(texts)
    if problem is not None:
        raise problem


def _duplicate(session: Session, payee: str, number: str) -> None:
    if session.execute(select(Invoice.id).where(Invoice.payee_code == payee, Invoice.number == number)).first():
        raise Conflict(f"invoice {number} from {payee} was received already", code="duplicate_invoice")


def receive(session: Session, inv: ParsedInvoice, sender: str | None, document: bytes | None = None,
            dry_run: bool = False) -> tuple[Checked, Invoice | None]:
    """Check `inv` sent by party `sender` (None: staff entering it for the payee) and store it unless a dry run."""
    check_document(inv)
    agreement = resolve_agreement(session, inv, sender)
    _duplicate(session, agreement.payee_code, inv.number)
    checked = check(session, inv, agreement)
    if dry_run:
        describe(session, "invoice.dry_run", "agreement", agreement.id, f"{inv.source} {checked.status}")
        return checked, None
    return checked, store(session, checked, document)


def _registered_iban(session: Session, party: str, currency: str) -> str | None:
    """The payee's registered account in the invoice currency, for invoices that name none (JSON)."""
    return parties.first_iban_in(session, party, currency)


def store(session: Session, checked: Checked, document: bytes | None) -> Invoice:
    inv, agreement = checked.invoice, checked.agreement
    iban = inv.seller.iban or _registered_iban(session, agreement.payee_code, inv.currency)
    invoice = Invoice(
        agreement_id=agreement.id, payee_code=agreement.payee_code, payer_code=agreement.payer_code,
        number=inv.number, document_type=inv.document_type, issued_on=inv.issued_on, due_on=inv.due_on,
        currency=inv.currency, period=checked.period, payment_reference=inv.payment_reference,
        payment_reference_is_rf=inv.payment_reference_is_rf, payee_iban=iban,
        preceding_invoice=inv.preceding_invoice, total=inv.payable.amount, payable=inv.ledger_effect().amount,
        status=checked.status, source=inv.source, document=document,
        document_sha256=hashlib.sha256(document).hexdigest() if document is not None else None)
    session.add(invoice)
    session.flush()
    rows = [{"invoice_id": invoice.id, "position": line.position, "line_id": line.parsed.line_id[:100],
             "kind": _short(line.parsed.kind, 40),
             "returnee_id": line.returnee_id, "period": line.period,
             "description": _short(line.parsed.description, 500), "amount": line.parsed.net_amount.amount,
             "obligation_id": line.obligation.id if line.obligation else None, "override_reason": None,
             "category": _short(line.parsed.category, 20) if line.parsed.kind == cost_rules.ACTUAL_COST else None,
             "evidence_ref": _short(line.parsed.evidence_ref, 200)}
            for line in checked.lines]
    for start in range(0, len(rows), 5000):
        session.execute(insert(InvoiceLine), rows[start:start + 5000])
    now = utcnow()
    findings = [{"invoice_id": invoice.id, "line": f.line, "code": f.code, "message": f.message[:2000],
                 "field": _short(f.field, 200), "source": f.source, "created_at": now,
                 "remaining": f.remaining.amount if f.remaining is not None else None} for f in checked.findings]
    for start in range(0, len(findings), 5000):
        session.execute(insert(InvoiceFinding), findings[start:start + 5000])
    describe(session, "invoice.receive", "invoice", invoice.id,
             f"{agreement.reference} {inv.document_type} {inv.source} {checked.status} "
             f"{len(checked.findings)} findings")
    return invoice


def _short(text: str | None, size: int) -> str | None:
    return None if text is None else text[:size]


# ---- reading ---------------------------------------------------------------------------------------

def get(session: Session, invoice_id: int) -> Invoice:
    return fetch(session, Invoice, invoice_id, "invoice")


def lines_of(session: Session, invoice_id: int) -> list[InvoiceLine]:
    return list(session.execute(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
                                .order_by(InvoiceLine.position)).scalars())


def findings_of(session: Session, invoice_id: int) -> list[InvoiceFinding]:
    return list(session.execute(select(InvoiceFinding).where(InvoiceFinding.invoice_id == invoice_id)
                                .order_by(InvoiceFinding.id)).scalars())


def etag(invoice: Invoice) -> str:
    return f'"invoice-{invoice.id}-{invoice.version}"'


def _money(amount, currency: str) -> Money:
    return Money(Decimal(amount), currency)


def _finding_shown(finding: InvoiceFinding, currency: str) -> Extended:
    """A stored finding with its `kind` and its invoice's `currency` (that of `remaining`)."""
    return Extended(finding, kind=kind_of(finding.code), currency=currency)


def _pseudonyms(session: Session, ids: set[int]) -> dict[int, str | None]:
    found: dict[int, str | None] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 5000):
        found.update(agreement_queries.returnee_pseudonyms(session, ordered[start:start + 5000]))
    return found


#: The findings of a page of invoices, as rows (read by attribute as the model's objects are), built once.
_PAGE_FINDINGS = (select(*InvoiceFinding.__table__.c)
                  .where(InvoiceFinding.__table__.c.invoice_id.in_(bindparam("ids", expanding=True)))
                  .order_by(InvoiceFinding.__table__.c.id))


def view_page(session: Session, rows: list[dict]) -> list[dict]:
    """A list page's invoices (`list_query`'s rows), each as `view` without lines gives it, with the findings of
    all of them read by one query and their agreements by another. A query per invoice for each made a page of 100
    cost 201 round trips: `session.get` finds an agreement read for the invoice before only while something still
    holds it (the session's identity map keeps its objects weakly)."""
    if not rows:
        return []
    invoices = [SimpleNamespace(**row) for row in rows]  # `view` reads an invoice by attribute
    findings: dict[int, list] = {invoice.id: [] for invoice in invoices}
    for finding in session.connection().execute(_PAGE_FINDINGS, {"ids": list(findings)}):
        findings[finding.invoice_id].append(finding)
    agreements_of = agreement_queries.references_of(session, {invoice.agreement_id for invoice in invoices})
    return [view(session, invoice, with_lines=False, findings=findings[invoice.id],
                 agreement=agreements_of[invoice.agreement_id], has_document=invoice.has_document)
            for invoice in invoices]


def view(session: Session, invoice: Invoice, with_lines: bool = True, findings: list[InvoiceFinding] | None = None,
         agreement=None, lines: list[InvoiceLine] | None = None, has_document: bool | None = None) -> dict:
    """The wire form; lists leave the lines out (an invoice may have thousands). `findings`, `agreement`, `lines`
    and `has_document`: the invoice's, when the caller read them already (`view_page`, which leaves the document
    unread; `approval`)."""
    if has_document is None:
        has_document = invoice.document is not None
    if findings is None:
        findings = findings_of(session, invoice.id)
    if agreement is None:
        agreement = agreement_queries.get(session, invoice.agreement_id)
    cur = invoice.currency
    rows = (lines if lines is not None else lines_of(session, invoice.id)) if with_lines else []
    pseudonyms = _pseudonyms(session, {ln.returnee_id for ln in rows if ln.returnee_id is not None})
    lines = [{"line": ln.line_id, "kind": ln.kind, "returnee": pseudonyms.get(ln.returnee_id),
              "returnee_id": ln.returnee_id,
              "period": ln.period, "description": ln.description, "amount": _money(ln.amount, cur),
              "obligation": ln.obligation_id, "override_reason": ln.override_reason,
              "category": ln.category, "evidence_ref": ln.evidence_ref}
             for ln in rows]
    decision = None
    if invoice.decided_at is not None:
        decision = {"by": invoice.decided_by, "at": invoice.decided_at, "reason": invoice.decision_reason,
                    "journal_entry": invoice.journal_entry_id}
    return {
        "id": invoice.id, "agreement": invoice.agreement_id, "agreement_reference": agreement.reference,
        "payee": invoice.payee_code, "payer": invoice.payer_code, "number": invoice.number,
        "document_type": invoice.document_type, "issued_on": invoice.issued_on, "due_on": invoice.due_on,
        "currency": cur, "period": invoice.period, "payment_reference": invoice.payment_reference,
        "payment_reference_is_rf": invoice.payment_reference_is_rf, "payee_iban": invoice.payee_iban,
        "preceding_invoice": invoice.preceding_invoice, "total": _money(invoice.total, cur),
        "payable": _money(invoice.payable, cur), "advance_offset": _money(invoice.advance_offset, cur),
        "amount_open": _money(invoice.amount_open, cur), "status": invoice.status, "source": invoice.source,
        "has_document": has_document, "dispute_reason": invoice.dispute_reason,
        "decision": decision, "findings": [_finding_shown(f, cur) for f in findings],
        "version": invoice.version, "created_at": invoice.created_at,
        **({"lines": lines} if with_lines else {}),
    }


def dry_run_shown(checked: Checked) -> Extended:
    """The parsed document as the invoice it would be, nothing stored (`id` null, `dry_run` true): its agreement and
    sides, the document's payable as `total` and what it does to the amount owed as `payable`, the amount due
    worked out from its parts (`computed_payable`, null when its currencies disagree), its lines as matched and
    the checks' findings."""
    inv, agreement = checked.invoice, checked.agreement
    try:
        computed = computed_payable(inv)
    except CurrencyMismatch:
        computed = None
    return Extended(
        inv, id=None, agreement=agreement.id, agreement_reference=agreement.reference, payee=agreement.payee_code,
        payer=agreement.payer_code, period=checked.period, payee_iban=inv.seller.iban, total=inv.payable,
        payable=inv.ledger_effect(), computed_payable=computed, status=checked.status, dry_run=True,
        lines=[_checked_line_shown(line) for line in checked.lines], findings=checked.findings,
    )


def _checked_line_shown(line: CheckedLine) -> Extended:
    """A line as matched: what the document says of it, with the returnee's id and the obligation found (if any)."""
    parsed = line.parsed
    return Extended(line, line=parsed.line_id, kind=parsed.kind, returnee=parsed.returnee,
                    description=parsed.description, amount=parsed.net_amount,
                    obligation=line.obligation.id if line.obligation else None)


#: The invoice list's filters, each (name, whether a request uses its value).
_LIST_FILTERS = (("party", bool), ("status", bool), ("agreement_id", lambda v: v is not None), ("period", bool))


def list_values(party: str | None, status: str | None, agreement_id: int | None, period: str | None) -> dict:
    """The list's filters a request uses, by name, with their values: `list_query`'s parameters."""
    given = {"party": party, "status": status, "agreement_id": agreement_id, "period": period}
    return {name: given[name] for name, used in _LIST_FILTERS if used(given[name])}


def list_query(used: dict) -> Select:
    """The invoices a list shows, as rows for `view_page`: every column but the document (up to 10 MB each, of
    which a list says only whether there is one), narrowed by the filters `used` (`list_values`), each value a
    bound parameter of the filter's name (the list's select is built once per shape, `listing.prepared_rows_page`)."""
    columns = [column for column in Invoice.__table__.c if column.key != "document"]
    query = select(*columns, type_coerce(Invoice.document.is_not(None), Boolean).label("has_document"))
    if "party" in used:
        query = query.where(or_(Invoice.payee_code == bindparam("party"), Invoice.payer_code == bindparam("party")))
    for name in ("status", "agreement_id", "period"):
        if name in used:
            query = query.where(getattr(Invoice, name) == bindparam(name))
    return query


# ---- decisions -------------------------------------------------------------------------------------

def _check_if_match(invoice: Invoice, if_match: str | None) -> None:
    check_if_match(etag(invoice), if_match, "invoice")


def _claim_transition(session: Session, invoice: Invoice, allowed: Sequence[str], action: str) -> None:
    """Move on from an undecided state exactly once, even when two officers decide at the same moment."""
    if invoice.status not in allowed:
        raise Conflict(f"a {invoice.status} invoice cannot be {action}", code="invalid_transition")
    # RETURNING the whole row refreshes the invoice as the claim leaves it, in the claim's own statement.
    claimed = session.execute(
        update(Invoice).where(Invoice.id == invoice.id, Invoice.version == invoice.version)
        .values(version=invoice.version + 1).returning(Invoice),
        execution_options={"synchronize_session": False, "populate_existing": True}).scalar_one_or_none()
    if claimed is None:
        raise Conflict("the invoice was decided by someone else meanwhile; read it again", code="conflict")


def _refuse_arithmetic(findings: Sequence[InvoiceFinding]) -> None:
    """A document that does not add up is never payable as stated: not even over an officer's reason, which
    would otherwise make payable a total its own lines do not reach."""
    wrong = [f for f in findings if kind_of(f.code) == "arithmetic"]
    if wrong:
        named = ", ".join(f"{f.code} ({f'line {f.line}' if f.line else 'document'})" for f in wrong)
        raise Unprocessable(
            f"the invoice does not add up ({named}); arithmetic findings cannot be overridden: dispute or "
            "reject it so that the partner sends a corrected document", code="arithmetic_not_overridable",
            extra={"findings": [{"code": f.code, "line": f.line, "field": f.field} for f in wrong]})


def _overrides(overrides: Sequence[dict], findings: Sequence[InvoiceFinding],
               invoice_lines: Sequence[InvoiceLine]) -> dict[str | None, str]:
    lines = {ln.line_id for ln in invoice_lines}
    given: dict[str | None, str] = {}
    for index, item in enumerate(overrides):
        line = item.get("line")
        if line is not None and line not in lines:
            raise field_error(f"overrides.{index}.line", f"the invoice has no line {line!r}", "unknown_line")
        given[line] = item["reason"]
    needed = {f.line for f in findings if kind_of(f.code) == "obligation"}
    missing = sorted((line or "(document)") for line in needed - set(given))
    if missing:
        raise Unprocessable(
            f"approving over findings needs a reason for each: {', '.join(missing)}", code="override_required",
            errors={"overrides": [f"no reason given for {m}" for m in missing]})
    return given


def approve(session: Session, invoice: Invoice, overrides: Sequence[dict], actor: str,
            if_match: str | None = None, reason: str | None = None) -> Invoice:
    """Post the payable (see the module docstring) and mark the matched obligations invoiced."""
    return approval(session, invoice, overrides, actor, if_match, reason)[0]


def approval(session: Session, invoice: Invoice, overrides: Sequence[dict], actor: str,
             if_match: str | None = None, reason: str | None = None) -> tuple[Invoice, dict]:
    """`approve`, and what it read of the invoice (its findings, lines and agreement) as `view`'s arguments: the
    answer shows the approved invoice without reading them a second time."""
    _check_if_match(invoice, if_match)
    findings = findings_of(session, invoice.id)
    _refuse_arithmetic(findings)
    lines = lines_of(session, invoice.id)  # read once: an invoice's lines change only here, under the claim below
    given = _overrides(overrides, findings, lines)
    agreement = agreement_queries.get(session, invoice.agreement_id)
    if invoice.currency != agreement.currency:
        raise Unprocessable(f"the agreement is in {agreement.currency}: an invoice in {invoice.currency} cannot "
                            "be posted; reject it", code="currency_mismatch")
    _claim_transition(session, invoice, OPEN_STATUSES, "approved")
    day = today()
    period = first_open_period(session, day)
    for line in lines:
        if line.line_id in given:
            line.override_reason = given[line.line_id]
    if invoice.document_type == "credit_note":
        entry_id = _post_credit_note(session, invoice, agreement, day, period)
    else:
        entry_id = _post_invoice(session, invoice, agreement, lines, day, period)
    invoice.status = "approved" if invoice.amount_open != 0 else "paid"
    invoice.journal_entry_id = entry_id
    invoice.decided_by, invoice.decided_at = actor, utcnow()
    invoice.decision_reason = reason or given.get(None)
    session.flush()
    describe(session, "invoice.approve", "invoice", invoice.id,
             f"payable {invoice.payable} {invoice.currency}, open {invoice.amount_open}, "
             f"{len(given)} overrides, entry {entry_id}")
    return invoice, {"findings": findings, "lines": lines, "agreement": agreement}


def _keys(agreement) -> tuple[AccountKey, AccountKey, AccountKey]:
    costs, obligations = agreements.accounts(agreement)
    payable = AccountKey("invoices_payable", agreement.currency, agreement.payee_code, agreement.payer_code,
                         agreement.id)
    return costs, obligations, payable


def _post_invoice(session: Session, invoice: Invoice, agreement, lines: list[InvoiceLine],
                  day: date, period: str) -> int | None:
    cur = invoice.currency
    payable = _money(invoice.payable, cur)
    wanted = [line.obligation_id for line in lines if line.obligation_id is not None]
    by_id: dict[int, object] = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start:start + 5000]  # read afresh: another approval may have invoiced them
        by_id.update((o.id, o) for o in agreements.lock_obligation_chunk(session, chunk))
    matched: dict[int, object] = {}
    for line in lines:
        if line.obligation_id is None:
            continue
        obligation = by_id[line.obligation_id]
        if obligation.status == "accrued" and obligation.id not in matched:
            matched[obligation.id] = obligation
        elif line.override_reason is None:
            raise Conflict(f"line {line.line_id}: obligation {obligation.id} was invoiced since this invoice was "
                           "checked; dispute it or approve with an override", code="obligation_invoiced")
        else:
            line.obligation_id = None  # paid over an override: a cost, not this obligation's settlement
    accrued = Money(sum((Decimal(o.amount) for o in matched.values()), Decimal(0)), cur)
    offset = None
    asks_for_advance = any(obligation_rules.is_advance(o.key) for o in matched.values())
    if payable.amount > 0 and cur == agreement.currency and not asks_for_advance:
        offset = agreements.offset_advance(session, agreement, invoice.id, payable, day, period)
    covered = Money(-Decimal(offset.amount), cur) if offset is not None else Money.zero(cur)
    costs, obligations, invoices_payable = _keys(agreement)
    entry_lines = [debit(obligations, accrued - covered), debit(costs, payable - accrued),
                   credit(invoices_payable, payable - covered)]
    entry_lines = tuple(line for line in entry_lines if not line.amount.is_zero())
    entry_id = offset.journal_entry_id if offset is not None else None
    if entry_lines:
        entry_id = post_entries(session, [EntryDraft(
            effective_date=day, period=period, lines=entry_lines, source_type="invoice_approval",
            source_id=str(invoice.id),
            memo=f"{agreement.reference}: invoice {invoice.number} approved")])[0]
    settled = [*matched] + ([offset.id] if offset is not None else [])
    agreements.set_status(session, settled, "invoiced")
    invoice.advance_offset = covered.amount
    invoice.amount_open = (payable - covered).amount
    return entry_id


def _post_credit_note(session: Session, invoice: Invoice, agreement, day: date,
                      period: str) -> int | None:
    cur = invoice.currency
    credited = -_money(invoice.payable, cur)  # positive: what the payer owes less
    costs, _, invoices_payable = _keys(agreement)
    if credited.is_zero():
        return None
    entry_id = post_entries(session, [EntryDraft(
        effective_date=day, period=period, lines=(debit(invoices_payable, credited), credit(costs, credited)),
        source_type="invoice_approval", source_id=str(invoice.id),
        memo=f"{agreement.reference}: credit note {invoice.number} approved")])[0]
    remaining = credited
    if invoice.preceding_invoice:
        corrected = session.execute(select(Invoice).where(
            Invoice.payee_code == invoice.payee_code, Invoice.number == invoice.preceding_invoice,
            Invoice.agreement_id == invoice.agreement_id, Invoice.status == "approved")).scalar_one_or_none()
        if corrected is not None and corrected.amount_open > 0:
            applied = min(remaining, _money(corrected.amount_open, cur))
            corrected.amount_open = (_money(corrected.amount_open, cur) - applied).amount
            if corrected.amount_open == 0:
                corrected.status = "paid" if corrected.amount_in_transit == 0 else "in_transit"
            corrected.version += 1
            remaining = remaining - applied
    invoice.amount_open = (-remaining).amount
    return entry_id


def dispute(session: Session, invoice: Invoice, reason: str, lines: Sequence[str] | None, actor: str,
            if_match: str | None = None) -> Invoice:
    """Send the invoice back: the partner sees the findings and this reason on GET /invoices/{id}."""
    _check_if_match(invoice, if_match)
    known = {ln.line_id for ln in lines_of(session, invoice.id)}
    for index, line in enumerate(lines or ()):
        if line not in known:
            raise field_error(f"lines.{index}", f"the invoice has no line {line!r}", "unknown_line")
    _claim_transition(session, invoice, OPEN_STATUSES, "disputed")
    targets = list(lines) if lines else [None]
    session.add_all(InvoiceFinding(invoice_id=invoice.id, line=line, code="disputed", message=reason,
                                   source="officer") for line in targets)
    invoice.status, invoice.dispute_reason = "disputed", reason
    invoice.decided_by, invoice.decided_at, invoice.decision_reason = actor, utcnow(), reason
    session.flush()
    describe(session, "invoice.dispute", "invoice", invoice.id, f"{len(lines or [])} lines disputed")
    return invoice


def reject(session: Session, invoice: Invoice, reason: str, actor: str, if_match: str | None = None) -> Invoice:
    """Refuse the invoice for good: nothing is posted and its obligations are free to be invoiced again."""
    _check_if_match(invoice, if_match)
    _claim_transition(session, invoice, OPEN_STATUSES, "rejected")
    invoice.status = "rejected"
    invoice.decided_by, invoice.decided_at, invoice.decision_reason = actor, utcnow(), reason
    session.flush()
    describe(session, "invoice.reject", "invoice", invoice.id, "rejected")
    return invoice


# ---- reconciliation hooks --------------------------------------------------------------------------

def open_invoices(session: Session, *, payer: str | None = None, payee: str | None = None,
                  currency: str | None = None, agreement_id: int | None = None) -> list[Invoice]:
    """Approved invoices with something still to pay (or, negative, credit notes owed back), oldest first."""
    query = select(Invoice).where(Invoice.status == "approved", Invoice.amount_open != 0)
    for column, value in ((Invoice.payer_code, payer), (Invoice.payee_code, payee), (Invoice.currency, currency),
                          (Invoice.agreement_id, agreement_id)):
        if value is not None:
            query = query.where(column == value)
    return list(session.execute(query.order_by(Invoice.due_on, Invoice.id)).scalars())


def _take_off(invoice: Invoice, amount: Money) -> bool:
    """Take `amount` off an approved invoice's open amount, refusing more than is open; True when that paid it
    (the caller marks its obligations paid: one at a time, or in bulk)."""
    if invoice.status != "approved":
        raise Conflict(f"a {invoice.status} invoice has nothing open to settle", code="invalid_transition")
    open_amount = _money(invoice.amount_open, invoice.currency)
    if amount.currency != invoice.currency or amount.amount <= 0 or amount > open_amount:
        raise Conflict(f"{amount} {amount.currency} does not fit the open {open_amount} {invoice.currency}",
                       code="overpayment")
    invoice.amount_open = (open_amount - amount).amount
    invoice.version += 1
    if _paid_off(open_amount.amount, amount.amount):
        # Paid only once nothing is in transit either: a released payment order the bank has not debited yet.
        invoice.status = "paid" if invoice.amount_in_transit == 0 else "in_transit"
        return invoice.status == "paid"
    return False


def _paid_off(open_amount: Decimal, amount: Decimal) -> bool:
    """The one rule: an invoice at zero is paid (and its obligations too, `_pay_obligations`)."""
    return open_amount - amount == 0


def _pay_obligations(db: Session | Connection, invoice_ids: Sequence[int]) -> None:
    """Mark paid the obligations of invoices just paid off (`_paid_off`), through the agreements feature."""
    for start in range(0, len(invoice_ids), _CHUNK):
        obligation_ids = db.execute(select(InvoiceLine.obligation_id)
                                    .join(Invoice, Invoice.id == InvoiceLine.invoice_id).where(
            InvoiceLine.invoice_id.in_(invoice_ids[start:start + _CHUNK]), InvoiceLine.obligation_id.is_not(None),
            Invoice.status == "paid")).scalars()  # an invoice with an order still in transit is not paid yet
        agreements.set_status(db, list(obligation_ids), "paid")


def settle(session: Session, invoice_id: int, amount: Money) -> Invoice:
    """Take `amount` (positive, in the invoice currency) off an approved invoice's open amount.

    For reconciliation, which posts its own entry (Dr invoices_payable / Cr cash). Refuses more than is
    open; at zero the invoice is `paid` and its obligations too."""
    invoice = get(session, invoice_id)
    if _take_off(invoice, amount):
        _pay_obligations(session, [invoice.id])
    session.flush()
    describe(session, "invoice.settle", "invoice", invoice.id, f"{amount} {amount.currency} settled")
    return invoice


def settle_many(session: Session, amounts: dict[int, Money]) -> None:
    """`settle` for many invoices in one go (a released payment batch of thousands): the same checks, every
    invoice or none, the obligations of those fully settled marked paid in a few statements."""
    ids = sorted(amounts)
    rows: dict[int, Invoice] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        rows.update((i.id, i) for i in session.execute(select(Invoice).where(Invoice.id.in_(chunk))).scalars())
    paid = []
    with session.no_autoflush:
        for invoice_id in ids:
            invoice, amount = rows.get(invoice_id), amounts[invoice_id]
            if invoice is None:
                raise not_found("invoice")
            if _take_off(invoice, amount):
                paid.append(invoice_id)
            describe(session, "invoice.settle", "invoice", invoice_id, f"{amount} {amount.currency} settled")
    _pay_obligations(session, paid)
    session.flush()


def settle_checked(db: Session | Connection, amounts: dict[int, Decimal], open_before: dict[int, Decimal]) -> None:
    """`settle_many` for a caller that locked the invoices, read what each had open (`open_before`) and checked
    that `amounts` fit: a reconciliation run, which posts its own entries and writes from its writer thread on a
    bare connection. No ORM objects and no audit note per invoice: a few statements for thousands of invoices,
    by the same rule (`_paid_off`)."""
    rows = [(i, a, _paid_off(open_before[i], a)) for i, a in sorted(amounts.items())]
    update_from_values(db, "invoices", [("amount", AMOUNT), ("paid", Boolean())],
                       "amount_open = t.amount_open - v.amount, version = t.version + 1, "
                       "status = CASE WHEN v.paid AND t.amount_in_transit = 0 THEN 'paid' "
                       "WHEN v.paid THEN 'in_transit' ELSE t.status END", rows)
    _pay_obligations(db, [i for i, _, paid in rows if paid])


def unsettle(session: Session, invoice_id: int, amount: Money) -> Invoice:
    """Undo `settle` (a reversed match): the amount is open again and a paid invoice approved again."""
    invoice = get(session, invoice_id)
    if invoice.status not in ("approved", "in_transit", "paid") or amount.amount <= 0:
        raise Conflict("nothing was settled on this invoice", code="invalid_transition")
    open_amount = _money(invoice.amount_open, invoice.currency) + amount
    if open_amount + _money(invoice.amount_in_transit, invoice.currency) > _cash_owed(invoice):
        raise Conflict("more than was ever settled", code="invalid_transition")
    if invoice.status == "paid":
        ids = [ln.obligation_id for ln in lines_of(session, invoice.id) if ln.obligation_id]
        agreements.set_status(session, ids, "invoiced")
    invoice.amount_open, invoice.status = open_amount.amount, "approved"
    record_change(session, invoice, "invoice.unsettle", "invoice", invoice.id, f"{amount} {amount.currency} open again")
    return invoice


def _cash_owed(invoice: Invoice) -> Money:
    return _money(invoice.payable, invoice.currency) - _money(invoice.advance_offset, invoice.currency)


def _obligation_ids(session: Session, invoice_ids: Sequence[int]) -> list[int]:
    found: list[int] = []
    for start in range(0, len(invoice_ids), 5000):
        found.extend(session.execute(select(InvoiceLine.obligation_id).where(
            InvoiceLine.invoice_id.in_(list(invoice_ids[start:start + 5000])),
            InvoiceLine.obligation_id.is_not(None))).scalars())
    return found


# ---- payment orders: ordered (in transit) before paid ------------------------------------------------
#
# A released payment batch orders part or all of an invoice's open amount: it leaves `amount_open` for
# `amount_in_transit` (nothing proposes or matches it again), and an invoice with nothing open left is
# `in_transit`, not `paid`: the money is with the bank. The bank's debit (matched by EndToEndId) clears it
# (`clear_transit`: `paid` once nothing is open nor in transit, its obligations paid); a rejection (pain.002)
# opens it again (`unorder`); a reversed EndToEndId match puts it back in transit (`unclear`).

def lock_many(session: Session, invoice_ids: list[int]) -> dict[int, Invoice]:
    """The invoices of `invoice_ids`, locked (a payment batch's release), by id."""
    return {i.id: i for i in session.execute(
        select(Invoice).where(Invoice.id.in_(invoice_ids)).with_for_update()).scalars()}


def order_many(session: Session, amounts: dict[int, Money]) -> None:
    """Released payment orders: each amount off the invoice's open amount and into transit. The invoices are
    locked by the caller; every one is checked (approved, that much open) before any changes."""
    ids = sorted(amounts)
    rows: dict[int, Invoice] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        rows.update((i.id, i) for i in session.execute(select(Invoice).where(Invoice.id.in_(chunk))).scalars())
    with session.no_autoflush:
        for invoice_id in ids:
            invoice, amount = rows.get(invoice_id), amounts[invoice_id]
            if invoice is None:
                raise not_found("invoice")
            open_amount = _money(invoice.amount_open, invoice.currency)
            if invoice.status != "approved" or amount.currency != invoice.currency or amount.amount <= 0 \
                    or amount > open_amount:
                raise Conflict(f"{amount} {amount.currency} does not fit the open {open_amount} {invoice.currency} "
                               f"of a {invoice.status} invoice", code="overpayment")
            invoice.amount_open = (open_amount - amount).amount
            invoice.amount_in_transit = (_money(invoice.amount_in_transit, invoice.currency) + amount).amount
            if invoice.amount_open == 0:
                invoice.status = "in_transit"
            invoice.version += 1
            describe(session, "invoice.order", "invoice", invoice_id, f"{amount} {amount.currency} ordered, in transit")
    session.flush()


def _transit_row(session: Session, invoice_id: int) -> Invoice:
    invoice = session.execute(select(Invoice).where(Invoice.id == invoice_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar()
    if invoice is None:
        raise not_found("invoice")
    return invoice


def clear_transit(session: Session, invoice_id: int, amount: Money) -> Invoice:
    """The bank debited an order: off the amount in transit; `paid` (and its obligations) once nothing is open
    nor in transit."""
    invoice = _transit_row(session, invoice_id)
    transit = _money(invoice.amount_in_transit, invoice.currency)
    if amount.amount <= 0 or amount > transit:
        raise Conflict(f"{amount} {amount.currency} is more than the {transit} in transit", code="not_in_transit")
    invoice.amount_in_transit = (transit - amount).amount
    if invoice.amount_in_transit == 0 and invoice.amount_open == 0 and invoice.status == "in_transit":
        invoice.status = "paid"
        agreements.set_status(session, _obligation_ids(session, [invoice.id]), "paid")
    record_change(session, invoice, "invoice.settle", "invoice", invoice.id,
                  f"{amount} {amount.currency} debited by the bank")
    return invoice


def unclear(session: Session, invoice_id: int, amount: Money) -> Invoice:
    """Undo `clear_transit` (the bank's debit was matched wrongly): the amount is in transit again and a paid
    invoice is `in_transit` again, its obligations invoiced."""
    invoice = _transit_row(session, invoice_id)
    transit = _money(invoice.amount_in_transit, invoice.currency) + amount
    if invoice.status not in ("approved", "in_transit", "paid") or amount.amount <= 0 \
            or transit + _money(invoice.amount_open, invoice.currency) > _cash_owed(invoice):
        raise Conflict("the bank never debited that much of this invoice", code="invalid_transition")
    if invoice.status == "paid":
        agreements.set_status(session, _obligation_ids(session, [invoice.id]), "invoiced")
        invoice.status = "in_transit"
    invoice.amount_in_transit = transit.amount
    record_change(session, invoice, "invoice.unsettle", "invoice", invoice.id,
                  f"{amount} {amount.currency} in transit again")
    return invoice


def unorder(session: Session, invoice_id: int, amount: Money) -> Invoice:
    """The bank refused an order (pain.002): the amount leaves transit and is open again; the invoice approved."""
    invoice = _transit_row(session, invoice_id)
    transit = _money(invoice.amount_in_transit, invoice.currency)
    if invoice.status not in ("approved", "in_transit") or amount.amount <= 0 or amount > transit:
        raise Conflict(f"{amount} {amount.currency} is more than the {transit} in transit", code="not_in_transit")
    invoice.amount_in_transit = (transit - amount).amount
    invoice.amount_open = (_money(invoice.amount_open, invoice.currency) + amount).amount
    invoice.status = "approved"
    record_change(session, invoice, "invoice.unsettle", "invoice", invoice.id,
                  f"{amount} {amount.currency} open again: order rejected")
    return invoice


# ---- payment references -----------------------------------------------------------------------------

def rf_reference(body: str) -> str:
    """An ISO 11649 creditor reference (RFnn + up to 21 letters/digits) for `body`."""
    cleaned = "".join(ch for ch in body.upper() if ch.isalnum())[:21]
    return f"RF{mod_97_10.calc_check_digits(cleaned + 'RF')}{cleaned}"


# ---- erasure -----------------------------------------------------------------------------------------

def redact_documents(session: Session, before: date, erased: set[str]) -> int:
    """Erasure reaches the stored originals: a UBL document naming an erased returnee by its pseudonym would
    otherwise keep the link erasure removed. Every stored document is read (erasure is a rare batch job);
    `document_sha256` keeps the digest of the document as received. Returns how many were redacted."""
    if not erased:
        return 0
    changed = 0
    ids = list(session.execute(select(Invoice.id).where(Invoice.document.is_not(None)).order_by(Invoice.id))
               .scalars())
    for start in range(0, len(ids), 100):  # a hundred documents in memory at a time
        chunk = session.execute(select(Invoice.id, Invoice.document).where(Invoice.id.in_(ids[start:start + 100])))
        for invoice_id, document in chunk.all():
            redacted = redact(bytes(document), erased)
            if redacted != document:
                session.execute(update(Invoice).where(Invoice.id == invoice_id).values(document=redacted))
                changed += 1
    describe(session, "invoice.redact", "invoice", "",
             f"{changed} stored documents redacted (retention before {before})")
    return changed
