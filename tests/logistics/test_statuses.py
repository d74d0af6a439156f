"""The normalized status set and how a shipment's state moves (out of order, duplicated)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hutong.logistics.statuses import TERMINAL, Status, advances, rank, settle

S = Status
T0 = datetime(2024, 11, 2, 8, 0, tzinfo=UTC)
EARLIER = T0 - timedelta(hours=1)
LATER = T0 + timedelta(hours=1)


def test_the_status_set_is_exactly_the_eleven() -> None:
    assert {str(s) for s in Status} == {
        "info_received",
        "picked_up",
        "in_transit",
        "out_for_delivery",
        "available_for_pickup",
        "attempt_failed",
        "delivered",
        "exception",
        "returned",
        "cancelled",
        "unknown",
    }
    assert {S.DELIVERED, S.RETURNED, S.CANCELLED} == TERMINAL
    assert all(s.terminal == (s in TERMINAL) for s in Status)


def test_ranks_follow_the_ladder() -> None:
    ladder = [S.INFO_RECEIVED, S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED]
    assert [rank(s) for s in ladder] == sorted(rank(s) for s in ladder)
    assert len({rank(s) for s in ladder}) == len(ladder)
    assert rank(S.OUT_FOR_DELIVERY) == rank(S.AVAILABLE_FOR_PICKUP) == rank(S.ATTEMPT_FAILED)
    assert rank(S.EXCEPTION) == rank(S.IN_TRANSIT)
    assert rank(S.UNKNOWN) == 0
    assert S.DELIVERED.level < S.RETURNED.level
    assert all(rank(t) > rank(s) for t in TERMINAL for s in Status if s not in TERMINAL)


@pytest.mark.parametrize(
    ("current", "current_at", "new", "new_at", "moves"),
    [
        # first event
        (None, None, S.INFO_RECEIVED, T0, True),
        (None, None, S.DELIVERED, T0, True),
        (None, None, S.UNKNOWN, T0, False),
        # unknown never changes the state
        (S.IN_TRANSIT, T0, S.UNKNOWN, LATER, False),
        (S.INFO_RECEIVED, T0, S.UNKNOWN, LATER, False),
        # forward, in time or late
        (S.PICKED_UP, T0, S.IN_TRANSIT, LATER, True),
        (S.PICKED_UP, T0, S.IN_TRANSIT, EARLIER, True),
        (S.IN_TRANSIT, T0, S.DELIVERED, EARLIER, True),
        # never backwards, even when newer
        (S.IN_TRANSIT, T0, S.PICKED_UP, LATER, False),
        (S.OUT_FOR_DELIVERY, T0, S.IN_TRANSIT, LATER, False),
        (S.OUT_FOR_DELIVERY, T0, S.EXCEPTION, LATER, False),
        (S.IN_TRANSIT, T0, S.INFO_RECEIVED, EARLIER, False),
        # same level: newer moves, older does not
        (S.IN_TRANSIT, T0, S.IN_TRANSIT, LATER, True),
        (S.IN_TRANSIT, T0, S.IN_TRANSIT, EARLIER, False),
        (S.IN_TRANSIT, T0, S.EXCEPTION, LATER, True),
        (S.IN_TRANSIT, T0, S.EXCEPTION, EARLIER, False),
        # exception and attempt_failed are followed by progress again
        (S.EXCEPTION, T0, S.IN_TRANSIT, LATER, True),
        (S.EXCEPTION, T0, S.OUT_FOR_DELIVERY, LATER, True),
        (S.EXCEPTION, T0, S.PICKED_UP, LATER, False),
        (S.ATTEMPT_FAILED, T0, S.OUT_FOR_DELIVERY, LATER, True),
        (S.ATTEMPT_FAILED, T0, S.AVAILABLE_FOR_PICKUP, LATER, True),
        (S.ATTEMPT_FAILED, T0, S.DELIVERED, LATER, True),
        (S.ATTEMPT_FAILED, T0, S.OUT_FOR_DELIVERY, EARLIER, False),
        (S.OUT_FOR_DELIVERY, T0, S.ATTEMPT_FAILED, LATER, True),
        # duplicates
        (S.IN_TRANSIT, T0, S.IN_TRANSIT, T0, False),
        (S.DELIVERED, T0, S.DELIVERED, T0, False),
        # the same time, same level: the tie order decides, one way only
        (S.IN_TRANSIT, T0, S.EXCEPTION, T0, True),
        (S.EXCEPTION, T0, S.IN_TRANSIT, T0, False),
        (S.OUT_FOR_DELIVERY, T0, S.AVAILABLE_FOR_PICKUP, T0, True),
        (S.AVAILABLE_FOR_PICKUP, T0, S.OUT_FOR_DELIVERY, T0, False),
        # terminal: never to a non-terminal state
        (S.DELIVERED, T0, S.IN_TRANSIT, LATER, False),
        (S.DELIVERED, T0, S.EXCEPTION, LATER, False),
        (S.CANCELLED, T0, S.INFO_RECEIVED, LATER, False),
        (S.RETURNED, T0, S.OUT_FOR_DELIVERY, LATER, False),
        # terminal: returned after delivered; delivered or returned after cancelled
        (S.DELIVERED, T0, S.RETURNED, LATER, True),
        (S.RETURNED, T0, S.DELIVERED, LATER, False),
        (S.CANCELLED, T0, S.DELIVERED, LATER, True),
        (S.DELIVERED, T0, S.CANCELLED, LATER, False),
        (S.RETURNED, T0, S.CANCELLED, LATER, False),
        # terminal: its time is the earliest report of it
        (S.DELIVERED, T0, S.DELIVERED, EARLIER, True),
        (S.DELIVERED, T0, S.DELIVERED, LATER, False),
        # a state without a time takes the first same-level event's time
        (S.INFO_RECEIVED, None, S.INFO_RECEIVED, T0, True),
        (S.INFO_RECEIVED, None, S.UNKNOWN, T0, False),
        (S.IN_TRANSIT, None, S.PICKED_UP, T0, False),
        # a state read back from storage as a plain string
        ("in_transit", T0, S.OUT_FOR_DELIVERY, EARLIER, True),
        ("unknown", T0, S.PICKED_UP, EARLIER, True),
    ],
)
def test_advances(
    current: Status | None,
    current_at: datetime | None,
    new: Status,
    new_at: datetime,
    moves: bool,
) -> None:
    assert advances(current, current_at, new, new_at) is moves


def test_a_late_out_of_order_story_settles_on_the_truth() -> None:
    hours = [T0 + timedelta(hours=h) for h in range(8)]
    story = [
        (S.INFO_RECEIVED, hours[0]),
        (S.PICKED_UP, hours[1]),
        (S.IN_TRANSIT, hours[2]),
        (S.EXCEPTION, hours[3]),
        (S.IN_TRANSIT, hours[4]),
        (S.OUT_FOR_DELIVERY, hours[5]),
        (S.ATTEMPT_FAILED, hours[6]),
        (S.AVAILABLE_FOR_PICKUP, hours[7]),
    ]
    assert settle(story) == (S.AVAILABLE_FOR_PICKUP, hours[7])
    arrived = [story[7], story[2], story[0], story[7], story[5], story[3], story[1], story[6]]
    assert settle(arrived) == (S.AVAILABLE_FOR_PICKUP, hours[7])
    # The exception shows only while it is the newest news at its level.
    assert settle(story[:4]) == (S.EXCEPTION, hours[3])
    assert settle(story[:5]) == (S.IN_TRANSIT, hours[4])
    # An unknown code in the middle changes nothing.
    assert settle([*story, (S.UNKNOWN, hours[7] + timedelta(hours=1))]) == settle(story)


def test_settle_starts_from_a_given_state() -> None:
    assert settle([(S.PICKED_UP, LATER)], S.IN_TRANSIT, T0) == (S.IN_TRANSIT, T0)
    assert settle([], S.IN_TRANSIT, T0) == (S.IN_TRANSIT, T0)
    assert settle([]) == (None, None)


# -- the property: arrival order and duplicates never matter -----------------------

events = st.lists(
    st.tuples(st.sampled_from(list(Status)), st.integers(min_value=0, max_value=12)),
    max_size=14,
)


def _timed(raw: list[tuple[Status, int]]) -> list[tuple[Status, datetime]]:
    # Few distinct minutes, so ties at the same instant are common.
    return [(status, T0 + timedelta(minutes=m)) for status, m in raw]


@settings(max_examples=400, deadline=None)
@given(events, st.randoms(use_true_random=False), st.data())
def test_any_arrival_order_with_duplicates_ends_as_time_order(
    raw: list[tuple[Status, int]], rnd: random.Random, data: st.DataObject
) -> None:
    story = _timed(raw)
    in_time_order = sorted(story, key=lambda e: e[1])
    expected = settle(in_time_order)

    duplicates = data.draw(st.lists(st.sampled_from(story), max_size=6)) if story else []
    arrived = story + duplicates
    rnd.shuffle(arrived)

    current: Status | None = None
    current_at: datetime | None = None
    for status, at in arrived:
        if advances(current, current_at, status, at):
            # Never backwards in rank; unknown never becomes the state.
            assert status is not S.UNKNOWN
            assert current is None or rank(status) >= rank(current)
            if current in TERMINAL:
                assert status in TERMINAL
            current, current_at = status, at
    assert (current, current_at) == expected

    # The final state is one of the events (the latest word at the highest level).
    if expected[0] is not None:
        assert expected in story
        highest = max(rank(s) for s, _ in story)
        assert rank(expected[0]) == highest


@settings(max_examples=200, deadline=None)
@given(events)
def test_replaying_everything_again_changes_nothing(raw: list[tuple[Status, int]]) -> None:
    story = _timed(raw)
    state = settle(story)
    assert settle(story, *state) == state
    assert settle(reversed(story)) == state
