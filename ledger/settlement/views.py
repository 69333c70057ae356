from flask import Response
from flask.views import MethodView

from contracts.common import MAX_ID
from contracts.settlement import (
    AcknowledgementInSchema, AcknowledgementListSchema, AcknowledgementSchema, CloseResultSchema, ReportArgs,
    SettlementViewSchema, SigningKeySchema, StatementArgs,
)
from ledger import auth, db
from ledger.agreements import service as agreements
from ledger.api import blueprint
from ledger.auth import READ_ROLES, public, requires
from ledger.errors import Forbidden
from ledger.settlement import reports, service

blp = blueprint("settlement", "Monthly settlement statements, closing, signing and sign-off")

_MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def _agreement_id(ident: str | None) -> int | None:
    """`?agreement=` names an agreement by id or by reference, as /agreements/{ident} does: a number is the id
    (the statement's own lines name agreements by id), anything else a reference (404 if none has it)."""
    if ident is None:
        return None
    if ident.isascii() and ident.isdigit() and 0 < int(ident) <= MAX_ID:
        return int(ident)
    return agreements.get(db.session(), ident).id


def _scope() -> str | None:
    principal = auth.current()
    return principal.party if principal.is_partner else None


@blp.route("/settlements/<string:period>")
@requires(*READ_ROLES)
@blp.arguments(StatementArgs, location="query")
@blp.response(200, SettlementViewSchema)
def settlement(args, period):
    """The statement of a period: live while open, the signed documents once closed"""
    service.check_period(period)
    return service.statement_for(db.session(), period, _scope(), _agreement_id(args["agreement"]))


@blp.route("/settlements/<string:period>/close", methods=["POST"])
@requires("finance_officer", "admin")
@blp.response(200, CloseResultSchema)
def close(period):
    """Close the period: lock the journal, freeze and sign the statements"""
    service.check_period(period)
    frozen = service.close(db.session(), period)
    return {"period": period, "status": "closed",
            "statements": [{"scope": f.scope, "digest": f.digest, "signature": f.signature} for f in frozen]}


@blp.route("/settlements/<string:period>/report")
@requires(*READ_ROLES)
@blp.arguments(ReportArgs, location="query")
@blp.response(200, content_type="application/octet-stream", description="the report in the asked format")
def report(args, period):
    """The settlement report as JSON, CSV, XLSX or PDF (partners: their own agreements)"""
    service.check_period(period)
    body = render(period, args["format"], _scope(), _agreement_id(args["agreement"]))
    filename = f"settlement-{period}.{args['format']}"
    return Response(body, mimetype=_MEDIA[args["format"]],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def render(period: str, fmt: str, party: str | None, agreement_id: int | None) -> bytes:
    session = db.session()
    view = service.statement_for(session, period, party, agreement_id)
    if fmt == "json":
        return reports.to_json(view)
    if fmt == "csv":
        return reports.to_csv(view)
    if fmt == "xlsx":
        return reports.to_xlsx(view)
    return reports.to_pdf(view, service.monthly_series(session, int(period[:4]), period, party))


@blp.route("/settlements/<string:period>/acknowledgements")
class Acknowledgements(MethodView):
    @requires(*READ_ROLES)
    @blp.response(200, AcknowledgementListSchema)
    def get(self, period):
        """Partners' sign-offs of the period's statements"""
        service.check_period(period)
        return {"items": service.acknowledgements(db.session(), period, _scope())}

    @requires("partner")
    @blp.arguments(AcknowledgementInSchema)
    @blp.response(201, AcknowledgementSchema)
    def post(self, data, period):
        """Accept an agreement's signed statement, or dispute named lines"""
        service.check_period(period)
        principal = auth.current()
        if principal.party is None:
            raise Forbidden("this token is not bound to a party")
        return service.acknowledge(db.session(), period, principal.party, data["agreement"], data["digest"],
                                   data["accepted"], data["disputed_lines"], data["reason"])


@blp.route("/signing-key")
@public
@blp.response(200, SigningKeySchema)
@blp.doc(security=[])
def signing_key():
    """The keys that verify settlement statements: the current one, and each retired one with its dates
    (published: anyone may verify). A statement names its key in `statement.signing_key_id`."""
    listed = service.published_keys(db.session())
    current = listed[0]
    return {"algorithm": "Ed25519", "key_id": current["key_id"], "public_key": current["public_key"],
            "public_key_pem": current["public_key_pem"], "keys": listed}
