from flask import Response, stream_with_context

from contracts.journal import AccountArgs, AccountPageSchema, EntryArgs, EntryPageSchema, ExportArgs
from ledger import auth, db
from ledger.api import blueprint
from ledger.auth import READ_ROLES, requires
from ledger.journal import export, queries

blp = blueprint("journal", "Accounts, balances and the double-entry journal")


@blp.route("/accounts")
@requires(*READ_ROLES)
@blp.arguments(AccountArgs, location="query")
@blp.response(200, AccountPageSchema)
def accounts(args):
    """Accounts with their balances as of a date or a period's end"""
    return queries.account_page(db.session(), auth.current(), args)


@blp.route("/journal/entries")
@requires(*READ_ROLES)
@blp.arguments(EntryArgs, location="query")
@blp.response(200, EntryPageSchema)
def entries(args):
    """Journal entries with their postings, in chain order"""
    return queries.entry_page(db.session(), auth.current(), args)


@blp.route("/journal/export")
@requires("finance_officer", "auditor", "admin")
@blp.arguments(ExportArgs, location="query")
@blp.response(200, content_type="text/plain", description="a beancount file")
def export_journal(args):
    """The whole journal as a beancount file, with balance assertions at each closed period's end"""
    session = db.session()
    body = stream_with_context(export.beancount_lines(session))
    return Response(body, mimetype="text/plain",
                    headers={"Content-Disposition": 'attachment; filename="ledger.beancount"'})
