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
  code is remembered as unknown like any entry (codes are drawn at random and
  given out only once stored).

A host's policies are held as `HostLinks`, which also remembers the decisions
it gave (a decision is a pure function of the history and the link), so a
resolution does not rank the host's rules again for every click.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from hutong.links.policy import Decision, PolicyHistory, Surface
from hutong.links.store import (
    PLACEMENTS,
    POLICIES,
    PlacementView,
    placement_by_code,
    policy_history,
    rule_corrections,
)
from hutong.store.cache import declarations_at
from hutong.store.corrections import CorrectionRecord
from hutong.store.db import Database

__all__ = ["Decided", "HostLinks", "cached_placement", "host_links"]

#: Decisions a host's entry remembers at most (merchant ids make the keys open-ended).
MAX_DECISIONS = 4096


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


async def cached_placement(db: Database, code: str) -> PlacementView | None:
    """The placement behind a link code (None when no placement has it), from the cache."""
    code = code.lower()

    async def load() -> PlacementView | None:
        async with db.read() as conn:
            return await placement_by_code(conn, code)

    return await declarations_at(db.url).get((PLACEMENTS, code), load)
