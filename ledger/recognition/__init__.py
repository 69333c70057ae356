"""EU mutual recognition of expulsion decisions (Directive 2001/40/EC) and the compensation of the
resulting financial imbalances (Council Decision 2004/191/EC): the rules as pure functions.

- `ledger.recognition.dates`: calendar periods ("3 months after", "4 years before") as EU law counts them.
- `ledger.recognition.rules`: legal bases, cost-claim assessment, decision and payment deadlines.
- `ledger.recognition.netting`: net positions between member states and the fewest transfers settling them.
"""
