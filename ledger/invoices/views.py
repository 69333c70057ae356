from flask import Response, current_app, request
from flask.views import MethodView
from marshmallow import ValidationError

from contracts.invoices import (
    ApproveSchema,
    CostCapsSchema,
    DisputeSchema,
    IntakeArgs,
    InvoiceCreateSchema,
    InvoiceListArgs,
    InvoicePageSchema,
    InvoiceSchema,
    RejectSchema,
)
from ledger import auth, db, listing
from ledger.agreements import service as agreements
from ledger.api import answerer, blueprint, sends_etag
from ledger.auth import READ_ROLES, party_visible, requires
from ledger.errors import Problem, Unprocessable, flatten_messages
from ledger.invoices import InvoiceParseError, from_json, parse_ubl, service
from ledger.invoices.models import Invoice
from ledger.xmlsafe import DEFAULT_MAX_BYTES

blp = blueprint("invoices", "Invoices from partners (JSON or UBL 2.1), checked against what is owed")

SENDERS = ("partner", "finance_officer")
DECIDERS = ("finance_officer",)
XML_TYPES = ("application/xml", "text/xml")
_INTAKE_ENDPOINT = "invoices.Invoices"

_REQUEST_BODY = {"required": True, "content": {
    "application/json": {"schema": InvoiceCreateSchema},
    "application/xml": {"schema": {"type": "string", "description": "a UBL 2.1 Invoice or CreditNote "
                                                                    "(EN 16931), at most 10 MB"}},
}}


def max_bytes() -> int:
    return int(current_app.config.get("LEDGER_INVOICE_MAX_BYTES", DEFAULT_MAX_BYTES))


def too_large() -> Problem:
    return Problem(f"an invoice is at most {max_bytes()} bytes", status=413, code="payload_too_large")


@blp.before_app_request
def _limit_intake_body() -> None:
    """Before anything reads the body (idempotency hashes it): refuse an oversized invoice by its
    Content-Length, and cap reading, so a chunked body is refused as soon as it passes the limit."""
    if request.endpoint != _INTAKE_ENDPOINT or request.method != "POST":
        return
    # One byte past the limit, so that a chunked body that is exactly too long is seen to be (werkzeug stops
    # quietly at the limit without a Content-Length).
    request.max_content_length = max_bytes() + 1
    if request.content_length is not None and request.content_length > max_bytes():
        raise too_large()


def _parse_error(error: InvoiceParseError) -> Problem:
    if error.code == "payload_too_large":
        return too_large()
    field = error.field or "document"
    return Unprocessable(error.message, code=error.code, errors={field: [error.message]})


#: One instance for every request: a marshmallow 4 schema keeps nothing between loads, and building one copies each of
#: its fields (and, on first use, its nested schemas'): some 50 µs per invoice submitted.
_INVOICE_BODY = InvoiceCreateSchema()


def _read_invoice():
    """(ParsedInvoice, the original document or None) from a JSON or UBL body."""
    data = request.get_data(cache=True)  # read no further than one byte past the limit (set above)
    if len(data) > max_bytes():
        raise too_large()
    if request.mimetype in XML_TYPES or request.mimetype.endswith("+xml"):
        try:
            return parse_ubl(data, max_bytes()), data
        except InvoiceParseError as error:
            raise _parse_error(error) from None
    if request.mimetype != "application/json":
        raise Problem("send application/json or a UBL document as application/xml", status=415,
                      code="unsupported_media_type")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise Problem("the body is not a JSON object", status=400, code="invalid_json")
    try:
        data = _INVOICE_BODY.load(payload)
    except ValidationError as error:
        errors = flatten_messages(error.messages)
        first = next(iter(errors.items()))
        raise Unprocessable(f"{first[0]}: {first[1][0]}", errors=errors) from None
    try:
        return from_json(data), None
    except InvoiceParseError as error:
        raise _parse_error(error) from None


def _visible(invoice_id: int) -> Invoice:
    return party_visible(service.get(db.session(), invoice_id), kind="invoice")


_response = answerer(service.view, service.etag, "/api/v1/invoices/{0.id}")


