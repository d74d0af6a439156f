"""The state machine of a livestream session, and the rule of a viewer report.

Pure code, no I/O and no clock: ``now`` is passed in (timezone-aware). Every
refusal is a `LivestreamError` with a stable ``code`` and a sentence.

The machine
-----------
::

    scheduled -start-------> live       the host opened the live room
    scheduled -end---------> ended      called off before it began
    live      -end---------> ended      the live room closed
    scheduled, live -add_to_cart------> (same)   an offer joins the cart
    live      -report_viewers---------> live     the host's viewer count
    live      -take_order-------------> live     an order from the cart

* The allowed moves are `TRANSITIONS`; every other (state, event) pair is
  refused with the code in `REFUSALS`: ``session_not_live`` (the session
  has not started: viewers, orders, ending nothing), ``already_live``
  (start twice) and ``session_ended`` (anything after the end).
* A cart is only ordered from while its session is live: an order through a
  cart placement before the start or after the end is ``session_not_live``
  or ``session_ended``, so a session's sales are the orders taken while it
  was on air, each carrying the session through its placement.

Viewer reports
--------------
The host reports ``viewers`` (watching now) and ``views`` (cumulative
人次 since the start, as the seed article's 1.3 million). Both are integers
>= 0 (``invalid_viewers``); ``views`` never goes back
(``views_went_back``); ``viewers`` is at most ``views`` when views are
counted (``invalid_viewers``). The session keeps the peak of ``viewers``
and the latest ``views``.

Schedules
---------
Times carry a UTC offset; ``starts_at < ends_at``, at most `MAX_DURATION`
apart (``invalid_schedule``); a schedule is a plan: the actual start and end
are when the host said so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from hutong.protocol.errors import ConflictError, ValidationError

__all__ = [
    "MAX_DURATION",
    "REFUSALS",
    "TRANSITIONS",
    "BroadcasterKind",
    "LivestreamError",
    "SessionEvent",
    "SessionState",
    "Viewers",
    "check_schedule",
    "check_viewers",
    "move",
]

#: The longest schedule a session may declare.
MAX_DURATION = timedelta(hours=24)


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


class SessionEvent(StrEnum):
    START = "start"
    END = "end"
    ADD_TO_CART = "add_to_cart"
    REPORT_VIEWERS = "report_viewers"
    TAKE_ORDER = "take_order"


class BroadcasterKind(StrEnum):
    """Who is on air: a platform's official account, a merchant (店播) or a creator."""

    OFFICIAL_ACCOUNT = "official_account"
    MERCHANT = "merchant"
    CREATOR = "creator"


class LivestreamError(ConflictError):
    """A move the session's state refuses (409), with its stable code."""


S, E = SessionState, SessionEvent

#: (state, event) -> the state it leads to.
TRANSITIONS: Mapping[tuple[SessionState, SessionEvent], SessionState] = {
    (S.SCHEDULED, E.START): S.LIVE,
    (S.SCHEDULED, E.END): S.ENDED,
    (S.LIVE, E.END): S.ENDED,
    (S.SCHEDULED, E.ADD_TO_CART): S.SCHEDULED,
    (S.LIVE, E.ADD_TO_CART): S.LIVE,
    (S.LIVE, E.REPORT_VIEWERS): S.LIVE,
    (S.LIVE, E.TAKE_ORDER): S.LIVE,
}

_BY_STATE: dict[SessionState, str] = {
    S.SCHEDULED: "session_not_live",
    S.LIVE: "already_live",
    S.ENDED: "session_ended",
}
#: The code refusing each (state, event) pair that `TRANSITIONS` does not allow.
REFUSALS: Mapping[tuple[SessionState, SessionEvent], str] = {
    (s, e): _BY_STATE[s] for s in S for e in E if (s, e) not in TRANSITIONS
}

_SENTENCES = {
    "session_not_live": "has not started",
    "already_live": "is already live",
    "session_ended": "has ended",
}


def move(session_id: str, state: SessionState, event: SessionEvent) -> SessionState:
    """The state after `event`, or the refusal of `REFUSALS`."""
    after = TRANSITIONS.get((state, event))
    if after is None:
        code = REFUSALS[(state, event)]
        raise LivestreamError(
            f"session {session_id} {_SENTENCES[code]}: it cannot {event.value.replace('_', ' ')}",
            code=code,
        )
    return after


def check_schedule(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValidationError("starts_at and ends_at carry a UTC offset", code="invalid_schedule")
    if not starts_at < ends_at <= starts_at + MAX_DURATION:
        raise ValidationError(
            f"a session ends after it starts, within {MAX_DURATION.total_seconds() / 3600:.0f} h",
            code="invalid_schedule",
        )


@dataclass(frozen=True, slots=True)
class Viewers:
    """What a session has been told so far: the peak of viewers and the latest views."""

    peak_viewers: int = 0
    views: int = 0


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def check_viewers(before: Viewers, viewers: object, views: object) -> Viewers:
    """The session's counts after a report of ``viewers`` now and ``views`` so far."""
    if not _count(viewers) or not _count(views):
        raise ValidationError("viewers and views are integers, 0 or more", code="invalid_viewers")
    assert isinstance(viewers, int) and isinstance(views, int)
    if views < viewers:
        raise ValidationError(
            f"{viewers} watching but only {views} views so far", code="invalid_viewers"
        )
    if views < before.views:
        raise ValidationError(
            f"views are cumulative: {views} is below the {before.views} already reported",
            code="views_went_back",
        )
    return Viewers(max(before.peak_viewers, viewers), views)
