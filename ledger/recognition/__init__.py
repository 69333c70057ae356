"""EU mutual recognition of expulsion decisions (Directive 2001/40/EC) and the compensation of the
resulting financial imbalances (Council Decision 2004/191/EC): the rules as pure functions.

- `ledger.recognition.rules`: legal bases, cost-claim assessment, decision and payment deadlines; with
  `rules.dates` (calendar periods, "3 months after", "4 years before", as EU law counts them), `rules.decisions`
  (a claim's lines decided), `rules.netting` (net positions between member states and the fewest transfers
  settling them) and `rules.states` (which states the Decision binds, and since when).

Integration (HTTP, storage, journal) on top of them:

- `models`: return orders (pseudonym only), recognitions, cost claims with their assessed lines,
  escort allowance rates.
- `service`: the workflow, each step by its own side; acceptance and payment post to the journal
  (see its docstring for the entries); netting over stored claims.
- `views`: `/return-orders`, `/recognitions/{id}/decision|enforcement`, `/cost-claims` (+ `/decision`,
  `/payment`), `/parties/{code}/allowance-rates`, `/settlements/{period}/netting`.
- `cli`: `ledger claims overdue`; `demo`: the demo seeder.
"""
