"""The background loop that enforces payments' deadlines.

Created payments not authorized in time and holds past their end expire
(released in the ledger, the wallet and the parties told); pay-for-me
requests expire; transfers and points exchanges left reserved are released.
What grows for ever is pruned past its retention: decision calls, answered
Beckn jobs (once their message ids are no longer kept), stored audit runs
(the newest kept) and delivered or dead outbox events.
Each sweep is also callable on its own (`sweep_once`), which tests use with
a settable clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from hutong.audit import prune_runs
from hutong.beckn import prune_jobs
from hutong.commerce.orders import service as order_service
from hutong.events.retention import prune_events
from hutong.net import call_journal
from hutong.payments import checkout, pay_for_me, points, transfers
from hutong.runtime.services import Services

log = logging.getLogger("hutong.payments")

#: Seconds between sweeps.
INTERVAL = 1.0

Sweep = Callable[[Services], Awaitable[int]]


async def _prune_audit_runs(services: Services) -> int:
    days = services.settings.audit_run_retention_days
    return await prune_runs(services.db, services.clock(), days)


async def _prune_events(services: Services) -> int:
    days = services.settings.outbox_retention_days
    return await prune_events(services.db, services.clock(), days)


SWEEPS: list[tuple[str, Sweep]] = [
    ("payments", checkout.expire_due),
    ("pay-for-me requests", pay_for_me.expire_due),
    ("transfers", transfers.expire_due),
    ("points exchanges", points.expire_due),
    ("orders", order_service.expire_due),
    ("decision calls past their retention", call_journal.prune),
    ("answered beckn jobs past the message retention", prune_jobs),
    ("stored audit runs past their retention", _prune_audit_runs),
    ("delivered and dead events past their retention", _prune_events),
]


async def sweep_once(services: Services) -> dict[str, int]:
    """Run every sweep once; how many of each expired."""
    counts: dict[str, int] = {}
    for name, sweep in SWEEPS:
        try:
            counts[name] = await sweep(services)
        except Exception:
            log.exception("expiring %s failed", name)
    return counts


async def run_deadlines(services: Services, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await sweep_once(services)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=INTERVAL)
