"""The replay's simulated clock and the participants' clients that sign by it.

The switch, the reference participants and every signed request read the
same clock, so a version declared on a simulated day is declared that day
(no back-dating) and every record the switch writes carries that day.
Within a day the clock runs from 08:00 UTC one millisecond per reading, so the
records of a day stay in the order they were made::

    now() = day 08:00 UTC + readings since the day began (ms, at most 15 h)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hutong.client import Client

__all__ = ["SimClient", "SimClock"]

MAX_TICKS = 15 * 3600 * 1000


class SimClock:
    def __init__(self, day: date) -> None:
        self.day = day
        self._ticks = 0

    def set(self, day: date) -> None:
        """Move to `day` (never back: the switch's histories only grow forward)."""
        if day < self.day:
            raise ValueError(f"the simulated clock cannot go back from {self.day} to {day}")
        if day != self.day:
            self.day, self._ticks = day, 0

    def __call__(self) -> datetime:
        self._ticks = min(self._ticks + 1, MAX_TICKS)
        return datetime.combine(self.day, time(8), UTC) + timedelta(milliseconds=self._ticks)


class SimClient(Client):
    """A participant's signed client whose signatures and contexts start at the simulated time."""

    def __init__(self, clock: SimClock, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.clock = clock

    def now(self) -> datetime:
        return self.clock()

    def sign(
        self, method: str, target: str, body: bytes, created: int | None = None
    ) -> dict[str, str]:
        moment = int(self.clock().timestamp()) if created is None else created
        return super().sign(method, target, body, moment)
