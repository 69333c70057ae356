"""Where features plug into the app: their models, API blueprints, pages, commands, demo data, and what
they add to the settlement statement. One line per feature in each list, so adding one is a small diff.

Importing every model module here also puts every table on the shared metadata, which is what the
migrations and the models-agree-with-migrations check compare against.
"""

from __future__ import annotations

from flask import Flask


def import_models() -> None:
    from ledger import auth, idempotency, integrity  # noqa: F401
    from ledger.agreements import models as agreements_models  # noqa: F401
    from ledger.approvals import models as approvals_models  # noqa: F401
    from ledger.audit import models as audit_models  # noqa: F401
    from ledger.budgets import models as budgets_models  # noqa: F401
    from ledger.fx import models as fx_models  # noqa: F401
    from ledger.interest import models as interest_models  # noqa: F401
    from ledger.invoices import models as invoices_models  # noqa: F401
    from ledger.journal import models as journal_models  # noqa: F401
    from ledger.parties import models as parties_models  # noqa: F401
    from ledger.payments import models as payments_models  # noqa: F401
    from ledger.recognition import models as recognition_models  # noqa: F401
    from ledger.reconciliation import models as reconciliation_models  # noqa: F401
    from ledger.settlement import models as settlement_models  # noqa: F401
    from ledger.statements import models as statements_models  # noqa: F401
    from ledger.web import models as web_models  # noqa: F401


def blueprints() -> list:
    from ledger.agreements.views import blp as agreements
    from ledger.approvals.views import blp as approvals
    from ledger.audit.views import blp as audit
    from ledger.budgets.views import blp as budgets
    from ledger.fx.views import blp as fx
    from ledger.interest.views import blp as interest
    from ledger.invoices.views import blp as invoices
    from ledger.journal.views import blp as journal
    from ledger.ops.views import blp as ops
    from ledger.parties.views import blp as parties
    from ledger.payments.views import blp as payments
    from ledger.recognition.views import blp as recognition
    from ledger.reconciliation.views import blp as reconciliation
    from ledger.settlement.views import blp as settlement
    from ledger.statements.views import blp as statements

    return [
        ops,
        parties,
        audit,
        approvals,
        journal,
        agreements,
        invoices,
        statements,
        reconciliation,
        recognition,
        interest,
        settlement,
        payments,
        budgets,
        fx,
    ]


def web_blueprints() -> list:
    """Blueprints of pages (made with `ledger.web.pages`); see `ledger/web/__init__.py` for the recipe."""
    from ledger.web.agreements import bp as agreements
    from ledger.web.agreements import returnees_bp as returnees
    from ledger.web.approvals import bp as approvals
    from ledger.web.budgets import bp as budgets
    from ledger.web.claims import bp as claims
    from ledger.web.invoices import bp as invoices
    from ledger.web.partner import bp as partner
    from ledger.web.payments import bp as payments
    from ledger.web.reconciliation import bp as reconciliation
    from ledger.web.settlement import bp as settlement
    from ledger.web.statements import bp as statements
    from ledger.web.views import bp as web

    return [
        web,
        agreements,
        returnees,
        invoices,
        statements,
        reconciliation,
        settlement,
        claims,
        payments,
        partner,
        approvals,
        budgets,
    ]


def init_features(app: Flask) -> None:
    from ledger import web
    from ledger.ops.views import init_app as init_ops

    import_models()
    init_ops(app)
    web.init_app(app, web_blueprints())


def approval_handlers() -> dict:
    """What a second officer's approval does, per kind of request (`ledger.approvals`): a function
    (session, payload, approval) run in the approving transaction. A feature that needs four eyes adds its kinds
    here."""
    from ledger.budgets.service import APPROVAL_KIND, approve_commitment
    from ledger.payments.service import OVERRIDE_KIND, apply_override
    from ledger.reconciliation import approvals as reconciliation_approvals

    return {OVERRIDE_KIND: apply_override, reconciliation_approvals.KIND: reconciliation_approvals.approve,
            APPROVAL_KIND: approve_commitment}


def reconciliation_passes() -> list:
    """Functions (session, actor, dry_run) -> matches run by reconciliation before its own rules, on evidence
    that needs no guessing (a payment order's EndToEndId)."""
    from ledger.payments.service import match_executed

    return [match_executed]


