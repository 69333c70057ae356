from flask.views import MethodView

from contracts.fx import FxRateSchema, RevaluationCreateSchema, RevaluationListSchema
from ledger import db
from ledger.api import blueprint
from ledger.fx import service

blp = blueprint("fx", "Exchange rates and month-end revaluation of open items in other currencies")


@blp.route("/fx-rates", endpoint="record_rate")
class FxRates(MethodView):
    @blp.writes(("finance_officer", "admin"), FxRateSchema, body=FxRateSchema, status=201)
    def post(self, data):
        """Record a rate: 1 currency = rate quote_currency on a day (a decimal string, never a JSON number)"""
        return service.record_rate(db.session(), data["currency"], data["quote_currency"], data["rate"], data["on"],
                                   data["source"]), 201


@blp.route("/revaluations", endpoint="revalue")
class Revaluations(MethodView):
    @blp.writes(("finance_officer", "admin"), RevaluationListSchema, body=RevaluationCreateSchema, status=201)
    def post(self, data):
        """Post a month's unrealised FX differences (at its last day) and their reversal (the next month's first)"""
        rows = service.revalue(db.session(), data["period"], data["party"])
        return {"items": [service.revalued(db.session(), row) for row in rows]}, 201
