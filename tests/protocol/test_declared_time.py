"""The declaring-day rule: a version takes effect on its declaration day (UTC) or later."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from hutong.protocol.declared_time import Correction, check_valid_from, earliest_valid_from
from hutong.protocol.errors import ValidationError

NOW = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)


def test_the_earliest_day_is_the_utc_day_of_the_declaration() -> None:
    beijing = timezone(timedelta(hours=8))
    assert earliest_valid_from(NOW) == date(2026, 3, 1)
    assert earliest_valid_from(NOW.astimezone(beijing)) == date(2026, 3, 1)
    with pytest.raises(ValueError):
        earliest_valid_from(NOW.replace(tzinfo=None))


@pytest.mark.parametrize("valid_from", [date(2026, 3, 1), date(2026, 3, 2), date(2030, 1, 1)])
def test_today_or_later_is_a_plain_declaration(valid_from: date) -> None:
    check_valid_from(valid_from, NOW, None)


def test_a_past_day_is_refused_with_the_earliest_allowed_day() -> None:
    with pytest.raises(ValidationError) as refused:
        check_valid_from(date(2015, 1, 1), NOW, None)
    assert refused.value.code == "valid_from_in_past"
    assert "2026-03-01 or later" in refused.value.message


def test_a_past_day_is_accepted_as_a_correction_only() -> None:
    check_valid_from(date(2015, 1, 1), NOW, Correction("historical record"))
    with pytest.raises(ValidationError) as refused:
        check_valid_from(date(2026, 3, 1), NOW, Correction("not back-dated"))
    assert refused.value.code == "invalid_correction"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_correction_gives_a_reason(reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Correction(reason)
    assert refused.value.code == "invalid_correction"
