from flask.views import MethodView

from contracts.journal import AccountArgs, AccountPageSchema, EntryArgs, EntryPageSchema, ExportArgs
from ledger import auth, db
from ledger.api import blueprint, download
from ledger.auth import READ_ROLES, STAFF
from ledger.journal import export, queries

blp = blueprint("journal", "Accounts, balances and the double-entry journal")


@blp.route("/accounts", endpoint="accounts")
class Accounts(MethodView):
    @blp.reads(READ_ROLES, AccountPageSchema, query=AccountArgs)
    def get(self, args):
        """Accounts with their balances as of a date or a period's end"""
        return queries.account_page(db.session(), auth.current(), args)


@blp.route("/journal/entries", endpoint="entries")
class Entries(MethodView):
    @blp.reads(READ_ROLES, EntryPageSchema, query=EntryArgs)
    def get(self, args):
        """Journal entries with their postings, in chain order"""
        return queries.entry_page(db.session(), auth.current(), args)


@blp.route("/journal/export", endpoint="export_journal")
class Export(MethodView):
    @blp.reads(STAFF, query=ExportArgs, content_type="text/plain",
               description="a beancount file")
    def get(self, args):
        """The whole journal as a beancount file, with balance assertions at each closed period's end

        Streamed from one read-only snapshot. A complete file ends with the line `; end of the journal: N entries`;
        one that failed part-way ends with a line starting `EXPORT FAILED` (which bean-check refuses) and the
        transfer is broken off. A database that cannot be read answers 503 before anything is sent."""
        # Not the request's session: the body is read after the request has ended (and its session closed).
        body = export.Stream(db.database().read_session())
        return download(body, "text/plain", "ledger.beancount")
