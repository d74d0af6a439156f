"""How long an answered Beckn job is kept: as long as its message id is remembered.

Once a job is answered (its `on_<action>` in the outbox, or abandoned), its
row serves only a retry of the same (BAP, message id), which must get the
same ACK and run nothing (`hutong.beckn.queue.record`). The message-id record
that answers such a retry is kept `Settings.message_retention` seconds from
the request, longer than any request can live (signature and context
expiry refuse a retry after that). So:

    pruned  <=>  status = answered  and  answered_at < now - message_retention

A pending job (due, waiting out a backoff, or leased by a worker) is never
pruned, however old. `prune_jobs` runs in the deadline sweep
(`hutong.workers.deadlines`), a read first and then short deletes, oldest
`answered_at` first (`hutong.store.pruning`), as the other prunes do.
"""

from __future__ import annotations

from datetime import timedelta

from hutong.beckn.queue import JobStatus
from hutong.runtime.services import Services
from hutong.store.pruning import delete_in_chunks
from hutong.store.tables import beckn_jobs

__all__ = ["PRUNE_CHUNK", "prune_jobs"]

#: Jobs removed per DELETE statement, about (keeps each transaction short).
PRUNE_CHUNK = 1000

_ANSWERED = JobStatus.ANSWERED.value


async def prune_jobs(services: Services) -> int:
    """Remove jobs answered longer ago than `message_retention`; how many."""
    cutoff = services.clock() - timedelta(seconds=services.settings.message_retention)
    # The status is checked again by the delete: an answered job never becomes
    # pending, but say so.
    answered = (beckn_jobs.c.status == _ANSWERED) & (beckn_jobs.c.answered_at < cutoff)
    return await delete_in_chunks(
        services.db, beckn_jobs, answered, by=beckn_jobs.c.answered_at, chunk=PRUNE_CHUNK
    )
