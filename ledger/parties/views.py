from flask.views import MethodView

from contracts.common import ListArgs
from contracts.parties import PartyCreateSchema, PartyPageSchema, PartySchema, PartyWriteSchema
from ledger import db, listing
from ledger.api import answerer, blueprint
from ledger.auth import READ_ROLES
from ledger.parties import service
from ledger.parties.models import Party

blp = blueprint("parties", "States on either side of agreements and claims")


_response = answerer(service.registered, service.etag, "/api/v1/parties/{0.code}")


@blp.route("/parties")
class Parties(MethodView):
    @blp.reads(READ_ROLES, PartyPageSchema, query=ListArgs)
    def get(self, args):
        """List parties"""
        result = listing.prepared_rows_page("parties", lambda _after: listing.columns_of(Party), Party.code, args, {},
                                            convert=str)
        service.registered_page(db.session(), result["items"])
        return result

    @blp.writes(("admin",), PartySchema, body=PartyCreateSchema, status=201, etag=True)
    def post(self, data):
        """Register a party"""
        party, held = service.create(db.session(), data)
        return _response(party, 201, **held)


@blp.route("/parties/<string:code>")
class PartyItem(MethodView):
    @blp.reads(READ_ROLES, PartySchema, etag=True)
    def get(self, code):
        """Read a party"""
        return _response(service.get(db.session(), code))

    @blp.writes(("admin",), PartySchema, body=PartyWriteSchema, if_match=True, etag=True)
    def put(self, data, code, if_match):
        """Replace a party's details (honours If-Match)"""
        party, held = service.update(db.session(), code, data, if_match)
        return _response(party, **held)
