"""The Beckn transaction gateway's domain side (issue 17 §3): requests of a BAP mapped
onto Hutong's discovery, orders and payments, answered as `on_<action>` through the outbox.

`mapping` turns Beckn's shapes into Hutong's and back (pure); `jobs` runs one
action through the domain service its `/v1` route uses and queues the answer.
"""

from hutong.beckn.jobs import ACTIONS, REFUSED_ACTIONS, BecknCall, checked_call, prepare

__all__ = ["ACTIONS", "REFUSED_ACTIONS", "BecknCall", "checked_call", "prepare"]
