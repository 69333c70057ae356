from flask import current_app
from flask.views import MethodView
from marshmallow import ValidationError
from sqlalchemy import bindparam, or_, select

from contracts.agreements import (
    AccrueResultSchema,
    AccrueSchema,
    AgreementCreateSchema,
    AgreementDetailsSchema,
    AgreementListArgs,
    AgreementPageSchema,
    AgreementSchema,
    AmendmentSchema,
    BatchResultSchema,
    EventCreateSchema,
    EventListSchema,
    EventSchema,
    ObligationArgs,
    ObligationPageSchema,
    ReturneeBatchSchema,
    ReturneePageSchema,
    ReturneeSchema,
    ReturneeSubmitSchema,
    TerminateSchema,
    VersionListSchema,
    VersionSchema,
)
from contracts.common import ListArgs
from ledger import auth, db, listing
from ledger.agreements import service
from ledger.agreements.models import Agreement, Obligation, Returnee
from ledger.api import answerer, blueprint
from ledger.auth import READ_ROLES, party_visible
from ledger.pseudonyms import PersonalData

blp = blueprint("agreements", "Agreements, returnees and the obligations they make payable")

WRITERS = ("admin", "finance_officer")
SUBMITTERS = ("admin", "finance_officer", "partner")


def _visible(ident: str) -> Agreement:
    return party_visible(service.get(db.session(), ident), kind="agreement")


#: An agreement's returnees, as its list reads them (`listing.prepared_rows_page`).
_RETURNEES = listing.columns_of(Returnee).where(Returnee.agreement_id == bindparam("agreement_id"))


def _returnee(returnee_id: int):
    returnee, agreement = service.get_returnee(db.session(), returnee_id)
    return returnee, party_visible(agreement, kind="returnee")


_agreement_response = answerer(service.view, service.etag, "/api/v1/agreements/{0.id}")


@blp.route("/agreements")
class Agreements(MethodView):
    @blp.reads(READ_ROLES, AgreementPageSchema, query=AgreementListArgs)
    def get(self, args):
        """List agreements (a partner sees those its party is a side of)"""
        query = select(Agreement)
        for party in auth.parties_listed(args.get("party")):
            query = query.where(or_(Agreement.payer_code == party, Agreement.payee_code == party))
        result = listing.page(query, Agreement.id, args)
        result["items"] = [service.view(db.session(), a) for a in result["items"]]
        return result

    @blp.writes(WRITERS, AgreementSchema, body=AgreementCreateSchema, status=201, etag=True)
    def post(self, data):
        """Register an agreement with its terms as signed (version 1)"""
        return _agreement_response(service.create(db.session(), data), 201)


@blp.route("/agreements/<string:ident>")
class AgreementItem(MethodView):
    @blp.reads(READ_ROLES, AgreementSchema, etag=True)
    def get(self, ident):
        """Read an agreement (by id or reference), with the terms in force today"""
        return _agreement_response(_visible(ident))

    @blp.writes(WRITERS, AgreementSchema, body=AgreementDetailsSchema, if_match=True, etag=True)
    def put(self, data, ident, if_match):
        """Change reference, signature date or end of term (honours If-Match); terms change by amendment"""
        agreement = service.update_details(db.session(), _visible(ident), data, if_match)
        return _agreement_response(agreement)


@blp.route("/agreements/<string:ident>/amendments")
class Amendments(MethodView):
    @blp.reads(READ_ROLES, VersionListSchema)
    def get(self, ident):
        """List the versions of the terms"""
        agreement = _visible(ident)
        return {"items": service.versions(db.session(), agreement.id)}

    @blp.writes(WRITERS, VersionSchema, body=AmendmentSchema, status=201, if_match=True, etag=True)
    def post(self, data, ident, if_match):
        """Amend the terms from a date (back-dating re-prices at the next accrual; honours If-Match)

        `terms` is a JSON merge patch (RFC 7396) of the terms in force on `effective_from`: only the terms it
        names change. A term left out stays; a term set to `null` is removed; an object such as
        `monthly_support` is merged key by key (`{"monthly_support": {"amount": "2600.00"}}` keeps
        `max_months`); a list such as `instalments` is replaced whole, so restate every instalment to change
        one. The merged terms are validated as complete terms (422 naming the field) and become the new
        version; the answer shows them. Versions taking effect after `effective_from` keep their own terms.
        """
        agreement = _visible(ident)
        version = service.amend(db.session(), agreement, data["effective_from"], data["terms"],
                                if_match)
        return version, 201, {"ETag": service.etag(agreement)}


