from flask import Response, current_app
from flask.views import MethodView

from contracts.common import MAX_ID
from contracts.settlement import (
    AcknowledgementInSchema,
    AcknowledgementListSchema,
    AcknowledgementSchema,
    CloseResultSchema,
    ReportArgs,
    ResolveInSchema,
    ReviewInSchema,
    ReviewListSchema,
    ReviewSchema,
    SettlementViewSchema,
    SigningKeySchema,
    StatementArgs,
)
from ledger import auth, db
from ledger.agreements import service as agreements
from ledger.api import blueprint, long_writer
from ledger.auth import READ_ROLES, public
from ledger.errors import Forbidden, not_found
from ledger.settlement import reviews, service

blp = blueprint("settlement", "Monthly settlement statements, closing, signing and sign-off")

_TAGGED = {"schema": {"type": "string", "enum": ["true", "false"]}, "description": (
    "format=pdf only: `true` for a tagged PDF (PDF/UA-1: a structure tree a screen reader follows), `false` "
    "where the server lacks the system library for it (pango) and sends the same report untagged")}


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


@blp.route("/settlements/<string:period>", endpoint="settlement")
class Settlement(MethodView):
    @blp.reads(READ_ROLES, SettlementViewSchema, query=StatementArgs)
    def get(self, args, period):
        """The statement of a period: live while open, the signed documents once closed"""
        service.check_period(period)
        return service.statement_for(db.session(), period, _scope(), _agreement_id(args["agreement"]),
                                     service.signing_key(current_app.config))


@blp.route("/settlements/<string:period>/close", endpoint="close")
class Close(MethodView):
    @long_writer
    @blp.writes(("finance_officer", "admin"), CloseResultSchema)
    def post(self, period):
        """Close the period: lock the journal, freeze and sign the statements"""
        service.check_period(period)
        frozen = service.close(db.session(), period, service.signing_key(current_app.config))
        return {"period": period, "status": "closed",
                "statements": [{"scope": f.scope, "digest": f.digest, "signature": f.signature} for f in frozen]}


@blp.route("/settlements/<string:period>/report", endpoint="report")
class Report(MethodView):
    @blp.reads(READ_ROLES, query=ReportArgs, content_type="application/octet-stream",
               description="the report in the asked format", headers={"X-PDF-Tagged": _TAGGED})
    def get(self, args, period):
        """The settlement report as JSON, a zip of CSV files (`format=csv`), XLSX or PDF (partners: their own
        agreements). `?party=` gives one partner's section alone, `?agreement=` one agreement's; for a closed month
        each comes with the signed statements it shows."""
        service.check_period(period)
        party = _report_party(args["party"])
        agreement_id = _agreement_id(args["agreement"])
        fmt = args["format"]
        body = service.render(db.session(), period, fmt, party, agreement_id, service.signing_key(current_app.config),
                              focus=args["party"] is not None)
        return download(body, fmt, service.filename(period, fmt, args["party"], agreement_id))


def download(body: bytes, fmt: str, name: str) -> Response:
    """A report as a file, for the API and the pages alike."""
    return Response(body, mimetype=service.MEDIA_TYPES[fmt], headers=service.download_headers(fmt, name))


def _report_party(asked: str | None) -> str | None:
    """The party whose part of the statement is reported: a partner's own (asking for another is a 404)."""
    own = _scope()
    if asked is None:
        return own
    if own is not None and asked != own:
        raise not_found("party")
    return asked


@blp.route("/settlements/<string:period>/acknowledgements")
class Acknowledgements(MethodView):
    @blp.reads(READ_ROLES, AcknowledgementListSchema)
    def get(self, period):
        """Partners' sign-offs of the period's statements"""
        service.check_period(period)
        return {"items": service.acknowledgements(db.session(), period, _scope())}

    @blp.writes(("partner",), AcknowledgementSchema, body=AcknowledgementInSchema, status=201)
    def post(self, data, period):
        """Accept an agreement's signed statement, or dispute named lines"""
        service.check_period(period)
        principal = auth.current()
        if principal.party is None:
            raise Forbidden("this token is not bound to a party")
        return service.acknowledge(db.session(), period, principal.party, data["agreement"], data["digest"],
                                   data["accepted"], data["disputed_lines"], data["reason"])


@blp.route("/settlements/<string:period>/reviews")
class Reviews(MethodView):
    @blp.reads(READ_ROLES, ReviewListSchema)
    def get(self, period):
        """Partners' reviews of the lines of the period's signed statements (partners: their own)"""
        service.check_period(period)
        party = _scope()
        own = service.agreements_of_party(db.session(), party) if party else None
        return {"items": reviews.reviews(db.session(), period, own)}

    @blp.writes(("partner",), ReviewSchema, body=ReviewInSchema, status=201)
    def post(self, data, period):
        """Acknowledge one line of an agreement's signed statement, or dispute it with a comment; an open dispute
        is carried into the next months' statements (open items `statement_disputes`) until resolved"""
        service.check_period(period)
        principal = auth.current()
        if principal.party is None:
            raise Forbidden("this token is not bound to a party")
        return reviews.review(db.session(), principal.party, period, data["agreement"], data["line"],
                              data["decision"], data["comment"], principal.key)


@blp.route("/settlements/reviews/<int:review_id>/resolve", endpoint="resolve")
class Resolve(MethodView):
    @blp.writes(("finance_officer", "admin"), ReviewSchema, body=ResolveInSchema)
    def post(self, data, review_id):
        """Resolve a dispute: it is no longer carried into later statements"""
        return reviews.resolve(db.session(), review_id, data["resolution"], auth.current().key)


@blp.route("/signing-key", endpoint="signing_key")
class SigningKey(MethodView):
    @public
    @blp.response(200, SigningKeySchema)
    @blp.doc(security=[])
    def get(self):
        """The keys that verify settlement statements: the current one, and each retired one with its dates
        (published: anyone may verify). A statement names its key in `statement.signing_key_id`."""
        listed = service.published_keys(db.session(), service.signing_key(current_app.config))
        current = listed[0]
        return {"algorithm": "Ed25519", "key_id": current["key_id"], "public_key": current["public_key"],
                "public_key_pem": current["public_key_pem"], "keys": listed}
