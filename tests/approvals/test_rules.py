"""Four-eyes rules over plain values."""

from ledger.approvals import rules

PAYLOAD = {"transfer": 12, "amount": "35.00", "account": "bank_charges"}


def test_digest_is_stable_and_pins_every_part():
    first = rules.digest("write_off", "transfer:12", PAYLOAD)
    assert first == rules.digest("write_off", "transfer:12", dict(reversed(list(PAYLOAD.items()))))
    assert len(first) == 64
    assert first != rules.digest("write_off", "transfer:13", PAYLOAD)
    assert first != rules.digest("budget_commitment", "transfer:12", PAYLOAD)
    assert first != rules.digest("write_off", "transfer:12", {**PAYLOAD, "amount": "36.00"})


def decide(**kw):
    values = {"status": "pending", "requested_by": "user:1", "decided_by": "user:2", "seen_digest": "d",
              "digest": "d", "approving": True, **kw}
    return rules.refusal(**values)


def test_a_second_officer_who_saw_the_request_may_approve():
    assert decide() is None


def test_the_requester_never_approves_their_own_request():
    assert decide(decided_by="user:1")[0] == "same_officer"


def test_the_requester_may_withdraw_their_own_request():
    assert decide(decided_by="user:1", approving=False, seen_digest=None) is None


def test_an_approver_must_have_seen_the_request_as_it_stands():
    assert decide(seen_digest="other")[0] == "digest_mismatch"
    assert decide(seen_digest=None)[0] == "digest_mismatch"


def test_a_decided_request_is_not_decided_again():
    for status in ("approved", "rejected", "withdrawn"):
        assert decide(status=status)[0] == "approval_decided"
        assert decide(status=status, approving=False)[0] == "approval_decided"
