"""The one status set every carrier's tracking events are normalized to, and how a state moves.

Pure code, no I/O.

Statuses and levels
-------------------
A shipment's state is the status of one tracking event (and that event's
time). Every status but ``unknown`` sits on a level of a progress ladder:

=====  =======================================================  ==========================
level  statuses                                                 terminal
=====  =======================================================  ==========================
1      info_received                                            no
2      picked_up                                                no
3      in_transit, exception                                    no
4      out_for_delivery, available_for_pickup, attempt_failed   no
5      cancelled                                                yes
6      delivered                                                yes
7      returned                                                 yes
-      unknown                                                  (never becomes the state)
=====  =======================================================  ==========================

Rules (`advances`)
------------------
A shipment in state ``current`` (reached by an event of ``current_at``) moves
to ``new`` (an event of ``new_at``) when:

===============================================  ===============================================
case                                             moves?
===============================================  ===============================================
``new`` is unknown                               never (the event is kept, the state is not)
no state yet (``current`` None)                  yes
``new`` on a higher level                        yes, even if ``new_at`` is older: an event
                                                 reported late that is further along counts
``new`` on a lower level                         never, even if newer: the state never goes
                                                 backwards
same level, not terminal, ``new_at`` newer       yes (attempt_failed -> out_for_delivery,
                                                 exception -> in_transit, in_transit ->
                                                 in_transit with a newer sub-status)
same level, not terminal, ``new_at`` older       no
same level, not terminal, same time              by the tie order below; the same status at the
                                                 same time is a duplicate: no
same terminal status, ``new_at`` older           yes: a terminal state's time is the earliest
                                                 report of it (the status does not change)
same terminal status, ``new_at`` not older       no
===============================================  ===============================================

Tie order at the same level and the same time: in_transit < exception;
out_for_delivery < available_for_pickup < attempt_failed. When
``current_at`` is None (a state set without a time, such as a booking's
info_received) any event of the same level moves it, and so gives it a time.

Choices, and why
----------------
* ``exception`` shares level 3 with ``in_transit``: a parcel stuck in the
  network (damaged, held, lost) is shown as such until newer news arrives,
  and "progress again" after it is any newer in_transit, or anything further
  along. An exception reported after the parcel went out for delivery does not
  take the state back (carriers report last-mile trouble as attempt_failed,
  level 4); the event is still recorded.
* ``attempt_failed`` shares level 4 with out_for_delivery and
  available_for_pickup: a newer delivery attempt or a station arrival follows
  it (progress again), delivered ends it.
* Terminal states never change to a non-terminal one. Among the three,
  ``returned`` outranks ``delivered`` (a parcel signed for by a station or a
  neighbour, 代签, and sent back to the sender when nobody collects it), and
  both outrank ``cancelled`` (a booking reported cancelled and then delivered
  was not stopped: the physical fact wins). So delivered -> returned and
  cancelled -> delivered/returned are the only moves out of a terminal state.

Why this shape
--------------
Events arrive out of order and duplicated. Every rule above compares events by
one total order: (level, time, tie order), with time counted backwards on the
terminal levels. A state is always the greatest event seen so far under that
order, so the final state does not depend on the order events arrive in and
equals applying them in time order; duplicates change nothing; and the level
never decreases. (A rule such as "after an exception any newer event counts,
whatever its level" cannot have this property: in_transit at 10:00, exception
at 11:00 and picked_up at 12:00 would each beat the one before and lose to the
one after.)

Datetimes should be timezone-aware; naive and aware ones cannot be compared.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    """A shipment's normalized tracking status."""

    INFO_RECEIVED = "info_received"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    ATTEMPT_FAILED = "attempt_failed"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL

    @property
    def level(self) -> int:
        """The ladder level (see the module doc); 0 for unknown."""
        return rank(self)


TERMINAL: frozenset[Status] = frozenset({Status.DELIVERED, Status.RETURNED, Status.CANCELLED})

_LEVEL: dict[Status, int] = {
    Status.UNKNOWN: 0,
    Status.INFO_RECEIVED: 1,
    Status.PICKED_UP: 2,
    Status.IN_TRANSIT: 3,
    Status.EXCEPTION: 3,
    Status.OUT_FOR_DELIVERY: 4,
    Status.AVAILABLE_FOR_PICKUP: 4,
    Status.ATTEMPT_FAILED: 4,
    Status.CANCELLED: 5,
    Status.DELIVERED: 6,
    Status.RETURNED: 7,
}

_TIE: dict[Status, int] = {
    Status.IN_TRANSIT: 0,
    Status.EXCEPTION: 1,
    Status.OUT_FOR_DELIVERY: 0,
    Status.AVAILABLE_FOR_PICKUP: 1,
    Status.ATTEMPT_FAILED: 2,
}


def rank(status: Status) -> int:
    """The status's ladder level: 1 info_received ... 7 returned; 0 for unknown."""
    return _LEVEL[Status(status)]


def advances(
    current: Status | None, current_at: datetime | None, new: Status, new_at: datetime
) -> bool:
    """Whether a shipment in state `current` (reached at `current_at`) moves to `new`.

    See the module doc for the rules. True means: the shipment's state becomes
    `new` at `new_at` (sometimes with the same status and another time).
    """
    new = Status(new)
    if new is Status.UNKNOWN:
        return False
    if current is None or current is Status.UNKNOWN:
        return True
    current = Status(current)
    level_now, level_new = _LEVEL[current], _LEVEL[new]
    if level_new != level_now:
        return level_new > level_now
    if current_at is None:
        return True
    if current in TERMINAL:
        # Each terminal level holds one status: this is the same status again.
        return new_at < current_at
    if new_at != current_at:
        return new_at > current_at
    return _TIE.get(new, 0) > _TIE.get(current, 0)


def settle(
    events: Iterable[tuple[Status, datetime]],
    current: Status | None = None,
    current_at: datetime | None = None,
) -> tuple[Status | None, datetime | None]:
    """Apply events one by one (in the order given) from a state; return the final state."""
    for status, at in events:
        if advances(current, current_at, status, at):
            current, current_at = Status(status), at
    return current, current_at
