"""What the livestreams API answers, as documented shapes (issue 17 §6), and each route's codes.

`Session.to_dict`, `SalesReport.to_dict` (`hutong.commerce.livestreams`)
and `placement_out` make the answers; these structs only document them. A
step's 409 codes are read from the session state machine
(`livestreams.states.REFUSALS`).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from hutong.api.documented import CODES, RESULT
from hutong.api.routes.links_out import PLACE_OPT, PlacementOut
from hutong.commerce.livestreams.states import REFUSALS, SessionEvent

__all__ = [
    "CART_OPT",
    "END_OPT",
    "REPORT_OPT",
    "SCHEDULE_OPT",
    "SHOW_OPT",
    "START_OPT",
    "VIEWERS_OPT",
]


class SessionOut(msgspec.Struct, kw_only=True):
    """A livestream session: its host, who is on air, its schedule and viewers (UTC)."""

    id: str
    host: str
    broadcaster: str
    broadcaster_kind: Literal["official_account", "merchant", "creator"]
    title: str
    scheduled_start: str
    scheduled_end: str
    state: Literal["scheduled", "live", "ended"]
    started_at: str | None
    ended_at: str | None
    peak_viewers: int
    views: int


class SessionAnswer(msgspec.Struct, kw_only=True):
    session: SessionOut


class SessionWithCart(msgspec.Struct, kw_only=True):
    session: SessionOut
    cart: list[PlacementOut]


class CartAnswer(msgspec.Struct, kw_only=True):
    """The offer placed in the session's cart."""

    session_id: str
    placement: PlacementOut


class SalesLineOut(msgspec.Struct, kw_only=True):
    """Orders, GMV, refunds, net (= gmv - refunds) and the broadcaster's commission, in fen."""

    orders: int
    gmv: int
    refunds: int
    net: int
    broadcaster_commission: int


class ViewersOut(msgspec.Struct, kw_only=True):
    peak: int
    views: int


class SessionReport(msgspec.Struct, kw_only=True):
    """A session's viewers and sales, in total and by the merchant's home platform."""

    session: SessionOut
    viewers: ViewersOut
    total: SalesLineOut
    by_home_platform: dict[str, SalesLineOut]


def _state_codes(event: SessionEvent) -> tuple[str, ...]:
    """The 409 codes the session state machine refuses `event` with."""
    return tuple(sorted({code for (_, e), code in REFUSALS.items() if e == event}))


#: A host's step on a session: not the host's, no such session, a message id reused.
_HOST = {403: ("not_your_session",), 404: ("unknown_session",)}


def _step(event: SessionEvent) -> dict[str, object]:
    return {
        RESULT: SessionAnswer,
        CODES: {**_HOST, 409: (*_state_codes(event), "message_id_conflict")},
    }


SCHEDULE_OPT: dict[str, object] = {
    RESULT: SessionAnswer,
    CODES: {422: ("invalid_broadcaster", "invalid_schedule", "invalid_title")},
}
START_OPT = _step(SessionEvent.START)
END_OPT = _step(SessionEvent.END)
_PLACED: dict[int, tuple[str, ...]] = PLACE_OPT[CODES]  # type: ignore[assignment]
CART_OPT: dict[str, object] = {
    RESULT: CartAnswer,
    CODES: {
        403: ("not_your_session",),
        404: ("unknown_session",),
        409: (*_state_codes(SessionEvent.ADD_TO_CART), *_PLACED[409]),
        422: _PLACED[422],
    },
}
VIEWERS_OPT: dict[str, object] = {
    RESULT: SessionAnswer,
    CODES: {
        **_HOST,
        409: (*_state_codes(SessionEvent.REPORT_VIEWERS), "message_id_conflict"),
        422: ("invalid_viewers", "views_went_back"),
    },
}
SHOW_OPT: dict[str, object] = {RESULT: SessionWithCart, CODES: _HOST}
REPORT_OPT: dict[str, object] = {RESULT: SessionReport, CODES: _HOST}
