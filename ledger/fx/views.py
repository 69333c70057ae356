
from contracts.fx import FxRateSchema, RevaluationCreateSchema, RevaluationListSchema
from ledger import db
from ledger.api import blueprint
from ledger.auth import requires
from ledger.fx import service

blp = blueprint("fx", "Exchange rates and month-end revaluation of open items in other currencies")


@blp.route("/fx-rates", methods=["POST"])
@requires("finance_officer", "admin")
@blp.arguments(FxRateSchema)
@blp.response(201, FxRateSchema)
def record_rate(data):
    """Record a rate: 1 currency = rate quote_currency on a day (a decimal string, never a JSON number)"""
    row = service.record_rate(db.session(), data["currency"], data["quote_currency"], data["rate"], data["on"],
                              data["source"])
    return service.rate_view(row), 201


@blp.route("/revaluations", methods=["POST"])
@requires("finance_officer", "admin")
@blp.arguments(RevaluationCreateSchema)
@blp.response(201, RevaluationListSchema)
def revalue(data):
    """Post a month's unrealised FX differences (at its last day) and their reversal (the next month's first)"""
    rows = service.revalue(db.session(), data["period"], data["party"])
    return {"items": [service.revaluation_view(db.session(), row) for row in rows]}, 201
