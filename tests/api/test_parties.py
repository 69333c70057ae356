"""Parties: the first resource end to end (schema → service → database → audit → OpenAPI)."""

from tests.api.test_errors import assert_problem

ALBANIA = {"code": "AL", "name": "Republic of Albania", "contact_point": "treasury@example.al",
           "bank_accounts": [{"iban": "AL35 2021 1109 0000 0000 0123 4567", "bic": "USALALTR", "currency": "EUR"}]}


def test_admin_registers_a_party_with_a_checked_iban(api, admin):
    response = api.post("/api/v1/parties", json=ALBANIA, token=admin)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["bank_accounts"] == [{"iban": "AL35202111090000000001234567", "bic": "USALALTR", "currency": "EUR"}]
    assert response.headers["Location"] == "/api/v1/parties/AL" and response.headers["ETag"]


def test_kosovo_is_a_party_code(api, admin):
    body = {"code": "XK", "name": "Kosovo", "bank_accounts": [{"iban": "XK051212012345678906", "currency": "EUR"}]}
    assert api.post("/api/v1/parties", json=body, token=admin).status_code == 201


def test_unknown_country_is_422(api, admin):
    problem = assert_problem(api.post("/api/v1/parties", json={"code": "ZZ", "name": "Nowhere"}, token=admin),
                             422, "validation_error")
    assert "code" in problem["errors"]


def test_bad_iban_checksum_is_422(api, admin):
    body = {**ALBANIA, "bank_accounts": [{"iban": "AL36202111090000000001234567", "currency": "EUR"}]}
    problem = assert_problem(api.post("/api/v1/parties", json=body, token=admin), 422, "validation_error")
    assert "bank_accounts.0.iban" in problem["errors"]


def test_bic_of_another_country_is_422(api, admin):
    body = {**ALBANIA, "bank_accounts": [{**ALBANIA["bank_accounts"][0], "bic": "DEUTDEFF"}]}
    problem = assert_problem(api.post("/api/v1/parties", json=body, token=admin), 422, "validation_error")
    assert "bank_accounts.0.bic" in problem["errors"]


def test_unknown_currency_is_422(api, admin):
    body = {**ALBANIA, "bank_accounts": [{"iban": ALBANIA["bank_accounts"][0]["iban"], "currency": "XYZ"}]}
    assert_problem(api.post("/api/v1/parties", json=body, token=admin), 422, "validation_error")


def test_duplicate_party_is_409(api, admin):
    api.post("/api/v1/parties", json=ALBANIA, token=admin)
    assert_problem(api.post("/api/v1/parties", json=ALBANIA, token=admin), 409, "party_exists")


def test_an_iban_belongs_to_one_party(api, admin):
    api.post("/api/v1/parties", json=ALBANIA, token=admin)
    other = {"code": "RW", "name": "Rwanda", "bank_accounts": ALBANIA["bank_accounts"]}
    assert_problem(api.post("/api/v1/parties", json=other, token=admin), 409, "iban_registered")


def test_update_honours_if_match(api, admin):
    etag = api.post("/api/v1/parties", json=ALBANIA, token=admin).headers["ETag"]
    update = {"name": "Albania", "bank_accounts": []}
    changed = api.put("/api/v1/parties/AL", json=update, token=admin, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    assert changed.headers["ETag"] != etag
    stale = api.put("/api/v1/parties/AL", json=update, token=admin, headers={"If-Match": etag})
    assert_problem(stale, 412, "precondition_failed")


def test_everyone_reads_parties_and_lists_page_by_cursor(api, admin, parties):
    first = api.get("/api/v1/parties?limit=2", token=parties["AL"]).get_json()
    assert [p["code"] for p in first["items"]] == ["AL", "DE"] and first["next_cursor"]
    second = api.get(f"/api/v1/parties?limit=2&cursor={first['next_cursor']}", token=admin).get_json()
    assert [p["code"] for p in second["items"]] == ["FR", "GB"]
    last = api.get(f"/api/v1/parties?limit=2&cursor={second['next_cursor']}", token=admin).get_json()
    assert [p["code"] for p in last["items"]] == ["RW"] and last["next_cursor"] is None


def test_limit_is_bounded(api, admin):
    assert_problem(api.get("/api/v1/parties?limit=1001", token=admin), 422, "validation_error")


def test_unknown_party_is_404(api, admin):
    assert_problem(api.get("/api/v1/parties/ZZ", token=admin), 404, "not_found")
