"""The agreements' pure rules, over plain values (no session, no Flask): `terms` (an agreement's terms and their
versions), `obligations` (what the terms make due, per returnee, milestone and period) and `reimbursement`
(cost reimbursement caps). Other features use them through this door."""
