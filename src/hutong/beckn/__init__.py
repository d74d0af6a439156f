"""The Beckn transaction gateway's domain side (issue 17 §3): requests of a BAP mapped
onto Hutong's discovery, orders, payments and shipments, answered as `on_<action>`.

`calls` checks a request and queues its answer; `queue` records it as a
durable job with its ACK and runs it after (a worker); `jobs` and
`aftersale` run one action through the domain service its `/v1` route uses;
`mapping` turns Beckn's shapes into Hutong's and back (pure); `retention`
prunes answered jobs once their message ids are no longer kept.
"""

from hutong.beckn.calls import BecknCall, checked_call
from hutong.beckn.jobs import ACTIONS, REFUSED_ACTIONS, precheck, prepare
from hutong.beckn.queue import record, run_due, run_jobs, wake
from hutong.beckn.retention import prune_jobs

__all__ = [
    "ACTIONS",
    "REFUSED_ACTIONS",
    "BecknCall",
    "checked_call",
    "precheck",
    "prepare",
    "prune_jobs",
    "record",
    "run_due",
    "run_jobs",
    "wake",
]
