"""Settlement windows and their states. Pure code.

Windows
-------
::

    open -close-> closed -settle-> settled

A window collects transfers while open. Closing it freezes its transfers:
positions, instructions and files are computed from a closed window (a file
for an open window is refused, ``window_open``). Settling records that the
instructions were paid. Nothing goes back: closing a closed window is
``window_closed``, settling an open one ``window_open`` (close it first), and
anything on a settled window ``window_settled``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from hutong.ledger.settlement.errors import SettlementError

__all__ = ["TRANSITIONS", "Window", "WindowEvent", "WindowState", "advance"]


class WindowState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    SETTLED = "settled"


class WindowEvent(StrEnum):
    CLOSE = "close"
    SETTLE = "settle"


TRANSITIONS: Mapping[tuple[WindowState, WindowEvent], WindowState] = {
    (WindowState.OPEN, WindowEvent.CLOSE): WindowState.CLOSED,
    (WindowState.CLOSED, WindowEvent.SETTLE): WindowState.SETTLED,
}

#: Why an event is refused in a state: the code names where the window is.
_REFUSALS: Mapping[WindowState, tuple[str, str]] = {
    WindowState.OPEN: ("window_open", "the window is still open; close it first"),
    WindowState.CLOSED: ("window_closed", "the window is already closed"),
    WindowState.SETTLED: ("window_settled", "the window is settled; nothing changes it"),
}


def advance(state: WindowState, event: WindowEvent) -> WindowState:
    """The state after `event`, or a `SettlementError` with a code for `state`."""
    after = TRANSITIONS.get((WindowState(state), WindowEvent(event)))
    if after is None:
        code, message = _REFUSALS[WindowState(state)]
        raise SettlementError(code, f"cannot {WindowEvent(event).value}: {message}")
    return after


@dataclass(frozen=True, slots=True)
class Window:
    """A settlement window: transfers posted in [start, end) belong to it."""

    id: str
    start: datetime
    end: datetime
    state: WindowState = WindowState.OPEN

    def __post_init__(self) -> None:
        if not self.id:
            raise SettlementError("invalid_window", "a window needs an id")
        if self.end <= self.start:
            raise SettlementError("invalid_window", "a window ends after it starts")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "state": self.state.value,
        }
