"""The invariant machine of "One truth": a hypothesis rule-based state machine over the service layer.

It does what finance officers and partners do — agreements made and amended (back-dated too), returnees and
their events (voluntary and onward departures too), budget lines voted (later accruals refused or held
beyond them), accruals, month-end FX revaluations of GB's euro payables (with rates recorded as it goes),
invoices decided with overrides and corrected by credit notes, invoices of actual costs above and below
their caps, late interest proposed and decided, EU cost claims decided line by line, disputed, resolved and
paid, bank statements imported
(payments, payments in another currency, money nobody explains, refunds), reconciliation runs whose matches are
confirmed, rejected and reversed, months closed and late items booked after them — and after every step checks
the invariants of `tests.invariants.checks`. Every example runs in a savepoint that is rolled back at its end,
and every step in a savepoint of its own, so a refused step leaves nothing behind (as a refused request does).

Dates are explicit, in 2026 and before 2026-11-30, so nothing depends on the calendar (the service's clock
only dates approvals and reversals, which are booked in the first open period).
"""

from __future__ import annotations

import io
import json
import os
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import select

from ledger.agreements import service as agreements
from ledger.agreements.models import Agreement, Obligation, Returnee
from ledger.audit import service as audit
from ledger.auth import Principal
from ledger.budgets import service as budgets
from ledger.errors import REFUSALS
from ledger.fx import service as fx
from ledger.interest import service as interest
from ledger.interest.models import InterestProposal
from ledger.invoices import InvoiceParseError, from_json, parse_ubl
from ledger.invoices import service as invoices
from ledger.invoices.models import Invoice
from ledger.invoices.parsed import LINE_KINDS
from ledger.journal import service as journal
from ledger.money import Money, quantize
from ledger.parties import service as parties
from ledger.payments import pain002
from ledger.payments import service as payments
from ledger.payments.models import PaymentBatch, PaymentItem
from ledger.pseudonyms import PersonalData
from ledger.recognition import service as recognition
from ledger.recognition.models import CostClaim, CostClaimDispute
from ledger.reconciliation import service as reconciliation
from ledger.reconciliation.models import POSTED, ReconciliationMatch
from ledger.settlement import service as settlement
from ledger.settlement.models import FrozenStatement
from ledger.statements import service as statements
from ledger.statements.demo import DemoTransfer, camt053
from ledger.statements.models import Transfer
from ledger.timeutil import today
from tests.api.invoices_helpers import ubl
from tests.invariants import checks

#: Each party's registered accounts: GB pays in two currencies (bean-check must tell its GBP cash from its EUR).
ACCOUNTS = {
    "GB": [("GB33BUKB20201555555555", "GBP"), ("GB82WEST12345698765432", "EUR")],
    "IT": [("IT60X0542811101000000123456", "EUR")],
    "RW": [("GB29NWBK60161331926819", "GBP")],
    "AL": [("AL35202111090000000001234567", "EUR")],
}
#: The member states' EUR accounts: FR pays DE's cost claims from its account through payment batches too.
MEMBER_ACCOUNTS = {"DE": [("DE89370400440532013000", "EUR")], "FR": [("FR1420041010050500013M02606", "EUR")]}
PAYER_ACCOUNTS = {iban: (party, currency) for party in ("GB", "IT") for iban, currency in ACCOUNTS[party]} | {
    iban: ("FR", currency) for iban, currency in MEMBER_ACCOUNTS["FR"]}
#: (payer, payee, currency) of the agreements the machine may make.
KINDS = [("GB", "RW", "GBP"), ("IT", "AL", "EUR"), ("GB", "AL", "EUR")]
UNKNOWN_IBAN = "FR7630006000011234567890189"
#: Member states bound by Directive 2001/40/EC that compensate each other's enforcements (Decision 2004/191/EC).
MEMBER_STATES = ("DE", "FR")
LAST_DAY = date(2026, 11, 28)
LAST_CLOSABLE = "2026-11"
ACTOR = "machine officer"
#: Who acts on EU claims: staff act for either state.
OFFICER = Principal(key="machine", name=ACTOR, role="finance_officer")

#: Every invariant, by name (LEDGER_MACHINE_INVARIANTS may choose some while hunting one).
INVARIANTS = ("entries_balance", "closing_equals_journal", "opening_equals_previous_closing",
              "closed_statements_unchanged", "cash_equals_bank", "export_passes_bean_check",
              "assertions_equal_statements", "in_transit_equals_orders", "claims_equal_journal")
#: Payment batches: one officer prepares, two others approve (four eyes; two above the threshold).
PREPARER = Principal("machine:preparer", "machine preparer", "finance_officer")
APPROVERS = (Principal("machine:approver-1", "machine approver 1", "finance_officer"),
             Principal("machine:approver-2", "machine approver 2", "finance_officer"))
SECOND_ABOVE = Decimal("5000.00")

#: GB's fiscal year starts in April and it reports in pounds; IT's is the calendar year, in euro.
FISCAL = {"GB": {"fiscal_year_start_month": 4, "reporting_currency": "GBP"}, "IT": {"reporting_currency": "EUR"}}

money_choice = st.sampled_from(["250.00", "900.00", "1500.00", "20000.00"])