def reconciliation_confirm_checks() -> list:
    """Functions (session, match) run before a proposed match is confirmed: each may refuse it (raise a Problem),
    e.g. an exception a first pass left for review that explains no money."""
    from ledger.payments.service import refuse_exception

    return [refuse_exception]


def reconciliation_reversals() -> list:
    """Functions (session, match, actor, reason) -> bool that reverse a posted match a first pass made, in their
    own way (True: done); reconciliation's own reversal runs when none does."""
    from ledger.payments.service import unmatch_executed

    return [unmatch_executed]


def accrual_checks() -> list:
    """(session, agreement, drafts, period, principal) -> held, run before an accrual posts: each may refuse the
    run (raise a Problem) or hold the agreement's accrual for approval (True: nothing posted)."""
    from ledger.budgets.service import check_commitments

    return [check_commitments]


def after_close() -> list:
    """Functions (session, period) run when a month closes, after its statements are signed, in the same
    transaction: they may propose what the close brings due (late interest), never post it."""
    from ledger.interest.service import propose_at_close

    return [propose_at_close]


def chain_verifiers() -> list:
    """(name, verify(session) -> Break | None) for every hash chain the ledger keeps."""
    from ledger.audit.service import verify as verify_audit
    from ledger.journal.service import verify as verify_journal

    return [("audit log", verify_audit), ("journal", verify_journal)]


def cli_groups() -> list:
    from ledger.agreements.cli import accrue, returnees_cli
    from ledger.demo import demo
    from ledger.fx.cli import fx_rates
    from ledger.journal.cli import journal
    from ledger.payments.cli import payments
    from ledger.recognition.cli import claims
    from ledger.reconciliation.cli import reconcile
    from ledger.settlement.cli import report_command, settle, verify_statement
    from ledger.statements.cli import statements
    from ledger.web.cli import users

    return [
        demo,
        journal,
        accrue,
        returnees_cli,
        statements,
        reconcile,
        claims,
        settle,
        report_command,
        verify_statement,
        users,
        payments,
        fx_rates,
    ]


def erasure_steps() -> list:
    """(name, step(session, before, erased) -> count) run in order by `ledger returnees erase`: each drops the
    link to the people whose retention ended before `before`, adds the pseudonyms it dropped to `erased`, and
    later steps remove those from what they store."""
    from ledger.agreements.service import erase_returnees
    from ledger.idempotency import redact_replays
    from ledger.invoices.service import redact_documents
    from ledger.recognition.service import erase_return_orders

    return [
        ("returnees", erase_returnees),
        ("return_orders", erase_return_orders),
        ("invoice_documents", redact_documents),
        ("stored_answers", redact_replays),
    ]


def demo_seeders() -> list:
    """Functions (session) -> [(name, credential)] that add each feature's demo data, in this order."""
    from ledger.agreements.demo import seed as seed_agreements
    from ledger.budgets.demo import seed as seed_budgets
    from ledger.invoices.demo import seed as seed_invoices
    from ledger.payments.demo import seed as seed_payments
    from ledger.recognition.demo import seed as seed_recognition
    from ledger.reconciliation.demo import seed as seed_reconciliation
    from ledger.statements.demo import seed as seed_statements
    from ledger.web.demo import seed as people

    return [
        seed_agreements,
        seed_budgets,
        seed_invoices,
        seed_statements,
        seed_reconciliation,
        seed_recognition,
        seed_payments,
        people,
    ]


def settlement_providers() -> dict[str, list]:
    """What features add to the settlement statement, each a function over the session:
    agreement_info(session, agreement_ids, period) -> {id: {reference, payer, payee, ...}};
    open_items(session, period, party, agreement_ids) -> {kind: [items]};
    sections(session, period, party) -> {name: value} (whole-period statements only)."""
    from ledger.agreements.settlement_provider import agreement_info
    from ledger.invoices.settlement_provider import overdue_open_items
    from ledger.payments.service import settlement_section
    from ledger.recognition.settlement_provider import eu_sections
    from ledger.reconciliation.service import proposed_open_items
    from ledger.settlement.reviews import carried_open_items
    from ledger.settlement.service import disputed_open_items
    from ledger.statements.settlement_provider import unreconciled_open_items

    return {
        "agreement_info": [
            agreement_info,
        ],
        "open_items": [
            disputed_open_items,
            carried_open_items,
            unreconciled_open_items,
            overdue_open_items,
            proposed_open_items,
        ],
        "sections": [
            eu_sections,
            settlement_section,
        ],
    }