@blp.route("/agreements/<string:ident>/terminate")
class Terminate(MethodView):
    @blp.writes(WRITERS, AgreementSchema, body=TerminateSchema, if_match=True, etag=True)
    def post(self, data, ident, if_match):
        """Terminate with notice (honours If-Match)"""
        agreement = service.terminate(db.session(), _visible(ident), data["effective_on"], data["reason"],
                                      data.get("notified_on"), if_match)
        return _agreement_response(agreement)


@blp.route("/agreements/<string:ident>/accrue")
class Accrue(MethodView):
    @blp.writes(WRITERS, AccrueResultSchema, body=AccrueSchema)
    def post(self, data, ident):
        """Post what the agreement makes payable up to a period (idempotent)"""
        agreement = _visible(ident)
        return {"period": data["period"], "posted": service.accrue_agreement(db.session(), agreement, data["period"],
                                                                       auth.current())}


@blp.route("/agreements/<string:ident>/obligations")
class Obligations(MethodView):
    @blp.reads(READ_ROLES, ObligationPageSchema, query=ObligationArgs)
    def get(self, args, ident):
        """Obligations accrued, by booking period"""
        agreement = _visible(ident)
        query = service.obligations_query(agreement.id, args.get("period"), args.get("status"))
        result = listing.page(query, Obligation.id, args)
        return result


@blp.route("/agreements/<string:ident>/returnees")
class Returnees(MethodView):
    @blp.reads(READ_ROLES, ReturneePageSchema, query=ListArgs)
    def get(self, args, ident):
        """List an agreement's returnees"""
        agreement = _visible(ident)
        result = listing.prepared_rows_page("returnees", lambda _after: _RETURNEES, Returnee.id, args,
                                            {"agreement_id": agreement.id})
        service.shown_rows(result["items"])
        return result

    @blp.writes(SUBMITTERS, ReturneeSchema, body=ReturneeSubmitSchema, status=201)
    def post(self, data, ident):
        """Submit a returnee (either party); the case reference is replaced by a pseudonym"""
        agreement = _visible(ident)
        returnee = service.submit_one(db.session(), agreement, data, PersonalData.from_config(current_app.config))
        return service.returnee_shown(db.session(), returnee), 201, {"Location": f"/api/v1/returnees/{returnee.id}"}


# One instance for every batch, as `jsonbody.Parser` keeps for bodies: a schema keeps no state between loads, and
# making one deep-copies each of its fields (~0.1 ms a batch).
_BATCH_ITEM = ReturneeSubmitSchema()


@blp.route("/agreements/<string:ident>/returnees/batch")
class ReturneeBatch(MethodView):
    @blp.writes(SUBMITTERS, BatchResultSchema, body=ReturneeBatchSchema)
    def post(self, data, ident):
        """Submit up to 10,000 returnees; per-item results, the admitted ones stored together"""
        agreement = _visible(ident)
        valid, items = [], []
        for index, raw in enumerate(data["items"]):
            try:
                valid.append((index, _BATCH_ITEM.load(raw)))
            except ValidationError as error:
                fields = sorted(error.normalized_messages())
                items.append({"index": index, "status": 422, "error": {
                    "code": "validation_error", "detail": "invalid " + ", ".join(fields)}})
        personal = PersonalData.from_config(current_app.config)
        for (index, _), result in zip(valid, service.submit(db.session(), agreement, [d for _, d in valid], personal)):
            items.append({**result, "index": index})
        items.sort(key=lambda item: item["index"])
        accepted = sum(1 for item in items if "id" in item)
        return {"accepted": accepted, "rejected": len(items) - accepted, "items": items}


@blp.route("/returnees/<int:returnee_id>")
class ReturneeItem(MethodView):
    @blp.reads(READ_ROLES, ReturneeSchema)
    def get(self, returnee_id):
        """Read a returnee with the obligations it made payable"""
        returnee, _ = _returnee(returnee_id)
        return service.returnee_shown(db.session(), returnee)


@blp.route("/returnees/<int:returnee_id>/events")
class ReturneeEvents(MethodView):
    @blp.reads(READ_ROLES, EventListSchema)
    def get(self, returnee_id):
        """A returnee's events"""
        returnee, _ = _returnee(returnee_id)
        return {"items": service.events(db.session(), returnee.id)}

    @blp.writes(SUBMITTERS, EventSchema, body=EventCreateSchema, status=201)
    def post(self, data, returnee_id):
        """Record `accepted`, `departed`, `voluntary_departure` or `returned_onward` (each end of stay stops
        support on its date; a voluntary departure makes the terms' grant payable)"""
        returnee, _ = _returnee(returnee_id)
        return service.add_event(db.session(), returnee, data["type"], data["occurred_on"]), 201
