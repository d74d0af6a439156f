"""Livestream sessions across platforms (issue 18 §2).

A session is a host's live room run by a broadcaster (a platform's official
account, a merchant or a creator), with a schedule and a state
(`states`: scheduled, live, ended), the offers of its cart (`live_cart`
placements bound to it), the viewer counts its host reports, and the orders
taken from its cart, which its report sums by the merchant's home platform
(`report`). `service` runs the steps, `cart` is what order taking asks.
"""

from hutong.commerce.livestreams.states import (
    REFUSALS,
    TRANSITIONS,
    BroadcasterKind,
    LivestreamError,
    SessionEvent,
    SessionState,
    Viewers,
)

__all__ = [
    "REFUSALS",
    "TRANSITIONS",
    "BroadcasterKind",
    "LivestreamError",
    "SessionEvent",
    "SessionState",
    "Viewers",
]
