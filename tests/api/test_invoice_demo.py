"""The demo seeds one approved, one disputed and one waiting invoice, with RF references a statement can pay, and
an invoice of actual costs one of whose lines is above its cap."""

from stdnum import iso11649

from ledger.invoices import demo, service
from tests.api.invoices_helpers import I


def test_demo_invoices(app, runner, api, session):
    from ledger.agreements.demo import seed as seed_agreements
    from tests.api.test_agreements_demo import seed_demo_up_to

    seed_demo_up_to(app, session, seed_agreements, demo.seed)
    officer = api.token("finance_officer")
    statuses = {i["number"]: i["status"] for i in api.get(I, token=officer).get_json()["items"]}
    assert sorted(statuses.values()) == ["accepted", "approved", "disputed", "disputed"]
    with app.app_context():
        payable = service.open_invoices(session)
    assert len(payable) == 1 and iso11649.is_valid(payable[0].payment_reference)
    number = payable[0].number
    assert payable[0].payment_reference == demo.demo_reference("GB-RW-DEMO-01", number.removeprefix("RW-"))
    disputed = {i["number"]: i for i in api.get(f"{I}?status=disputed", token=officer).get_json()["items"]}
    first = next(i for number, i in disputed.items() if "COSTS" not in number)
    assert {f["code"] for f in first["findings"]} == {"amount_mismatch", "disputed"}
    costs = next(i for number, i in disputed.items() if number.startswith("RW-COSTS-"))
    # 21,400.00 of healthcare against a 20,000.00 cap, nothing consumed before: 20,000.00 left before the line
    assert [(f["code"], f["line"], f["remaining"]) for f in costs["findings"]] == [("cap_exceeded", "2", "20000.00")]