def _day(start: date, offset: int) -> date:
    return min(start + timedelta(days=offset), LAST_DAY)


class OneTruth(RuleBasedStateMachine):
    """Set by the test before running: `session` (the test's, inside its rolled-back transaction), `checked`
    (the names of the invariants to check) and `tally` (a list the machine appends its step count to)."""

    session = None
    checked: frozenset[str] = frozenset(INVARIANTS)
    tally: list[int] = []
    outcomes: dict[str, list[int]] = {}  # service call → [done, refused], for LEDGER_MACHINE_STATS

    def __init__(self) -> None:
        super().__init__()
        self.s = type(self).session
        self.savepoint = self.s.begin_nested()
        self.steps = 0
        self.counter = 0
        self.agreements: list[int] = []
        self.returnees: list[int] = []
        self.eu_claims = 0
        self.bank = {iban: {"balance": Decimal("0.00"), "day": date(2026, 1, 2), "statements": 0}
                     for iban in PAYER_ACCOUNTS}
        self.did: set[str] = set()  # what has happened at least once: the later rules wait for it
        self.moved: set[tuple] = set()  # what makes two movements the same one for the bank (see camt053)
        self.closed: dict[str, checks.Closed] = {}
        self.accrued_through = ""  # a month may close once a later month has been accrued
        self.rates, self.first_rate_month, self.budgets = 0, 12, 0
        self.revalued: set[int] = set()
        for code, accounts in ACCOUNTS.items():
            parties.create(self.s, {"code": code, "name": f"Republic {code}", "contact_point": "treasury@example",
                                    "bank_accounts": [{"iban": i, "currency": c} for i, c in accounts],
                                    **FISCAL.get(code, {})})
        # GB reports in pounds: its euro payables (GB→AL) are revalued at month ends
        fx.record_rate(self.s, "EUR", "GBP", Decimal("0.8500"), date(2025, 12, 1), "machine")
        for code in MEMBER_STATES:
            parties.create(self.s, {"code": code, "name": f"Republic {code}", "contact_point": "interior@example",
                                    "bank_accounts": [{"iban": i, "currency": c} for i, c in MEMBER_ACCOUNTS[code]]})
        self.s.flush()

    def teardown(self) -> None:
        type(self).tally.append(self.steps)
        try:
            self.savepoint.rollback()
        finally:
            self.s.expire_all()
            self.s.info.clear()

    # ---- doing -------------------------------------------------------------------------------------

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _step(self, action, *args) -> object:
        """Run one service call as a request would: all of it, or (refused) nothing."""
        self.steps += 1
        self.s.info.pop(audit.NOTES, None)
        counts = type(self).outcomes.setdefault(getattr(action, "__qualname__", "?"), [0, 0])
        try:
            with self.s.begin_nested():
                result = action(*args)
        except (*REFUSALS, InvoiceParseError) as refusal:
            counts[1] += 1
            type(self).outcomes.setdefault(f"  refused: {getattr(refusal, 'code', type(refusal).__name__)}",
                                           [0, 0])[1] += 1
            self.s.expire_all()
            return None
        counts[0] += 1
        self.did.add(getattr(action, "__name__", "?"))
        return result

    def _agreement(self, data) -> Agreement:
        return self.s.get(Agreement, data.draw(st.sampled_from(self.agreements), label="agreement"))

    @precondition(lambda self: len(self.agreements) < 3)
    @rule(data=st.data(), kind=st.sampled_from([*KINDS, KINDS[-1]]), month=st.integers(1, 4), fee=money_choice,
          support=money_choice, months=st.integers(1, 6), instalment=st.none() | st.integers(1, 11),
          advance=st.booleans(), costs=st.booleans(), late_interest=st.booleans())
    def create_agreement(self, data, kind, month, fee, support, months, instalment, advance, costs, late_interest):
        payer, payee, currency = kind
        start = date(2026, month, 1)
        terms = {"per_returnee_fee": fee, "monthly_support": {"amount": support, "max_months": months},
                 "payment_terms_days": 30, "tolerance": {"absolute": "5.00", "percent": "0.1"}}
        if instalment is not None:
            terms["instalments"] = [{"due_on": date(2026, max(instalment, month), 1).isoformat(),
                                     "amount": "50000.00", "label": "fund contribution"}]
        if advance:
            terms["advance"] = {"amount": "3000.00"}
        if costs:  # actual costs up to caps, and a grant per voluntary departure
            terms["cost_reimbursement"] = {"cap_per_person": "2000.00", "caps_per_category": {"healthcare": "700.00"},
                                           "cap_per_year": "1500.00"}
            terms["voluntary_departure_grant"] = "400.00"
        if late_interest:
            terms["late_interest"] = {"kind": "fixed", "rate_percent": "8.00"}
        body = {"reference": f"{payer}-{payee}-M{self._next()}", "kind": "return_hub", "payer": payer,
                "payee": payee, "currency": currency, "signed_on": start - timedelta(days=10),
                "effective_from": start, "effective_to": date(2030, 12, 31), "terms": terms}
        made = self._step(agreements.create, self.s, body)
        if made is not None:
            self.agreements.append(made.id)

    @precondition(lambda self: self.agreements)
    @rule(data=st.data(), month=st.integers(1, 11), fee=money_choice, support=money_choice,
          months=st.integers(1, 6))
    def amend_agreement(self, data, month, fee, support, months):
        """A new version from the first of `month`: back-dated whenever that month is accrued or closed."""
        agreement = self._agreement(data)
        terms = {"per_returnee_fee": fee, "monthly_support": {"amount": support, "max_months": months},
                 "payment_terms_days": 30, "tolerance": {"absolute": "5.00", "percent": "0.1"}}
        self._step(agreements.amend, self.s, agreement, date(2026, month, 1), terms, None)

    @precondition(lambda self: self.agreements)
    @rule(data=st.data(), days=st.lists(st.integers(0, 300), min_size=1, max_size=3),
          accepted=st.none() | st.integers(0, 5))
    def add_returnees(self, data, days, accepted):
        agreement = self._agreement(data)
        items = []
        for offset in days:
            transferred = _day(agreement.effective_from, offset)
            items.append({"case_ref": f"MACHINE-{self._next()}", "nationality": "AFG", "transferred_on": transferred,
                          "accepted_on": None if accepted is None else _day(transferred, accepted)})
        personal = PersonalData.from_config(current_app.config)
        results = self._step(agreements.submit, self.s, agreement, items, personal) or []
        self.returnees.extend(item["id"] for item in results if "id" in item)

    @precondition(lambda self: self.returnees)
    @rule(data=st.data(), kind=st.sampled_from(["accepted", "accepted", "departed", "voluntary_departure",
                                                "returned_onward"]), after=st.integers(0, 90))
    def returnee_event(self, data, kind, after):
        returnee = self.s.get(Returnee, data.draw(st.sampled_from(self.returnees), label="returnee"))
        self._step(agreements.add_event, self.s, returnee, kind, _day(returnee.transferred_on, after))

    @precondition(lambda self: self.agreements)
    @rule(data=st.data(), month=st.integers(1, 11))
    def accrue(self, data, month):
        period = f"2026-{month:02d}"
        if self._step(agreements.accrue_agreement, self.s, self._agreement(data), period) is not None:
            self.accrued_through = max(self.accrued_through, f"2026-{month - 1:02d}" if month > 1 else "")

    @precondition(lambda self: self.agreements and self.budgets < 2)
    @rule(data=st.data(), year=st.sampled_from([2025, 2026]), voted=st.sampled_from(["0.00", "60000.00", "9000000.00"]),
          on_exceed=st.sampled_from(["refuse", "approve"]))
    def vote_budget(self, data, year, voted, on_exceed):
        """A budget line: later accruals beyond it are refused or held for approval (nothing posted either way)."""
        agreement = self._agreement(data)
        if self._step(budgets.create, self.s, {"fiscal_year": year, "agreement": agreement.id,
                                               "voted": Decimal(voted), "currency": agreement.currency,
                                               "on_exceed": on_exceed}):
            self.budgets += 1

    @precondition(lambda self: self.agreements and self.rates < 6)
    @rule(month=st.integers(1, 11), rate=st.sampled_from(["0.8400", "0.8612", "0.8799"]), day=st.integers(1, 28))
    def record_rate(self, month, rate, day):
        if self._step(fx.record_rate, self.s, "EUR", "GBP", Decimal(rate), date(2026, month, day), "machine"):
            self.rates += 1
            self.first_rate_month = min(self.first_rate_month, month)

    def _revaluable(self) -> list[int]:
        """Months not yet revalued from the first one a new rate was recorded in (earlier ones would move nothing)."""
        return [m for m in range(self.first_rate_month, 12) if m not in self.revalued]

    @precondition(lambda self: "accrue_agreement" in self.did and self._revaluable())
    @rule(data=st.data())
    def revalue(self, data):
        """Month-end revaluation of a month not yet revalued: unrealised differences in GBP, reversed the next day."""
        month = data.draw(st.sampled_from(self._revaluable()), label="month")
        done = self._step(fx.revalue, self.s, f"2026-{month:02d}", None)
        if done is not None:
            self.revalued.add(month)
        if any(row.entry_id for row in done or []):
            type(self).outcomes.setdefault("  revaluations posting entries", [0, 0])[0] += 1

    @precondition(lambda self: "accrue_agreement" in self.did)
    @rule(data=st.data(), take=st.integers(1, 4), overcharge=st.sampled_from(["0", "0", "10.00"]))
    def submit_invoice(self, data, take, overcharge):
        """The payee invoices (some of) what a period made payable; an overcharged line is disputed by the
        check and can only be approved with an override."""
        rows = self.s.execute(select(Obligation).where(
            Obligation.status == "accrued", Obligation.kind.in_(LINE_KINDS - {"advance_offset"}))
            .order_by(Obligation.id)).scalars().all()
        if not rows:
            return
        agreement_id, period = data.draw(st.sampled_from(sorted({(o.agreement_id, o.period) for o in rows})),
                                         label="agreement and period")
        agreement = self.s.get(Agreement, agreement_id)
        lines = []
        for o in [o for o in rows if (o.agreement_id, o.period) == (agreement_id, period)][:take]:
            line = {"kind": o.kind, "amount": Money(Decimal(o.amount), o.currency)}
            if o.returnee_id is not None:
                line["returnee"] = str(o.returnee_id)
            lines.append(line)
        lines[0]["amount"] = lines[0]["amount"] + Money.of(overcharge, agreement.currency)
        self._receive(agreement, period, lines, "M")

    def _receive(self, agreement, period: str, lines: list[dict], series: str) -> None:
        """The host's invoice of `lines` for `period`, numbered in its `series` (M: monthly, C: actual costs)."""
        total = Money(sum((line["amount"].amount for line in lines), Decimal(0)), agreement.currency)
        number = self._next()
        issued = min(checks.period_end(period) + timedelta(days=1), LAST_DAY)
        reference = f"MACHINE{number}" if series == "M" else f"MACHINE{series}{number}"
        payload = {"agreement": agreement.reference, "number": f"{agreement.payee_code}-{series}{number}",
                   "issued_on": issued, "due_on": issued + timedelta(days=30), "currency": agreement.currency,
                   "period": period, "payment_reference": invoices.rf_reference(reference), "total": total,
                   "lines": lines}
        self._step(invoices.receive, self.s, from_json(payload), agreement.payee_code)

    @precondition(lambda self: self.returnees)
    @rule(data=st.data(), costs=st.lists(st.tuples(
        st.sampled_from(["accommodation", "food", "healthcare", "legal_aid", "integration", "onward_travel"]),
        st.sampled_from(["120.00", "450.00", "800.00"])), min_size=1, max_size=4), month=st.integers(1, 11))
    def submit_cost_invoice(self, data, costs, month):
        """The host invoices actual costs of one returnee (kind actual_cost): lines above a cap, outside the stay
        or under terms that reimburse none are findings, decided like any other (an override or a rejection)."""
        returnee = self.s.get(Returnee, data.draw(st.sampled_from(self.returnees), label="returnee"))
        agreement = self.s.get(Agreement, returnee.agreement_id)
        period = f"2026-{max(month, agreement.effective_from.month):02d}"
        lines = [{"kind": "actual_cost", "returnee": str(returnee.id), "category": category,
                  "amount": Money.of(amount, agreement.currency), "evidence_ref": f"RCPT-{self._next()}"}
                 for category, amount in costs]
        self._receive(agreement, period, lines, "C")

    @precondition(lambda self: "approve" in self.did)
    @rule(back=st.sampled_from([0, 0, 10, 45]))
    def run_interest(self, back):
        """Late interest proposed on overdue invoices (posting nothing until an officer accepts), up to a day
        near the machine's last."""
        self._step(self._run_interest, LAST_DAY - timedelta(days=back))

    def _run_interest(self, as_of: date) -> object:
        return interest.run(self.s, as_of)

    @precondition(lambda self: "_run_interest" in self.did)
    @rule(data=st.data(), accept=st.booleans())
    def decide_interest(self, data, accept):
        waiting = list(self.s.execute(select(InterestProposal.id).where(InterestProposal.status == "proposed")
                                      .order_by(InterestProposal.id)).scalars())
        if not waiting:
            return
        proposal = data.draw(st.sampled_from(waiting), label="interest proposal")
        if accept:
            self._step(interest.accept, self.s, proposal, ACTOR)
        else:
            self._step(interest.reject, self.s, proposal, ACTOR, "waived")

    def _invoices(self, *statuses: str, document_type: str | None = None) -> list[int]:
        query = select(Invoice.id).where(Invoice.status.in_(statuses)).order_by(Invoice.id)
        if document_type:
            query = query.where(Invoice.document_type == document_type)
        return list(self.s.execute(query).scalars())

    @precondition(lambda self: "receive" in self.did)
    @rule(data=st.data(), decision=st.sampled_from(["approve", "approve", "approve", "dispute", "reject"]))
    def decide_invoice(self, data, decision):
        undecided = self._invoices("accepted", "disputed")
        if not undecided:
            return
        invoice = invoices.get(self.s, data.draw(st.sampled_from(undecided), label="invoice"))
        if decision == "approve":
            overrides = [{"line": line, "reason": "checked with the partner"}
                         for line in sorted({f.line for f in invoices.findings_of(self.s, invoice.id)},
                                            key=lambda x: x or "")]
            self._step(invoices.approve, self.s, invoice, overrides, ACTOR)
        elif decision == "dispute":
            self._step(invoices.dispute, self.s, invoice, "please check the amounts", None, ACTOR)
        else:
            self._step(invoices.reject, self.s, invoice, "not ours", ACTOR)

    @precondition(lambda self: "approve" in self.did)
    @rule(data=st.data(), take=st.integers(1, 3), half=st.booleans())
    def submit_credit_note(self, data, take, half):
        """The payee credits (part of) lines of an approved invoice, naming it (BillingReference)."""
        approved = self._invoices("approved", "paid", document_type="invoice")
        if not approved:
            return
        invoice = invoices.get(self.s, data.draw(st.sampled_from(approved), label="invoice"))
        agreement = self.s.get(Agreement, invoice.agreement_id)
        lines = []
        for line in [ln for ln in invoices.lines_of(self.s, invoice.id) if ln.obligation_id][:take]:
            amount = Decimal(line.amount) / 2 if half else Decimal(line.amount)
            entry = {"kind": line.kind, "amount": format(quantize(amount, invoice.currency), "f")}
            if line.returnee_id is not None:
                entry["returnee"] = str(line.returnee_id)
            lines.append(entry)
        if not lines:
            return
        document = ubl(f"{agreement.payee_code}-CN{self._next()}", agreement.reference, lines, period=invoice.period,
                       credit_note=True, preceding=invoice.number, currency=invoice.currency)
        self._step(self._receive_ubl, document, agreement.payee_code)

    def _receive_ubl(self, document: bytes, payee: str) -> object:
        return invoices.receive(self.s, parse_ubl(document), payee, document)

    # ---- EU cost claims (Decision 2004/191/EC) --------------------------------------------------------------

    @precondition(lambda self: self.eu_claims < 4)
    @rule(amounts=st.lists(st.sampled_from(["35.00", "120.00", "640.00"]), min_size=1, max_size=3),
          month=st.integers(2, 10), recovered=st.sampled_from(["0.00", "0.00", "50.00"]))
    def eu_claim(self, amounts, month, recovered):
        """FR's decision enforced by DE, whose claim of visa and travel-document fees waits for FR's decision."""
        self.eu_claims += 1
        self._step(self._eu_claim, amounts, date(2026, month, 3), recovered)

    def _eu_claim(self, amounts: list[str], enforced_on: date, recovered: str) -> object:
        order = recognition.create_order(self.s, OFFICER, {
            "issuing_state": "FR", "decision_ref": f"OQTF-M{self._next()}", "decision_date": date(2025, 11, 4),
            "ground": "public_order", "case_ref": f"MACHINE-EU-{self.counter}", "legal_basis": None},
                                         PersonalData.from_config(current_app.config))
        rec = recognition.request_recognition(self.s, OFFICER, order.id, {"enforcing_state": "DE",
                                                                          "requested_on": date(2025, 12, 1)})
        recognition.decide_recognition(self.s, OFFICER, rec.id, {"recognised": True, "decided_on": date(2025, 12, 10)},
                                       None)
        recognition.record_enforcement(self.s, OFFICER, rec.id, {"enforced_on": enforced_on,
                                                                 "notified_on": enforced_on}, None)
        lines = [{"category": "visa_fee" if n % 2 else "travel_document_fee", "amount": Decimal(amount),
                  "evidence_ref": f"EV-{n}"} for n, amount in enumerate(amounts)]
        return recognition.create_claim(self.s, OFFICER, {
            "recognition": rec.id, "submitted_on": enforced_on + timedelta(days=5), "currency": "EUR",
            "recovered_from_person": Decimal(recovered), "lines": lines})

    def _claims(self, *stages: str) -> list[int]:
        return list(self.s.execute(select(CostClaim.id).where(CostClaim.status.in_(stages))
                                   .order_by(CostClaim.id)).scalars())

    @precondition(lambda self: "_eu_claim" in self.did)
    @rule(data=st.data(), verdicts=st.lists(st.sampled_from([None, True, False]), min_size=3, max_size=3),
          accepted=st.booleans(), after=st.integers(0, 40))
    def decide_eu_claim(self, data, verdicts, accepted, after):
        """FR answers in writing: the whole claim, or line by line (a refused line with its reason)."""
        waiting = self._claims("submitted")
        if not waiting:
            return
        claim = self.s.get(CostClaim, data.draw(st.sampled_from(waiting), label="claim"))
        count = len(recognition._lines_of(self.s, [claim.id])[claim.id])
        lines = [{"line": n, "accepted": ok, "reason": None if ok else "no receipt"}
                 for n, ok in enumerate(verdicts[:count]) if ok is not None]
        self._step(recognition.decide_claim, self.s, OFFICER, claim.id, {
            "accepted": accepted, "decided_on": _day(claim.submitted_on, after),
            "reason": None if accepted else "not our decision", "lines": lines}, None)

    @precondition(lambda self: "decide_claim" in self.did)
    @rule(data=st.data(), after=st.integers(0, 20))
    def dispute_eu_claim(self, data, after):
        decided = self._claims("accepted", "refused")
        if not decided:
            return
        claim = self.s.get(CostClaim, data.draw(st.sampled_from(decided), label="claim disputed"))
        self._step(recognition.open_dispute, self.s, OFFICER, claim.id, {"reason": "receipts attached",
                                                                "opened_on": _day(claim.decided_on, after)})

    @precondition(lambda self: "open_dispute" in self.did)
    @rule(data=st.data(), outcome=st.sampled_from(["upheld", "partially_upheld", "rejected"]),
          after=st.integers(0, 20))
    def resolve_eu_dispute(self, data, outcome, after):
        open_ = list(self.s.execute(select(CostClaimDispute).where(CostClaimDispute.status == "open")
                                    .order_by(CostClaimDispute.id)).scalars())
        if not open_:
            return
        dispute = data.draw(st.sampled_from(open_), label="dispute")
        first = int(dispute.lines.split(",")[0])
        self._step(recognition.resolve_dispute, self.s, OFFICER, dispute.id, {
            "outcome": outcome, "decided_on": _day(dispute.opened_on, after), "reason": "as the file shows",
            "lines": [{"line": first, "accepted": True}] if outcome == "partially_upheld" else None})

    @precondition(lambda self: "decide_claim" in self.did)
    @rule(data=st.data(), after=st.integers(0, 60))
    def pay_eu_claim(self, data, after):
        due = self._claims("accepted", "disputed")  # a disputed one is refused (409 dispute_open)
        if not due:
            return
        claim = self.s.get(CostClaim, data.draw(st.sampled_from(due), label="claim paid"))
        self._step(recognition.record_payment, self.s, OFFICER, claim.id, _day(claim.decided_on, after))

    # ---- the bank -------------------------------------------------------------------------------------

    def _payee_iban(self, payee: str, currency: str) -> str | None:
        return next((iban for iban, cur in ACCOUNTS[payee] if cur == currency), None)

    @precondition(lambda self: self.agreements)
    @rule(data=st.data(), iban=st.sampled_from(sorted(PAYER_ACCOUNTS)), advance=st.integers(0, 20),
          kinds=st.lists(st.sampled_from(["pay", "pay", "short", "fx", "unexplained_out", "unexplained_in",
                                          "refund"]), min_size=1, max_size=4))
    def import_statement(self, data, iban, advance, kinds):
        """The bank's next statement of a payer's account (it opens where the last closed): payments of open
        invoices (exact, a little short, or in the account's currency for an invoice in another), money nobody
        explains, and refunds of what credit notes left owed back."""
        party, currency = PAYER_ACCOUNTS[iban]
        account = self.bank[iban]
        day = _day(account["day"], advance)
        moves, conversions = [], []
        for kind in kinds:
            move = self._move(data, kind, party, currency, day, conversions)
            if move is None:
                continue
            key = (move.day, move.amount, move.reference, move.counterparty_iban)
            if key in self.moved or (iban,) + key in self.moved:
                continue  # the bank would give it the reference of the earlier movement: not a new one
            self.moved.add((iban,) + key)
            moves.append(move)
        if not moves:
            return
        account["statements"] += 1
        n = account["statements"]
        document = camt053(iban, currency, moves, opening=account["balance"], message_id=f"M-{iban[:4]}-{n}",
                           statement_id=f"S-{iban[:4]}-{n}")
        record = self._step(self._import, document, conversions)
        if record is not None:
            account["balance"] += sum((m.amount for m in moves), Decimal(0))
            account["day"] = max(m.day for m in moves)

    def _import(self, document: bytes, conversions: list[tuple]) -> object:
        record = statements.import_statement(self.s, io.BytesIO(document), actor=ACTOR)
        for amount, reference, instructed, rate in conversions:  # the bank's advice of each conversion
            transfer = self.s.execute(select(Transfer).where(
                Transfer.statement_id == record.id, Transfer.structured_reference == reference,
                Transfer.amount == amount)).scalars().first()
            statements.state_fx(self.s, transfer, instructed, rate, "bank advice")
        return record

    def _open(self, party: str, currency: str | None, *, negative: bool = False) -> list[Invoice]:
        query = select(Invoice).where(Invoice.status == "approved", Invoice.payer_code == party,
                                      (Invoice.amount_open < 0) if negative else (Invoice.amount_open > 0))
        if currency is not None:
            query = query.where(Invoice.currency == currency)
        return list(self.s.execute(query.order_by(Invoice.id)).scalars())

    @staticmethod
    def _after(day: date, invoice: Invoice) -> date:
        """A payment is made once the invoice is issued (the matching engine weighs payments made before it less)."""
        return max(day, min(invoice.issued_on, LAST_DAY))

    def _move(self, data, kind: str, party: str, currency: str, day: date, conversions: list) -> DemoTransfer | None:
        if kind in ("pay", "short"):
            owed = self._open(party, currency)
            if not owed:
                return None
            invoice = data.draw(st.sampled_from(owed), label="invoice paid")
            amount = Decimal(invoice.amount_open) - (Decimal("3.00") if kind == "short" else 0)
            reference = invoice.payment_reference if data.draw(st.booleans(), label="quotes reference") else None
            return DemoTransfer(-quantize(amount, currency), reference,
                                self._payee_iban(invoice.payee_code, currency), self._after(day, invoice))
        if kind == "fx":
            owed = [i for i in self._open(party, None) if i.currency != currency]
            if not owed:
                return None
            invoice = data.draw(st.sampled_from(owed), label="invoice paid in another currency")
            rate = data.draw(st.sampled_from([Decimal("1.15"), Decimal("1.1725"), Decimal("0.86")]), label="rate")
            instructed = Money(quantize(Decimal(invoice.amount_open), invoice.currency), invoice.currency)
            booked = quantize(instructed.amount * rate, currency)
            conversions.append((booked, invoice.payment_reference, instructed, rate))
            return DemoTransfer(-booked, invoice.payment_reference,
                                self._payee_iban(invoice.payee_code, invoice.currency), self._after(day, invoice))
        if kind == "refund":
            owed_back = self._open(party, currency, negative=True)
            if not owed_back:
                return None
            note = data.draw(st.sampled_from(owed_back), label="credit note refunded")
            return DemoTransfer(-quantize(Decimal(note.amount_open), currency), note.payment_reference,
                                self._payee_iban(note.payee_code, currency), self._after(day, note))
        amount = data.draw(st.sampled_from([Decimal("12.34"), Decimal("250.00"), Decimal("1000.00")]),
                           label="unexplained amount")
        counterparty = data.draw(st.sampled_from([UNKNOWN_IBAN, None]), label="counterparty")
        return DemoTransfer(amount if kind == "unexplained_in" else -amount, f"MISC {self._next()}", counterparty, day)

    # ---- reconciliation -------------------------------------------------------------------------------

    @precondition(lambda self: "_import" in self.did)
    @rule()
    def run_reconciliation(self):
        self._step(reconciliation.run, self.s, ACTOR)

    def _matches(self, *statuses: str) -> list[int]:
        return list(self.s.execute(select(ReconciliationMatch.id).where(ReconciliationMatch.status.in_(statuses))
                                   .order_by(ReconciliationMatch.id)).scalars())

    @precondition(lambda self: "run" in self.did)
    @rule(data=st.data(), confirm=st.booleans())
    def review_proposal(self, data, confirm):
        proposed = self._matches("proposed")
        if not proposed:
            return
        match_id = data.draw(st.sampled_from(proposed), label="proposal")
        if confirm:
            self._step(reconciliation.confirm, self.s, match_id, ACTOR)
        else:
            self._step(reconciliation.reject, self.s, match_id, ACTOR, "not this invoice")

    @precondition(lambda self: "run" in self.did)
    @rule(data=st.data())
    def reverse_match(self, data):
        posted = self._matches(*POSTED)
        if not posted:
            return
        self._step(reconciliation.reverse, self.s, data.draw(st.sampled_from(posted), label="match"), ACTOR,
                   "paid the wrong invoice")

    # ---- payments --------------------------------------------------------------------------------------

    def _batches(self, status: str) -> list[int]:
        return list(self.s.execute(select(PaymentBatch.id).where(PaymentBatch.status == status)
                                   .order_by(PaymentBatch.id)).scalars())

    def _items(self, *statuses: str) -> list[PaymentItem]:
        return list(self.s.execute(select(PaymentItem).join(PaymentBatch, PaymentBatch.id == PaymentItem.batch_id)
                                   .where(PaymentBatch.status == "released", PaymentItem.status.in_(statuses))
                                   .order_by(PaymentItem.id)).scalars())

    def _propose(self, iban: str, partial: bool) -> object:
        day = today()
        batch = payments.propose(self.s, debtor_account=iban, due_by=day + timedelta(days=365),
                                 execution_date=day + timedelta(days=1),
                                 principal=PREPARER, second_above=SECOND_ABOVE)
        if partial:
            item = payments.items_of(self.s, batch.id)[0]
            if item.status == "proposed" and item.amount > 1 and item.invoice_id is not None:  # claims, advances: whole
                payments.update_item(self.s, batch.id, item.id, {"amount": quantize(item.amount / 2, item.currency)},
                                     PREPARER, SECOND_ABOVE)
        return batch

    @precondition(lambda self: "approve" in self.did)
    @rule(iban=st.sampled_from(sorted(PAYER_ACCOUNTS)), partial=st.booleans())
    def propose_payment(self, iban, partial):
        self._step(self._propose, iban, partial)

    @precondition(lambda self: "decide_claim" in self.did)
    @rule(release=st.booleans())
    def propose_claim_payment(self, release):
        """FR's treasury proposes paying the cost claims it accepted (to DE's account), each whole; perhaps at
        once approved by the other officers and released (the claims in transit until the bank debits them)."""
        batch = self._step(self._propose, MEMBER_ACCOUNTS["FR"][0][0], False)
        if batch is None or not release:
            return
        for approver in APPROVERS:
            if payments.get(self.s, batch.id).status == "proposed":
                self._step(payments.approve, self.s, batch.id, payments.get(self.s, batch.id).digest, approver)
        self._step(payments.release, self.s, batch.id, PREPARER)

    @precondition(lambda self: "_propose" in self.did)
    @rule(data=st.data(), hold=st.booleans())
    def approve_payment(self, data, hold):
        """A second officer approves (after the preparer perhaps held a transfer: the digest changes first)."""
        proposed = self._batches("proposed")
        if not proposed:
            return
        batch = payments.get(self.s, data.draw(st.sampled_from(proposed), label="batch"))
        items = [i for i in payments.items_of(self.s, batch.id) if i.status == "proposed"]
        if hold and len(items) > 1:
            self._step(payments.update_item, self.s, batch.id, items[-1].id,
                       {"held": True, "hold_reason": "wait"}, PREPARER, SECOND_ABOVE)
        for approver in APPROVERS:
            batch = payments.get(self.s, batch.id)
            if batch.status == "proposed":
                self._step(payments.approve, self.s, batch.id, batch.digest, approver)

    @precondition(lambda self: "approve" in self.did)
    @rule(data=st.data())
    def release_payment(self, data):
        approved = self._batches("approved")
        if approved:
            self._step(payments.release, self.s, data.draw(st.sampled_from(approved), label="batch"), PREPARER)

    @precondition(lambda self: "release" in self.did)
    @rule(data=st.data(), reject=st.booleans())
    def bank_status(self, data, reject):
        """The bank's pain.002 about one transfer: accepted, or rejected (its invoice opens again)."""
        waiting = self._items("ordered", "accepted")
        if not waiting:
            return
        item = data.draw(st.sampled_from(waiting), label="transfer")
        batch = payments.get(self.s, item.batch_id)
        document = pain002.build(f"STS-{self._next()}", batch.message_id,
                                 [(item.end_to_end_id, "RJCT" if reject else "ACSC", "AC04" if reject else None)])
        self._step(payments.import_status, self.s, document, PREPARER)

    @precondition(lambda self: "release" in self.did)
    @rule(data=st.data(), advance=st.integers(0, 10))
    def bank_debit(self, data, advance):
        """The bank debits a released transfer: a statement whose entry quotes its EndToEndId (reconciliation then
        clears it before any other rule)."""
        waiting = [i for i in self._items("ordered", "accepted") if i.currency == PAYER_ACCOUNTS.get(
            payments.get(self.s, i.batch_id).debtor_account, (None, None))[1]]
        if not waiting:
            return
        item = data.draw(st.sampled_from(waiting), label="transfer debited")
        iban = payments.get(self.s, item.batch_id).debtor_account
        account = self.bank[iban]
        day = _day(account["day"], advance)
        move = DemoTransfer(-quantize(Decimal(item.amount), item.currency), f"PAY {item.end_to_end_id}",
                            item.creditor_account, day)
        key = (iban, move.day, move.amount, move.reference, move.counterparty_iban)
        if key in self.moved:
            return
        self.moved.add(key)
        account["statements"] += 1
        n = account["statements"]
        document = camt053(iban, item.currency, [move], opening=account["balance"], message_id=f"M-{iban[:4]}-{n}",
                           statement_id=f"S-{iban[:4]}-{n}")
        document = _with_end_to_end(document, item.end_to_end_id)
        if self._step(self._import, document, []) is not None:
            account["balance"] += move.amount
            account["day"] = day

    # ---- closing ----------------------------------------------------------------------------------------

    def _closable(self) -> str | None:
        """The next month, once the work has gone past it (accrued later months) and while it has ended."""
        period = journal.next_period(max(self.closed, default="2025-12"))
        return period if period <= min(self.accrued_through, LAST_CLOSABLE) else None

    @precondition(lambda self: self._closable() is not None)
    @rule()
    def close_period(self):
        """Close the next month; what comes later for it is booked in the first open month."""
        period = self._closable()
        if self._step(settlement.close, self.s, period, settlement.signing_key(current_app.config)) is None:
            return
        rows = self.s.execute(select(FrozenStatement).where(FrozenStatement.period == period)).scalars().all()
        whole = next(json.loads(r.canonical) for r in rows if r.scope == "all")
        self.closed[period] = checks.Closed(
            canonical={r.scope: r.canonical for r in rows},
            figures={line["agreement_id"]: checks.figures_of(line) for line in whole["agreements"]})

    # ---- the invariants ---------------------------------------------------------------------------------

    @invariant()
    def one_truth(self):
        wanted, s = type(self).checked, self.s
        problems: dict[str, list[str]] = {}
        if "entries_balance" in wanted:
            problems["entries_balance"] = checks.entries_balance(s)
        statement_checks = {"closing_equals_journal", "opening_equals_previous_closing",
                            "closed_statements_unchanged"}
        if statement_checks & wanted:
            lines = {p: checks.statement_lines(s, p) for p in checks.periods_through(checks.last_period(s))}
            if "closing_equals_journal" in wanted:
                problems["closing_equals_journal"] = checks.closing_equals_journal(s, lines)
            if "opening_equals_previous_closing" in wanted:
                problems["opening_equals_previous_closing"] = checks.opening_equals_previous_closing(lines)
            if "closed_statements_unchanged" in wanted:
                problems["closed_statements_unchanged"] = checks.closed_statements_unchanged(s, self.closed, lines)
        if "claims_equal_journal" in wanted:
            problems["claims_equal_journal"] = checks.claims_equal_journal(s)
        if "cash_equals_bank" in wanted:
            problems["cash_equals_bank"] = checks.cash_equals_bank(s, PAYER_ACCOUNTS)
        if "export_passes_bean_check" in wanted:
            problems["export_passes_bean_check"] = checks.export_passes_bean_check(s)
        if "in_transit_equals_orders" in wanted:
            problems["in_transit_equals_orders"] = checks.in_transit_equals_orders(s)
        if "assertions_equal_statements" in wanted and self.closed:
            problems["assertions_equal_statements"] = checks.assertions_equal_statements(s, self.closed)
        failed = {name: found for name, found in problems.items() if found}
        assert not failed, "invariants broken:\n" + "\n".join(
            f"  {name}: " + "; ".join(found[:3]) for name, found in failed.items())


def _with_end_to_end(document: bytes, end_to_end_id: str) -> bytes:
    """The statement's one entry quoting `end_to_end_id` as its EndToEndId, as the bank reports a transfer it
    executed from a pain.001."""
    from lxml import etree

    root = etree.fromstring(document)
    for element in root.iter("{*}EndToEndId"):
        element.text = end_to_end_id
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def examples() -> int:
    return int(os.environ.get("LEDGER_MACHINE_EXAMPLES", "12"))


def steps() -> int:
    return int(os.environ.get("LEDGER_MACHINE_STEPS", "60"))
