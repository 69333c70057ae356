"""Filters that name an agreement or a party do what they say: `?agreement=` on a statement takes the
agreement's reference as well as its id, and a partner's `/agreements?party=` narrows its list."""

from __future__ import annotations

from tests.api.agreements_helpers import A, accrue, create_agreement
from tests.api.test_errors import assert_problem


def test_a_statement_takes_the_agreement_reference_or_its_id(api, admin, officer, parties):
    gb_rw = create_agreement(api, admin, reference="GB-RW-2026-01", payer="GB", payee="RW")
    create_agreement(api, admin, reference="GB-AL-2026-01", payer="GB", payee="AL")
    accrue(api, officer, gb_rw["id"], "2026-03")
    for path in ("/api/v1/settlements/2026-03", "/api/v1/settlements/2026-03/report"):
        by_id = api.get(f"{path}?agreement={gb_rw['id']}", token=officer)
        by_reference = api.get(f"{path}?agreement=GB-RW-2026-01", token=officer)
        assert by_reference.status_code == 200, by_reference.get_json()
        assert by_reference.get_data() == by_id.get_data()
        assert_problem(api.get(f"{path}?agreement=XX-NONE-1", token=officer), 404, "not_found")
        # a partner naming another's agreement by reference learns nothing more than by id
        assert_problem(api.get(f"{path}?agreement=GB-RW-2026-01", token=parties["AL"]), 404, "not_found")


def test_a_partners_party_filter_narrows_its_own_agreements(api, admin, parties):
    create_agreement(api, admin, reference="GB-RW-2026-01", payer="GB", payee="RW")
    create_agreement(api, admin, reference="GB-AL-2026-01", payer="GB", payee="AL")
    create_agreement(api, admin, reference="DE-AL-2026-01", payer="DE", payee="AL")

    def references(token, query=""):
        response = api.get(f"{A}{query}", token=token)
        assert response.status_code == 200, response.get_json()
        return sorted(a["reference"] for a in response.get_json()["items"])

    assert references(parties["GB"]) == ["GB-AL-2026-01", "GB-RW-2026-01"]
    assert references(parties["GB"], "?party=RW") == ["GB-RW-2026-01"]
    assert references(parties["GB"], "?party=DE") == []  # DE's agreement with AL is not GB's to see
    assert references(parties["AL"], "?party=DE") == ["DE-AL-2026-01"]
