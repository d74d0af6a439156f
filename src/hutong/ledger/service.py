"""The ledger as a service: group commit of transfers from concurrent callers.

Callers hand in their batch and wait; a loop gathers what has queued (up to
`max_transfers`, optionally waiting `max_wait` seconds for more), applies all
of it in one transaction on state loaded and locked once, commits durably,
and only then answers each caller with its own results. Throughput comes
from many transfers per commit, not from weaker durability.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError

from hutong.ledger.models import Result, TransferRequest
from hutong.ledger.store import apply_batches
from hutong.store.db import Database
from hutong.store.gather import Gatherer

#: Largest batch one caller may submit.
MAX_BATCH = 8190


class BatchTooLarge(ValueError):
    pass


@dataclass(slots=True)
class _Waiting:
    requests: Sequence[TransferRequest]
    future: asyncio.Future[list[Result]]


class Ledger:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        *,
        max_transfers: int = 8190,
        max_wait: float = 0.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.max_transfers = max_transfers
        self.max_wait = max_wait
        self._gatherer: Gatherer[_Waiting] = Gatherer(
            self._commit,
            max_items=max_transfers,
            weight=lambda waiting: len(waiting.requests),
            max_wait=max_wait,
        )
        self.commits = 0
        self.transfers = 0

    async def submit(self, requests: Sequence[TransferRequest]) -> list[Result]:
        """Apply `requests` (linked chains stay within them); one result each."""
        if len(requests) > MAX_BATCH:
            raise BatchTooLarge(f"at most {MAX_BATCH} transfers per batch, got {len(requests)}")
        if not requests:
            return []
        future: asyncio.Future[list[Result]] = asyncio.get_running_loop().create_future()
        await self._gatherer.put(_Waiting(requests, future))
        return await future

    async def close(self) -> None:
        await self._gatherer.close()

    async def _commit(self, group: list[_Waiting]) -> None:
        for attempt in range(5):
            try:
                async with self.db.transaction() as conn:
                    results = await apply_batches(conn, [w.requests for w in group], self.clock())
                break
            except (IntegrityError, OperationalError) as exc:
                # Another worker committed one of these ids, or a deadlock or
                # serialization failure: reload and apply again.
                if attempt == 4:
                    self._fail(group, exc)
                    return
                await asyncio.sleep(0.001 * (attempt + 1))
            except Exception as exc:
                if len(group) > 1:
                    # One caller's batch broke the transaction (a value the
                    # database refuses): the others must not fail with it.
                    for waiting in group:
                        await self._commit([waiting])
                    return
                self._fail(group, exc)
                return
        self.commits += 1
        self.transfers += sum(len(w.requests) for w in group)
        for waiting, result in zip(group, results, strict=True):
            if not waiting.future.done():
                waiting.future.set_result(result)

    @staticmethod
    def _fail(group: list[_Waiting], exc: Exception) -> None:
        for waiting in group:
            if not waiting.future.done():
                waiting.future.set_exception(exc)
