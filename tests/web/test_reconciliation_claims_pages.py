"""The reconciliation pages show a credit–claim match beside its claim and confirm it like any other."""

from __future__ import annotations

from datetime import date

import pytest

from tests.api.claims_helpers import IBANS, ClaimWorld


@pytest.fixture
def world(api, admin, officer, session, parties):
    return ClaimWorld(api, admin, officer, session, parties)


def test_a_proposed_claim_match_is_shown_and_confirmed(world, officer_browser):
    world.claim("600.00"), world.claim("600.00")
    world.statement([("600.00", "EU compensation", IBANS["FR"], date(2024, 4, 20))])
    world.run()
    (match,) = world.claim_matches("proposed")
    claim_id = match["allocations"][0]["claim"]
    queue = officer_browser.get("/reconciliation").get_data(as_text=True)
    assert f"cost claim CC-{claim_id}" in queue
    page = officer_browser.get(f"/reconciliation/matches/{match['id']}").get_data(as_text=True)
    assert f'href="/claims/{claim_id}"' in page and "<dt>Cost claim</dt>" in page
    response = officer_browser.post(f"/reconciliation/matches/{match['id']}/confirm",
                                    {"version": f'"match-{match["id"]}-1"', "back": "/reconciliation"},
                                    token_from="/reconciliation")
    assert response.status_code == 303
    flashed = officer_browser.get("/reconciliation").get_data(as_text=True)
    assert f"cost claim CC-{claim_id} updated" in flashed
    assert world.claim_now(claim_id)["stage"] == "paid"


def test_find_and_match_pays_an_accepted_claim_picked_from_the_search(world, officer_browser):
    claim = world.claim("600.00")
    (transfer,) = world.statement([("600.00", "EU compensation", IBANS["FR"], date(2024, 4, 20))])
    path = f"/reconciliation/transfers/{transfer}"
    page = officer_browser.get(path).get_data(as_text=True)
    assert f'name="pick" value="claim:{claim["id"]}"' in page and "FR → DE" in page
    assert 'name="write_off"' not in page, "a credit pays claims whole: nothing to write off"
    response = officer_browser.post(path, {"pick": f"claim:{claim['id']}", f"amount-claim:{claim['id']}": "600.00",
                                           "seen_allocated": "0"}, token_from=path)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert world.claim_now(claim["id"])["stage"] == "paid"