@blp.route("/invoices")
class Invoices(MethodView):
    @blp.reads(READ_ROLES, InvoicePageSchema, query=InvoiceListArgs)
    def get(self, args):
        """List invoices, without their lines (a partner sees those of agreements it is a side of)"""
        principal = auth.current()
        agreement_id = None
        if args.get("agreement"):
            agreement_id = party_visible(agreements.get(db.session(), args["agreement"]), kind="agreement").id
        values = service.list_values(principal.party if principal.is_partner else None, args.get("status"),
                                     agreement_id, args.get("period"))
        result = listing.prepared_rows_page(("invoices", *sorted(values)), lambda _after: service.list_query(values),
                                            Invoice.id, args, values)
        result["items"] = service.view_page(db.session(), result["items"])
        return result

    @requires(*SENDERS)
    @blp.arguments(IntakeArgs, location="query")
    @blp.doc(requestBody=_REQUEST_BODY)
    @blp.response(201, InvoiceSchema)
    @blp.alt_response(200, schema=InvoiceSchema, description="dry run: the parsed invoice and its findings")
    @blp.alt_response(409, description="duplicate_invoice: this number was received from the party already")
    @blp.alt_response(413, description="payload_too_large: more than 10 MB")
    @sends_etag
    def post(self, args):
        """Submit an invoice or credit note (the payee; JSON or UBL 2.1); `accepted` or `disputed` with findings

        UBL mapping (docs/ubl.md): the agreement reference in cac:ContractDocumentReference/cbc:ID; the period in
        cac:InvoicePeriod/cbc:StartDate (a line's own cac:InvoicePeriod overrides it); each line's obligation
        kind and returnee pseudonym in cac:Item/cac:AdditionalItemProperty named `kind` and `returnee`.
        """
        inv, document = _read_invoice()
        principal = auth.current()
        sender = principal.party if principal.is_partner else None
        checked, invoice = service.receive(db.session(), inv, sender, document, dry_run=args["dry_run"])
        if invoice is None:
            return service.dry_run_shown(checked), 200
        return _response(invoice, 201)


@blp.route("/invoices/<int:invoice_id>")
class InvoiceItem(MethodView):
    @blp.reads(READ_ROLES, InvoiceSchema, etag=True)
    def get(self, invoice_id):
        """Read an invoice with its lines, findings, decision and open amount"""
        return _response(_visible(invoice_id))


@blp.route("/invoices/<int:invoice_id>/document")
class InvoiceDocument(MethodView):
    @blp.reads(READ_ROLES, description="the UBL document as received (application/xml); erasure replaces the "
                                       "pseudonyms of erased returnees in it by `erased`")
    def get(self, invoice_id):
        """The original UBL document, as received (less the pseudonyms of erased returnees)"""
        invoice = _visible(invoice_id)
        if invoice.document is None:
            raise Problem("this invoice was sent as JSON: there is no document", status=404, code="not_found")
        return Response(invoice.document, mimetype="application/xml")


@blp.route("/invoices/<int:invoice_id>/approve")
class Approve(MethodView):
    @blp.writes(DECIDERS, InvoiceSchema, body=ApproveSchema, if_match=True, etag=True)
    def post(self, data, invoice_id, if_match):
        """Approve: post the payable (overrides with a reason for each line with findings; honours If-Match)

        Only `obligation` findings can be overridden (one reason per line, `line: null` for the document).
        An invoice with any `arithmetic` finding (its own sums or currencies do not agree, EN 16931 BR-CO-10
        and kin) is never approved: 422 `arithmetic_not_overridable`, with `findings` naming them; dispute or
        reject it so that the partner sends a corrected document.
        """
        invoice, held = service.approval(db.session(), _visible(invoice_id), data["overrides"], auth.current().name,
                                         if_match, data.get("reason"))
        return _response(invoice, **held)


@blp.route("/invoices/<int:invoice_id>/dispute")
class Dispute(MethodView):
    @blp.writes(DECIDERS, InvoiceSchema, body=DisputeSchema, if_match=True, etag=True)
    def post(self, data, invoice_id, if_match):
        """Dispute: the partner sees the findings and the reason (honours If-Match)"""
        invoice = service.dispute(db.session(), _visible(invoice_id), data["reason"], data.get("lines"),
                                  auth.current().name, if_match)
        return _response(invoice)


@blp.route("/invoices/<int:invoice_id>/reject")
class Reject(MethodView):
    @blp.writes(DECIDERS, InvoiceSchema, body=RejectSchema, if_match=True, etag=True)
    def post(self, data, invoice_id, if_match):
        """Reject for good: nothing is posted; its obligations may be invoiced again (honours If-Match)"""
        invoice = service.reject(db.session(), _visible(invoice_id), data["reason"], auth.current().name,
                                 if_match)
        return _response(invoice)


@blp.route("/returnees/<int:returnee_id>/cost-caps")
class ReturneeCostCaps(MethodView):
    @blp.reads(READ_ROLES, CostCapsSchema)
    def get(self, returnee_id):
        """A returnee's consumed actual costs (cost_reimbursement) per person, category and year, with the caps"""
        returnee, agreement = agreements.get_returnee(db.session(), returnee_id)
        return service.cap_position(db.session(), party_visible(agreement, kind="returnee"), returnee.id)
