"""Resolving links and share codes: the hot path, and its batched event log.

Every resolution is recorded (placement, host, surface, outcome, the rule
that decided it, latency). The resolver does not wait for that write: events
go to an in-memory buffer that a background task flushes in one multi-row
insert every few milliseconds. A crash can lose the last instant of these
analytics events; it cannot lose anything that moves money or state.

A resolution asked for another day (``?at=``, a what-if question) is not a
visit: it goes to `link_what_if_resolutions`, never to `link_resolutions`,
so nothing that counts traffic counts it. An answer decided by a back-dated
version (a correction) says so: ``"correction": {...}`` in its data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from hutong.links.cached import PlacementReads, host_links
from hutong.links.hosts import HostContext
from hutong.links.policy import Decision, Surface, Treatment
from hutong.links.resolution import Plan, Targets, plan
from hutong.links.share_code import make_code, wrap
from hutong.links.store import PlacementView, mini_program_url
from hutong.protocol.ids import new_id
from hutong.store.db import Database
from hutong.store.tables import link_resolutions, link_what_if_resolutions, mini_program_links

log = logging.getLogger("hutong.links")

#: WeChat URL links live at most 30 days; renew a day before they lapse.
MINI_PROGRAM_LINK_LIFETIME = timedelta(days=30)
MINI_PROGRAM_RENEW_MARGIN = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Resolution:
    placement: PlacementView
    decision: Decision
    plan: Plan
    share_text: str


class ResolutionLog:
    """Buffers resolution events and writes them in batches."""

    def __init__(self, db: Database, *, flush_every: float = 0.05, max_rows: int = 2000) -> None:
        self.db = db
        self.flush_every = flush_every
        self.max_rows = max_rows
        self._rows: list[dict[str, Any]] = []
        self._what_ifs: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        #: Held while a batch is written, so `flush` returns only once every
        #: event recorded before it is in the database.
        self._lock = asyncio.Lock()
        self._closing = False
        self.written = 0

    def record(self, row: dict[str, Any], *, what_if: bool = False) -> None:
        """Buffer one event: a real visit, or (`what_if`) a question about another day."""
        (self._what_ifs if what_if else self._rows).append(row)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())
        if len(self._rows) + len(self._what_ifs) >= self.max_rows:
            self._wake.set()

    async def flush(self) -> None:
        """Write every event recorded so far (after any batch already being written)."""
        async with self._lock:
            rows, self._rows = self._rows, []
            what_ifs, self._what_ifs = self._what_ifs, []
            if not rows and not what_ifs:
                return
            try:
                async with self.db.transaction() as conn:
                    if rows:
                        await conn.execute(insert(link_resolutions), rows)
                    if what_ifs:
                        await conn.execute(insert(link_what_if_resolutions), what_ifs)
                self.written += len(rows) + len(what_ifs)
            except Exception:
                log.exception("writing %d resolution events failed", len(rows) + len(what_ifs))

    async def close(self) -> None:
        # Let the loop finish the batch it may be writing (cancelling it
        # mid-write would lose that batch), then write what is left.
        if self._task is not None:
            self._closing = True
            self._wake.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            self._closing = False
        await self.flush()

    async def _loop(self) -> None:
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.flush_every)
            self._wake.clear()
            await self.flush()


class Resolver:
    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        share_key: Callable[[], bytes],
    ) -> None:
        self.db = db
        self.clock = clock
        self.share_key = share_key
        self.log = ResolutionLog(db)
        self.placements = PlacementReads(db)

    async def close(self) -> None:
        await self.placements.close()
        await self.log.close()

    async def placement(self, code: str) -> PlacementView | None:
        """The placement behind a link code (cached: `hutong.links.cached`)."""
        return await self.placements.get(code)

    def share_text(self, placement: PlacementView) -> str:
        return wrap(make_code(placement.share_serial, self.share_key()))

    async def resolve(
        self,
        placement: PlacementView,
        context: HostContext,
        *,
        surface: str | None,
        day: date | None,
        started: float,
    ) -> Resolution:
        """Decide and plan the answer for `placement` in `context`; records the event."""
        host = context.host or placement.host.split(".", 1)[0]
        where = Surface(surface) if surface else placement.surface
        moment = self.clock()
        on = day or moment.date()
        decided = (await host_links(self.db, host)).decide(
            placement.source,
            where,
            on,
            self_operated=placement.self_operated,
            merchant=placement.merchant,
        )
        decision = decided.decision
        targets = placement.targets
        if placement.targets.mini_program_app_id and decision.treatment is Treatment.MINI_PROGRAM:
            # Only a mini-program answer needs a live URL link (a write).
            targets = await self._with_mini_program_url(placement, moment)
        plain_redirect = (
            decision.treatment is Treatment.OPEN
            and not decision.extra_steps
            and not context.wants_json
        )
        share_text = "" if plain_redirect else self.share_text(placement)
        answer = plan(
            decision,
            targets,
            share_text,
            wants_json=context.wants_json,
            explanation=decided.explanation,
        )
        if decided.correction is not None:
            answer.data["correction"] = dict(decided.correction)
        self.log.record(
            {
                "event_id": new_id("res"),
                "placement_id": placement.id,
                "host": host,
                "surface": where.value,
                "outcome": answer.outcome,
                "rule": decided.rule,
                "policy_day": on,
                "latency_us": int((time.perf_counter() - started) * 1_000_000),
                # The steps forced before the link (the auditor's link_friction reads them).
                "detail": decided.detail(context.source),
                "created_at": moment,
            },
            what_if=day is not None,
        )
        return Resolution(placement, decision, answer, share_text)

    def record_refusal(self, host: str, reason: str, detail: str, started: float) -> None:
        moment = self.clock()
        self.log.record(
            {
                "event_id": new_id("res"),
                "placement_id": None,
                "host": host or "unknown",
                "surface": "",
                "outcome": f"refused_{reason}",
                "rule": "",
                "policy_day": moment.date(),
                "latency_us": int((time.perf_counter() - started) * 1_000_000),
                "detail": detail[:500],
                "created_at": moment,
            }
        )

    async def _with_mini_program_url(self, placement: PlacementView, now: datetime) -> Targets:
        """The placement's mini-program URL link, renewed when it is about to lapse.

        A real switch asks the host platform's API for a URL link; the host
        platforms are outside this network, so the link is minted here with
        the same 30-day lifetime, and renewed the same way.
        """
        async with self.db.read() as conn:
            found = await mini_program_url(conn, placement.id)
        if found is None or found[1] - now <= MINI_PROGRAM_RENEW_MARGIN:
            url = f"https://wxaurl.example/t/{secrets.token_urlsafe(9)}"
            expires_at = now + MINI_PROGRAM_LINK_LIFETIME
            try:
                async with self.db.transaction() as conn:
                    await conn.execute(
                        delete(mini_program_links).where(
                            mini_program_links.c.placement_id == placement.id
                        )
                    )
                    await conn.execute(
                        insert(mini_program_links),
                        {"placement_id": placement.id, "url": url, "expires_at": expires_at},
                    )
                found = (url, expires_at)
            except IntegrityError:
                # A concurrent resolution stored a fresh link first: use that one.
                async with self.db.read() as conn:
                    found = await mini_program_url(conn, placement.id)
                if found is None:
                    raise
        t = placement.targets
        return Targets(t.h5_url, t.deep_link, t.mini_program_app_id, t.mini_program_path, found[0])
