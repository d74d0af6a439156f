"""What a resolution reads, through the declaration cache: placements by code, host policies.

Every `GET /l/{code}` needs its placement (a read joining placements, offers,
merchant profiles and storefronts) and its host's link policies. Both change
a few times a day, so they come from the process's declaration cache
(`hutong.store.cache`) with its bound: the process that writes a change sees
it at once, every other process within `TTL` (0.8 s). The writes that change
them drop them with `changed`:

- a host's rules: `declare_rule` drops ``(POLICIES, host)``;
- a placement's view: an offer stored or changed (`upsert_offers`), a merchant
  profile set (`set_profile`), a storefront decided (`mark_decided`) drop
  every ``(PLACEMENTS, code)``, and a participant's status change drops
  everything. Placements themselves are never changed or removed; an unknown
  code of a code's shape is remembered as unknown like any entry (codes are
  drawn at random and given out only once stored), and one of another shape
  is neither read nor remembered (`could_be_link_code`).

A host's policies are held as `HostLinks`, which also remembers the decisions
it gave (a decision is a pure function of the history and the link), so a
resolution does not rank the host's rules again for every click.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import date
from typing import Any

from hutong.links.policy import Decision, PolicyHistory, Surface
from hutong.links.store import (
    PLACEMENTS,
    POLICIES,
    PlacementView,
    could_be_link_code,
    placement_by_code,
    placements_by_codes,
    policy_history,
    rule_corrections,
)
from hutong.store.cache import declarations_at
from hutong.store.corrections import CorrectionRecord
from hutong.store.db import Database

__all__ = ["Decided", "HostLinks", "PlacementReads", "host_links"]

log = logging.getLogger("hutong.links")

#: Decisions a host's entry remembers at most (merchant ids make the keys open-ended).
MAX_DECISIONS = 4096
#: A placement served by an entry this share of the cache's TTL old is read again.
REFRESH_AFTER = 0.5
#: How long a read ahead waits for more codes to join it (well within the TTL's other half).
GATHER_SECONDS = 0.05
#: Codes one statement reads at most.
MAX_BATCH = 500


class Decided:
    """A decision and what every answer and event of it repeats, worked out once."""

    __slots__ = ("_details", "correction", "decision", "explanation", "rule")

    def __init__(self, decision: Decision, correction: CorrectionRecord | None) -> None:
        self.decision = decision
        #: The sentence the answer carries as its ``rule`` ("" when no rule decided).
        self.explanation = decision.explain() if decision.rule is not None else ""
        #: The event's ``rule``: ``host#vN``, or "".
        self.rule = f"{decision.rule.host}#v{decision.rule.version}" if decision.rule else ""
        #: The back-dated version that decided, as the answer shows it (copy before changing).
        self.correction = correction.to_dict() if correction is not None else None
        self._details: dict[str, str] = {}

    def detail(self, host_from: str) -> str:
        """The event's ``detail``: how the host was learned and the steps forced (JSON)."""
        found = self._details.get(host_from)
        if found is None:
            steps = [step.value for step in self.decision.extra_steps]
            found = self._details[host_from] = json.dumps(
                {"host_from": host_from, "steps": len(steps), "extra_steps": steps}
            )
        return found


class HostLinks:
    """A host's link policy history as read, its back-dated versions, and its decisions.

    Shared by every reader of the cache entry: the history is only decided
    with, never declared on.
    """

    __slots__ = ("_decided", "corrected", "history")

    def __init__(self, history: PolicyHistory, corrected: dict[int, CorrectionRecord]) -> None:
        self.history = history
        self.corrected = corrected
        self._decided: dict[tuple[Any, ...], Decided] = {}

    def decide(
        self, source: str, surface: Surface, day: date, *, self_operated: bool, merchant: str
    ) -> Decided:
        """`PolicyHistory.decide` for this link, remembered."""
        key = (source, surface, day, self_operated, merchant)
        found = self._decided.get(key)
        if found is None:
            decision = self.history.decide(
                source,
                surface,
                day,
                merchant_is_self_operated=self_operated,
                merchant_id=merchant,
            )
            correction = self.corrected.get(decision.rule.version) if decision.rule else None
            if len(self._decided) >= MAX_DECISIONS:
                self._decided.clear()
            found = self._decided[key] = Decided(decision, correction)
        return found


async def host_links(db: Database, host: str) -> HostLinks:
    """The host's (an alias's) link policies, from the cache."""

    async def load() -> HostLinks:
        async with db.read() as conn:
            history = await policy_history(conn, host)
            corrected = await rule_corrections(conn, host)
        return HostLinks(history, corrected)

    return await declarations_at(db.url).get((POLICIES, host), load)


class PlacementReads:
    """Placements by link code from the cache; the ones in use are read again together.

    An entry serves for `TTL` (0.8 s) from its read, so each placement in use
    would cost one statement per `TTL`, and those of a busy moment all expire
    in the same instant. Instead, a request served by an entry older than
    `REFRESH_AFTER` of the `TTL` puts its code on a list, and one task, after
    `GATHER_SECONDS`, reads every listed code in one statement
    (`placements_by_codes`) and keeps them
    as of that read (`Declarations.keep`: not if a drop came meanwhile). A
    placement in use is thus read about twice per `TTL` for all of them
    together; one no longer asked for is not read again. The bound is the
    cache's: nothing serves an entry older than `TTL`, whatever the batch
    does (if it fails or lags, a request reads its own placement as before).
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._due: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0

    async def get(self, code: str) -> PlacementView | None:
        """The placement behind `code` (None when no placement has it)."""
        code = code.lower()
        if not could_be_link_code(code):
            return None  # not a code anyone was given: no read, and nothing cached
        cache = declarations_at(self.db.url)
        key = (PLACEMENTS, code)

        async def load() -> PlacementView | None:
            async with self.db.read() as conn:
                return await placement_by_code(conn, code)

        view = await cache.get(key, load)
        age = cache.age(key)
        if age is not None and age >= cache.ttl * REFRESH_AFTER:
            self._due.add(code)
            loop = asyncio.get_running_loop()
            if self._task is None or self._task.done() or self._task.get_loop() is not loop:
                self._task = loop.create_task(self._refresh())
        return view

    async def close(self) -> None:
        """Stop a batch under way (nothing it would keep is needed for correctness)."""
        task, self._task = self._task, None
        if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._due.clear()

    async def _refresh(self) -> None:
        await asyncio.sleep(GATHER_SECONDS)  # the other placements growing old join this read
        cache = declarations_at(self.db.url)
        threshold = cache.ttl * REFRESH_AFTER
        due, self._due = self._due, set()
        # Still old: a code listed again while the last batch ran was read by it.
        codes = [c for c in due if (cache.age((PLACEMENTS, c)) or 0.0) >= threshold]
        if not codes:
            return
        codes = codes[:MAX_BATCH]  # the rest is listed again by its next request
        mark = cache.read_begins()
        try:
            async with self.db.read() as conn:
                found = await placements_by_codes(conn, codes)
        except Exception:  # each request then reads its own, as without batches
            log.warning("reading %d placements ahead of their expiry failed", len(codes))
            return
        self.batches += 1
        cache.keep(mark, {(PLACEMENTS, code): found.get(code) for code in codes})
