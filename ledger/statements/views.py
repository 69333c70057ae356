"""HTTP for statements and transfers: translate requests to `service` calls and answers back."""

from flask import current_app, request
from flask.views import MethodView
from sqlalchemy import select

from contracts.statements import (
    StatementDetailSchema,
    StatementListArgs,
    StatementPageSchema,
    StatementUploadOptions,
    StatementUploadSchema,
    StatementVoidSchema,
    TransferFxSchema,
    TransferListArgs,
    TransferPageSchema,
    TransferSchema,
)
from ledger import db, listing
from ledger.api import blueprint, long_writer
from ledger.auth import READ_ROLES, current, ensure_party_visible, parties_listed, requires
from ledger.errors import Problem, field_error
from ledger.money import Money, MoneyError
from ledger.statements import service, voiding
from ledger.statements.models import Statement, Transfer

blp = blueprint("statements", "Bank statements in (camt.052/.053/.054, MT940, CSV) and the transfers they carry")

#: The upload endpoints of a statement file: the API's and the officers' page.
UPLOADS = {"statements.Statements", "web_statements.upload"}


@blp.before_app_request
def _limit_statement_upload() -> None:
    """A statement file over LEDGER_STATEMENT_MAX_BYTES is refused before it is read: an import must end well
    inside the worker's timeout (README: the largest takes about 40 s); larger files go through
    `ledger statements import`, which has no such limit."""
    if request.method != "POST" or request.endpoint not in UPLOADS:
        return
    limit = int(current_app.config["LEDGER_STATEMENT_MAX_BYTES"])
    request.max_content_length = limit  # werkzeug's form parser answers 413 past it, also for a chunked body
    if request.content_length is not None and request.content_length > limit:
        raise Problem(f"a statement upload is at most {limit} bytes; import larger files with "
                      "`ledger statements import`", status=413, code="payload_too_large")


@blp.route("/statements")
class Statements(MethodView):
    @blp.reads(READ_ROLES, StatementPageSchema, query=StatementListArgs)
    def get(self, args):
        """List imported statements (a partner sees those of its own accounts)"""
        query = select(Statement)
        for party in parties_listed(args.get("party")):
            query = query.where(service.visible_to_party(party))
        if args.get("account"):
            query = query.where(Statement.account == service.normalize_account(args["account"]))
        result = listing.page(query, Statement.id, args)
        result["items"] = [service.view(db.session(), s) for s in result["items"]]
        return result

    @long_writer
    @requires("finance_officer", "admin")
    @blp.arguments(StatementUploadOptions, location="form")
    @blp.arguments(StatementUploadSchema, location="files")
    @blp.response(201, StatementDetailSchema)
    def post(self, options, files):
        """Import a statement file (format detected from its content; entries already imported are skipped)"""
        upload = files["file"]
        # Werkzeug spools an upload above 500 KB to a temporary file, so this streams from disk, not memory.
        record = service.import_statement(db.session(), upload.stream, actor=current().key,
                                          default_currency=options["currency"])
        return (service.view(db.session(), record, detail=True), 201,
                {"Location": f"/api/v1/statements/{record.id}"})


@blp.route("/statements/<int:statement_id>")
class StatementItem(MethodView):
    @blp.reads(READ_ROLES, StatementDetailSchema)
    def get(self, statement_id):
        """Read an imported statement with each statement it contained"""
        session = db.session()
        record = service.get(session, statement_id)
        if current().is_partner:
            ensure_party_visible(*service.parties_of(session, statement_id), kind="statement")
        return service.view(session, record, detail=True)


@blp.route("/statements/<int:statement_id>/void")
class StatementVoid(MethodView):
    @blp.writes(("finance_officer", "admin"), StatementDetailSchema, body=StatementVoidSchema)
    @blp.alt_response(409, description="already voided (`import_voided`), or transfers of the import are matched "
                                       "or proposed for a match (`import_has_matches`, with `transfers` and "
                                       "`matches`): reverse or reject those first")
    def post(self, data, statement_id):
        """Void a wrong import: its cash entries reversed, its transfers taken out of reconciliation"""
        session = db.session()
        record = voiding.void_import(session, service.get(session, statement_id), reason=data["reason"],
                                     actor=current().name)
        return service.view(session, record, detail=True)


@blp.route("/transfers")
class Transfers(MethodView):
    @blp.reads(READ_ROLES, TransferPageSchema, query=TransferListArgs)
    def get(self, args):
        """List transfers, by reconciliation status (a partner sees those on its own accounts)"""
        query = listing.columns_of(Transfer)
        for party in parties_listed(args.get("party")):
            query = query.where(Transfer.party_code == party)
        if args.get("status"):
            query = query.where(service.status_clause(args["status"]))
        if args.get("account"):
            query = query.where(Transfer.account == service.normalize_account(args["account"]))
        if args.get("statement") is not None:
            query = query.where(Transfer.statement_id == args["statement"])
        result = listing.rows_page(query, Transfer.id, args)
        service.status_rows(result["items"])
        return result


@blp.route("/transfers/<int:transfer_id>")
class TransferItem(MethodView):
    @blp.reads(READ_ROLES, TransferSchema)
    def get(self, transfer_id):
        """Read a transfer"""
        transfer = service.get_transfer(db.session(), transfer_id)
        ensure_party_visible(transfer.party_code, kind="transfer")
        return service.with_status(transfer)


@blp.route("/transfers/<int:transfer_id>/fx")
class TransferFxItem(MethodView):
    @blp.writes(("finance_officer", "admin"), TransferFxSchema, body=TransferFxSchema)
    def put(self, data, transfer_id):
        """State what the bank said about a payment in another currency (instructed amount, rate)"""
        session = db.session()
        transfer = service.get_transfer(session, transfer_id)
        try:
            instructed = Money(data["instructed_amount"], data["instructed_currency"])
        except MoneyError as error:
            raise field_error("instructed_amount", str(error)) from None
        return service.state_fx(session, transfer, instructed, data["rate"], data["source"])
