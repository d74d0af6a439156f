"""A host's own declared link policy, held against what it sells through.

Rule: a placement on host H's surface S of an offer whose link leads to
platform P (`PlacementView.source`) may be made, and ordered through, only
while H's policy in force that day does not decide ``blocked`` for P on S
(`PolicyHistory.decide`, the same decision the resolver serves). Otherwise it
is refused with ``blocked_by_host_policy`` (409: the state of the host's
declarations refuses it; a later declaration may let it through), naming the
rule. The switch would otherwise carry, and take commission on, a link the
host itself says it blocks there.

``share_code_only`` and every open treatment are answers, not blocks: the
offer still reaches the buyer (as a code, or behind extra steps).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from hutong.links.hosts import alias
from hutong.links.policy import Decision, Treatment
from hutong.links.store import PlacementView, policy_history
from hutong.protocol.errors import ConflictError

__all__ = ["BlockedByHostPolicy", "decision_for", "require_not_blocked"]


class BlockedByHostPolicy(ConflictError):
    """``blocked_by_host_policy``: the host's own rule blocks this placement's link."""

    code = "blocked_by_host_policy"

    def __init__(self, what: str, decision: Decision) -> None:
        super().__init__(f"{what} is refused: {decision.explain()}")
        self.decision = decision


async def decision_for(conn: AsyncConnection, view: PlacementView, day: date) -> Decision:
    """How the placement's own host treats its link on ``day``."""
    history = await policy_history(conn, alias(view.host))
    return history.decide(
        view.source,
        view.surface,
        day,
        merchant_is_self_operated=view.self_operated,
        merchant_id=view.merchant,
    )


async def require_not_blocked(
    conn: AsyncConnection, view: PlacementView, day: date, what: str
) -> Decision:
    """The host's decision for the placement on ``day``; `BlockedByHostPolicy` if blocked."""
    decision = await decision_for(conn, view, day)
    if decision.treatment is Treatment.BLOCKED:
        raise BlockedByHostPolicy(what, decision)
    return decision
