"""The demo seeds one approved, one disputed and one waiting invoice, with RF references a statement can pay."""

from stdnum import iso11649

from ledger.invoices import demo
from tests.api.invoices_helpers import I


def test_demo_invoices(app, runner, api, session):
    from ledger.agreements.demo import seed as seed_agreements
    from tests.api.test_agreements_demo import seed_demo_up_to

    seed_demo_up_to(app, session, seed_agreements, demo.seed)
    officer = api.token("finance_officer")
    statuses = {i["number"]: i["status"] for i in api.get(I, token=officer).get_json()["items"]}
    assert sorted(statuses.values()) == ["accepted", "approved", "disputed"]
    with app.app_context():
        payable = demo.payment_references(session)
    assert len(payable) == 1 and iso11649.is_valid(payable[0]["reference"])
    number = payable[0]["number"]
    assert payable[0]["reference"] == demo.demo_reference("GB-RW-DEMO-01", number.removeprefix("RW-"))
    disputed = next(i for i in api.get(f"{I}?status=disputed", token=officer).get_json()["items"])
    assert {f["code"] for f in disputed["findings"]} == {"amount_mismatch", "disputed"}
