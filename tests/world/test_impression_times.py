"""A synthetic world's ranking lists are dated inside the audit window, whatever the hour."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hutong.world.synth.impressions import showing_times

DAY = date(2026, 12, 7)


def test_lists_built_just_after_midnight_stay_on_the_worlds_first_day() -> None:
    now = datetime(2026, 12, 7, 0, 2, 30, tzinfo=UTC)  # the day is 150 s old

    times = showing_times(DAY, now, 500)

    assert times[0] == datetime(2026, 12, 7, tzinfo=UTC)  # not the evening before
    assert all(t.date() == DAY for t in times)
    assert times == sorted(times) and times[-1] < now


def test_lists_built_later_in_the_day_are_a_second_apart_in_the_last_hour() -> None:
    now = datetime(2026, 12, 7, 15, 0, 0, 123_000, tzinfo=UTC)

    times = showing_times(DAY, now, 500)

    assert times[0] == datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    assert times[1] - times[0] == timedelta(seconds=1)
    assert times[-1] < now
