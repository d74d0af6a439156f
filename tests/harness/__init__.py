"""The suite's one fixture library.

- `switch`: the switch under test (its clock, its served app, the operator's
  client, the databases it runs on) and `row_counts`.
- `assertions`: what a refusal (a NACK), an acknowledgement and a balanced
  ledger look like, once.
- `cast`: the reference participants every network is drawn from, by name.
- `network`: one network over real HTTP that registers a participant the first
  time a test needs it (and what that participant needs), never a whole world.
- `cli`: `hutong` at a participant's terminal and at the operator's.
- `links`: the links tests' hosts and merchants on their seeded catalog.
- `audit`: aggregated evidence handed to the auditor's checks (no database).

`tests/conftest.py` turns these into fixtures. Test modules import from here,
never from each other or from a conftest.
"""
